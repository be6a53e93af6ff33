//! The rows of the conversation thread: user turns, run headers (live / interrupted / failed), prose, step
//! rows that expand, delegation blocks, wave barriers, event bars and the activity line of a live run.

use crate::model::view::count;
use egui::{Frame, Margin, RichText, Sense, Stroke, Ui, vec2};
use egui_commonmark::CommonMarkViewer;

use super::ViewCtx;
use crate::gui::action::Action;
use crate::gui::model::{Expand, RunEntry, Step, clock_time, duration};
use crate::gui::theme;
use crate::model::{RunStatus, TaskStatus};

use super::widgets::{self, Icon};

pub(super) fn user_turn(ui: &mut Ui, entry: &RunEntry) {
    ui.add_space(8.0);
    time_divider(ui, &clock_time(entry.view.run.created_at));
    ui.add_space(6.0);
    Frame::NONE
        .fill(theme::CHROME)
        .corner_radius(4)
        .inner_margin(Margin::same(10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(&entry.view.run.prompt).color(theme::TEXT));
        });
}

/// A hairline across the thread with the time of the turn in a pill in the middle (docs/WINDOW.md, Thread).
fn time_divider(ui: &mut Ui, text: &str) {
    let (rect, _) = ui.allocate_exact_size(vec2(ui.available_width(), 20.0), Sense::hover());
    let galley = ui.painter().layout_no_wrap(
        text.to_owned(),
        egui::FontId::proportional(theme::LABEL),
        theme::SECONDARY,
    );
    let pill = egui::Rect::from_center_size(rect.center(), galley.size() + vec2(16.0, 6.0));
    let y = rect.center().y;
    let line = Stroke::new(1.0, theme::BORDER);
    ui.painter().hline(rect.left()..=pill.left() - 6.0, y, line);
    ui.painter()
        .hline(pill.right() + 6.0..=rect.right(), y, line);
    ui.painter().rect_filled(pill, 9.0, theme::RAISED);
    ui.painter().galley(
        pill.center() - galley.size() / 2.0,
        galley,
        theme::SECONDARY,
    );
}

