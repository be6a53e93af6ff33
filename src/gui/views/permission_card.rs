//! The permission card (WINDOW.md, mock 29): pinned above the composer while an agent of the open session
//! waits for an answer. "Run `<command>`?" or "Write `<path>`?", who asks and why, raw details on demand,
//! then 1 Always · 2 Yes · 3 No (with feedback). Keys 1/2/3 answer; Esc opens the feedback box (No).

use egui::{
    Align, CornerRadius, Frame, Key, Layout, Margin, Panel, RichText, Sense, Stroke, TextEdit, Ui,
    vec2,
};

use super::ViewCtx;
use crate::gui::action::Action;
use crate::gui::model::AppModel;
use crate::gui::theme;
use crate::model::{PermissionDecision, PermissionKind, PermissionView, RunId};

/// Every request of the open session that waits for an answer, oldest first.
pub fn waiting(model: &AppModel) -> Vec<(RunId, PermissionView)> {
    let Some(session) = &model.session else {
        return Vec::new();
    };
    let mut out: Vec<(RunId, PermissionView)> = session
        .runs
        .iter()
        .flat_map(|r| {
            r.view
                .waiting_permissions()
                .map(|p| (r.view.run.id.clone(), p.clone()))
        })
        .collect();
    out.sort_by(|(_, a), (_, b)| {
        (a.request.at, &a.request.request_id).cmp(&(b.request.at, &b.request.request_id))
    });
    out
}

/// Keys 1/2/3 and Esc answer the oldest waiting request. Taken before the composer sees them, unless the
/// user is writing something (a prompt, the spec, the feedback box).
pub fn handle_keys(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    if app.view.permission_feedback.is_some() || app.view.spec_editing {
        return;
    }
    let Some((run_id, permission)) = waiting(app.model).first().cloned() else {
        return;
    };
    let focused = ui.memory(|m| m.focused().is_some());
    if focused && !app.view.composer.trim().is_empty() {
        return;
    }
    let request = permission.request.request_id;
    let mut decision = None;
    ui.input_mut(|i| {
        if i.consume_key(egui::Modifiers::NONE, Key::Num1) {
            decision = Some(PermissionDecision::Always);
        } else if i.consume_key(egui::Modifiers::NONE, Key::Num2) {
            decision = Some(PermissionDecision::Yes);
        } else if i.consume_key(egui::Modifiers::NONE, Key::Num3)
            || i.consume_key(egui::Modifiers::NONE, Key::Escape)
        {
            app.view.permission_feedback = Some((request.clone(), String::new()));
        }
    });
    // The keys also reached the composer as text events: keep its text as it was.
    if decision.is_some() || app.view.permission_feedback.is_some() {
        ui.input_mut(|i| {
            i.events
                .retain(|e| !matches!(e, egui::Event::Text(t) if t == "1" || t == "2" || t == "3"));
        });
    }
    if let Some(decision) = decision {
        app.actions.push(Action::AnswerPermission {
            run: run_id,
            request,
            decision,
            feedback: None,
        });
    }
}

/// The card for the oldest waiting request, above the composer; nothing when none waits.
pub fn show(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    let waiting = waiting(app.model);
    let Some((run_id, permission)) = waiting.first().cloned() else {
        app.view.permission_feedback = None;
        return;
    };
    let more = waiting.len() - 1;
    Panel::bottom("permission_card")
        .resizable(false)
        .frame(
            Frame::NONE
                .fill(theme::PANE)
                .inner_margin(Margin::symmetric(8, 4)),
        )
        .show(ui, |ui| {
            Frame::NONE
                .fill(theme::CHROME)
                .stroke(Stroke::new(1.0, theme::BORDER_STRONG))
                .corner_radius(6)
                .inner_margin(Margin::same(12))
                .show(ui, |ui| card(app, ui, &run_id, &permission, more));
        });
}

