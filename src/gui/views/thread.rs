//! The center pane: tab strip, breadcrumb, the conversation thread (virtualised: only rows in view are laid
//! out, heights are measured and cached) and the composer.

use egui::{
    Align, Frame, Key, Layout, Margin, Modifiers, Panel, Rect, RichText, ScrollArea, Sense, Stroke,
    TextEdit, Ui, UiBuilder, pos2, vec2,
};

use super::ViewCtx;
use crate::gui::action::Action;
use crate::gui::model::ThreadItem;
use crate::gui::theme;
use crate::gui::ui_state::Tab;

use super::thread_rows as rows;
use super::widgets::{self, Icon};

/// Estimated height of a row not measured yet.
const ESTIMATE: f32 = 36.0;
const SIDE: f32 = 20.0;
/// The composer's text grows up to this height, then scrolls.
const COMPOSER_MAX_HEIGHT: f32 = 180.0;

pub fn show(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    tab_strip(app, ui);
    super::permission_card::handle_keys(app, ui);
    composer(app, ui);
    super::permission_card::show(app, ui);
    let tab = app
        .layout
        .tabs
        .get(app.layout.active_tab)
        .copied()
        .unwrap_or(Tab::Coordinator);
    match tab {
        Tab::Coordinator => thread(app, ui),
        Tab::History => history(app, ui),
    }
}

fn tab_strip(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    Panel::top("center_tabs")
        .exact_size(30.0)
        .resizable(false)
        .frame(Frame::NONE.fill(theme::CHROME))
        .show(ui, |ui| {
            ui.horizontal_centered(|ui| {
                ui.spacing_mut().item_spacing.x = 0.0;
                let tabs = app.layout.tabs.clone();
                for (i, tab) in tabs.iter().enumerate() {
                    let active = i == app.layout.active_tab;
                    let text = RichText::new(tab.title())
                        .size(theme::META)
                        .color(if active {
                            theme::TEXT
                        } else {
                            theme::SECONDARY
                        });
                    let button = egui::Button::new(text)
                        .fill(if active { theme::PANE } else { theme::CHROME })
                        .stroke(Stroke::NONE)
                        .corner_radius(0)
                        .min_size(vec2(120.0, 30.0));
                    if ui.add(button).clicked() {
                        app.actions.push(Action::SelectTab(i));
                    }
                }
                if app.layout.tabs.len() < 2
                    && widgets::icon_button(ui, Icon::Plus, "Open run history").clicked()
                {
                    app.actions.push(Action::OpenHistory);
                }
            });
        });
    // The breadcrumb names what the active tab shows.
    let history = app.layout.tabs.get(app.layout.active_tab) == Some(&Tab::History);
    let (section, item, note) = if history {
        ("RUNS", "History", "this session, newest first")
    } else {
        ("AGENTS", "Coordinator", "Coordinator agent")
    };
    widgets::breadcrumb(ui, "center_breadcrumb", section, item, |ui| {
        ui.label(widgets::muted(note));
    });
}

