//! A small SMTP server over real TCP that keeps what it receives, for tests.
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::Notify,
    task::JoinHandle,
};

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// When the server accepted it: the end of the SMTP transaction (the benchmark's
    /// latency clock).
    #[allow(dead_code)]
    pub at: std::time::Instant,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
    reject: Arc<AtomicBool>,
    throttle: Arc<AtomicUsize>,
    gate: Gate,
    task: JoinHandle<()>,
}

/// While held, a received message's final `250` waits: the moment between the server
/// taking a message and the sender learning it.
#[derive(Clone, Default)]
struct Gate {
    held: Arc<AtomicBool>,
    opened: Arc<Notify>,
}

impl Gate {
    async fn pass(&self) {
        while self.held.load(Ordering::SeqCst) {
            let opened = self.opened.notified();
            tokio::pin!(opened);
            opened.as_mut().enable();
            if !self.held.load(Ordering::SeqCst) {
                return;
            }
            opened.await;
        }
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind SMTP sink");
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let reject = Arc::new(AtomicBool::new(false));
        let throttle = Arc::new(AtomicUsize::new(0));
        let gate = Gate::default();
        let (m, a, r, g) = (mails.clone(), arrived.clone(), reject.clone(), gate.clone());
        let t = throttle.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (m, a, r, g) = (m.clone(), a.clone(), r.clone(), g.clone());
                let t = t.clone();
                tokio::spawn(async move {
                    let _ = session(stream, m, a, (r, t), g).await;
                });
            }
        });
        Self {
            port,
            mails,
            arrived,
            reject,
            throttle,
            gate,
            task,
        }
    }

    /// The next `n` messages are refused as Amazon SES does when sending too fast
    /// (`454 Throttling failure`), and not kept.
    #[allow(dead_code)]
    pub fn throttle_next(&self, n: usize) {
        self.throttle.store(n, Ordering::SeqCst);
    }

    /// From now on, refuses every recipient for good (550), as for a mailbox that
    /// does not exist.
    #[allow(dead_code)]
    pub fn reject_recipients(&self) {
        self.reject.store(true, Ordering::SeqCst);
    }

    /// From now on, holds each message's final reply until `release_replies`.
    #[allow(dead_code)]
    pub fn hold_replies(&self) {
        self.gate.held.store(true, Ordering::SeqCst);
    }

    #[allow(dead_code)]
    pub fn release_replies(&self) {
        self.gate.held.store(false, Ordering::SeqCst);
        self.gate.opened.notify_waiters();
    }

    /// Forgets what was received (the benchmark's phases start empty).
    #[allow(dead_code)]
    pub fn clear(&self) {
        self.mails.lock().unwrap().clear();
    }

    #[allow(dead_code)]
    pub fn count(&self) -> usize {
        self.mails.lock().unwrap().len()
    }

    pub fn mails(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits until `n` mails arrived or the deadline passes; returns what is there.
    pub async fn wait_for(&self, n: usize, deadline: std::time::Duration) -> Vec<ReceivedMail> {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let notified = self.arrived.notified();
            tokio::pin!(notified);
            // Registered before the check, so an arrival in between is not missed.
            notified.as_mut().enable();
            let mails = self.mails();
            if mails.len() >= n || tokio::time::Instant::now() >= until {
                return mails;
            }
            let _ = tokio::time::timeout_at(until, notified).await;
        }
    }

    /// Stops listening; the port then refuses connections, as a server that is down.
    pub async fn stop_accepting(&mut self) -> u16 {
        self.task.abort();
        // Once the task is gone, so is its listener.
        let _ = (&mut self.task).await;
        self.port
    }

    /// Listens again on the same port, keeping what was received.
    pub async fn restart(&mut self, port: u16) {
        let fresh = Self::start_on(port).await;
        fresh.mails.lock().unwrap().extend(self.mails());
        *self = fresh;
    }
}

async fn session(
    stream: TcpStream,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
    (reject, throttle): (Arc<AtomicBool>, Arc<AtomicUsize>),
    gate: Gate,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let upper = text.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = text[10..].trim().to_string();
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") && reject.load(Ordering::SeqCst) {
            b"550 5.1.1 No such mailbox\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(text[8..].trim().trim_matches(['<', '>']).to_string());
            b"250 OK\r\n"
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = Vec::new();
            loop {
                line.clear();
                if read.read_until(b'\n', &mut line).await? == 0 {
                    return Ok(());
                }
                if line == b".\r\n" || line == b".\n" {
                    break;
                }
                // Dot-unstuffing, as RFC 5321 section 4.5.2 asks.
                let body = if line.starts_with(b"..") {
                    &line[1..]
                } else {
                    &line[..]
                };
                data.extend_from_slice(body);
            }
            let throttled = throttle
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if throttled {
                write
                    .write_all(b"454 Throttling failure: Maximum sending rate exceeded.\r\n")
                    .await?;
                continue;
            }
            mails.lock().unwrap().push(ReceivedMail {
                at: std::time::Instant::now(),
                mail_from: from.clone(),
                rcpt_to: to.clone(),
                data,
            });
            arrived.notify_waiters();
            gate.pass().await;
            b"250 OK queued\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