/// `Run <id> · <Status> · <duration> · Context: <provider> (<n> snippets)[ (fallback from x)] · Provider: p/m`
pub fn provenance(entry: &RunEntry, now: crate::model::Timestamp) -> String {
    let run = &entry.view.run;
    let status = capitalised(run.status.as_str());
    let context = match run.context.resolved_provider {
        Some(p) => {
            let mut c = format!("{p} ({})", count(entry.view.items.len(), "snippet"));
            if let Some(from) = run.context.fallback_from {
                c.push_str(&format!(" (fallback from {from})"));
            }
            c
        }
        None if run.status.is_active() => {
            format!("{} (pending)", run.context.requested_provider)
        }
        None => format!("{} (not retrieved)", run.context.requested_provider),
    };
    let provider = match &run.provider_execution {
        Some(e) => format!("{}/{}", e.provider, e.model),
        None => format!(
            "{}/{}",
            run.options.provider.as_deref().unwrap_or("offline"),
            run.options.model.as_deref().unwrap_or("default")
        ),
    };
    format!(
        "Run {} · {status} · {} · Context: {context} · Provider: {provider}",
        run.id.short(),
        duration(run.duration_ms(now)),
    )
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Draws a run header; returns whether the inspector was just opened.
pub(super) fn header(app: &mut ViewCtx<'_>, ui: &mut Ui, entry: &RunEntry) -> bool {
    let mut opened = false;
    let run = &entry.view.run;
    let live = app.model.is_live(&entry.view);
    let pulse = widgets::pulse(ui, app.animate);
    let expanded = app
        .model
        .expanded
        .contains(&Expand::Inspector(run.id.clone()));
    let line = provenance(entry, app.model.now);
    let chevron = if expanded {
        "Hide run inspector"
    } else {
        "Show run inspector"
    };
    let mut toggle = false;
    ui.horizontal(|ui| {
        let icon = if expanded {
            Icon::ChevronDown
        } else {
            Icon::ChevronRight
        };
        toggle |= widgets::icon_button(ui, icon, chevron).clicked();
        let (status, color, hollow) = match run.status {
            RunStatus::Queued | RunStatus::Running if live => {
                (capitalised(run.status.as_str()), theme::RUNNING, false)
            }
            RunStatus::Queued | RunStatus::Running => {
                ("Running elsewhere".to_owned(), theme::MUTED, true)
            }
            RunStatus::Completed => ("Completed".to_owned(), theme::SUCCESS, false),
            RunStatus::Failed => ("Failed".to_owned(), theme::DANGER, false),
            RunStatus::Cancelled => ("Cancelled".to_owned(), theme::MUTED, false),
            RunStatus::Interrupted => ("Interrupted".to_owned(), theme::WARNING, true),
        };
        widgets::pill(ui, &status, color, hollow, if live { pulse } else { 1.0 });
        if live && widgets::icon_button(ui, Icon::Stop, "Stop run").clicked() {
            app.actions.push(Action::Stop(run.id.clone()));
        }
    });
    let text = RichText::new(&line)
        .size(theme::META)
        .color(theme::SECONDARY);
    toggle |= ui
        .add(egui::Label::new(text).sense(Sense::click()).wrap())
        .on_hover_text(chevron)
        .clicked();
    if toggle {
        app.actions
            .push(Action::Toggle(Expand::Inspector(run.id.clone())));
        opened = !expanded;
    }
    match run.status {
        RunStatus::Interrupted => {
            let at = run.interrupted_at.unwrap_or(run.updated_at);
            // One recovery action per run: with unfinished delegated tasks it sits on the wave barrier
            // ("Resume unfinished"), otherwise here.
            let wave_resumes = entry.view.tasks.iter().any(|t| !t.status.is_terminal());
            let shown = Frame::NONE
                .corner_radius(4)
                .inner_margin(Margin::symmetric(10, 6))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        let label = RichText::new(format!(
                            "Interrupted · app exited at {}",
                            clock_time(at)
                        ))
                        .size(theme::META)
                        .color(theme::WARNING);
                        widgets::label_with_action(ui, label, |ui| {
                            if wave_resumes {
                                ui.label(widgets::muted("Resume below"));
                            } else if widgets::quiet_button(ui, "Resume").clicked() {
                                app.actions.push(Action::Resume(run.id.clone()));
                            }
                        });
                    });
                });
            widgets::dashed_rect(ui, shown.response.rect, theme::WARNING.gamma_multiply(0.7));
        }
        RunStatus::Failed => {
            let (code, message, remediation) = run
                .error
                .as_ref()
                .map_or(("unknown".to_owned(), String::new(), String::new()), |e| {
                    (e.code.to_string(), e.message.clone(), e.remediation.clone())
                });
            Frame::NONE
                .stroke(Stroke::new(1.0, theme::DANGER.gamma_multiply(0.6)))
                .corner_radius(4)
                .inner_margin(Margin::symmetric(10, 6))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        let label = RichText::new(format!("Failed · {code}"))
                            .size(theme::META)
                            .color(theme::DANGER);
                        widgets::label_with_action(ui, label, |ui| {
                            if widgets::quiet_button(ui, "Retry").clicked() {
                                app.actions.push(Action::Retry(run.id.clone()));
                            }
                        });
                    });
                    if !message.is_empty() {
                        ui.label(widgets::meta(message));
                    }
                    if !remediation.is_empty() {
                        ui.label(widgets::muted(remediation));
                    }
                });
        }
        _ => {}
    }
    opened
}

pub(super) fn prose(app: &mut ViewCtx<'_>, ui: &mut Ui, entry: &RunEntry) {
    let text = entry
        .view
        .run
        .plan
        .as_deref()
        .unwrap_or(entry.stream.as_str());
    ui.push_id(entry.id().as_str(), |ui| {
        CommonMarkViewer::new().show(ui, &mut app.view.markdown, text);
    });
}

