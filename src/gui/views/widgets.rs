//! Small drawn pieces shared by the views: icons (painter shapes, so no font glyph is needed), status dots,
//! pills, section labels, dashed frames.

use egui::{
    Align2, Color32, CornerRadius, Pos2, Rect, Response, RichText, Sense, Shape, Stroke, Ui,
    WidgetInfo, pos2, vec2,
};

use crate::gui::model::AgentState;
use crate::gui::theme;
use crate::model::TaskStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    Home,
    Sidebar,
    RightPane,
    ChevronRight,
    ChevronDown,
    Play,
    Stop,
    Plus,
}

/// Paints an icon centred in `rect`.
pub fn paint_icon(ui: &Ui, rect: Rect, icon: Icon, color: Color32) {
    let p = ui.painter();
    let c = rect.center();
    let s = Stroke::new(1.3, color);
    match icon {
        Icon::Home => {
            let roof = vec![
                pos2(c.x - 6.0, c.y - 0.5),
                pos2(c.x, c.y - 6.0),
                pos2(c.x + 6.0, c.y - 0.5),
            ];
            p.add(Shape::line(roof, s));
            p.rect_stroke(
                Rect::from_min_max(pos2(c.x - 4.5, c.y - 1.5), pos2(c.x + 4.5, c.y + 5.5)),
                0.0,
                s,
                egui::StrokeKind::Inside,
            );
        }
        Icon::Sidebar | Icon::RightPane => {
            let r = Rect::from_center_size(c, vec2(14.0, 11.0));
            p.rect_stroke(r, 2.0, s, egui::StrokeKind::Inside);
            let x = if icon == Icon::Sidebar {
                r.left() + 4.5
            } else {
                r.right() - 4.5
            };
            p.line_segment([pos2(x, r.top()), pos2(x, r.bottom())], s);
        }
        Icon::ChevronRight => {
            p.add(Shape::line(
                vec![
                    pos2(c.x - 2.0, c.y - 4.0),
                    pos2(c.x + 2.0, c.y),
                    pos2(c.x - 2.0, c.y + 4.0),
                ],
                s,
            ));
        }
        Icon::ChevronDown => {
            p.add(Shape::line(
                vec![
                    pos2(c.x - 4.0, c.y - 2.0),
                    pos2(c.x, c.y + 2.0),
                    pos2(c.x + 4.0, c.y - 2.0),
                ],
                s,
            ));
        }
        Icon::Play => {
            p.add(Shape::convex_polygon(
                vec![
                    pos2(c.x - 3.0, c.y - 4.5),
                    pos2(c.x + 4.5, c.y),
                    pos2(c.x - 3.0, c.y + 4.5),
                ],
                color,
                Stroke::NONE,
            ));
        }
        Icon::Stop => {
            p.rect_filled(Rect::from_center_size(c, vec2(9.0, 9.0)), 1.5, color);
        }
        Icon::Plus => {
            p.line_segment([pos2(c.x - 5.0, c.y), pos2(c.x + 5.0, c.y)], s);
            p.line_segment([pos2(c.x, c.y - 5.0), pos2(c.x, c.y + 5.0)], s);
        }
    }
}

/// A square icon button with an accessible label (used by tests and screen readers).
pub fn icon_button(ui: &mut Ui, icon: Icon, label: &str) -> Response {
    let (rect, response) = ui.allocate_exact_size(vec2(26.0, 22.0), Sense::click());
    let label_owned = label.to_owned();
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, &label_owned));
    let color = if response.hovered() {
        ui.painter().rect_filled(rect, 3.0, theme::RAISED);
        theme::TEXT
    } else {
        theme::SECONDARY
    };
    paint_icon(ui, rect, icon, color);
    response.on_hover_text(label)
}

/// A filled button in the given colour.
pub fn solid_button(ui: &mut Ui, text: &str, fill: Color32) -> Response {
    ui.add(
        egui::Button::new(
            RichText::new(text)
                .color(theme::TEXT)
                .size(theme::META + 1.0),
        )
        .fill(fill)
        .stroke(Stroke::NONE)
        .corner_radius(CornerRadius::same(4)),
    )
}