fn composer(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    let live_run = app.model.session.as_ref().and_then(|s| {
        s.runs
            .iter()
            .rev()
            .find(|r| app.model.is_live(&r.view))
            .map(|r| r.id().clone())
    });
    Panel::bottom("composer")
        .resizable(false)
        .frame(Frame::NONE.fill(theme::PANE).inner_margin(Margin::same(8)))
        .show(ui, |ui| {
            Frame::NONE
                .fill(theme::CHROME)
                .stroke(Stroke::new(1.0, theme::BORDER_STRONG))
                .corner_radius(4)
                .inner_margin(Margin::same(8))
                .show(ui, |ui| {
                    let id = ui.make_persistent_id("composer_text");
                    let focused = ui.memory(|m| m.has_focus(id));
                    // `consume_key` ignores Shift, so check it first: Shift+Enter is a new line.
                    let enter = focused
                        && ui.input_mut(|i| {
                            !i.modifiers.shift && i.consume_key(Modifiers::NONE, Key::Enter)
                        });
                    // A long prompt scrolls inside the composer instead of growing it past the window
                    // (which pushed the Send row off screen).
                    ScrollArea::vertical()
                        .id_salt("composer_scroll")
                        .max_height(COMPOSER_MAX_HEIGHT)
                        .show(ui, |ui| {
                            ui.add(
                                TextEdit::multiline(&mut app.view.composer)
                                    .id(id)
                                    .hint_text("Ask anything or describe a change (Enter sends, Shift+Enter for a new line)")
                                    .desired_rows(3)
                                    .desired_width(f32::INFINITY)
                                    .frame(Frame::NONE),
                            );
                        });
                    let mut send = enter;
                    ui.horizontal(|ui| {
                        // Provider, then model: no trailing label (egui puts a combo's label after it, where
                        // it read as the model field's name); the tooltips say what each one picks.
                        egui::ComboBox::from_id_salt("provider_picker")
                            .selected_text(RichText::new(&app.view.provider).size(theme::META))
                            .width(130.0)
                            .show_ui(ui, |ui| {
                                for p in crate::provider::registry::ProviderChoice::ALL {
                                    let name = p.as_str();
                                    ui.selectable_value(&mut app.view.provider, name.to_owned(), name);
                                }
                            })
                            .response
                            .on_hover_text("Provider for the next run");
                        // Leave room for Send/Stop (~60 px) so a narrow pane does not overlap them.
                        let model_width = (ui.available_width() - 70.0).clamp(40.0, 120.0);
                        ui.add(
                            TextEdit::singleline(&mut app.view.model_name)
                                .hint_text("default model")
                                .font(egui::FontId::proportional(theme::META))
                                .desired_width(model_width),
                        );
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            match &live_run {
                                Some(run) => {
                                    if widgets::solid_button(ui, "Stop", theme::DANGER).clicked() {
                                        app.actions.push(Action::Stop(run.clone()));
                                    }
                                }
                                None => {
                                    if widgets::solid_button(ui, "Send", theme::ACCENT).clicked() {
                                        send = true;
                                    }
                                }
                            }
                        });
                    });
                    if send {
                        let prompt = app.view.composer.trim().to_owned();
                        if !prompt.is_empty() {
                            app.view.composer.clear();
                            app.actions.push(Action::Send(prompt));
                        }
                    }
                });
        });
}

fn thread(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    let items = app.model.derived().items.clone();
    if items.is_empty() {
        Frame::NONE.inner_margin(Margin::same(24)).show(ui, |ui| {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.label(
                    RichText::new("Start with a prompt")
                        .size(16.0)
                        .color(theme::TEXT),
                );
                ui.label(widgets::meta(
                    "The coordinator retrieves context from this space, drafts a spec and \
                     delegates its tasks in waves.",
                ));
            });
        });
        return;
    }
    let scroll_to = app.view.scroll_to.take();
    if scroll_to.is_some() {
        app.view.stick_to_bottom = false;
    }
    // At the end, the area's own stickiness keeps new rows in view. Scrolled up when the user sent, it
    // is brought down with a scroll request, repeated until the end is reached (rows measured meanwhile
    // move it).
    if scroll_to.is_some() {
        app.view.scroll_to_end = false;
    }
    let to_end = app.view.scroll_to_end;
    let stick = app.view.stick_to_bottom;
    let area = ScrollArea::vertical()
        .id_salt("thread_scroll")
        .auto_shrink([false, false]);
    let output = area
        .stick_to_bottom(stick)
        .show_viewport(ui, |ui, viewport| {
            let width = ui.available_width();
            let origin = ui.max_rect().min;
            let mut y = 8.0;
            let mut remeasured = false;
            if let Some(target) = scroll_to {
                let top: f32 = 8.0
                    + items
                        .iter()
                        .take_while(|i| **i != target)
                        .map(|i| app.view.heights.get(i).copied().unwrap_or(ESTIMATE))
                        .sum::<f32>();
                ui.scroll_to_rect(
                    Rect::from_min_size(pos2(origin.x, origin.y + top), vec2(width, 40.0)),
                    Some(Align::TOP),
                );
            }
            for item in &items {
                let h = app.view.heights.get(item).copied().unwrap_or(ESTIMATE);
                let top = y;
                y += h;
                if y < viewport.top() - 200.0 || top > viewport.bottom() + 200.0 {
                    continue;
                }
                let rect = Rect::from_min_size(
                    pos2(origin.x + SIDE, origin.y + top),
                    vec2(width - 2.0 * SIDE, f32::INFINITY),
                );
                let used = ui
                    .scope_builder(UiBuilder::new().max_rect(rect).id_salt(*item), |ui| {
                        ui.set_width(width - 2.0 * SIDE);
                        draw_item(app, ui, *item);
                    })
                    .response
                    .rect
                    .height()
                    + 6.0;
                if (used - h).abs() > 0.5 {
                    app.view.heights.insert(*item, used);
                    remeasured = true;
                }
            }
            ui.allocate_rect(
                Rect::from_min_size(origin, vec2(width, y + 24.0)),
                Sense::hover(),
            );
            if to_end {
                ui.scroll_to_rect(
                    Rect::from_min_size(pos2(origin.x, origin.y + y + 23.0), vec2(width, 1.0)),
                    Some(Align::BOTTOM),
                );
            }
            if remeasured {
                ui.ctx().request_discard("thread rows measured");
            }
        });
    let at_bottom =
        output.state.clamped_offset().y + output.inner_rect.height() >= output.content_size.y - 4.0;
    app.view.stick_to_bottom = at_bottom;
    if at_bottom {
        app.view.scroll_to_end = false;
    }
}

