//! Progress of long steps on standard error: on a terminal one line redrawn with the step, the
//! item and the elapsed time; otherwise a plain line as each step starts, quiet enough for CI.

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct Progress {
    tty: bool,
    quiet: bool,
    step: String,
    started: Instant,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress {
            tty: std::io::stderr().is_terminal(),
            quiet,
            step: String::new(),
            started: Instant::now(),
        }
    }

    /// A short step begins (`preflight`, `lint`): shown on a terminal only.
    pub fn step(&mut self, what: &str) {
        self.begin(what, false);
    }

    /// A step that can take long (a window, the tests, a migration file): on a terminal as
    /// any step, otherwise as a plain line `-- what`.
    pub fn long_step(&mut self, what: &str) {
        self.begin(what, true);
    }

    fn begin(&mut self, what: &str, long: bool) {
        self.clear();
        self.step = what.to_string();
        self.started = Instant::now();
        if self.quiet {
            return;
        }
        if self.tty {
            self.redraw();
        } else if long {
            eprintln!("-- {what}");
        }
    }

    /// On a terminal, redraw the current step with its elapsed time (call it while waiting).
    pub fn tick(&mut self) {
        if self.tty && !self.quiet && !self.step.is_empty() {
            self.redraw();
        }
    }

    fn redraw(&self) {
        let mut e = std::io::stderr();
        let _ = write!(
            e,
            "\r\x1b[2K{} ... {:.1} s",
            self.step,
            self.started.elapsed().as_secs_f64()
        );
        let _ = e.flush();
    }

    /// The step is over: clear its line on a terminal.
    pub fn clear(&mut self) {
        if self.tty && !self.quiet && !self.step.is_empty() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
        self.step.clear();
    }

    /// Sleep `secs`, redrawing the step once a second on a terminal.
    pub fn wait(&mut self, secs: f64) {
        let end = Instant::now() + std::time::Duration::from_secs_f64(secs);
        while Instant::now() < end {
            let left = end - Instant::now();
            std::thread::sleep(left.min(std::time::Duration::from_millis(500)));
            self.tick();
        }
    }
}
