//! Left sidebar: space name, task progress bar with caption, and the Agents / Context sections.

use crate::model::view::count;
use egui::{Frame, Margin, RichText, ScrollArea, Sense, Ui, pos2, vec2};

use super::ViewCtx;
use crate::gui::action::Action;
use crate::gui::model::{AgentState, age, clock_time};
use crate::gui::theme;
use crate::gui::view_state::SidebarSection;
use crate::model::TaskStatus;

use super::widgets;

pub fn show(app: &mut ViewCtx<'_>, ui: &mut Ui) {
    let pulse = widgets::pulse(ui, app.animate);
    let now = app.model.now;
    let Some(session) = &app.model.session else {
        return;
    };
    let space_name = session.space.name.clone();
    let root = session.space.root_path.display().to_string();
    let repo_line = crate::gui::model::repo_line(&session.space);
    let root_missing = session.root_missing;
    let session_label = session.session.label.clone();
    let run_count = session.runs.len();
    let provider = session.space.context_provider;
    let last_context = session.runs.last().map(|r| {
        let c = &r.view.run.context;
        LastContext {
            resolved: c.resolved_provider,
            fallback_from: c.fallback_from,
            snippets: r.view.items.len(),
            error: c.error.as_ref().map(|e| e.code.to_string()),
        }
    });
    let derived = app.model.derived();
    let agents = derived.agents.clone();
    let spec_tasks = derived.spec_tasks.clone();
    let live_run = session_live(app);

    Frame::NONE
        .inner_margin(Margin::symmetric(12, 10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new(&space_name)
                    .size(15.0)
                    .color(theme::TEXT)
                    .strong(),
            );
            // docs/WINDOW.md, Sidebar: space name + repo. A folder deleted or moved since linking is said
            // here, once.
            if root_missing {
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("Folder missing: {root}"))
                            .size(theme::META)
                            .color(theme::WARNING),
                    )
                    .truncate(),
                );
                ui.add(
                    egui::Label::new(widgets::muted(
                        "Runs here fail until it is back; or link its new place from Home.",
                    ))
                    .wrap(),
                );
            } else {
                ui.add(egui::Label::new(widgets::muted(&repo_line)).truncate())
                    .on_hover_text(&root);
            }
            session_switcher(app, ui, &session_label, run_count);
            ui.add_space(8.0);
            progress(ui, &spec_tasks);
            ui.add_space(8.0);
            let changes_tab = super::changes::tab_label(&app.view.changes);
            ui.horizontal(|ui| {
                for (section, name) in [
                    (SidebarSection::Agents, "Agents"),
                    (SidebarSection::Context, "Context"),
                    (SidebarSection::Changes, changes_tab.as_str()),
                ] {
                    let selected = app.view.section == section;
                    let text = RichText::new(name).size(theme::META).color(if selected {
                        theme::TEXT
                    } else {
                        theme::SECONDARY
                    });
                    if ui.selectable_label(selected, text).clicked() {
                        app.view.section = section;
                    }
                }
            });
        });
    ui.painter().hline(
        ui.max_rect().x_range(),
        ui.min_rect().bottom(),
        theme::hairline(),
    );
    ScrollArea::vertical()
        .id_salt("sidebar_scroll")
        .show(ui, |ui| {
            Frame::NONE
                .inner_margin(Margin::symmetric(12, 8))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    match app.view.section {
                        SidebarSection::Agents => {
                            agents_section(ui, &agents, now, pulse);
                        }
                        SidebarSection::Context => {
                            context_section(
                                ui,
                                app.actions,
                                &spec_tasks,
                                provider,
                                last_context,
                                live_run,
                            );
                        }
                        SidebarSection::Changes => super::changes::show(app, ui),
                    }
                });
        });
}

