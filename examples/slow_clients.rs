//! Measures what stalled webhook bodies cost the server (run by scripts/slow-clients).
//!
//! N clients on loopback each send the headers of `POST /webhooks/gigs` with a
//! Content-Length near 1 MiB and most of that body, then stall. It reads the server's RSS
//! (/proc/PID/status VmRSS) idle, during the flood (the peak) and some seconds after the
//! clients leave, and how long the server holds each connection (connect to the server's
//! close). The signature is well-formed (a 32-byte MAC) but wrong, so the server must read
//! the body before it can refuse it: the worst case. It gives up waiting after --limit-secs, so it always ends. Prints `name=value`.
use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use clap::Parser;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout_at,
};

#[derive(Debug, Parser)]
struct Args {
    /// The server, on loopback, e.g. 127.0.0.1:8080.
    #[arg(long)]
    addr: SocketAddr,
    /// The server's process id, whose RSS is read.
    #[arg(long)]
    pid: u32,
    /// How many stalled clients.
    #[arg(long, default_value_t = 300)]
    clients: usize,
    /// The Content-Length each declares (at most 1 MiB passes the server's early check).
    #[arg(long, default_value_t = 1_048_000)]
    content_length: usize,
    /// How much of the body each sends before it stalls.
    #[arg(long, default_value_t = 900_000)]
    body_bytes: usize,
    /// Stop waiting for the server to close the connections after this many seconds.
    #[arg(long, default_value_t = 60)]
    limit_secs: u64,
    /// How long after the clients leave to read the RSS again (the server hands freed heap
    /// back every 10 s).
    #[arg(long, default_value_t = 15)]
    settle_secs: u64,
    /// `webhooks`: every client stalls a Gigs webhook; `mixed`: a third each on the
    /// webhook, on the Resend bounce route (well-formed signature headers) and on the
    /// Postmark bounce route (no credentials).
    #[arg(long, default_value = "webhooks")]
    routes: String,
    /// When given, a signed webhook (a small, real event) is sent every 250 ms during the
    /// flood, and how long each took to be answered is printed: the one that must not wait.
    #[arg(long)]
    probe_secret: Option<String>,
}

/// What one client saw.
#[derive(Debug, Default)]
struct Outcome {
    connected: bool,
    sent: usize,
    /// Connect to the server's close (EOF or reset), if it closed before the limit.
    held: Option<Duration>,
    /// The status code of an answer the server sent, if any.
    answer: Option<u16>,
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

async fn stalled_client(i: usize, args: Arc<Args>, deadline: tokio::time::Instant) -> Outcome {
    let mut outcome = Outcome::default();
    let started = Instant::now();
    let Ok(Ok(mut stream)) = timeout_at(deadline, TcpStream::connect(args.addr)).await else {
        return outcome;
    };
    outcome.connected = true;
    let now = chrono::Utc::now().timestamp();
    let (path, length) = match (args.routes.as_str(), i % 3) {
        ("mixed", 1) => ("/webhooks/bounces/resend", args.content_length.min(300_000)),
        ("mixed", 2) => (
            "/webhooks/bounces/postmark",
            args.content_length.min(300_000),
        ),
        _ => ("/webhooks/gigs", args.content_length),
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nwebhook-id: msg_slow_{i}\r\nwebhook-timestamp: {now}\r\n\
         webhook-signature: v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
        args.addr
    );
    // Every client stalls: a tenth of its body never comes.
    let body_bytes = args.body_bytes.min(length * 9 / 10);
    let chunk = vec![b' '; 64 * 1024];
    let send = async {
        stream.write_all(head.as_bytes()).await?;
        while outcome.sent < body_bytes {
            let n = chunk.len().min(body_bytes - outcome.sent);
            stream.write_all(&chunk[..n]).await?;
            outcome.sent += n;
        }
        std::io::Result::Ok(())
    };
    let sent = timeout_at(deadline, send).await;
    if !matches!(sent, Ok(Ok(()))) {
        // The server closed or reset while the body was going out, or the limit came.
        if matches!(sent, Ok(Err(_))) {
            outcome.held = Some(started.elapsed());
        }
        return outcome;
    }
    // Stall: send nothing more, and wait for the server to answer or close.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => break,
            Ok(Ok(0)) | Ok(Err(_)) => {
                outcome.held = Some(started.elapsed());
                break;
            }
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
        }
    }
    outcome.answer = std::str::from_utf8(&answer)
        .ok()
        .and_then(|a| a.split(' ').nth(1))
        .and_then(|code| code.parse().ok());
    outcome
}

