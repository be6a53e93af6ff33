//! The frame around everything: title bar (34 px), status bar (28 px), left sidebar, right spec pane and
//! the center. Panes are flush with 1 px separators.

use egui::{Align, Align2, CentralPanel, Frame, Layout, Margin, Panel, RichText, Sense, Ui, vec2};

use super::ViewCtx;
use crate::gui::action::Action;
use crate::gui::theme;
use crate::gui::view_state::Screen;

use super::widgets::{self, Icon};
use super::{diff_pane, home, sidebar, spec_pane, thread};

pub fn show(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    title_bar(app, ui);
    status_bar(app, ui);
    if app.view.screen == Screen::Home || app.model.session.is_none() {
        CentralPanel::default()
            .frame(Frame::NONE.fill(theme::CHROME))
            .show(ui, |ui| home::show(app, ui));
        return;
    }
    if app.layout.sidebar_open {
        // The panel remembers its width in egui memory for this process; the layout carries it across
        // restarts (egui memory is not persisted), so the saved width is the default on the first frame.
        let width = app
            .layout
            .sidebar_width
            .clamp(theme::SIDEBAR_MIN, theme::SIDEBAR_MAX);
        let shown = Panel::left("sidebar")
            .resizable(true)
            .default_size(width)
            .size_range(theme::SIDEBAR_MIN..=theme::SIDEBAR_MAX)
            .frame(Frame::NONE.fill(theme::CHROME))
            .show(ui, |ui| sidebar::show(app, ui));
        let width = shown.response.rect.width();
        remember_width(ui, width, app.layout.sidebar_width, |w| {
            app.layout.sidebar_width = w;
        });
    }
    if app.layout.spec_open {
        let max = (ui.available_width() - 320.0).max(280.0);
        let half = (ui.available_width() * 0.5).max(280.0);
        let default = app.layout.spec_width.unwrap_or(half).clamp(260.0, max);
        let shown = Panel::right("spec_pane")
            .resizable(true)
            .default_size(default)
            .size_range(260.0..=max)
            .frame(Frame::NONE.fill(theme::PANE))
            .show(ui, |ui| {
                // An open diff takes the spec's place until it is closed.
                if app.view.changes.open.is_some() {
                    diff_pane::show(app, ui);
                } else {
                    spec_pane::show(app, ui);
                }
            });
        let width = shown.response.rect.width();
        remember_width(ui, width, default, |w| app.layout.spec_width = Some(w));
    }
    CentralPanel::default()
        .frame(Frame::NONE.fill(theme::PANE))
        .show(ui, |ui| thread::show(app, ui));
}

/// Records a pane width the user dragged to, once the pointer is released (so a drag is saved once, and a
/// window resize that squeezes a pane does not overwrite the width the user chose).
fn remember_width(ui: &Ui, width: f32, saved: f32, set: impl FnOnce(f32)) {
    let width = width.round();
    let released = ui.input(|i| i.pointer.any_released() && !i.pointer.any_down());
    if released && (width - saved).abs() >= 1.0 {
        set(width);
    }
}