fn card(app: &mut ViewCtx<'_>, ui: &mut Ui, run_id: &RunId, p: &PermissionView, more: usize) {
    let request = &p.request;
    let id = request.request_id.clone();
    let feedback_open = app.view.permission_feedback.as_ref().map(|(r, _)| r) == Some(&id);
    ui.horizontal(|ui| {
        let (badge, _) = ui.allocate_exact_size(vec2(26.0, 26.0), Sense::hover());
        ui.painter()
            .rect_filled(badge, 5.0, theme::WARNING.gamma_multiply(0.25));
        ui.painter().text(
            badge.center(),
            egui::Align2::CENTER_CENTER,
            "!",
            egui::FontId::proportional(theme::BODY),
            theme::WARNING,
        );
        ui.vertical(|ui| {
            let verb = match request.kind {
                PermissionKind::Command => "Run",
                PermissionKind::Write => "Write",
            };
            ui.horizontal_wrapped(|ui| {
                ui.spacing_mut().item_spacing.x = 4.0;
                ui.label(RichText::new(verb).size(theme::BODY).strong());
                ui.label(
                    RichText::new(&request.subject)
                        .monospace()
                        .size(theme::MONO)
                        .color(theme::TEXT)
                        .background_color(theme::RAISED),
                );
                ui.label(RichText::new("?").size(theme::BODY).strong());
            });
            let queue = if more > 0 {
                format!(" · {more} more waiting")
            } else {
                String::new()
            };
            ui.label(
                RichText::new(format!(
                    "from task {} of run {} · {}{queue}",
                    request.task_id, run_id, request.reason
                ))
                .size(theme::META)
                .color(theme::SECONDARY),
            );
        });
    });
    ui.add_space(6.0);
    egui::CollapsingHeader::new(
        RichText::new("Show raw details")
            .size(theme::META)
            .color(theme::MUTED),
    )
    .id_salt(("permission_raw", &id))
    .show(ui, |ui| {
        ui.label(
            RichText::new(format!(
                "request {id}\ntool {}\ncall {}\nasked {}",
                request.tool, request.call_id, request.at
            ))
            .monospace()
            .size(theme::META)
            .color(theme::SECONDARY),
        );
    });
    ui.add_space(4.0);
    let always_label = match &request.pattern {
        Some(pattern) => format!("Always (allow `{pattern}` in this session)"),
        None => "Always (on the deny-list: allowed this once)".to_owned(),
    };
    let mut chosen: Option<PermissionDecision> = None;
    if option(ui, "1", &always_label, theme::SUCCESS).clicked() {
        chosen = Some(PermissionDecision::Always);
    }
    if option(ui, "2", "Yes", theme::SUCCESS).clicked() {
        chosen = Some(PermissionDecision::Yes);
    }
    if option(ui, "3", "No, provide feedback", theme::DANGER).clicked() {
        app.view.permission_feedback = Some((id.clone(), String::new()));
    }
    let mut send_no: Option<Option<String>> = None;
    if feedback_open || app.view.permission_feedback.as_ref().map(|(r, _)| r) == Some(&id) {
        ui.add_space(4.0);
        let field_id = ui.make_persistent_id(("permission_feedback", &id));
        let mut close = false;
        if let Some((_, text)) = app.view.permission_feedback.as_mut() {
            let edit = ui.add(
                TextEdit::singleline(text)
                    .id(field_id)
                    .hint_text("Why not? (optional; Enter sends No, Esc sends No without feedback)")
                    .desired_width(f32::INFINITY),
            );
            if !feedback_open {
                edit.request_focus();
            }
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            let escape = ui.input(|i| i.key_pressed(Key::Escape)) && feedback_open;
            if enter {
                send_no = Some(Some(text.trim().to_owned()).filter(|t| !t.is_empty()));
                close = true;
            } else if escape {
                send_no = Some(None);
                close = true;
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui
                    .add(egui::Button::new(
                        RichText::new("Send No").size(theme::META),
                    ))
                    .clicked()
                {
                    send_no = Some(Some(text.trim().to_owned()).filter(|t| !t.is_empty()));
                    close = true;
                }
            });
        }
        if close {
            app.view.permission_feedback = None;
        }
    }
    ui.vertical_centered(|ui| {
        ui.label(
            RichText::new("Press 1, 2 or 3 to choose · Esc to refuse")
                .size(theme::LABEL)
                .color(theme::MUTED),
        );
    });
    let answer = match (chosen, send_no) {
        (Some(decision), _) => Some((decision, None)),
        (None, Some(feedback)) => Some((PermissionDecision::No, feedback)),
        (None, None) => None,
    };
    if let Some((decision, feedback)) = answer {
        app.view.permission_feedback = None;
        app.actions.push(Action::AnswerPermission {
            run: run_id.clone(),
            request: id,
            decision,
            feedback,
        });
    }
}

/// One numbered option row.
fn option(ui: &mut Ui, key: &str, text: &str, tint: egui::Color32) -> egui::Response {
    let width = ui.available_width();
    let (rect, response) = ui.allocate_exact_size(vec2(width, 30.0), Sense::click());
    let fill = if response.hovered() {
        tint.gamma_multiply(0.22)
    } else {
        tint.gamma_multiply(0.10)
    };
    let painter = ui.painter();
    painter.rect_filled(rect, CornerRadius::same(4), fill);
    let key_rect = egui::Rect::from_center_size(
        egui::pos2(rect.left() + 18.0, rect.center().y),
        vec2(16.0, 16.0),
    );
    painter.rect_stroke(
        key_rect,
        3.0,
        Stroke::new(1.0, theme::SECONDARY),
        egui::StrokeKind::Inside,
    );
    painter.text(
        key_rect.center(),
        egui::Align2::CENTER_CENTER,
        key,
        egui::FontId::proportional(theme::LABEL),
        theme::SECONDARY,
    );
    painter.text(
        egui::pos2(rect.left() + 36.0, rect.center().y),
        egui::Align2::LEFT_CENTER,
        text,
        egui::FontId::proportional(theme::BODY - 1.0),
        theme::TEXT,
    );
    ui.add_space(4.0);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, text));
    response
}
