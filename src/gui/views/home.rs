//! Home: create a space from a folder (errors inline under the field, Ctrl+Enter creates) and reopen one.

use egui::{Align, Frame, Key, Layout, Margin, RichText, ScrollArea, Stroke, TextEdit, Ui};

use super::ViewCtx;
use crate::gui::action::Action;
use crate::gui::theme;

use super::widgets;

const COLUMN: f32 = 560.0;

pub fn show(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    let avail = ui.available_width();
    let side = ((avail - COLUMN) / 2.0).max(16.0);
    ScrollArea::vertical().show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.add_space(side);
            ui.vertical(|ui| {
                ui.set_width(COLUMN.min(avail - 32.0));
                ui.add_space(90.0);
                create_form(app, ui);
                ui.add_space(28.0);
                space_list(app, ui);
            });
        });
    });
}

fn create_form(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    ui.label(
        RichText::new("Let's get building!")
            .size(24.0)
            .color(theme::TEXT),
    );
    ui.add_space(4.0);
    ui.label(widgets::meta(
        "A space links a repository folder. Its sessions, runs and living spec are kept here.",
    ));
    ui.add_space(14.0);
    let has_error = app.view.home_error.is_some();
    let frame_stroke = if has_error {
        theme::DANGER
    } else {
        theme::BORDER_STRONG
    };
    let mut submit = false;
    Frame::NONE
        .fill(theme::PANE)
        .stroke(Stroke::new(1.0, frame_stroke))
        .corner_radius(6)
        .inner_margin(Margin::same(12))
        .show(ui, |ui| {
            ui.add(
                TextEdit::multiline(&mut app.view.home_prompt)
                    .id_salt("home_prompt")
                    .hint_text(
                        "What should the coordinator work on? (optional: you can start later)",
                    )
                    .desired_rows(3)
                    .desired_width(f32::INFINITY)
                    .frame(egui::Frame::NONE),
            );
            ui.add_space(8.0);
            ui.separator();
            ui.add_space(4.0);
            widgets::section_label(ui, "Folder of the repository");
            ui.add_space(2.0);
            let edit = ui.add(
                TextEdit::singleline(&mut app.view.home_path)
                    .id_salt("home_path")
                    .hint_text("~/code/my-app")
                    .font(theme::mono())
                    .desired_width(f32::INFINITY)
                    .frame(egui::Frame::NONE),
            );
            let ctrl_enter = ui.input(|i| i.modifiers.command && i.key_pressed(Key::Enter));
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            if ctrl_enter || enter {
                submit = true;
            }
            if edit.changed() && app.view.home_error.is_some() {
                app.view.home_error = None;
            }
        });
    if let Some(error) = &app.view.home_error {
        ui.add_space(4.0);
        ui.label(RichText::new(error).size(theme::META).color(theme::DANGER));
    }
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        ui.label(widgets::muted("Work on the folder's current branch"));
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let label = if app.view.linking {
                "Creating…"
            } else {
                "Create space"
            };
            let button =
                widgets::solid_button(ui, label, theme::ACCENT).on_hover_text("Ctrl+Enter");
            if button.clicked() {
                submit = true;
            }
            ui.label(widgets::muted("Ctrl+Enter"));
        });
    });
    if submit && !app.view.linking {
        app.actions
            .push(Action::LinkSpace(app.view.home_path.clone()));
    }
}

fn space_list(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    ui.separator();
    ui.add_space(6.0);
    widgets::section_label(ui, "Spaces");
    ui.add_space(4.0);
    if let Some(error) = &app.model.store_error {
        ui.label(RichText::new(error).color(theme::DANGER));
        return;
    }
    if !app.model.started {
        ui.label(widgets::muted("Reading the store…"));
        return;
    }
    if app.model.spaces.is_empty() {
        Frame::NONE
            .fill(theme::PANE)
            .corner_radius(6)
            .inner_margin(Margin::same(14))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.label(RichText::new("No spaces yet").color(theme::TEXT));
                ui.add_space(2.0);
                ui.label(widgets::meta(
                    "Type the folder of a repository above and press Create space. The coordinator \
                     reads its files for context, drafts a spec, and delegates the tasks to \
                     specialist agents in waves.",
                ));
                ui.add_space(6.0);
                ui.label(widgets::muted(
                    "Headless? `kata-cloud run --space DIR --prompt \"...\"` uses the same store.",
                ));
            });
        return;
    }
    let mut open = None;
    for space in &app.model.spaces {
        Frame::NONE
            .fill(theme::PANE)
            .inner_margin(Margin::symmetric(12, 8))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    widgets::avatar(ui, &space.name);
                    ui.vertical(|ui| {
                        ui.label(RichText::new(&space.name).color(theme::TEXT));
                        ui.label(widgets::muted(space.root_path.display().to_string()));
                        if app.model.missing_folders.contains(&space.id) {
                            ui.label(
                                RichText::new(
                                    "Folder missing: move it back, or create a space for its new place",
                                )
                                .size(theme::META)
                                .color(theme::WARNING),
                            );
                        }
                    });
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        if widgets::quiet_button(ui, &format!("Open {}", space.name)).clicked() {
                            open = Some(space.id.clone());
                        }
                    });
                });
            });
        ui.add_space(1.0);
    }
    ui.add_space(8.0);
    if let Some(space) = open {
        app.actions.push(Action::OpenSpace(space));
    }
}
