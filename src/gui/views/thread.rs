//! The center pane: tab strip, breadcrumb, the conversation thread (virtualised: only rows in view are laid
//! out, heights are measured and cached) and the composer.

use egui::{
    Align, Frame, Key, Layout, Margin, Modifiers, Panel, Rect, RichText, ScrollArea, Sense, Stroke,
    TextEdit, Ui, UiBuilder, pos2, vec2,
};
use egui_commonmark::CommonMarkViewer;

use crate::gui::app::{Action, KataApp};
use crate::gui::model::{Expand, RunEntry, Step, ThreadItem, clock_time, duration};
use crate::gui::theme;
use crate::gui::ui_state::Tab;
use crate::model::{RunStatus, TaskStatus};

use super::widgets::{self, Icon};

/// Estimated height of a row not measured yet.
const ESTIMATE: f32 = 36.0;
const SIDE: f32 = 20.0;
const PROVIDERS: [&str; 4] = ["offline", "anthropic", "openai", "openai-compatible"];

pub fn show(app: &mut KataApp, ui: &mut Ui) {
    tab_strip(app, ui);
    composer(app, ui);
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

fn tab_strip(app: &mut KataApp, ui: &mut Ui) {
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
                    app.actions.push(Action::SelectTab(usize::MAX));
                }
            });
        });
    Panel::top("center_breadcrumb")
        .exact_size(26.0)
        .resizable(false)
        .frame(
            Frame::NONE
                .fill(theme::PANE)
                .inner_margin(Margin::symmetric(12, 0)),
        )
        .show(ui, |ui| {
            ui.horizontal_centered(|ui| {
                ui.label(
                    RichText::new("AGENTS")
                        .size(theme::LABEL)
                        .color(theme::MUTED),
                );
                ui.label(RichText::new("/").size(theme::LABEL).color(theme::MUTED));
                ui.label(
                    RichText::new("Coordinator")
                        .size(theme::META)
                        .color(theme::TEXT),
                );
                ui.label(widgets::muted("Coordinator agent"));
            });
        });
}

