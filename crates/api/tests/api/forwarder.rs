//! A TCP forwarder in front of a shared service (Druid, the S3 server,
//! Postgres) that a test can switch off and on: while off it refuses to
//! carry anything and cuts the connections it carries, as if the service
//! were down, without touching the service other tests use.

use std::net::SocketAddr;

use tokio::{net::TcpListener, sync::watch};

pub struct Forwarder {
    address: SocketAddr,
    up: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
        self.up.send_replace(false);
    }
}

impl Forwarder {
    /// Forwards a free loopback port to `target` (`host:port`), up at once.
    pub async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (up, watching) = watch::channel(true);
        let target = target.to_owned();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !*watching.borrow() {
                    continue; // dropped: the client sees the connection closed
                }
                let (target, mut down) = (target.clone(), watching.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = down.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { address, up, task }
    }

    /// `host:port` of the forwarder, for URLs.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Off: open connections are cut, new ones closed at once.
    pub fn down(&self) {
        self.up.send_replace(false);
    }

    pub fn up(&self) {
        self.up.send_replace(true);
    }
}

/// `host:port` of a `scheme://[user:password@]host:port[/…]` URL.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_owned()
}
