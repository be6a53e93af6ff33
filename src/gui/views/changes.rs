//! The sidebar's Changes section: the session branch and its base, the unstaged and staged files with
//! status and +N −N (click one to open its diff), stage / unstage / discard per file (discard asks first),
//! and the commit box.

use egui::{Align, Layout, RichText, Sense, Shape, Stroke, TextEdit, Ui, WidgetInfo, pos2, vec2};

use super::ViewCtx;
use super::widgets::{self, Icon};
use crate::git::{ChangeStatus, DiffScope, FileChange};
use crate::gui::action::Action;
use crate::gui::changes::{ChangesAction, ChangesState};
use crate::gui::theme;

/// The tab's label: `Changes` and, when there are any, how many files changed.
pub fn tab_label(state: &ChangesState) -> String {
    match state.file_count() {
        0 => "Changes".to_owned(),
        n => format!("Changes {n}"),
    }
}

/// Draws the section (inside the sidebar's scroll area).
pub fn show(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    let plain = app
        .model
        .session
        .as_ref()
        .is_some_and(|s| s.space.repo.is_none());
    let state = &mut app.view.changes;
    ui.label(widgets::muted("View and accept file changes."));
    ui.add_space(6.0);
    let Some(binding) = state.worktree.clone() else {
        let why = if plain {
            "This space is a plain folder, not a git repository: agents work read-only here and there \
             are no changes to review."
        } else {
            "No worktree yet. The session gets its own worktree and branch on its first run with tools; \
             its changes appear here."
        };
        ui.add(egui::Label::new(widgets::meta(why)).wrap());
        return;
    };
    branch_lines(ui, &binding.branch, &binding.base_branch);
    ui.add_space(6.0);
    if let Some(error) = &state.error {
        ui.add(
            egui::Label::new(RichText::new(error).size(theme::META).color(theme::DANGER)).wrap(),
        );
        if widgets::quiet_button(ui, "Refresh").clicked() {
            app.actions.push(Action::Changes(ChangesAction::Refresh));
        }
        return;
    }
    let Some(changes) = state.changes.clone() else {
        ui.label(widgets::muted("Reading the worktree…"));
        return;
    };
    if changes.is_clean() {
        ui.label(widgets::meta("No changes yet"));
    }
    let busy = state.pending > 0;
    ui.add_space(4.0);
    widgets::section_label(ui, &format!("Unstaged / new · {}", changes.unstaged.len()));
    for file in &changes.unstaged {
        file_row(app.actions, state, ui, file, busy);
    }
    ui.add_space(8.0);
    widgets::section_label(ui, &format!("Staged · {}", changes.staged.len()));
    for file in &changes.staged {
        file_row(app.actions, state, ui, file, busy);
    }
    ui.add_space(10.0);
    commit_box(app.actions, state, ui, !changes.staged.is_empty());
    ui.add_space(10.0);
    let stored = app
        .model
        .session
        .as_ref()
        .and_then(|s| s.session.pull_request.as_deref().cloned());
    deliver(
        app.actions,
        state,
        ui,
        &binding.base_branch,
        stored.as_ref(),
    );
}

