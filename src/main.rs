//! The `cgharness` binary: parse the command line, run one command, print `error: …` and exit
//! with the code the outcome maps to. As PID 1 inside our VM it is the guest's init instead.

use clap::Parser;

fn main() {
    if std::process::id() == 1 {
        cgharness::vm::guest::main_as_init();
    }
    let cli = cgharness::cli::Cli::parse();
    let bisect = cli.bisect;
    let status = match cgharness::cli::dispatch(cli) {
        Ok(exit) => exit,
        Err(err) => {
            eprintln!("error: {err:#}");
            cgharness::exit::exit_of(&err)
        }
    };
    cgharness::interrupt::die_if_interrupted();
    std::process::exit(status.code(bisect));
}