/// The open session (name and runs) as a toggle; open, the space's sessions to switch to, each with its
/// branch, runs and last activity and an Archive that asks first, and a field to start a named session.
fn session_switcher(app: &mut ViewCtx<'_>, ui: &mut Ui, label: &str, run_count: usize) {
    let toggle = if app.view.sessions_open {
        "Hide sessions"
    } else {
        "Show sessions"
    };
    let icon = if app.view.sessions_open {
        widgets::Icon::ChevronDown
    } else {
        widgets::Icon::ChevronRight
    };
    ui.horizontal(|ui| {
        if widgets::icon_button(ui, icon, toggle).clicked() {
            app.view.sessions_open = !app.view.sessions_open;
            app.view.confirm_archive = None;
        }
        ui.label(widgets::muted(format!(
            "{label} · {}",
            count(run_count, "run")
        )));
    });
    if !app.view.sessions_open {
        return;
    }
    let Some(state) = &app.model.session else {
        return;
    };
    let current = state.session.id.clone();
    let now = app.model.now;
    let rows: Vec<_> = state
        .sessions
        .iter()
        .map(|s| {
            let runs = if s.session.id == current {
                run_count
            } else {
                s.runs
            };
            (s.session.clone(), runs, s.last_activity)
        })
        .collect();
    Frame::NONE
        .fill(theme::CHROME)
        .corner_radius(4)
        .inner_margin(Margin::same(8))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            widgets::section_label(ui, "Sessions");
            for (session, runs, active) in rows {
                session_row(
                    app,
                    ui,
                    &session,
                    session.id == current,
                    runs,
                    age(now, active),
                );
            }
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                let field = egui::TextEdit::singleline(&mut app.view.new_session_name)
                    .hint_text("New session name")
                    .desired_width(ui.available_width() - 56.0);
                let typed = ui.add(field);
                let enter = typed.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if widgets::quiet_button(ui, "New").clicked() || enter {
                    app.actions
                        .push(Action::NewSession(app.view.new_session_name.clone()));
                }
            });
        });
}

/// One session in the switcher: its name (the open one marked), branch, runs and age; Archive asks first.
fn session_row(
    app: &mut ViewCtx<'_>,
    ui: &mut Ui,
    session: &crate::model::Session,
    current: bool,
    runs: usize,
    active: String,
) {
    if app.view.confirm_archive.as_ref() == Some(&session.id) {
        ui.label(
            RichText::new(format!(
                "Archive “{}”? Its runs and spec stay; it leaves this list.",
                session.label
            ))
            .size(theme::META)
            .color(theme::WARNING),
        );
        ui.horizontal(|ui| {
            if widgets::solid_button(ui, "Confirm archive", theme::WARNING).clicked() {
                app.actions.push(Action::ArchiveSession(session.id.clone()));
            }
            if widgets::quiet_button(ui, "Cancel").clicked() {
                app.view.confirm_archive = None;
            }
        });
        return;
    }
    ui.horizontal(|ui| {
        let name = RichText::new(&session.label).size(13.0).color(if current {
            theme::TEXT
        } else {
            theme::SECONDARY
        });
        let name = if current { name.strong() } else { name };
        let clicked = ui
            .add(egui::Label::new(name).truncate().sense(Sense::click()))
            .on_hover_text(format!("Open {}", session.label))
            .clicked();
        if clicked && !current {
            app.actions.push(Action::OpenSession(session.id.clone()));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let archive = ui.add(
                egui::Button::new(widgets::muted("Archive"))
                    .frame(false)
                    .small(),
            );
            let label = format!("Archive {}", session.label);
            let named = label.clone();
            archive.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &named));
            let archive = archive.on_hover_text(label);
            if archive.clicked() {
                app.view.confirm_archive = Some(session.id.clone());
            }
        });
    });
    let branch = session
        .worktree
        .as_ref()
        .map_or_else(String::new, |w| format!("{} · ", w.branch));
    ui.label(widgets::muted(format!(
        "{branch}{} · {active}",
        count(runs, "run")
    )));
    ui.add_space(2.0);
}