/// Merge back and the pull request (mock 15): Merge into the base (asks first), Create pull request (an
/// editable draft with the redaction note), then the pull request's link and state.
fn deliver(
    actions: &mut Vec<Action>,
    state: &mut ChangesState,
    ui: &mut Ui,
    base: &str,
    stored: Option<&crate::model::PullRequestLink>,
) {
    widgets::section_label(ui, "Deliver");
    let busy = state.pending > 0;
    let shown = state
        .published
        .as_ref()
        .map(|p| (p.number, p.url.clone(), p.state.clone()))
        .or_else(|| {
            let link = stored?;
            Some((
                link.number?,
                link.url.clone()?,
                link.state.as_str().to_owned(),
            ))
        });
    if let Some((number, url, pr_state)) = shown.clone() {
        ui.horizontal_wrapped(|ui| {
            ui.hyperlink_to(
                RichText::new(format!("Pull request #{number}")).size(theme::META + 1.0),
                url,
            );
            ui.label(widgets::muted(pr_state));
        });
    } else if let Some(link) = stored
        && let Some(error) = &link.last_error
    {
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "Pushed {}, but the pull request failed: {} — {}",
                    link.branch, error.message, error.remediation
                ))
                .size(theme::META)
                .color(theme::WARNING),
            )
            .wrap(),
        );
    }
    if let Some(editor) = state.pr_editor.as_mut() {
        ui.label(widgets::muted(format!(
            "{} into {}",
            editor.head, editor.base
        )));
        ui.add(
            TextEdit::singleline(&mut editor.title)
                .id_salt("pr_title")
                .hint_text("Title")
                .desired_width(f32::INFINITY),
        );
        if editor.redactions.is_empty() {
            ui.label(widgets::muted("Nothing was redacted."));
        } else {
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "Redacted (values never shown or sent): {}",
                        editor.redactions.join(", ")
                    ))
                    .size(theme::META)
                    .color(theme::WARNING),
                )
                .wrap(),
            );
        }
        ui.checkbox(&mut editor.draft, "Open as a draft pull request");
        let ready = !editor.title.trim().is_empty() && !busy;
        ui.horizontal(|ui| {
            let publish = ui.add_enabled(
                ready,
                egui::Button::new(RichText::new("Push and publish").color(theme::TEXT))
                    .fill(theme::ACCENT)
                    .stroke(Stroke::NONE)
                    .corner_radius(4),
            );
            if publish.clicked() {
                actions.push(Action::Changes(ChangesAction::PublishPullRequest));
            }
            if widgets::quiet_button(ui, "Cancel").clicked() {
                actions.push(Action::Changes(ChangesAction::ClosePullRequestDraft));
            }
        });
        ui.add(
            TextEdit::multiline(&mut editor.body)
                .id_salt("pr_body")
                .desired_rows(8)
                .desired_width(f32::INFINITY)
                .font(egui::TextStyle::Monospace),
        );
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let label = if shown.is_some() {
            "Update pull request"
        } else {
            "Create pull request"
        };
        if ui
            .add_enabled(
                !busy,
                egui::Button::new(RichText::new(label).size(theme::META + 1.0)),
            )
            .clicked()
        {
            actions.push(Action::Changes(ChangesAction::DraftPullRequest));
        }
        if state.confirm_merge {
            if ui
                .add_enabled(
                    !busy,
                    egui::Button::new(
                        RichText::new(format!("Squash-merge into {base}"))
                            .color(theme::TEXT)
                            .size(theme::META + 1.0),
                    )
                    .fill(theme::ACCENT),
                )
                .clicked()
            {
                actions.push(Action::Changes(ChangesAction::Merge));
            }
            if widgets::quiet_button(ui, "Cancel merge").clicked() {
                state.confirm_merge = false;
            }
        } else if ui
            .add_enabled(
                !busy,
                egui::Button::new(
                    RichText::new(format!("Merge into {base}")).size(theme::META + 1.0),
                ),
            )
            .clicked()
        {
            state.confirm_merge = true;
        }
    });
}

/// Where the work lives and where it goes (mock 15): `Your code lives in`, then the session branch and, on
/// the right, `into <base>`. (The bundled fonts have no arrow glyph.)
fn branch_lines(ui: &mut Ui, branch: &str, base: &str) {
    ui.label(widgets::muted("Your code lives in, and will be merged"));
    let line = ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            ui.label(
                RichText::new(base)
                    .size(theme::META)
                    .color(theme::SECONDARY),
            );
            ui.label(widgets::muted("into"));
            ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                ui.add(
                    egui::Label::new(RichText::new(branch).size(theme::META).color(theme::TEXT))
                        .truncate(),
                );
            });
        });
    });
    line.response
        .on_hover_text(format!("{branch}, merged into {base}"));
}

/// The one-letter status git shows, and its colour.
fn status_mark(file: &FileChange) -> (&'static str, egui::Color32) {
    if file.binary && file.status == ChangeStatus::Modified {
        return ("B", theme::REVIEW);
    }
    match file.status {
        ChangeStatus::Added | ChangeStatus::Untracked => ("A", theme::SUCCESS),
        ChangeStatus::Modified if file.mode_changed && file.additions + file.deletions == 0 => {
            ("X", theme::REVIEW)
        }
        ChangeStatus::Modified => ("M", theme::WARNING),
        ChangeStatus::Deleted => ("D", theme::DANGER),
        ChangeStatus::Renamed => ("R", theme::REVIEW),
        ChangeStatus::Copied => ("C", theme::REVIEW),
        ChangeStatus::TypeChange => ("T", theme::REVIEW),
        ChangeStatus::Conflicted => ("U", theme::DANGER),
    }
}