fn title_bar(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    Panel::top("title_bar")
        .exact_size(theme::TITLE_BAR_HEIGHT)
        .resizable(false)
        .frame(
            Frame::NONE
                .fill(theme::CHROME)
                .inner_margin(Margin::symmetric(8, 0)),
        )
        .show(ui, |ui| {
            let full = ui.max_rect();
            ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                if widgets::icon_button(ui, Icon::Home, "Home").clicked() {
                    app.actions.push(Action::GoHome);
                }
                if widgets::icon_button(ui, Icon::Sidebar, "Toggle sidebar").clicked() {
                    app.actions.push(Action::ToggleSidebar);
                }
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if widgets::icon_button(ui, Icon::RightPane, "Toggle spec pane").clicked() {
                        app.actions.push(Action::ToggleSpec);
                    }
                });
            });
            let tab = match app.view.screen {
                Screen::Home => "Home",
                Screen::Session => app
                    .layout
                    .tabs
                    .get(app.layout.active_tab)
                    .map_or("Coordinator", |t| t.title()),
            };
            let title = match &app.model.session {
                Some(s) if app.view.screen == Screen::Session => {
                    format!("{tab} — {}", s.space.name)
                }
                _ => format!("{tab} — Kata Cloud"),
            };
            let accessible_title = title.clone();
            let galley = ui.painter().layout_no_wrap(
                title,
                egui::FontId::proportional(theme::META),
                theme::SECONDARY,
            );
            let width = (galley.size().x + 40.0).max(260.0);
            let pill = egui::Rect::from_center_size(full.center(), vec2(width, 22.0));
            ui.painter().rect_filled(pill, 6.0, theme::RAISED);
            ui.painter()
                .rect_stroke(pill, 6.0, theme::hairline(), egui::StrokeKind::Inside);
            ui.painter().galley(
                pill.center() - galley.size() / 2.0,
                galley,
                theme::SECONDARY,
            );
            let response = ui.interact(pill, ui.scope_id().with("title_pill"), Sense::hover());
            response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Label, true, accessible_title.as_str())
            });
        });
}

fn status_bar(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    Panel::bottom("status_bar")
        .exact_size(theme::STATUS_BAR_HEIGHT)
        .resizable(false)
        .frame(
            Frame::NONE
                .fill(theme::CHROME)
                .inner_margin(Margin::symmetric(10, 0)),
        )
        .show(ui, |ui| {
            ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                let live = app.model.session.as_ref().map_or(0, |s| {
                    s.runs.iter().filter(|r| app.model.is_live(&r.view)).count()
                });
                let (dot, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
                let color = if live > 0 {
                    theme::RUNNING
                } else {
                    theme::SUCCESS
                };
                ui.painter().circle_filled(dot.center(), 3.0, color);
                let text = if live > 0 {
                    format!("{live} run{} live", if live == 1 { "" } else { "s" })
                } else {
                    "Orchestrator ready".to_owned()
                };
                ui.label(widgets::meta(text));
                let waiting = super::permission_card::waiting(app.model).len();
                if waiting > 0 {
                    ui.label(
                        RichText::new(format!("· {waiting} waiting for permission"))
                            .size(theme::META)
                            .color(theme::WARNING),
                    );
                }
                // The OS window title carries the count too (set only when it changes).
                if waiting != app.view.titled_waiting {
                    app.view.titled_waiting = waiting;
                    let title = if waiting > 0 {
                        format!("({waiting}) Kata Cloud — waiting for permission")
                    } else {
                        "Kata Cloud".to_owned()
                    };
                    ui.ctx()
                        .send_viewport_cmd(egui::ViewportCommand::Title(title));
                }
                // Agents' commands normally run without network; say so when they cannot here.
                if let crate::tools::command::NetworkIsolation::Unavailable(why) =
                    crate::tools::command::network_isolation()
                {
                    ui.label(
                        RichText::new("· commands have network access")
                            .size(theme::META)
                            .color(theme::WARNING),
                    )
                    .on_hover_text(why);
                }
                let total = app.model.total_runs;
                let plural = if total == 1 { "run" } else { "runs" };
                ui.label(widgets::muted(format!("· {total} {plural} in history")));
                if let Some(notice) = app.model.notices.last() {
                    let color = if notice.error {
                        theme::DANGER
                    } else {
                        theme::SECONDARY
                    };
                    // One line, cut before the right-hand label; the whole message on hover.
                    let room = (ui.available_width() - 90.0).max(0.0);
                    ui.allocate_ui(vec2(room, ui.available_height()), |ui| {
                        ui.add(
                            egui::Label::new(
                                RichText::new(&notice.message)
                                    .size(theme::META)
                                    .color(color),
                            )
                            .truncate(),
                        )
                        .on_hover_text(&notice.message);
                    });
                }
            });
            let r = ui.max_rect();
            ui.painter().text(
                r.right_center() - vec2(0.0, 0.0),
                Align2::RIGHT_CENTER,
                "Kata Cloud",
                egui::FontId::proportional(theme::LABEL),
                theme::MUTED,
            );
        });
}
