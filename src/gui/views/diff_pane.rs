//! A file's diff in the right pane (it takes the spec's place while open): the file's name, status and
//! +N −N, Stage / Unstage for the whole file, then the hunks — each `@@` line with Stage hunk / Unstage
//! hunk — and the lines with both line numbers, added and removed lines coloured. Every row has one height
//! and only the rows in view are laid out, so a 10,000-line diff scrolls as cheaply as a short one.

use egui::{Align2, FontId, Rect, RichText, ScrollArea, Sense, Ui, pos2, vec2};

use super::ViewCtx;
use super::widgets;
use crate::git::{DiffScope, FileDiff, LineKind};
use crate::gui::action::Action;
use crate::gui::changes::{ChangesAction, ChangesState, DiffRow};
use crate::gui::theme;

/// The height of every diff row.
const ROW: f32 = 18.0;
/// Characters of a line drawn at most (a minified file's one huge line would otherwise be laid out whole).
const LINE_CHARS: usize = 2_000;
/// Width of one line-number column (five digits and a gap).
const GUTTER: f32 = 44.0;

pub fn show(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    let state = &app.view.changes;
    let Some(open) = state.open.clone() else {
        return;
    };
    let name = open
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&open.path)
        .to_owned();
    let actions = &mut *app.actions;
    widgets::breadcrumb(ui, "diff_breadcrumb", "CHANGES", &name, |ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if widgets::quiet_button(ui, "Close diff").clicked() {
                actions.push(Action::Changes(ChangesAction::CloseDiff));
            }
            let busy = state.pending > 0;
            let (text, action) = match open.scope {
                DiffScope::Unstaged => (
                    "Stage file",
                    ChangesAction::Stage {
                        path: open.path.clone(),
                        hunk: None,
                    },
                ),
                DiffScope::Staged => (
                    "Unstage file",
                    ChangesAction::Unstage {
                        path: open.path.clone(),
                        hunk: None,
                    },
                ),
                DiffScope::AgainstBase => return,
            };
            if state.diff.is_some() && ui.add_enabled(!busy, file_button(text)).clicked() {
                actions.push(Action::Changes(action));
            }
        });
    });
    let state = &app.view.changes;
    egui::Frame::NONE
        .inner_margin(egui::Margin::symmetric(12, 6))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            summary(ui, state, &open.path, open.scope);
        });
    ui.painter().hline(
        ui.max_rect().x_range(),
        ui.cursor().top(),
        theme::hairline(),
    );
    if let Some(error) = &state.diff_error {
        ui.add_space(8.0);
        ui.label(RichText::new(error).size(theme::META).color(theme::DANGER));
        return;
    }
    let Some(diff) = &state.diff else {
        ui.add_space(8.0);
        ui.label(widgets::muted("  Reading the diff…"));
        return;
    };
    if diff.binary {
        ui.add_space(8.0);
        ui.label(widgets::meta("  Binary file: not shown."));
        return;
    }
    if diff.hunks.is_empty() {
        ui.add_space(8.0);
        ui.label(widgets::meta(
            "  No line changes (only the file's mode or name).",
        ));
        return;
    }
    let actions = &mut *app.actions;
    rows(ui, state, diff, open.scope, actions);
}

fn file_button(text: &str) -> egui::Button<'_> {
    egui::Button::new(RichText::new(text).color(theme::TEXT).size(theme::META))
        .fill(theme::RAISED)
        .stroke(egui::Stroke::new(1.0, theme::BORDER_STRONG))
        .corner_radius(4)
}

/// `path · modified · unstaged · +N −N` (and the old path, mode and similarity when they say something).
fn summary(ui: &mut Ui, state: &ChangesState, path: &str, scope: DiffScope) {
    let scope_word = match scope {
        DiffScope::Unstaged => "unstaged",
        DiffScope::Staged => "staged",
        DiffScope::AgainstBase => "against the session's base",
    };
    ui.add(egui::Label::new(RichText::new(path).font(theme::mono()).color(theme::TEXT)).truncate());
    let Some(diff) = &state.diff else {
        ui.label(widgets::muted(scope_word));
        return;
    };
    let (added, removed) = state.open_counts();
    let mut words = vec![diff.status.as_str().to_owned(), scope_word.to_owned()];
    if let Some(old) = &diff.old_path {
        words.push(format!("from {old}"));
    }
    if let Some(similarity) = diff.similarity {
        words.push(format!("{similarity}% similar"));
    }
    if let (Some(old), Some(new)) = (&diff.old_mode, &diff.new_mode)
        && old != new
    {
        words.push(format!("mode {old} to {new}"));
    }
    ui.horizontal(|ui| {
        ui.label(widgets::muted(words.join(" · ")));
        if !diff.binary {
            ui.label(
                RichText::new(format!("+{added}"))
                    .size(theme::META)
                    .color(theme::SUCCESS),
            );
            ui.label(
                RichText::new(format!("−{removed}"))
                    .size(theme::META)
                    .color(theme::DANGER),
            );
        }
    });
}