pub(super) fn step_row(app: &mut ViewCtx<'_>, ui: &mut Ui, entry: &RunEntry, step: Step) {
    let run = &entry.view.run;
    let key = Expand::Step(run.id.clone(), step);
    let open = app.model.expanded.contains(&key);
    let (verb, object, status): (&str, String, Option<TaskStatus>) = match step {
        Step::Context => (
            "Retrieve context",
            match (run.context.resolved_provider, &run.context.error) {
                (Some(p), _) => format!("{p} · {}", count(entry.view.items.len(), "snippet")),
                (None, Some(e)) => format!("failed: {}", e.code),
                (None, None) => "pending".to_owned(),
            },
            None,
        ),
        Step::Plan => ("Plan", "coordinator plan".to_owned(), None),
        Step::Draft => (
            "Draft spec",
            match run.draft.as_ref().and_then(|d| d.applied_at) {
                Some(at) => format!("applied at {}", clock_time(at)),
                None if entry.view.stale.is_stale => "stale".to_owned(),
                None => "ready to apply".to_owned(),
            },
            None,
        ),
        Step::Task(t) => match entry.view.tasks.get(t) {
            Some(task) => ("Delegate", task.title.clone(), Some(task.status)),
            None => return,
        },
    };
    let live = app.model.is_live(&entry.view);
    let response = ui
        .horizontal(|ui| {
            let icon = if open {
                Icon::ChevronDown
            } else {
                Icon::ChevronRight
            };
            let (rect, _) = ui.allocate_exact_size(vec2(14.0, 16.0), Sense::hover());
            widgets::paint_icon(ui, rect, icon, theme::MUTED);
            if let Some(status) = status {
                widgets::task_glyph(ui, Some(status), live);
            }
            ui.label(RichText::new(verb).size(13.0).color(theme::MUTED));
            ui.add(
                egui::Label::new(RichText::new(&object).size(13.0).color(theme::TEXT)).truncate(),
            );
        })
        .response;
    let click = ui.interact(
        response.rect,
        ui.scope_id().with("step_click"),
        Sense::click(),
    );
    if click.clicked() {
        app.actions.push(Action::Toggle(key));
    }
    if !open {
        return;
    }
    Frame::NONE
        .fill(theme::CHROME)
        .corner_radius(4)
        .inner_margin(Margin::same(8))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            step_details(ui, entry, step);
        });
}

/// What an expanded step row shows: the items, the plan, the draft's first lines, or the task's outcome.
fn step_details(ui: &mut Ui, entry: &RunEntry, step: Step) {
    let run = &entry.view.run;
    match step {
        Step::Context => {
            for item in entry.view.items.iter().take(12) {
                ui.label(
                    RichText::new(format!(
                        "{}:{}-{}  score {:.2}",
                        item.path, item.start_line, item.end_line, item.score
                    ))
                    .font(theme::mono())
                    .color(theme::SECONDARY),
                );
            }
            if let Some(e) = &run.context.error {
                ui.label(widgets::meta(format!("{}: {}", e.code, e.message)));
            }
        }
        Step::Plan => {
            ui.label(
                RichText::new(run.plan.as_deref().unwrap_or(""))
                    .font(theme::mono())
                    .color(theme::SECONDARY),
            );
        }
        Step::Draft => {
            let content = run.draft.as_ref().map_or("", |d| d.content.as_str());
            let shown: String = content.lines().take(30).collect::<Vec<_>>().join("\n");
            ui.label(
                RichText::new(shown)
                    .font(theme::mono())
                    .color(theme::SECONDARY),
            );
        }
        Step::Task(t) => {
            if let Some(task) = entry.view.tasks.get(t) {
                ui.label(widgets::meta(format!(
                    "{} · wave {} · {}",
                    task.specialist, task.wave, task.status
                )));
                if let Some(summary) = &task.summary {
                    ui.label(RichText::new(summary).size(13.0).color(theme::TEXT));
                }
                if let Some(e) = &task.error {
                    ui.label(
                        RichText::new(format!("{}: {} — {}", e.code, e.message, e.remediation))
                            .size(theme::META)
                            .color(theme::DANGER),
                    );
                }
            }
        }
    }
}

pub(super) fn delegation(ui: &mut Ui, entry: &RunEntry) {
    let tasks = &entry.view.tasks;
    let mut waves: Vec<u32> = tasks.iter().map(|t| t.wave).collect();
    waves.sort_unstable();
    waves.dedup();
    let mut specialists: Vec<&str> = tasks.iter().map(|t| t.specialist.as_str()).collect();
    specialists.sort_unstable();
    specialists.dedup();
    ui.add_space(4.0);
    ui.label(
        RichText::new(format!(
            "Delegated {} task{} to {} in {} wave{}",
            tasks.len(),
            if tasks.len() == 1 { "" } else { "s" },
            specialists.join(", "),
            waves.len(),
            if waves.len() == 1 { "" } else { "s" },
        ))
        .size(13.0)
        .color(theme::TEXT),
    );
}