/// A quiet bordered button.
pub fn quiet_button(ui: &mut Ui, text: &str) -> Response {
    ui.add(
        egui::Button::new(
            RichText::new(text)
                .color(theme::TEXT)
                .size(theme::META + 1.0),
        )
        .fill(theme::RAISED)
        .stroke(Stroke::new(1.0, theme::BORDER_STRONG))
        .corner_radius(CornerRadius::same(4)),
    )
}

/// An uppercase section label (11 px, muted).
pub fn section_label(ui: &mut Ui, text: &str) {
    ui.label(
        RichText::new(text.to_uppercase())
            .size(theme::LABEL)
            .color(theme::MUTED)
            .strong(),
    );
}

pub fn meta(text: impl Into<String>) -> RichText {
    RichText::new(text.into())
        .size(theme::META)
        .color(theme::SECONDARY)
}

pub fn muted(text: impl Into<String>) -> RichText {
    RichText::new(text.into())
        .size(theme::META)
        .color(theme::MUTED)
}

/// A status dot: filled for live states, a hollow amber ring when interrupted.
pub fn paint_state_dot(ui: &Ui, center: Pos2, state: AgentState, pulse: f32) {
    let p = ui.painter();
    match state {
        AgentState::Running => {
            p.circle_filled(
                center,
                3.5,
                theme::RUNNING.gamma_multiply(0.55 + 0.45 * pulse),
            );
        }
        AgentState::Queued => {
            p.circle_stroke(center, 3.0, Stroke::new(1.2, theme::RUNNING));
        }
        AgentState::Idle => {
            p.circle_filled(center, 3.0, theme::MUTED);
        }
        AgentState::Done => {
            p.circle_filled(center, 3.5, theme::SUCCESS);
        }
        AgentState::Failed => {
            p.circle_filled(center, 3.5, theme::DANGER);
        }
        AgentState::Interrupted => {
            p.circle_stroke(center, 3.2, Stroke::new(1.4, theme::WARNING));
        }
    }
}

/// A status glyph for a task (spec cards, context tree): ring, running dot, check, cross.
pub fn paint_task_glyph(ui: &Ui, center: Pos2, status: Option<TaskStatus>, live: bool) {
    let p = ui.painter();
    let r = 5.5;
    match status {
        None | Some(TaskStatus::Queued) => {
            p.circle_stroke(center, r, Stroke::new(1.2, theme::MUTED));
        }
        Some(TaskStatus::Running) => {
            let color = if live { theme::RUNNING } else { theme::MUTED };
            p.circle_stroke(center, r, Stroke::new(1.2, color));
            p.circle_filled(center, 2.5, color);
        }
        Some(TaskStatus::Completed) => {
            p.circle_filled(center, r, theme::SUCCESS);
            p.add(Shape::line(
                vec![
                    pos2(center.x - 2.6, center.y),
                    pos2(center.x - 0.6, center.y + 2.0),
                    pos2(center.x + 2.8, center.y - 2.2),
                ],
                Stroke::new(1.4, theme::CHROME),
            ));
        }
        Some(TaskStatus::Failed) => {
            p.circle_filled(center, r, theme::DANGER);
            let d = 2.2;
            let s = Stroke::new(1.4, theme::TEXT);
            p.line_segment([center + vec2(-d, -d), center + vec2(d, d)], s);
            p.line_segment([center + vec2(-d, d), center + vec2(d, -d)], s);
        }
        Some(TaskStatus::Interrupted) => {
            p.circle_stroke(center, r, Stroke::new(1.4, theme::WARNING));
        }
        Some(TaskStatus::Skipped | TaskStatus::Cancelled) => {
            p.circle_stroke(center, r, Stroke::new(1.2, theme::MUTED));
            p.line_segment(
                [center + vec2(-3.0, 0.0), center + vec2(3.0, 0.0)],
                Stroke::new(1.2, theme::MUTED),
            );
        }
    }
}