/// The virtualised rows: only the visible range is drawn.
fn rows(
    ui: &mut Ui,
    state: &ChangesState,
    diff: &FileDiff,
    scope: DiffScope,
    actions: &mut Vec<Action>,
) {
    let font = theme::mono();
    let char_width = ui.fonts_mut(|f| f.glyph_width(&font, '0'));
    let text_left = 2.0 * GUTTER + 18.0;
    let width = text_left + char_width * state.widest.min(LINE_CHARS) as f32 + 24.0;
    let busy = state.pending > 0;
    ScrollArea::both()
        .id_salt("diff_rows")
        .auto_shrink([false, false])
        .show_rows(ui, ROW, state.rows.len(), |ui, range| {
            let clip = ui.clip_rect();
            let full = width.max(ui.available_width());
            ui.set_min_width(full);
            for index in range {
                let Some(row) = state.rows.get(index) else {
                    continue;
                };
                let (rect, _) = ui.allocate_exact_size(vec2(full, ROW), Sense::hover());
                match *row {
                    DiffRow::Hunk(h) => {
                        if let Some(hunk) = diff.hunks.get(h) {
                            ui.painter().rect_filled(rect, 0.0, theme::RAISED);
                            ui.painter().text(
                                pos2(rect.left() + 8.0, rect.center().y),
                                Align2::LEFT_CENTER,
                                &hunk.header,
                                font.clone(),
                                theme::SECONDARY,
                            );
                            let at = HunkAt {
                                row: rect,
                                clip,
                                scope,
                                path: &diff.path,
                                busy,
                            };
                            hunk_button(ui, &at, hunk, actions);
                        }
                    }
                    DiffRow::Line { hunk, line } => {
                        if let Some(line) = diff.hunks.get(hunk).and_then(|h| h.lines.get(line)) {
                            draw_line(ui, rect, &font, text_left, line);
                        }
                    }
                    DiffRow::NoNewline => {
                        ui.painter().text(
                            pos2(rect.left() + text_left, rect.center().y),
                            Align2::LEFT_CENTER,
                            "\\ No newline at end of file",
                            font.clone(),
                            theme::MUTED,
                        );
                    }
                }
            }
        });
}

fn draw_line(ui: &Ui, rect: Rect, font: &FontId, text_left: f32, line: &crate::git::DiffLine) {
    let p = ui.painter();
    let (bg, sign, color) = match line.kind {
        LineKind::Added => (Some(theme::ADDED_BG), "+", theme::SUCCESS),
        LineKind::Removed => (Some(theme::REMOVED_BG), "-", theme::DANGER),
        LineKind::Context => (None, " ", theme::MUTED),
    };
    if let Some(bg) = bg {
        p.rect_filled(rect, 0.0, bg);
    }
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let y = rect.center().y;
    let small = FontId::monospace(theme::META);
    p.text(
        pos2(rect.left() + GUTTER - 6.0, y),
        Align2::RIGHT_CENTER,
        number(line.old_line),
        small.clone(),
        theme::MUTED,
    );
    p.text(
        pos2(rect.left() + 2.0 * GUTTER - 6.0, y),
        Align2::RIGHT_CENTER,
        number(line.new_line),
        small,
        theme::MUTED,
    );
    p.text(
        pos2(rect.left() + 2.0 * GUTTER + 4.0, y),
        Align2::LEFT_CENTER,
        sign,
        font.clone(),
        color,
    );
    let text: std::borrow::Cow<'_, str> = if line.text.len() > LINE_CHARS {
        line.text
            .chars()
            .take(LINE_CHARS)
            .collect::<String>()
            .into()
    } else {
        line.text.as_str().into()
    };
    // Tabs as four spaces: egui draws a tab as one narrow space.
    let text = text.replace('\t', "    ");
    let text_color = match line.kind {
        LineKind::Context => theme::SECONDARY,
        _ => theme::TEXT,
    };
    p.text(
        pos2(rect.left() + text_left, y),
        Align2::LEFT_CENTER,
        text,
        font.clone(),
        text_color,
    );
}

/// Where a hunk's button goes and what it acts on.
struct HunkAt<'a> {
    /// The hunk's row, and the visible part of the view (the button sits at its right edge).
    row: Rect,
    clip: Rect,
    scope: DiffScope,
    path: &'a str,
    busy: bool,
}

/// Stage hunk / Unstage hunk at the visible right edge of a hunk's row (none against the base).
fn hunk_button(
    ui: &mut Ui,
    at: &HunkAt<'_>,
    hunk: &crate::git::DiffHunk,
    actions: &mut Vec<Action>,
) {
    let (rect, clip, scope, path, busy) = (at.row, at.clip, at.scope, at.path, at.busy);
    let verb = match scope {
        DiffScope::Unstaged => "Stage hunk",
        DiffScope::Staged => "Unstage hunk",
        DiffScope::AgainstBase => return,
    };
    let right = rect.right().min(clip.right()) - 6.0;
    let button_rect = Rect::from_min_max(
        pos2(right - 96.0, rect.top() + 1.0),
        pos2(right, rect.bottom() - 1.0),
    );
    let label = format!("{verb} {}", hunk.index + 1);
    let button = egui::Button::new(RichText::new(&label).size(theme::LABEL).color(theme::TEXT))
        .fill(theme::PANE)
        .stroke(egui::Stroke::new(1.0, theme::BORDER_STRONG))
        .corner_radius(3);
    if ui
        .put(
            button_rect,
            button.sense(if busy { Sense::hover() } else { Sense::click() }),
        )
        .clicked()
    {
        let action = match scope {
            DiffScope::Unstaged => ChangesAction::Stage {
                path: path.to_owned(),
                hunk: Some(hunk.id()),
            },
            _ => ChangesAction::Unstage {
                path: path.to_owned(),
                hunk: Some(hunk.id()),
            },
        };
        actions.push(Action::Changes(action));
    }
}