pub(super) fn barrier(app: &mut ViewCtx<'_>, ui: &mut Ui, entry: &RunEntry, wave: u32) {
    let live = app.model.is_live(&entry.view);
    let interrupted = entry.view.run.status == RunStatus::Interrupted;
    let tasks: Vec<_> = entry.view.tasks.iter().filter(|t| t.wave == wave).collect();
    let total = tasks.len();
    let finished = tasks.iter().filter(|t| t.status.is_terminal()).count();
    let done = tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .count();
    let started = tasks
        .iter()
        .any(|t| t.times_started() > 0 || t.status.is_terminal());
    // The recovery action goes on the run's first unfinished wave only (one action per run).
    let first_unfinished = entry
        .view
        .tasks
        .iter()
        .filter(|t| !t.status.is_terminal())
        .map(|t| t.wave)
        .min();
    let earlier_unfinished = first_unfinished.is_some_and(|w| w < wave);
    let title = if finished == total {
        format!("Wave {wave} finished ({done}/{total})")
    } else if !started && earlier_unfinished && (interrupted || live) {
        format!("Wave {wave} waits for the wave before it")
    } else if interrupted {
        // Started or not, this wave stopped with the run: say how far it got.
        format!("Wave interrupted ({done}/{total} finished)")
    } else if !started && live {
        format!("Wave {wave} waits for the wave before it")
    } else {
        format!("Waiting for all ({finished}/{total})")
    };
    let stale = interrupted && finished < total;
    let frame = Frame::NONE
        .fill(theme::CHROME)
        .corner_radius(4)
        .inner_margin(Margin::same(8));
    let shown = frame.show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            let color = if stale {
                theme::WARNING
            } else if finished < total && live {
                theme::RUNNING
            } else {
                theme::SECONDARY
            };
            let title = RichText::new(title).size(13.0).color(color);
            widgets::label_with_action(ui, title, |ui| {
                if stale
                    && first_unfinished == Some(wave)
                    && widgets::quiet_button(ui, "Resume unfinished").clicked()
                {
                    app.actions.push(Action::Resume(entry.id().clone()));
                }
            });
        });
        for task in &tasks {
            ui.horizontal(|ui| {
                ui.add_space(6.0);
                widgets::task_glyph(ui, Some(task.status), live);
                widgets::avatar(ui, &crate::gui::model::capitalise(&task.specialist));
                let color = if stale { theme::MUTED } else { theme::TEXT };
                ui.add(
                    egui::Label::new(RichText::new(&task.title).size(13.0).color(color)).truncate(),
                );
            });
            ui.horizontal(|ui| {
                ui.add_space(50.0);
                ui.add(
                    egui::Label::new(widgets::muted(format!(
                        "Delegated by Coordinator · {} · {}",
                        task.specialist,
                        task.status.as_str()
                    )))
                    .truncate(),
                );
            });
        }
    });
    if stale {
        widgets::dashed_rect(ui, shown.response.rect, theme::WARNING.gamma_multiply(0.7));
    }
}

pub(super) fn event_bar(ui: &mut Ui, entry: &RunEntry, t: usize) {
    let Some(task) = entry.view.tasks.get(t) else {
        return;
    };
    Frame::NONE
        .fill(theme::RAISED)
        .inner_margin(Margin::symmetric(10, 5))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                let (rect, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
                ui.painter()
                    .circle_filled(rect.center(), 3.0, theme::SUCCESS);
                // docs/WINDOW.md, Thread: "<Agent> finished"; the task title follows, cut with an ellipsis
                // to the bar.
                let agent = crate::gui::model::capitalise(&task.specialist);
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("{agent} finished · {}", task.title))
                            .size(13.0)
                            .color(theme::SECONDARY),
                    )
                    .truncate(),
                );
            });
        });
}

/// The activity line under a live run.
pub(super) fn working(ui: &mut Ui, entry: &RunEntry, animate: bool) {
    let run = &entry.view.run;
    let doing = if run.context.resolved_provider.is_none() && run.context.error.is_none() {
        "Retrieving context"
    } else if run.draft.is_none() {
        "Drafting the spec"
    } else if entry
        .view
        .tasks
        .iter()
        .any(|t| t.status == TaskStatus::Running)
    {
        "Specialists are working"
    } else {
        "Thinking"
    };
    let dots = if animate {
        let n = (ui.input(|i| i.time) * 3.0) as usize % 3 + 1;
        ".".repeat(n)
    } else {
        "...".to_owned()
    };
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
        ui.painter()
            .circle_filled(rect.center(), 3.0, theme::RUNNING.gamma_multiply(0.8));
        ui.label(
            RichText::new(format!("{doing}{dots}"))
                .size(13.0)
                .color(theme::SECONDARY),
        );
    });
}
