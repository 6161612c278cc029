//! A loopback TCP proxy that can be cut (every connection closed, new ones refused) and
//! restored: PostgreSQL or the SMTP server going away without being stopped.
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
};

use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

pub struct Proxy {
    pub port: u16,
    /// `None` while cut; else the token every connection opened since the last restore
    /// ends on at the next cut.
    open: Arc<Mutex<Option<CancellationToken>>>,
    refused: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards each connection to `127.0.0.1:target`.
    pub async fn start(target: u16) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let open = Arc::new(Mutex::new(Some(CancellationToken::new())));
        let refused = Arc::new(AtomicU64::new(0));
        let (o, r) = (open.clone(), refused.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let token = o.lock().expect("lock").clone();
                match token {
                    Some(cut) => drop(tokio::spawn(forward(client, target, cut))),
                    // Accepted and closed at once: the peer sees the server go away.
                    None => {
                        r.fetch_add(1, Ordering::Relaxed);
                        drop(client);
                    }
                }
            }
        });
        Ok(Self {
            port,
            open,
            refused,
            task,
        })
    }

    /// Closes every open connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        if let Some(open) = self.open.lock().expect("lock").take() {
            open.cancel();
        }
    }

    pub fn restore(&self) {
        let mut open = self.open.lock().expect("lock");
        open.get_or_insert_with(CancellationToken::new);
    }

    /// Connections refused while cut.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

async fn forward(mut client: TcpStream, target: u16, cut: CancellationToken) {
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", target)).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    tokio::select! {
        _ = copy_bidirectional(&mut client, &mut server) => {}
        _ = cut.cancelled() => {}
    }
}