fn status_word(file: &FileChange) -> String {
    let mut word = if file.status == ChangeStatus::Untracked {
        "new (untracked)".to_owned()
    } else {
        file.status.as_str().to_owned()
    };
    if file.binary {
        word.push_str(", binary");
    }
    if file.mode_changed
        && let (Some(old), Some(new)) = (&file.old_mode, &file.new_mode)
    {
        word.push_str(&format!(", mode {old} to {new}"));
    }
    if let Some(old) = &file.old_path {
        word.push_str(&format!(", from {old}"));
    }
    word
}

/// One file: status letter, path (opens the diff), +N −N, and its buttons; or the discard confirmation.
fn file_row(
    actions: &mut Vec<Action>,
    state: &mut ChangesState,
    ui: &mut Ui,
    file: &FileChange,
    busy: bool,
) {
    let scope = if file.staged {
        DiffScope::Staged
    } else {
        DiffScope::Unstaged
    };
    if !file.staged && state.confirm_discard.as_deref() == Some(file.path.as_str()) {
        confirm_discard(actions, state, ui, &file.path);
        return;
    }
    let open = state
        .open
        .as_ref()
        .is_some_and(|o| o.scope == scope && o.path == file.path);
    let (mark, color) = status_mark(file);
    let row = ui.horizontal(|ui| {
        ui.set_min_height(22.0);
        ui.label(RichText::new(mark).font(theme::mono()).color(color));
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            ui.spacing_mut().item_spacing.x = 2.0;
            if file.staged {
                if glyph_button(ui, Glyph::Minus, &format!("Unstage {}", file.path), busy).clicked()
                {
                    actions.push(Action::Changes(ChangesAction::Unstage {
                        path: file.path.clone(),
                        hunk: None,
                    }));
                }
            } else {
                if glyph_button(ui, Glyph::Discard, &format!("Discard {}", file.path), busy)
                    .clicked()
                {
                    state.confirm_discard = Some(file.path.clone());
                }
                if glyph_button(ui, Glyph::Plus, &format!("Stage {}", file.path), busy).clicked() {
                    actions.push(Action::Changes(ChangesAction::Stage {
                        path: file.path.clone(),
                        hunk: None,
                    }));
                }
            }
            ui.add_space(4.0);
            counts(ui, file);
            ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                if path_link(ui, &file.path, open)
                    .on_hover_text(status_word(file))
                    .clicked()
                {
                    actions.push(Action::Changes(ChangesAction::Open {
                        scope,
                        path: file.path.clone(),
                    }));
                }
            });
        });
    });
    if open {
        let r = row.response.rect;
        ui.painter().line_segment(
            [
                pos2(r.left() - 6.0, r.top()),
                pos2(r.left() - 6.0, r.bottom()),
            ],
            Stroke::new(2.0, theme::REVIEW),
        );
    }
}

/// The file's path, cut to the room there is, as a button labelled `Open diff of <path>`.
fn path_link(ui: &mut Ui, path: &str, open: bool) -> egui::Response {
    let width = ui.available_width().max(0.0);
    let (rect, response) = ui.allocate_exact_size(vec2(width, 18.0), Sense::click());
    let color = if open || response.hovered() {
        theme::TEXT
    } else {
        theme::SECONDARY
    };
    let galley = egui::WidgetText::from(RichText::new(path).size(theme::META)).into_galley(
        ui,
        Some(egui::TextWrapMode::Truncate),
        width,
        egui::TextStyle::Body,
    );
    let top = rect.center().y - galley.size().y / 2.0;
    ui.painter().galley(pos2(rect.left(), top), galley, color);
    let label = format!("Open diff of {path}");
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, &label));
    response
}

/// `+N −N`, or `binary`.
fn counts(ui: &mut Ui, file: &FileChange) {
    if file.binary {
        ui.label(widgets::muted("binary"));
        return;
    }
    // Right to left: the deletions first.
    if file.deletions > 0 {
        ui.label(
            RichText::new(format!("−{}", file.deletions))
                .size(theme::META)
                .color(theme::DANGER),
        );
    }
    if file.additions > 0 {
        ui.label(
            RichText::new(format!("+{}", file.additions))
                .size(theme::META)
                .color(theme::SUCCESS),
        );
    }
}