fn draw_item(app: &mut ViewCtx<'_>, ui: &mut Ui, item: ThreadItem) {
    let index = match item {
        ThreadItem::User(i)
        | ThreadItem::Header(i)
        | ThreadItem::Inspector(i)
        | ThreadItem::Prose(i)
        | ThreadItem::Step(i, _)
        | ThreadItem::Delegation(i)
        | ThreadItem::Barrier(i, _)
        | ThreadItem::EventBar(i, _)
        | ThreadItem::Working(i)
        | ThreadItem::Tool(i, _)
        | ThreadItem::TaskFiles(i, _) => i,
    };
    let Some(entry) = app
        .model
        .session
        .as_ref()
        .and_then(|s| s.runs.get(index))
        .cloned()
    else {
        return;
    };
    match item {
        ThreadItem::User(_) => rows::user_turn(ui, &entry),
        ThreadItem::Header(_) => {
            if rows::header(app, ui, &entry) {
                app.view.scroll_to = Some(item);
            }
        }
        ThreadItem::Inspector(_) => {
            if let Some(action) = super::inspector::show(ui, &entry, app.model.now) {
                app.actions.push(action);
            }
        }
        ThreadItem::Prose(_) => rows::prose(app, ui, &entry),
        ThreadItem::Step(_, step) => rows::step_row(app, ui, &entry, step),
        ThreadItem::Delegation(_) => rows::delegation(ui, &entry),
        ThreadItem::Barrier(_, wave) => rows::barrier(app, ui, &entry, wave),
        ThreadItem::EventBar(_, t) => rows::event_bar(ui, &entry, t),
        ThreadItem::Working(_) => rows::working(ui, &entry, app.animate),
        ThreadItem::Tool(_, c) => super::tool_rows::tool_row(app, ui, &entry, c),
        ThreadItem::TaskFiles(_, t) => super::tool_rows::task_files(app, ui, &entry, t),
    }
}

/// The session's runs, newest first; only the rows in view are laid out.
fn history(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    let Some(session) = &app.model.session else {
        return;
    };
    let now = app.model.now;
    let n = session.runs.len();
    ScrollArea::vertical()
        .id_salt("history_rows")
        .auto_shrink([false, false])
        .show_rows(ui, 22.0, n, |ui, range| {
            for idx in range {
                let Some(entry) = session.runs.get(n - 1 - idx) else {
                    continue;
                };
                let run = &entry.view.run;
                // The same margin on the right as on the left, so long prompts end in an ellipsis
                // before the pane's edge.
                let width = (ui.available_width() - 2.0 * SIDE).max(0.0);
                ui.horizontal(|ui| {
                    ui.add_space(SIDE);
                    let row = egui::Layout::left_to_right(egui::Align::Center);
                    ui.allocate_ui_with_layout(vec2(width, 20.0), row, |ui| {
                        ui.label(
                            RichText::new(run.id.short())
                                .font(theme::mono())
                                .color(theme::SECONDARY),
                        );
                        // A fixed-width status column, coloured like the run header's pill, so the
                        // prompts line up.
                        ui.allocate_ui_with_layout(vec2(84.0, 20.0), row, |ui| {
                            ui.set_min_width(84.0);
                            ui.label(
                                RichText::new(run.status.as_str())
                                    .size(theme::META)
                                    .color(status_color(run.status)),
                            );
                        });
                        ui.label(widgets::muted(crate::gui::model::age(now, run.created_at)));
                        ui.add(
                            egui::Label::new(
                                RichText::new(crate::gui::model::first_line(&run.prompt))
                                    .size(13.0),
                            )
                            .truncate(),
                        );
                    });
                });
            }
        });
}

/// The colour of a run status word (the same tokens as the run header's pill).
fn status_color(status: crate::model::RunStatus) -> egui::Color32 {
    use crate::model::RunStatus;
    match status {
        RunStatus::Queued | RunStatus::Running => theme::RUNNING,
        RunStatus::WaitingPermission => theme::WARNING,
        RunStatus::Completed => theme::SUCCESS,
        RunStatus::Failed => theme::DANGER,
        RunStatus::Interrupted => theme::WARNING,
        RunStatus::Cancelled => theme::MUTED,
    }
}
