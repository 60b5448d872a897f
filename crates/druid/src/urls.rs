//! Which Druid process serves which API, and where each one is.

use crate::DruidError;

/// Where each Druid API is served. The router serves SQL (it forwards
/// `/druid/v2/*` to a broker); the Overlord serves tasks and the sampler, the
/// Coordinator segment load status. With the router's management proxy on,
/// the router forwards those too and one URL is enough; the shipped
/// configuration turns the proxy off (CVE-2025-27888, see druid/README.md)
/// and gives the Overlord's and Coordinator's own URLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DruidUrls {
    pub router: String,
    pub overlord: String,
    pub coordinator: String,
}

impl DruidUrls {
    /// `overlord` and `coordinator` default to `router`.
    pub fn new(
        router: &str,
        overlord: Option<&str>,
        coordinator: Option<&str>,
    ) -> Result<Self, DruidError> {
        let router = checked_url(router)?;
        let or_router = |url: Option<&str>| url.map_or_else(|| Ok(router.clone()), checked_url);
        Ok(Self {
            overlord: or_router(overlord)?,
            coordinator: or_router(coordinator)?,
            router,
        })
    }

    pub(crate) fn of(&self, process: Process) -> &str {
        match process {
            Process::Router => &self.router,
            Process::Overlord => &self.overlord,
            Process::Coordinator => &self.coordinator,
        }
    }

    /// Each distinct URL once, router first.
    pub fn distinct(&self) -> Vec<&str> {
        let mut urls: Vec<&str> = Vec::with_capacity(3);
        for url in [&self.router, &self.overlord, &self.coordinator] {
            if !urls.contains(&url.as_str()) {
                urls.push(url);
            }
        }
        urls
    }
}

impl std::fmt::Display for DruidUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.overlord == self.router && self.coordinator == self.router {
            return f.write_str(&self.router);
        }
        write!(
            f,
            "router {}, overlord {}, coordinator {}",
            self.router, self.overlord, self.coordinator
        )
    }
}

fn checked_url(url: &str) -> Result<String, DruidError> {
    let trimmed = url.trim_end_matches('/');
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        Ok(trimmed.to_owned())
    } else {
        Err(DruidError::BadUrl(url.to_owned()))
    }
}