#[tokio::main]
async fn main() {
    let args = Arc::new(Args::parse());
    assert!(
        args.addr.ip().is_loopback(),
        "slow_clients only targets loopback addresses"
    );
    let limit = Duration::from_secs(args.limit_secs);
    let rss_idle = rss_kib(args.pid);

    // The peak RSS while the clients are connected.
    let peak = Arc::new(AtomicU64::new(rss_idle));
    let sampler = {
        let (peak, pid) = (peak.clone(), args.pid);
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + limit;
    let clients: Vec<_> = (0..args.clients)
        .map(|i| tokio::spawn(stalled_client(i, args.clone(), deadline)))
        .collect();
    let flooding = tokio_util::sync::CancellationToken::new();
    let probe = args
        .probe_secret
        .clone()
        .map(|secret| tokio::spawn(probe(args.addr, secret, flooding.clone())));
    let mut outcomes = Vec::with_capacity(clients.len());
    for client in clients {
        outcomes.push(client.await.unwrap_or_default());
    }
    flooding.cancel();
    let probed = match probe {
        Some(p) => Some(p.await.unwrap_or_default()),
        None => None,
    };
    let flood_secs = started.elapsed().as_secs_f64();
    // Every client has returned, so each connection is closed on our side: the clients left.
    sampler.abort();
    let rss_flood = peak.load(Ordering::Relaxed).max(rss_kib(args.pid));
    let early = Duration::from_secs(args.settle_secs.min(5));
    tokio::time::sleep(early).await;
    let rss_after_early = rss_kib(args.pid);
    tokio::time::sleep(Duration::from_secs(args.settle_secs) - early).await;
    let rss_after = rss_kib(args.pid);

    let connected = outcomes.iter().filter(|o| o.connected).count();
    let fully_sent = outcomes
        .iter()
        .filter(|o| o.sent >= args.body_bytes)
        .count();
    let held: Vec<f64> = outcomes
        .iter()
        .filter_map(|o| o.held.map(|d| d.as_secs_f64()))
        .collect();
    let open_at_limit = outcomes
        .iter()
        .filter(|o| o.connected && o.held.is_none())
        .count();
    let mut answers: BTreeMap<u16, usize> = BTreeMap::new();
    for code in outcomes.iter().filter_map(|o| o.answer) {
        *answers.entry(code).or_default() += 1;
    }
    // A connection still open when we gave up was held at least the whole limit.
    let held_max = if open_at_limit > 0 {
        limit.as_secs_f64()
    } else {
        held.iter().copied().fold(0.0, f64::max)
    };
    let held_min = held.iter().copied().fold(f64::INFINITY, f64::min);
    let answers = answers
        .iter()
        .map(|(code, n)| format!("{code}:{n}"))
        .collect::<Vec<_>>()
        .join(",");

    println!("slow_clients={}", args.clients);
    println!("connected={connected}");
    println!("body_sent_full={fully_sent}");
    println!("content_length={}", args.content_length);
    println!("body_bytes={}", args.body_bytes);
    println!("rss_idle_mb={}", mib(rss_idle));
    println!("rss_flood_mb={}", mib(rss_flood));
    println!("rss_after_{}s_mb={}", early.as_secs(), mib(rss_after_early));
    println!("rss_after_mb={}", mib(rss_after));
    println!("settle_s={}", args.settle_secs);
    println!("held_s_max={held_max:.1}");
    if held.is_empty() {
        println!("held_s_min=none");
    } else {
        println!("held_s_min={held_min:.1}");
    }
    println!("closed_by_server={}", held.len());
    println!("open_at_limit={open_at_limit}");
    println!("limit_s={}", args.limit_secs);
    println!(
        "answers={}",
        if answers.is_empty() { "none" } else { &answers }
    );
    println!("flood_s={flood_secs:.1}");
    if let Some(mut times) = probed {
        let answered = times.iter().filter(|t| t.is_some()).count();
        let mut ms: Vec<f64> = times.drain(..).flatten().collect();
        ms.sort_by(f64::total_cmp);
        println!("probe_sent={}", answered + times.len());
        println!("probe_answered={answered}");
        println!(
            "probe_p50_ms={:.0}",
            ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN)
        );
        println!("probe_max_ms={:.0}", ms.last().copied().unwrap_or(f64::NAN));
    }
}

/// Signed webhooks, one every 250 ms while the flood lasts: how long each waited for its
/// 2xx (`None`: no 2xx within 15 s, Svix's timeout).
async fn probe(
    addr: SocketAddr,
    secret: String,
    flooding: tokio_util::sync::CancellationToken,
) -> Vec<Option<f64>> {
    use esim_courier::webhooks::{WebhookSecret, signed_post};
    let secret = WebhookSecret::parse(&secret).expect("a webhook secret");
    let client = esim_courier::tls::client_builder()
        .timeout(Duration::from_secs(15))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = format!("http://{addr}/webhooks/gigs");
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut sent = tokio::task::JoinSet::new();
    let mut n = 0u64;
    while !flooding.is_cancelled() {
        tokio::select! {
            _ = flooding.cancelled() => break,
            _ = tick.tick() => {}
        }
        n += 1;
        let body = format!(
            r#"{{"object":"event","id":"evt_probe{n}","type":"com.gigs.user.updated","data":{{}}}}"#
        );
        let request = signed_post(
            &client,
            &url,
            &secret,
            &format!("msg_probe{n}"),
            body.into_bytes(),
        );
        sent.spawn(async move {
            let started = Instant::now();
            match request.send().await {
                Ok(r) if r.status().is_success() => Some(started.elapsed().as_secs_f64() * 1000.0),
                _ => None,
            }
        });
    }
    sent.join_all().await
}
