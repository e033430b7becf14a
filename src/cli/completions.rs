//! `cgharness completions SHELL`: the shell completion script on stdout (clap_complete), built
//! from the same clap definitions as the parser, so it never drifts from the real options.

use crate::exit::Exit;
use clap::CommandFactory;
use clap_complete::Shell;

const COMPLETIONS_HELP: &str = "\
Where to put it (user-wide; the system-wide places need root):
  bash        cgharness completions bash > ~/.local/share/bash-completion/completions/cgharness
              (bash-completion loads it on first use; system-wide:
              /usr/share/bash-completion/completions/cgharness; or in ~/.bashrc:
              source <(cgharness completions bash))
  zsh         cgharness completions zsh > ~/.zfunc/_cgharness
              and in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath); autoload -U compinit; compinit
              (system-wide: /usr/local/share/zsh/site-functions/_cgharness)
  fish        cgharness completions fish > ~/.config/fish/completions/cgharness.fish
              (system-wide: /usr/share/fish/vendor_completions.d/cgharness.fish)
  elvish      cgharness completions elvish > ~/.config/elvish/lib/cgharness.elv
              and in ~/.config/elvish/rc.elv: use cgharness
  powershell  cgharness completions powershell > cgharness.ps1
              and in $PROFILE: . /path/to/cgharness.ps1

Start a new shell (or source the file) to use it. Regenerate after upgrading cgharness.";

/// Options of `completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = COMPLETIONS_HELP)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for `a.shell` to stdout.
pub fn run(a: CompletionsArgs) -> anyhow::Result<Exit> {
    let mut cmd = visible(&super::Cli::command());
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "cgharness", &mut buf);
    super::write_stdout(&buf)?;
    Ok(Exit::Ok)
}

/// The command without its hidden subcommands and arguments (`probe`, `reap`, `--host-root`):
/// clap_complete offers every one it is given, and a user's Tab should not suggest internals.
fn visible(cmd: &clap::Command) -> clap::Command {
    let mut out = clap::Command::new(cmd.get_name().to_string())
        .visible_aliases(cmd.get_visible_aliases().map(str::to_string));
    if let Some(a) = cmd.get_about() {
        out = out.about(a.clone());
    }
    if let Some(a) = cmd.get_long_about() {
        out = out.long_about(a.clone());
    }
    if let Some(v) = cmd.get_version() {
        out = out.version(v.to_string());
    }
    for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        out = out.arg(a.clone());
    }
    for s in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out = out.subcommand(visible(s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(cmd: &clap::Command) -> Vec<String> {
        cmd.get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect()
    }

    #[test]
    fn hidden_commands_and_flags_are_not_offered() {
        let full = super::super::Cli::command();
        let v = visible(&full);
        assert!(names(&full).contains(&"probe".to_string()));
        let shown = names(&v);
        assert!(shown.contains(&"vm".to_string()) && shown.contains(&"completions".to_string()));
        assert!(!shown.contains(&"probe".to_string()) && !shown.contains(&"reap".to_string()));
        assert!(v.get_arguments().all(|a| a.get_id() != "host_root"));
        let vm = v.find_subcommand("vm").map(|s| s.get_arguments().count());
        let vm_full = full
            .find_subcommand("vm")
            .map(|s| s.get_arguments().count());
        assert_eq!(vm, vm_full, "visible options are all kept");
        v.debug_assert();
    }
}