/// What the newest run retrieved, for the Context section.
struct LastContext {
    resolved: Option<crate::model::ContextProviderKind>,
    fallback_from: Option<crate::model::ContextProviderKind>,
    snippets: usize,
    error: Option<String>,
}

fn session_live(app: &ViewCtx<'_>) -> bool {
    app.model.any_live()
}

fn progress(ui: &mut Ui, tasks: &[crate::gui::model::SpecTaskRow]) {
    let width = ui.available_width();
    let (rect, _) = ui.allocate_exact_size(vec2(width, 6.0), Sense::hover());
    let p = ui.painter();
    if tasks.is_empty() {
        p.rect_filled(rect, 2.0, theme::RAISED);
    } else {
        let n = tasks.len() as f32;
        // Segments stay at least ~2 px wide: with many tasks the gaps go before the segments do.
        let gap = if width / n >= 6.0 { 2.0 } else { 0.0 };
        let seg = ((width - gap * (n - 1.0)) / n).max(0.5);
        for (i, task) in tasks.iter().enumerate() {
            let x = rect.left() + i as f32 * (seg + gap);
            let r = egui::Rect::from_min_size(pos2(x, rect.top()), vec2(seg, rect.height()));
            let color = match task.status {
                Some(TaskStatus::Completed) => theme::SUCCESS,
                Some(TaskStatus::Running) => theme::RUNNING,
                Some(TaskStatus::Failed) => theme::DANGER,
                Some(TaskStatus::Interrupted) => theme::WARNING,
                _ => theme::BORDER_STRONG,
            };
            p.rect_filled(r, 1.5, color);
        }
    }
    let caption = progress_caption(tasks);
    ui.label(widgets::muted(caption));
}

fn agents_section(
    ui: &mut Ui,
    agents: &[crate::gui::model::AgentRow],
    now: crate::model::Timestamp,
    pulse: f32,
) {
    widgets::section_label(ui, "Agents");
    ui.label(widgets::muted(
        "The coordinator plans; specialists take the delegated tasks.",
    ));
    ui.add_space(6.0);
    if agents.is_empty() {
        ui.label(widgets::muted(
            "No agents yet: send a prompt to start the coordinator.",
        ));
        return;
    }
    for agent in agents {
        let stale = agent.state == AgentState::Interrupted;
        Frame::NONE
            .inner_margin(Margin::symmetric(4, 4))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    if agent.delegated {
                        ui.add_space(10.0);
                    }
                    let rect = widgets::avatar(ui, &agent.avatar);
                    widgets::paint_state_dot(
                        ui,
                        pos2(rect.right() - 1.0, rect.top() + 1.0),
                        agent.state,
                        if agent.live { pulse } else { 1.0 },
                    );
                    ui.vertical(|ui| {
                        ui.horizontal(|ui| {
                            let color = if stale { theme::SECONDARY } else { theme::TEXT };
                            let when = if agent.live {
                                age(now, agent.since)
                            } else {
                                clock_time(agent.since)
                            };
                            let name_width = (ui.available_width() - 64.0).max(40.0);
                            ui.scope(|ui| {
                                ui.set_max_width(name_width);
                                ui.add(
                                    egui::Label::new(
                                        RichText::new(&agent.name).size(13.0).color(color),
                                    )
                                    .truncate(),
                                );
                            });
                            ui.label(widgets::muted(when));
                        });
                        let preview = RichText::new(&agent.preview).size(theme::META).color(
                            if stale || agent.waiting {
                                theme::WARNING
                            } else {
                                theme::MUTED
                            },
                        );
                        ui.add(egui::Label::new(preview).truncate());
                    });
                });
            });
    }
}