fn composer(app: &mut KataApp, ui: &mut Ui) {
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
                    ui.add(
                        TextEdit::multiline(&mut app.view.composer)
                            .id(id)
                            .hint_text("Ask anything or describe a change (Enter sends, Shift+Enter for a new line)")
                            .desired_rows(3)
                            .desired_width(f32::INFINITY)
                            .frame(Frame::NONE),
                    );
                    let mut send = enter;
                    ui.horizontal(|ui| {
                        egui::ComboBox::new("provider_picker", widgets::muted("provider"))
                            .selected_text(RichText::new(&app.view.provider).size(theme::META))
                            .width(130.0)
                            .show_ui(ui, |ui| {
                                for p in PROVIDERS {
                                    ui.selectable_value(&mut app.view.provider, p.to_owned(), p);
                                }
                            });
                        ui.add(
                            TextEdit::singleline(&mut app.view.model_name)
                                .hint_text("default model")
                                .font(egui::FontId::proportional(theme::META))
                                .desired_width(120.0),
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

fn thread(app: &mut KataApp, ui: &mut Ui) {
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
    let stick = app.view.stick_to_bottom;
    let output = ScrollArea::vertical()
        .id_salt("thread_scroll")
        .auto_shrink([false, false])
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
            if remeasured {
                ui.ctx().request_discard("thread rows measured");
            }
        });
    let at_bottom =
        output.state.clamped_offset().y + output.inner_rect.height() >= output.content_size.y - 4.0;
    app.view.stick_to_bottom = at_bottom;
}

fn draw_item(app: &mut KataApp, ui: &mut Ui, item: ThreadItem) {
    let index = match item {
        ThreadItem::User(i)
        | ThreadItem::Header(i)
        | ThreadItem::Inspector(i)
        | ThreadItem::Prose(i)
        | ThreadItem::Step(i, _)
        | ThreadItem::Delegation(i)
        | ThreadItem::Barrier(i, _)
        | ThreadItem::EventBar(i, _)
        | ThreadItem::Working(i) => i,
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
        ThreadItem::User(_) => user_turn(ui, &entry),
        ThreadItem::Header(_) => {
            if header(app, ui, &entry) {
                app.view.scroll_to = Some(item);
            }
        }
        ThreadItem::Inspector(_) => super::inspector::show(ui, &entry, app.model.now),
        ThreadItem::Prose(_) => prose(app, ui, &entry),
        ThreadItem::Step(_, step) => step_row(app, ui, &entry, step),
        ThreadItem::Delegation(_) => delegation(ui, &entry),
        ThreadItem::Barrier(_, wave) => barrier(app, ui, &entry, wave),
        ThreadItem::EventBar(_, t) => event_bar(ui, &entry, t),
        ThreadItem::Working(_) => working(ui, &entry, app.config.animate),
    }
}

fn user_turn(ui: &mut Ui, entry: &RunEntry) {
    ui.add_space(8.0);
    Frame::NONE
        .fill(theme::CHROME)
        .corner_radius(4)
        .inner_margin(Margin::same(10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(&entry.view.run.prompt).color(theme::TEXT));
        });
}

/// `Run <id> · <Status> · <duration> · Context: <provider> (<n> snippets)[ (fallback from x)] · Provider: p/m`
pub fn provenance(entry: &RunEntry, now: crate::model::Timestamp) -> String {
    let run = &entry.view.run;
    let status = capitalised(run.status.as_str());
    let context = match run.context.resolved_provider {
        Some(p) => {
            let mut c = format!("{p} ({} snippets)", run.context.items.len());
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
fn header(app: &mut KataApp, ui: &mut Ui, entry: &RunEntry) -> bool {
    let mut opened = false;
    let run = &entry.view.run;
    let live = app.model.is_live(&entry.view);
    let pulse = widgets::pulse(ui, app.config.animate);
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
        app.model.toggle(Expand::Inspector(run.id.clone()));
        opened = !expanded;
    }
    match run.status {
        RunStatus::Interrupted => {
            let at = run.interrupted_at.unwrap_or(run.updated_at);
            Frame::NONE
                .stroke(Stroke::new(1.0, theme::WARNING.gamma_multiply(0.5)))
                .corner_radius(4)
                .inner_margin(Margin::symmetric(10, 6))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        ui.label(
                            RichText::new(format!(
                                "Interrupted · app exited at {}",
                                clock_time(at)
                            ))
                            .size(theme::META)
                            .color(theme::WARNING),
                        );
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            if widgets::quiet_button(ui, "Resume").clicked() {
                                app.actions.push(Action::Resume(run.id.clone()));
                            }
                        });
                    });
                });
        }
        RunStatus::Failed => {
            let (code, message, remediation) = run
                .error
                .as_ref()
                .map_or(("unknown".to_owned(), String::new(), String::new()), |e| {
                    (e.code.clone(), e.message.clone(), e.remediation.clone())
                });
            Frame::NONE
                .stroke(Stroke::new(1.0, theme::DANGER.gamma_multiply(0.6)))
                .corner_radius(4)
                .inner_margin(Margin::symmetric(10, 6))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        ui.label(
                            RichText::new(format!("Failed · {code}"))
                                .size(theme::META)
                                .color(theme::DANGER),
                        );
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
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

fn prose(app: &mut KataApp, ui: &mut Ui, entry: &RunEntry) {
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

fn step_row(app: &mut KataApp, ui: &mut Ui, entry: &RunEntry, step: Step) {
    let run = &entry.view.run;
    let key = Expand::Step(run.id.clone(), step);
    let open = app.model.expanded.contains(&key);
    let (verb, object, status): (&str, String, Option<TaskStatus>) = match step {
        Step::Context => (
            "Retrieve context",
            match (run.context.resolved_provider, &run.context.error) {
                (Some(p), _) => format!("{p} · {} snippets", run.context.items.len()),
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
        app.model.toggle(key);
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
            match step {
                Step::Context => {
                    for item in run.context.items.iter().take(12) {
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
                                RichText::new(format!(
                                    "{}: {} — {}",
                                    e.code, e.message, e.remediation
                                ))
                                .size(theme::META)
                                .color(theme::DANGER),
                            );
                        }
                    }
                }
            }
        });
}

fn delegation(ui: &mut Ui, entry: &RunEntry) {
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

fn barrier(app: &mut KataApp, ui: &mut Ui, entry: &RunEntry, wave: u32) {
    let live = app.model.is_live(&entry.view);
    let interrupted = entry.view.run.status == RunStatus::Interrupted;
    let tasks: Vec<_> = entry.view.tasks.iter().filter(|t| t.wave == wave).collect();
    let total = tasks.len();
    let finished = tasks.iter().filter(|t| t.status.is_terminal()).count();
    let done = tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .count();
    let title = if interrupted && finished < total {
        format!("Wave interrupted ({done}/{total} finished)")
    } else if finished < total {
        format!("Waiting for all ({finished}/{total})")
    } else {
        format!("Wave {wave} finished ({done}/{total})")
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
            ui.label(RichText::new(title).size(13.0).color(color));
            if stale {
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if widgets::quiet_button(ui, "Resume unfinished").clicked() {
                        app.actions.push(Action::Resume(entry.id().clone()));
                    }
                });
            }
        });
        for task in &tasks {
            ui.horizontal(|ui| {
                ui.add_space(6.0);
                widgets::task_glyph(ui, Some(task.status), live);
                widgets::avatar(ui, &task.title);
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

fn event_bar(ui: &mut Ui, entry: &RunEntry, t: usize) {
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
                ui.label(
                    RichText::new(format!("{} finished", task.title))
                        .size(13.0)
                        .color(theme::SECONDARY),
                );
            });
        });
}

/// The activity line under a live run.
fn working(ui: &mut Ui, entry: &RunEntry, animate: bool) {
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

fn history(app: &mut KataApp, ui: &mut Ui) {
    let Some(session) = &app.model.session else {
        return;
    };
    let now = app.model.now;
    let rows: Vec<(String, RunStatus, String, String)> = session
        .runs
        .iter()
        .rev()
        .map(|r| {
            (
                r.id().short().to_owned(),
                r.view.run.status,
                crate::gui::model::first_line(&r.view.run.prompt),
                crate::gui::model::age(now, r.view.run.created_at),
            )
        })
        .collect();
    ScrollArea::vertical()
        .id_salt("history_rows")
        .auto_shrink([false, false])
        .show_rows(ui, 22.0, rows.len(), |ui, range| {
            for (id, status, prompt, age) in rows.get(range).unwrap_or(&[]) {
                ui.horizontal(|ui| {
                    ui.add_space(SIDE);
                    ui.label(
                        RichText::new(id)
                            .font(theme::mono())
                            .color(theme::SECONDARY),
                    );
                    ui.label(widgets::meta(status.as_str()));
                    ui.add(egui::Label::new(RichText::new(prompt).size(13.0)).truncate());
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        ui.add_space(SIDE);
                        ui.label(widgets::muted(age.as_str()));
                    });
                });
            }
        });
}
