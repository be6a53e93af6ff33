//! Mount points of pseudo filesystems (procfs, sysfs, devfs and the like) that a walk never enters: their
//! files report sizes of 0 and stream without end, and none of them is source code. Read from
//! `/proc/self/mountinfo` (Linux); elsewhere the list is empty.

use std::collections::HashSet;
use std::path::PathBuf;

/// Filesystem types whose files are not files a repository holds.
const PSEUDO_TYPES: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "proc",
    "pstore",
    "securityfs",
    "sysfs",
    "tracefs",
];

/// The mount points of pseudo filesystems on this machine.
pub fn special_mounts() -> HashSet<PathBuf> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|text| parse_mountinfo(&text))
        .unwrap_or_default()
}

/// `mountinfo` lines: `id parent major:minor root mount-point options [optional...] - fstype source ...`.
fn parse_mountinfo(text: &str) -> HashSet<PathBuf> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fstype = after.split_whitespace().next()?;
            let mount = before.split_whitespace().nth(4)?;
            PSEUDO_TYPES
                .contains(&fstype)
                .then(|| PathBuf::from(unescape(mount)))
        })
        .collect()
}

/// Mount points escape space, tab, newline and backslash as octal (`\040`).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let code = rest
            .get(i + 1..i + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok());
        match code {
            Some(c) => {
                out.push(char::from(c));
                rest = rest.get(i + 4..).unwrap_or("");
            }
            None => {
                out.push('\\');
                rest = rest.get(i + 1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_filesystems_are_found_in_mountinfo() {
        let text = "22 1 0:21 / /proc rw,nosuid - proc proc rw\n\
                    23 1 0:22 / /sys rw - sysfs sysfs rw\n\
                    24 1 8:1 / / rw - ext4 /dev/sda1 rw\n\
                    25 1 0:5 / /dev rw - devtmpfs udev rw\n\
                    26 24 8:2 / /mnt/my\\040disk rw - ext4 /dev/sdb1 rw\n";
        let mounts = parse_mountinfo(text);
        assert!(mounts.contains(&PathBuf::from("/proc")));
        assert!(mounts.contains(&PathBuf::from("/sys")));
        assert!(mounts.contains(&PathBuf::from("/dev")));
        assert_eq!(mounts.len(), 3);
        assert_eq!(unescape("/mnt/my\\040disk"), "/mnt/my disk");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machines_procfs_is_listed() {
        assert!(special_mounts().contains(&PathBuf::from("/proc")));
    }
}
