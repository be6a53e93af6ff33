//! Output for people lines up: columns of `runs show` tasks and of `space list` paths stay aligned whatever
//! the names' lengths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{ok, one_run};

#[test]
fn runs_show_aligns_the_task_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, finished) = one_run(tmp.path());
    let text = ok(&data, &["runs", "show", finished["id"].as_str().unwrap()]).stdout;
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Tasks:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  t"))
        .collect();
    assert!(rows.len() >= 2, "{text}");
    // Every row has its status (and so its title) in the same column, whatever the specialist's name.
    let status_columns: Vec<usize> = rows.iter().map(|r| r.find("completed").unwrap()).collect();
    assert!(
        status_columns.iter().all(|c| *c == status_columns[0]),
        "{rows:#?}"
    );
}

#[test]
fn space_list_lines_up_the_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let short = tmp.path().join("a");
    let long = tmp.path().join("a-much-longer-name");
    for dir in [&short, &long] {
        std::fs::create_dir_all(dir).unwrap();
        ok(&data, &["space", "add", dir.to_str().unwrap()]);
    }
    let text = ok(&data, &["space", "list"]).stdout;
    let columns: Vec<usize> = text
        .lines()
        .map(|l| l.find(tmp.path().to_str().unwrap()).unwrap())
        .collect();
    assert_eq!(columns.len(), 2, "{text}");
    assert_eq!(columns[0], columns[1], "{text}");
}