fn context_section(
    ui: &mut Ui,
    actions: &mut Vec<Action>,
    tasks: &[crate::gui::model::SpecTaskRow],
    provider: crate::model::ContextProviderKind,
    last: Option<LastContext>,
    live: bool,
) {
    widgets::section_label(ui, "Context");
    ui.label(widgets::muted(
        "What runs in this space retrieve, shared with every agent.",
    ));
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        widgets::task_glyph(ui, None, false);
        ui.label(RichText::new("Spec").color(theme::TEXT));
    });
    if tasks.is_empty() {
        ui.horizontal(|ui| {
            ui.add_space(20.0);
            ui.label(widgets::muted("No tasks yet: apply a draft"));
        });
    }
    for task in tasks {
        ui.horizontal(|ui| {
            ui.add_space(20.0);
            // The glyph toggles the task's line, as the spec pane's does.
            let (rect, response) = ui.allocate_exact_size(
                egui::vec2(14.0, 14.0),
                if task.id.is_some() {
                    Sense::click()
                } else {
                    Sense::hover()
                },
            );
            widgets::paint_task_glyph(ui, rect.center(), task.status, live);
            let label = format!("Toggle spec task in sidebar: {}", task.title);
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::CheckBox, true, &label));
            if response.clicked()
                && let Some(id) = &task.id
            {
                actions.push(Action::ToggleSpecTask(id.clone()));
            }
            ui.add(
                egui::Label::new(
                    RichText::new(&task.title)
                        .size(theme::META)
                        .color(theme::SECONDARY),
                )
                .truncate(),
            );
        });
    }
    ui.add_space(10.0);
    widgets::section_label(ui, "Provider in use");
    ui.label(widgets::meta(format!("Space default: {provider}")));
    if let Some(LastContext {
        resolved,
        fallback_from: fallback,
        snippets: n,
        error,
    }) = last
    {
        let mut line = match resolved {
            Some(p) => format!("Last run: {p} ({})", count(n, "snippet")),
            None => "Last run: no context yet".to_owned(),
        };
        if let Some(from) = fallback {
            line.push_str(&format!(" (fallback from {from})"));
        }
        ui.label(widgets::meta(line));
        if let Some(code) = error {
            ui.label(
                RichText::new(format!("Context error: {code}"))
                    .size(theme::META)
                    .color(theme::WARNING),
            );
        }
    }
}

/// "3/5 tasks done · 1 running · 1 failed": what the bar's colours mean, in words.
fn progress_caption(tasks: &[crate::gui::model::SpecTaskRow]) -> String {
    let count = |status: TaskStatus| tasks.iter().filter(|t| t.status == Some(status)).count();
    let done = count(TaskStatus::Completed);
    let mut caption = match tasks.len() {
        0 => return "No spec tasks yet".to_owned(),
        1 if done == 1 => "The task is done".to_owned(),
        n if done == n => format!("All {n} tasks done"),
        1 => "0/1 task done".to_owned(),
        n => format!("{done}/{n} tasks done"),
    };
    for (status, word) in [
        (TaskStatus::Running, "running"),
        (TaskStatus::Failed, "failed"),
        (TaskStatus::Interrupted, "interrupted"),
    ] {
        let n = count(status);
        if n > 0 {
            caption.push_str(&format!(" · {n} {word}"));
        }
    }
    caption
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::model::SpecTaskRow;

    fn rows(statuses: &[Option<TaskStatus>]) -> Vec<SpecTaskRow> {
        statuses
            .iter()
            .map(|s| SpecTaskRow {
                id: None,
                title: "t".into(),
                status: *s,
            })
            .collect()
    }

    #[test]
    fn the_progress_caption_names_what_the_colours_mean() {
        assert_eq!(progress_caption(&[]), "No spec tasks yet");
        assert_eq!(
            progress_caption(&rows(&[Some(TaskStatus::Completed)])),
            "The task is done"
        );
        assert_eq!(progress_caption(&rows(&[None])), "0/1 task done");
        assert_eq!(
            progress_caption(&rows(&[
                Some(TaskStatus::Completed),
                Some(TaskStatus::Running),
                Some(TaskStatus::Failed),
                None,
            ])),
            "1/4 tasks done · 1 running · 1 failed"
        );
        assert_eq!(
            progress_caption(&rows(&[Some(TaskStatus::Completed); 3])),
            "All 3 tasks done"
        );
    }
}
