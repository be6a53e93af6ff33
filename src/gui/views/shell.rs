//! The frame around everything: title bar (34 px), status bar (28 px), left sidebar, right spec pane and
//! the center. Panes are flush with 1 px separators.

use egui::{Align, Align2, CentralPanel, Frame, Layout, Margin, Panel, RichText, Sense, Ui, vec2};

use crate::gui::app::{Action, KataApp, Screen};
use crate::gui::theme;

use super::widgets::{self, Icon};
use super::{home, sidebar, spec_pane, thread};

pub fn show(app: &mut KataApp, ui: &mut Ui) {
    title_bar(app, ui);
    status_bar(app, ui);
    if app.view.screen == Screen::Home || app.model.session.is_none() {
        CentralPanel::default()
            .frame(Frame::NONE.fill(theme::CHROME))
            .show(ui, |ui| home::show(app, ui));
        return;
    }
    if app.layout.sidebar_open {
        Panel::left("sidebar")
            .resizable(true)
            .default_size(theme::SIDEBAR_DEFAULT)
            .size_range(theme::SIDEBAR_MIN..=theme::SIDEBAR_MAX)
            .frame(Frame::NONE.fill(theme::CHROME))
            .show(ui, |ui| sidebar::show(app, ui));
    }
    if app.layout.spec_open {
        let half = (ui.available_width() * 0.5).max(280.0);
        Panel::right("spec_pane")
            .resizable(true)
            .default_size(half)
            .size_range(260.0..=(ui.available_width() - 320.0).max(280.0))
            .frame(Frame::NONE.fill(theme::PANE))
            .show(ui, |ui| spec_pane::show(app, ui));
    }
    CentralPanel::default()
        .frame(Frame::NONE.fill(theme::PANE))
        .show(ui, |ui| thread::show(app, ui));
}

fn title_bar(app: &mut KataApp, ui: &mut Ui) {
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

fn status_bar(app: &mut KataApp, ui: &mut Ui) {
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
                let total = app.model.total_runs;
                let plural = if total == 1 { "run" } else { "runs" };
                ui.label(widgets::muted(format!("· {total} {plural} in history")));
                if let Some(notice) = app.model.notices.last() {
                    let color = if notice.error {
                        theme::DANGER
                    } else {
                        theme::SECONDARY
                    };
                    ui.label(
                        RichText::new(&notice.message)
                            .size(theme::META)
                            .color(color),
                    );
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
