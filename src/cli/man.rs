//! `cgharness man`: manual pages in roff (clap_mangen), built from the same clap definitions as
//! the parser. Without `--out`, the main page `cgharness(1)` goes to stdout; with `--out DIR`,
//! one page per subcommand is written as well (`cgharness-vm.1`, `cgharness-k8s-explain.1`, …),
//! git's layout: the options of `vm`, `run` or `compare` are what people look up, and a single
//! page could only list each subcommand's one-line summary.

use crate::exit::{usage, Exit};
use anyhow::Context;
use clap::CommandFactory;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAN_HELP: &str = "\
Examples:
  cgharness man | man -l -                          read it now
  cgharness man --out ~/.local/share/man/man1       every page where man finds it (man cgharness-vm)
  sudo cgharness man --out /usr/local/share/man/man1 && sudo mandb -q";

/// Options of `man`.
#[derive(Debug, clap::Args)]
#[command(after_help = MAN_HELP)]
pub struct ManArgs {
    /// Write cgharness.1 and one page per subcommand (cgharness-vm.1, …) into this directory
    /// (created if missing) instead of the main page to stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Writes the main page to stdout, or every page into `--out`.
pub fn run(a: ManArgs) -> anyhow::Result<Exit> {
    let mut cmd = super::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = a.out else {
        let page = render(&cmd).context("rendering the man page")?;
        super::write_stdout(page.as_bytes())?;
        return Ok(Exit::Ok);
    };
    if dir.exists() && !dir.is_dir() {
        return Err(usage(format!(
            "--out {}: not a directory; name a directory for the pages",
            dir.display()
        )));
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating {}; choose a writable --out", dir.display()))?;
    let n = write_pages(&cmd, &dir)?;
    eprintln!("{n} man pages in {}", dir.display());
    Ok(Exit::Ok)
}

/// Writes the page of `cmd` and of each visible subcommand, depth first; returns the count.
fn write_pages(cmd: &clap::Command, dir: &Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        n += write_pages(sub, dir)?;
    }
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let path = dir.join(format!("{name}.1"));
    let page = render(cmd).with_context(|| format!("rendering {name}.1"))?;
    std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    Ok(n + 1)
}

/// One page: clap_mangen's sections, then the `--help` text after the options (examples, exit
/// codes) kept as it is laid out, under NOTES, where clap_mangen would refill it as "EXTRA".
/// The page is ASCII: see [`ascii_roff`].
fn render(cmd: &clap::Command) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let w: &mut dyn Write = &mut buf;
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("cgharness {}", env!("CARGO_PKG_VERSION")));
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
    }
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        let mut r = roff::Roff::new();
        r.control("SH", ["NOTES"]).control("nf", []);
        for line in after.to_string().lines() {
            r.text([roff::roman(line)]);
        }
        r.control("fi", []);
        r.to_writer(w)?;
    }
    if cmd.get_version().is_some() {
        man.render_version_section(w)?;
    }
    Ok(ascii_roff(&String::from_utf8_lossy(&buf)))
}

/// Replaces each non-ASCII character (≥, ×, →, … in our help texts) with the roff escape
/// `\[uXXXX]`: groff without `-k` and older formatters reject raw UTF-8 input ("invalid input
/// character"), while groff, mandoc and `man` all render the escape as the character.
fn ascii_roff(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_becomes_a_roff_unicode_escape() {
        assert_eq!(
            ascii_roff("≥ 5 × 2 → ok"),
            "\\[u2265] 5 \\[u00D7] 2 \\[u2192] ok"
        );
        assert_eq!(ascii_roff(".TH x\n"), ".TH x\n");
    }
}