/// Allocates a glyph-sized slot and paints a task glyph in it.
pub fn task_glyph(ui: &mut Ui, status: Option<TaskStatus>, live: bool) {
    let (rect, _) = ui.allocate_exact_size(vec2(14.0, 14.0), Sense::hover());
    paint_task_glyph(ui, rect.center(), status, live);
}

/// A small coloured avatar square with the first letter of the name.
pub fn avatar(ui: &mut Ui, name: &str) -> Rect {
    let (rect, _) = ui.allocate_exact_size(vec2(16.0, 16.0), Sense::hover());
    ui.painter().rect_filled(rect, 3.0, theme::avatar(name));
    let letter: String = name
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    ui.painter().text(
        rect.center(),
        Align2::CENTER_CENTER,
        letter,
        egui::FontId::proportional(10.0),
        theme::TEXT,
    );
    rect
}

/// A rounded status pill: coloured dot and text.
pub fn pill(ui: &mut Ui, text: &str, color: Color32, hollow: bool, pulse: f32) -> Response {
    let galley = ui.painter().layout_no_wrap(
        text.to_owned(),
        egui::FontId::proportional(theme::META),
        color,
    );
    let size = vec2(galley.size().x + 24.0, 20.0);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let p = ui.painter();
    p.rect_filled(rect, 10.0, color.gamma_multiply(0.14));
    let dot = pos2(rect.left() + 10.0, rect.center().y);
    if hollow {
        p.circle_stroke(dot, 3.2, Stroke::new(1.4, color));
    } else {
        p.circle_filled(dot, 3.5, color.gamma_multiply(0.55 + 0.45 * pulse));
    }
    p.galley(
        pos2(rect.left() + 18.0, rect.center().y - galley.size().y / 2.0),
        galley,
        color,
    );
    response
}

/// Paints a dashed rectangle outline (the stale treatment).
pub fn dashed_rect(ui: &Ui, rect: Rect, color: Color32) {
    let stroke = Stroke::new(1.0, color);
    let (dash, gap) = (5.0, 4.0);
    let corners = [
        rect.left_top(),
        rect.right_top(),
        rect.right_bottom(),
        rect.left_bottom(),
        rect.left_top(),
    ];
    for pair in corners.windows(2) {
        if let [a, b] = pair {
            ui.painter()
                .extend(Shape::dashed_line(&[*a, *b], stroke, dash, gap));
        }
    }
}

/// 0..1, oscillating, for the dots of live runs (constant when animation is off).
pub fn pulse(ui: &Ui, animate: bool) -> f32 {
    if !animate {
        return 1.0;
    }
    let t = ui.input(|i| i.time) as f32;
    0.5 + 0.5 * (t * 4.0).sin()
}

/// A row with a label on the left and an action on the right. The action is laid out first so the label
/// gets only the room left and ends in an ellipsis instead of running under the button in a narrow pane.
pub fn label_with_action<R>(ui: &mut Ui, label: RichText, action: impl FnOnce(&mut Ui) -> R) -> R {
    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
        let result = action(ui);
        ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
            ui.add(egui::Label::new(label).truncate());
        });
        result
    })
    .inner
}

/// The 26 px breadcrumb bar on top of a pane: `SECTION / item`, then whatever `rest` adds on the same line.
pub fn breadcrumb(
    ui: &mut Ui,
    id: &'static str,
    section: &str,
    item: &str,
    rest: impl FnOnce(&mut Ui),
) {
    egui::Panel::top(id)
        .exact_size(26.0)
        .resizable(false)
        .frame(
            egui::Frame::NONE
                .fill(theme::PANE)
                .inner_margin(egui::Margin::symmetric(12, 0)),
        )
        .show(ui, |ui| {
            ui.horizontal_centered(|ui| {
                ui.label(
                    RichText::new(section)
                        .size(theme::LABEL)
                        .color(theme::MUTED),
                );
                ui.label(RichText::new("/").size(theme::LABEL).color(theme::MUTED));
                ui.label(RichText::new(item).size(theme::META).color(theme::TEXT));
                rest(ui);
            });
        });
}
