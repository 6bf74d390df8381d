//! Progress of long steps on standard error: on a terminal one line with the step, the item and
//! the elapsed time, redrawn twice a second by a thread of its own (so it moves during a long
//! statement); otherwise a plain line as each long step starts, quiet enough for CI.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The step shown: its text and when it began (empty text: nothing shown).
type Shown = Arc<Mutex<(String, Instant)>>;

pub struct Progress {
    quiet: bool,
    shown: Option<Shown>,
    stop: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

fn redraw(what: &str, since: Instant) {
    let mut e = std::io::stderr();
    let _ = write!(
        e,
        "\r\x1b[2K{} ... {:.1} s",
        what,
        since.elapsed().as_secs_f64()
    );
    let _ = e.flush();
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let (shown, ticker) = if std::io::stderr().is_terminal() && !quiet {
            let shown: Shown = Arc::new(Mutex::new((String::new(), Instant::now())));
            let (s, halt) = (shown.clone(), stop.clone());
            let ticker = std::thread::spawn(move || {
                while !halt.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(500));
                    if let Ok(g) = s.lock() {
                        if !g.0.is_empty() && !halt.load(Ordering::Relaxed) {
                            redraw(&g.0, g.1);
                        }
                    }
                }
            });
            (Some(shown), Some(ticker))
        } else {
            (None, None)
        };
        Progress {
            quiet,
            shown,
            stop,
            ticker,
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
        match &self.shown {
            Some(s) => {
                if let Ok(mut g) = s.lock() {
                    *g = (what.to_string(), Instant::now());
                    redraw(&g.0, g.1);
                }
            }
            None if long && !self.quiet => eprintln!("-- {what}"),
            None => {}
        }
    }

    /// The step is over: clear its line on a terminal.
    pub fn clear(&mut self) {
        if let Some(s) = &self.shown {
            if let Ok(mut g) = s.lock() {
                g.0.clear();
                let _ = write!(std::io::stderr(), "\r\x1b[2K");
            }
        }
    }

    /// Sleep `secs` (the ticker keeps the line moving on a terminal).
    pub fn wait(&mut self, secs: f64) {
        std::thread::sleep(Duration::from_secs_f64(secs.max(0.0)));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}