fn confirm_discard(actions: &mut Vec<Action>, state: &mut ChangesState, ui: &mut Ui, path: &str) {
    egui::Frame::NONE
        .stroke(Stroke::new(1.0, theme::DANGER))
        .corner_radius(3)
        .inner_margin(egui::Margin::same(6))
        .show(ui, |ui| {
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "Discard the changes to {path}? They cannot be brought back."
                    ))
                    .size(theme::META)
                    .color(theme::TEXT),
                )
                .wrap(),
            );
            ui.horizontal(|ui| {
                if widgets::solid_button(ui, "Discard", theme::DANGER).clicked() {
                    actions.push(Action::Changes(ChangesAction::Discard(path.to_owned())));
                }
                if widgets::quiet_button(ui, "Cancel").clicked() {
                    state.confirm_discard = None;
                }
            });
        });
}

fn commit_box(actions: &mut Vec<Action>, state: &mut ChangesState, ui: &mut Ui, staged: bool) {
    widgets::section_label(ui, "Commit");
    ui.add(
        TextEdit::multiline(&mut state.message)
            .id_salt("commit_message")
            .hint_text("Commit message")
            .desired_rows(3)
            .desired_width(f32::INFINITY),
    );
    let ready = staged && !state.message.trim().is_empty() && state.pending == 0;
    ui.horizontal(|ui| {
        let commit = ui.add_enabled(
            ready,
            egui::Button::new(
                RichText::new("Commit")
                    .color(theme::TEXT)
                    .size(theme::META + 1.0),
            )
            .fill(theme::ACCENT)
            .stroke(Stroke::NONE)
            .corner_radius(4),
        );
        if commit.clicked() {
            actions.push(Action::Changes(ChangesAction::Commit(
                state.message.trim().to_owned(),
            )));
        }
        if ui
            .add_enabled(
                state.pending == 0,
                egui::Button::new(RichText::new("Draft message").size(theme::META + 1.0)),
            )
            .on_hover_text("Write the message from the spec and the change")
            .clicked()
        {
            actions.push(Action::Changes(ChangesAction::DraftMessage));
        }
        if !staged {
            ui.label(widgets::muted("Stage files to commit them"));
        }
    });
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Glyph {
    Plus,
    Minus,
    Discard,
}

/// A small square button with a painted glyph and an accessible label (`Stage <path>`, ...).
fn glyph_button(ui: &mut Ui, glyph: Glyph, label: &str, busy: bool) -> egui::Response {
    if glyph == Glyph::Plus && !busy {
        return widgets::icon_button(ui, Icon::Plus, label);
    }
    let sense = if busy { Sense::hover() } else { Sense::click() };
    let (rect, response) = ui.allocate_exact_size(vec2(22.0, 22.0), sense);
    let owned = label.to_owned();
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, !busy, &owned));
    let color = if busy {
        theme::MUTED
    } else if response.hovered() {
        ui.painter().rect_filled(rect, 3.0, theme::RAISED);
        theme::TEXT
    } else {
        theme::SECONDARY
    };
    let c = rect.center();
    let s = Stroke::new(1.3, color);
    let p = ui.painter();
    match glyph {
        Glyph::Plus => {
            p.line_segment([pos2(c.x - 5.0, c.y), pos2(c.x + 5.0, c.y)], s);
            p.line_segment([pos2(c.x, c.y - 5.0), pos2(c.x, c.y + 5.0)], s);
        }
        Glyph::Minus => {
            p.line_segment([pos2(c.x - 5.0, c.y), pos2(c.x + 5.0, c.y)], s);
        }
        Glyph::Discard => {
            // A counter-clockwise arrow: three quarters of a circle with a head at its start.
            let points: Vec<egui::Pos2> = (0..=18)
                .map(|i| {
                    let a = std::f32::consts::PI * (0.75 + 1.5 * i as f32 / 18.0);
                    pos2(c.x + 5.0 * a.cos(), c.y - 5.0 * a.sin())
                })
                .collect();
            if let Some(&start) = points.first() {
                p.add(Shape::line(
                    vec![
                        pos2(start.x - 1.0, start.y - 4.0),
                        start,
                        pos2(start.x + 3.5, start.y - 1.0),
                    ],
                    s,
                ));
            }
            p.add(Shape::line(points, s));
        }
    }
    response.on_hover_text(label)
}
