//! A visual tour for people checking the window by eye: opens a data directory prepared with the CLI (runs
//! completed, failed, interrupted, stale), walks through the main states and writes a PNG of each, so the
//! pictures can be compared with what `docs/WINDOW.md` describes. Ignored by default (it needs a prepared
//! store):
//!
//! ```sh
//! KATA_TOUR_DATA=/tmp/data KATA_TOUR_OUT=/tmp/shots WGPU_BACKEND=gl \
//!     cargo test --test gui_tour -- --ignored --nocapture
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{step_until, system_clock, window_with};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kata_cloud::gui::app::Action;
use kata_cloud::gui::model::{Expand, ThreadItem};
use kata_cloud::gui::{AppConfig, KataApp};
use kata_cloud::model::RunId;
use kata_cloud::orchestrator::{Engine, EngineConfig};
use kata_cloud::provider::ProviderRegistry;
use kata_cloud::provider::registry::ProviderSettings;

fn shot(h: &mut Harness<'_, KataApp>, out: &std::path::Path, name: &str) {
    h.remove_cursor();
    h.run_steps(3);
    let image = h.render().unwrap();
    let path = out.join(format!("{name}.png"));
    image.save(&path).unwrap();
    eprintln!("wrote {}", path.display());
}

#[test]
#[ignore = "needs KATA_TOUR_DATA (a store prepared with the CLI) and KATA_TOUR_OUT"]
fn tour() {
    let data = PathBuf::from(std::env::var("KATA_TOUR_DATA").unwrap());
    let out = PathBuf::from(std::env::var("KATA_TOUR_OUT").unwrap());
    std::fs::create_dir_all(&out).unwrap();
    let width: f32 = std::env::var("KATA_TOUR_WIDTH")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1280.0);
    let engine = Engine::open(EngineConfig {
        data_dir: data.clone(),
        clock: system_clock(),
        providers: ProviderRegistry::new(ProviderSettings::from_env().with_data_dir(&data)),
    })
    .unwrap();
    let config = AppConfig {
        animate: false,
        ..AppConfig::default()
    };
    let mut h = window_with(engine, egui::vec2(width, 800.0), config);
    step_until(&mut h, "the store", |h| h.state().model.started);
    shot(&mut h, &out, "01_home");
    // KATA_TOUR_SPACE names the space to open (default: the one the layout restores, else the first).
    match std::env::var("KATA_TOUR_SPACE") {
        Ok(name) => h.get_by_label(&format!("Open {name}")).click(),
        Err(_) if h.state().model.session.is_none() => {
            h.get_all_by_label_contains("Open ").next().unwrap().click();
        }
        Err(_) => {}
    }
    step_until(&mut h, "the session", |h| {
        h.state().model.session.as_ref().is_some_and(|s| {
            std::env::var("KATA_TOUR_SPACE").map_or(true, |name| s.space.name == name)
        })
    });
    h.state_mut().actions.push(Action::SelectTab(0));
    h.run_steps(20);
    std::thread::sleep(Duration::from_millis(300));
    h.run_steps(5);
    shot(&mut h, &out, "02_session");
    let ids: Vec<RunId> = h
        .state()
        .model
        .session
        .as_ref()
        .unwrap()
        .runs
        .iter()
        .map(|r| r.id().clone())
        .collect();
    for (i, id) in ids.iter().enumerate() {
        // Open the run's inspector and bring its header to the top, as a click on the header does.
        h.state_mut()
            .actions
            .push(Action::Toggle(Expand::Inspector(id.clone())));
        h.run_steps(2);
        h.state_mut().view.stick_to_bottom = false;
        h.state_mut().view.scroll_to = Some(ThreadItem::Header(i));
        h.run_steps(6);
        shot(&mut h, &out, &format!("03_inspector_{i}_{}", id.short()));
        h.state_mut()
            .actions
            .push(Action::Toggle(Expand::Inspector(id.clone())));
        h.run_steps(3);
    }
    if let Some(tab) = h.query_by_label("Context") {
        tab.click();
        h.run_steps(5);
        shot(&mut h, &out, "04_context");
    }
    if let Some(tab) = h.query_by_label("Open run history") {
        tab.click();
        h.run_steps(5);
        shot(&mut h, &out, "05_history");
    }
    // KATA_TOUR_LIVE=1 (with KATA_OFFLINE_STEP_MS=400): a live run, pictured every half second.
    if std::env::var("KATA_TOUR_LIVE").is_ok() {
        h.state_mut().actions.push(Action::SelectTab(0));
        h.state_mut().view.composer = "add retry with backoff to the http client".into();
        h.run_steps(2);
        h.get_by_label("Send").click();
        let started = Instant::now();
        let mut n = 0;
        while started.elapsed() < Duration::from_secs(20) {
            let deadline = Instant::now() + Duration::from_millis(500);
            while Instant::now() < deadline {
                h.step();
                std::thread::sleep(Duration::from_millis(10));
            }
            n += 1;
            shot(&mut h, &out, &format!("06_live_{n:02}"));
            if h.state()
                .model
                .session
                .as_ref()
                .is_some_and(|s| !s.runs.iter().any(|r| h.state().model.is_live(&r.view)))
                && n > 2
            {
                break;
            }
        }
    }
}
