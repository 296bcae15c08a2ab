//! A running exporter process, for the tests that start the binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

pub const DEADLINE: Duration = Duration::from_secs(20);

/// A running exporter whose stderr (JSON logs) is read line by line; killed if the test fails.
pub struct Exporter {
    pub child: Child,
    pub lines: Receiver<String>,
    pub seen: Vec<String>,
}

impl Exporter {
    pub fn start(bin: &str, flags: &[&str], vars: &[(&str, &str)]) -> Exporter {
        let mut cmd = Command::new(bin);
        if !flags.iter().any(|f| f.starts_with("--web.listen-address")) {
            cmd.arg("--web.listen-address=127.0.0.1:0");
        }
        cmd.arg("--log.format=json")
            .args(flags)
            .env_clear()
            .envs(vars.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("the exporter starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Exporter {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a log line whose `message` is `message` and returns it parsed.
    pub fn wait_log(&mut self, message: &str) -> serde_json::Value {
        let until = Instant::now() + DEADLINE;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                        && v["message"] == message
                    {
                        return v;
                    }
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "no log line {message:?} within {DEADLINE:?}; saw:\n{}",
                        self.seen.join("\n")
                    )
                }
            }
        }
    }

    pub fn address(&mut self) -> String {
        let line = self.wait_log("serving metrics");
        line["address"].as_str().expect("address field").to_string()
    }

    pub fn sigterm(&mut self) -> i32 {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> i32 {
        let until = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("exited, not killed by a signal");
            }
            assert!(
                Instant::now() < until,
                "the exporter did not exit within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
