//! `completions SHELL` and `man`, read by their real consumers where the machine has them:
//! bash sources the script and completes a word, zsh and fish when installed (skipped with a
//! reason otherwise), and the man page is formatted by `man -l` or groff (roff structure
//! checked when neither is installed).

mod common;
use common::{cgharness, ok_stdout};
use std::io::Write;
use std::process::{Command, Stdio};

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "elvish", "powershell"];

fn script(shell: &str) -> String {
    ok_stdout(cgharness().args(["completions", shell]))
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs `program -c code` with the script in a file named as the shell expects; its stdout.
fn in_shell(program: &str, file: &str, s: &str, code: &str) -> String {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join(file), s).unwrap();
    let o = Command::new(program)
        .arg("-c")
        .arg(code)
        .current_dir(d.path())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn every_shell_gets_a_script_naming_the_real_subcommands_and_not_the_internal_ones() {
    for shell in SHELLS {
        let s = script(shell);
        assert!(s.len() > 1000, "{shell}: {} bytes", s.len());
        for sub in ["vm", "run", "compare", "kernel", "completions", "man"] {
            assert!(s.contains(sub), "{shell} script lacks {sub}");
        }
        assert!(s.contains("boots"), "{shell}: vm's --boots is offered");
        for hidden in ["reap", "host-root", "oom-notice"] {
            assert!(!s.contains(hidden), "{shell} offers the internal {hidden}");
        }
    }
}

#[test]
fn bash_sources_the_script_and_completes_words() {
    let out = in_shell(
        "bash",
        "cgharness.bash",
        &script("bash"),
        "source ./cgharness.bash && complete -p cgharness && \
         COMP_WORDS=(cgharness vm --ke); COMP_CWORD=2; _cgharness cgharness --ke vm; \
         echo \"vm: ${COMPREPLY[*]}\"; \
         COMP_WORDS=(cgharness completions ''); COMP_CWORD=2; _cgharness cgharness '' completions; \
         echo \"completions: ${COMPREPLY[*]}\"",
    );
    assert!(out.contains("-F _cgharness cgharness"), "{out}");
    assert!(out.contains("vm: --kernel\n"), "{out}");
    for shell in SHELLS {
        assert!(
            out.lines()
                .any(|l| l.starts_with("completions:") && l.contains(shell)),
            "{out}"
        );
    }
}

#[test]
fn zsh_registers_the_completion_when_installed() {
    if !installed("zsh") {
        eprintln!("skipped: zsh is not installed (the script's text is checked above)");
        return;
    }
    let out = in_shell(
        "zsh",
        "_cgharness",
        &script("zsh"),
        "fpath=(. $fpath); autoload -U compinit && compinit -u -D && source ./_cgharness; \
         print -r -- \"comp: $_comps[cgharness]\"",
    );
    assert!(out.contains("comp: _cgharness"), "{out}");
}

#[test]
fn fish_completes_words_when_installed() {
    if !installed("fish") {
        eprintln!("skipped: fish is not installed (the script's text is checked above)");
        return;
    }
    let out = in_shell(
        "fish",
        "cgharness.fish",
        &script("fish"),
        "source ./cgharness.fish; complete -C 'cgharness vm --ke'; complete -C 'cgharness comp'",
    );
    assert!(out.contains("--kernel"), "{out}");
    assert!(out.contains("completions"), "{out}");
}

#[test]
fn an_unknown_shell_is_a_usage_error_naming_the_choices() {
    cgharness()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bash"));
}

/// The page formatted as a reader sees it: `man -l -`, else groff; None when neither exists.
fn formatted(page: &str) -> Option<String> {
    let runs: [(&str, &[&str]); 2] = [
        ("man", &["-l", "-"]),
        // -P-cbou: plain text, no overstrike or SGR bold.
        ("groff", &["-man", "-Tutf8", "-ww", "-P-cbou"]),
    ];
    for (program, args) in runs {
        let Ok(mut child) = Command::new(program)
            .args(args)
            .env("MANWIDTH", "120")
            .env("LC_ALL", "C.UTF-8")
            .env_remove("MAN_KEEP_FORMATTING")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        else {
            continue;
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && err.trim().is_empty(),
            "{program}: {err}"
        );
        eprintln!("formatted with {program}");
        return Some(String::from_utf8_lossy(&o.stdout).into_owned());
    }
    eprintln!("neither man nor groff is installed: checking the roff structure only");
    None
}

#[test]
fn the_man_page_renders_with_its_subcommands_and_notes() {
    let page = ok_stdout(cgharness().arg("man"));
    assert!(page.is_ascii(), "non-ASCII characters are escaped");
    for part in [".TH cgharness 1", ".SH NAME", ".SH SYNOPSIS", ".SH NOTES"] {
        assert!(page.contains(part), "{part} in:\n{page}");
    }
    let shown = formatted(&page).unwrap_or(page);
    for sub in ["cgharness-vm(1)", "cgharness-run(1)", "cgharness-man(1)"] {
        assert!(shown.contains(sub), "{sub} in:\n{shown}");
    }
    assert!(
        !shown.contains("cgharness-reap"),
        "internal commands are left out"
    );
}

#[test]
fn man_out_writes_a_page_per_subcommand_that_renders() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("man1");
    cgharness()
        .args(["man", "--out"])
        .arg(&dir)
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for want in [
        "cgharness.1",
        "cgharness-vm.1",
        "cgharness-kernel-fetch.1",
        "cgharness-k8s-explain.1",
        "cgharness-completions.1",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert!(!names
        .iter()
        .any(|n| n.contains("probe") || n.contains("reap")));
    let vm = std::fs::read_to_string(dir.join("cgharness-vm.1")).unwrap();
    assert!(vm.contains(".TH cgharness-vm 1"));
    let shown = formatted(&vm).unwrap_or(vm);
    for opt in ["--kernel", "--boots", "--include"] {
        assert!(shown.contains(opt), "vm's {opt} is on its page: {shown}");
    }
}

#[test]
fn man_out_on_a_file_is_a_usage_error() {
    let f = tempfile::NamedTempFile::new().unwrap();
    cgharness()
        .args(["man", "--out"])
        .arg(f.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a directory"));
}