/// The Druid process an API belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Process {
    Router,
    Overlord,
    Coordinator,
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::json;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    use super::*;
    use crate::DruidClient;

    #[test]
    fn overlord_and_coordinator_default_to_the_router() {
        let urls = DruidUrls::new("http://router:8888/", None, None).expect("valid");
        assert_eq!(urls.router, "http://router:8888");
        assert_eq!(urls.overlord, "http://router:8888");
        assert_eq!(urls.coordinator, "http://router:8888");
        assert_eq!(urls.distinct(), ["http://router:8888"]);
        assert_eq!(urls.to_string(), "http://router:8888");
    }

    #[test]
    fn direct_urls_are_kept_apart_and_each_is_checked() {
        let urls = DruidUrls::new(
            "http://127.0.0.1:58888",
            Some("http://127.0.0.1:58081/"),
            Some("http://127.0.0.1:58081"),
        )
        .expect("valid");
        assert_eq!(urls.overlord, "http://127.0.0.1:58081");
        assert_eq!(urls.coordinator, "http://127.0.0.1:58081");
        assert_eq!(
            urls.distinct(),
            ["http://127.0.0.1:58888", "http://127.0.0.1:58081"]
        );
        assert!(urls.to_string().contains("overlord http://127.0.0.1:58081"));
        assert!(matches!(
            DruidUrls::new("http://router:8888", Some("overlord:8081"), None),
            Err(DruidError::BadUrl(url)) if url == "overlord:8081"
        ));
        assert!(DruidUrls::new("router:8888", None, None).is_err());
    }

    /// A minimal HTTP server on a real loopback port that records each
    /// request's method and path and answers what the client expects of
    /// any Druid API, so the test sees which URL every call went to.
    async fn recording_server() -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let record = Arc::clone(&record);
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut line = String::new();
                    stream.read_line(&mut line).await.expect("request line");
                    let mut length = 0;
                    loop {
                        let mut header = String::new();
                        stream.read_line(&mut header).await.expect("header");
                        if header.trim().is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse().expect("length");
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    stream.read_exact(&mut body).await.expect("body");
                    let request: Vec<&str> = line.split_whitespace().take(2).collect();
                    let path = request[1].split('?').next().unwrap_or_default();
                    record
                        .lock()
                        .expect("lock")
                        .push(format!("{} {path}", request[0]));
                    let answer = match path {
                        "/status/health" => "true".to_owned(),
                        "/status" => json!({"modules": []}).to_string(),
                        "/druid/indexer/v1/task" => json!({"task": "t"}).to_string(),
                        "/druid/indexer/v1/sampler" => json!({"data": []}).to_string(),
                        "/druid/v2/sql" => "[]".to_owned(),
                        p if p.ends_with("/status") => {
                            json!({"status": {"status": "SUCCESS"}}).to_string()
                        }
                        p if p.ends_with("/loadstatus") => json!({"ds": 100.0}).to_string(),
                        _ => "{}".to_owned(),
                    };
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let mut stream = stream.into_inner();
                    stream.write_all(response.as_bytes()).await.expect("write");
                });
            }
        });
        (url, seen)
    }

    fn taken(seen: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
        std::mem::take(&mut *seen.lock().expect("lock"))
    }

    #[tokio::test]
    async fn each_api_goes_to_the_process_that_serves_it() {
        let (router, at_router) = recording_server().await;
        let (overlord, at_overlord) = recording_server().await;
        let (coordinator, at_coordinator) = recording_server().await;
        let urls = DruidUrls::new(&router, Some(&overlord), Some(&coordinator)).expect("urls");
        let client = DruidClient::with_urls(urls, None).expect("client");

        client.healthy().await.expect("healthy");
        assert_eq!(taken(&at_router), ["GET /status/health"]);
        assert_eq!(taken(&at_overlord), ["GET /status/health"]);
        assert_eq!(taken(&at_coordinator), ["GET /status/health"]);

        client.loaded_extensions().await.expect("extensions");
        client.sample(&json!({})).await.expect("sampler");
        client.submit(&json!({"id": "t"})).await.expect("submit");
        client.status("t").await.expect("status");
        client.report("t").await.expect("report");
        client.shutdown("t").await.expect("shutdown");
        assert_eq!(
            taken(&at_overlord),
            [
                "GET /status",
                "POST /druid/indexer/v1/sampler",
                "POST /druid/indexer/v1/task",
                "GET /druid/indexer/v1/task/t/status",
                "GET /druid/indexer/v1/task/t/reports",
                "POST /druid/indexer/v1/task/t/shutdown",
            ]
        );

        client.load_percent("ds", "2024/2025").await.expect("load");
        assert_eq!(
            taken(&at_coordinator),
            ["GET /druid/coordinator/v1/datasources/ds/loadstatus"]
        );

        client.sql("SELECT 1", &[]).await.expect("sql");
        assert_eq!(taken(&at_router), ["POST /druid/v2/sql"]);
        assert!(taken(&at_overlord).is_empty() && taken(&at_coordinator).is_empty());
    }

    #[tokio::test]
    async fn an_unreachable_overlord_is_named_not_the_router() {
        let (router, _) = recording_server().await;
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let overlord = format!("http://{}", closed.local_addr().expect("addr"));
        drop(closed);
        let urls = DruidUrls::new(&router, Some(&overlord), None).expect("urls");
        let client = DruidClient::with_urls(urls, None)
            .expect("client")
            .with_attempts(1);
        match client.status("t").await {
            Err(DruidError::Unreachable { url, .. }) => assert_eq!(url, overlord),
            other => panic!("expected the overlord to be unreachable: {other:?}"),
        }
        match client.healthy().await {
            Err(DruidError::Unreachable { url, .. }) => assert_eq!(url, overlord),
            other => panic!("the health check names the overlord: {other:?}"),
        }
    }
}
