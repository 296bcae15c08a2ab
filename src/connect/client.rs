//! The HTTP client for one Connect cluster's REST API: TLS, auth, timeouts, a cap on body size,
//! and the translation of every failure into a [`ConnectError`] with its [`Reason`].

use std::error::Error as StdError;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;
use url::Url;

use super::error::{ConnectError, Reason, classify_status};
use super::model::{
    ConnectorInfo, ConnectorStatus, EachEntry, Expanded, Listing, ServerInfo, TaskInfo,
};
use crate::secret::Secret;

/// The `User-Agent` every request carries, so Connect's access log shows who is calling.
pub const USER_AGENT: &str = concat!("kconnect-exporter/", env!("CARGO_PKG_VERSION"));

/// Everything needed to talk to one cluster; built from the configuration.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// `CONNECT_REST_URL`; may carry a path prefix (a proxy in front of Connect).
    pub base_url: Url,
    pub timeout: Duration,
    pub basic_auth: Option<BasicAuth>,
    /// `CONNECT_PERMISSIVE_SSL`: accept any server certificate.
    pub permissive_tls: bool,
    /// DER certificates from the truststore. When there are any, only they are trusted, as a
    /// Java truststore replaces the default one.
    pub trusted_certs: Vec<Vec<u8>>,
    /// PEM of the client key and certificate chain from the keystore, for mTLS.
    pub identity_pem: Option<Secret>,
    pub max_response_bytes: usize,
}

#[derive(Debug, Clone)]
pub struct BasicAuth {
    pub user: String,
    pub password: Secret,
}

/// The client could not be built from its settings (a bad certificate or key).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(String);

/// A client of one Connect cluster. Cheap to clone; clones share the connection pool and the
/// request counter.
#[derive(Debug, Clone)]
pub struct ConnectClient {
    http: reqwest::Client,
    base: Url,
    basic_auth: Option<BasicAuth>,
    max_response_bytes: usize,
    requests: Arc<AtomicU64>,
}

impl ConnectClient {
    pub fn new(settings: &ClientSettings) -> Result<Self, BuildError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // Connect never redirects; a redirect means a proxy or a wrong URL, which the
            // status classification reports better than following it would.
            .redirect(reqwest::redirect::Policy::none());
        if settings.permissive_tls {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        if !settings.trusted_certs.is_empty() {
            let certs = settings
                .trusted_certs
                .iter()
                .map(|der| reqwest::Certificate::from_der(der))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| BuildError(format!("truststore certificate: {}", e.without_url())))?;
            builder = builder.tls_certs_only(certs);
        }
        if let Some(pem) = &settings.identity_pem {
            let identity = reqwest::Identity::from_pem(pem.expose().as_bytes())
                .map_err(|e| BuildError(format!("keystore: {}", chain(&e))))?;
            builder = builder.identity(identity);
        }
        let http = builder.build().map_err(|e| BuildError(chain(&e)))?;
        Ok(ConnectClient {
            http,
            base: settings.base_url.clone(),
            basic_auth: settings.basic_auth.clone(),
            max_response_bytes: settings.max_response_bytes,
            requests: Arc::new(AtomicU64::new(0)),
        })
    }

    /// How many requests this client (and its clones) has sent.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET /`.
    pub async fn server_info(&self) -> Result<ServerInfo, ConnectError> {
        self.get_json(&[], &[]).await
    }

    /// `GET /connectors`.
    pub async fn connector_names(&self) -> Result<Vec<String>, ConnectError> {
        self.get_json(&["connectors"], &[]).await
    }

    /// `GET /connectors?expand=status&expand=info`, in the repeated form: Apache Connect does
    /// not split a comma-separated value. Each entry of the answer is handed to `each` as it is
    /// parsed.
    pub async fn connectors_expanded<T>(
        &self,
        mut each: impl FnMut(String, Expanded) -> T,
    ) -> Result<Listing<T>, ConnectError> {
        let query = [("expand", "status"), ("expand", "info")];
        let (path, body) = self.get_body(&["connectors"], &query).await?;
        // The JSON type tells the shape: an old Connect ignores `expand` and sends names.
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return decode(&path, &body).map(Listing::NamesOnly);
        }
        let mut de = serde_json::Deserializer::from_slice(&body);
        serde::de::DeserializeSeed::deserialize(EachEntry(&mut each), &mut de)
            .and_then(|entries| de.end().map(|()| entries))
            .map(Listing::Expanded)
            .map_err(|e| decode_error(&path, e))
    }

    /// `GET /connectors/{name}`; `None` when the connector is gone (404).
    pub async fn connector_info(&self, name: &str) -> Result<Option<ConnectorInfo>, ConnectError> {
        absent_on_404(self.get_json(&["connectors", name], &[]).await)
    }

    /// `GET /connectors/{name}/status`; `None` when the connector is gone or has no status yet.
    pub async fn connector_status(
        &self,
        name: &str,
    ) -> Result<Option<ConnectorStatus>, ConnectError> {
        absent_on_404(self.get_json(&["connectors", name, "status"], &[]).await)
    }

    /// `GET /connectors/{name}/tasks`; `None` when the connector is gone.
    pub async fn connector_tasks(&self, name: &str) -> Result<Option<Vec<TaskInfo>>, ConnectError> {
        absent_on_404(self.get_json(&["connectors", name, "tasks"], &[]).await)
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<T, ConnectError> {
        let (path, body) = self.get_body(segments, query).await?;
        decode(&path, &body)
    }

    /// Sends one GET and reads the whole body (up to the cap). Returns the request's path for
    /// error messages: the path only, never the URL, which may carry credentials.
    async fn get_body(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<(String, Vec<u8>), ConnectError> {
        let url = self.url(segments, query);
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let mut request = self.http.get(url).header("accept", "application/json");
        if let Some(auth) = &self.basic_auth {
            request = request.basic_auth(&auth.user, Some(auth.password.expose()));
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut response = request
            .send()
            .await
            .map_err(|e| transport_error(&path, &e))?;
        let status = response.status();
        if let Some(len) = response.content_length()
            && len > self.max_response_bytes as u64
        {
            return Err(self.too_large(&path, status.as_u16()));
        }
        let mut body = Vec::with_capacity(
            response
                .content_length()
                .unwrap_or(0)
                .min(self.max_response_bytes as u64) as usize,
        );
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(&path, &e))?
        {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(self.too_large(&path, status.as_u16()));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let message = error_message(&body);
            let reason = classify_status(status.as_u16(), &message);
            return Err(ConnectError::new(
                reason,
                path,
                format!("HTTP {}: {message}", status.as_u16()),
            )
            .with_status(status.as_u16()));
        }
        Ok((path, body))
    }

    fn too_large(&self, path: &str, status: u16) -> ConnectError {
        ConnectError::new(
            Reason::TooLarge,
            path,
            format!(
                "response body exceeds {} bytes (raise --connect.max-response-bytes)",
                self.max_response_bytes
            ),
        )
        .with_status(status)
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        {
            // The url crate percent-encodes each segment, so a connector named `a/b "c"` stays
            // one segment.
            let mut path = url
                .path_segments_mut()
                .expect("CONNECT_REST_URL was validated to be an http(s) URL, which has a path");
            path.pop_if_empty();
            path.extend(segments);
        }
        if query.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(query);
        }
        url
    }
}

fn absent_on_404<T>(result: Result<T, ConnectError>) -> Result<Option<T>, ConnectError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.status == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

fn decode<T: DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, ConnectError> {
    serde_json::from_slice(body).map_err(|e| decode_error(path, e))
}

fn decode_error(path: &str, e: serde_json::Error) -> ConnectError {
    ConnectError::new(
        Reason::Decode,
        path,
        format!("unexpected response body: {e}"),
    )
}

/// Connect's error body is `{"error_code": n, "message": "…"}`; the basic-auth extension and
/// proxies send plain text or HTML instead.
fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: Option<String>,
    }
    if let Ok(ErrorBody { message: Some(m) }) = serde_json::from_slice::<ErrorBody>(body) {
        return m;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn transport_error(path: &str, e: &reqwest::Error) -> ConnectError {
    let reason = if e.is_timeout() {
        Reason::Timeout
    } else if is_tls(e) {
        Reason::Tls
    } else {
        Reason::Connect
    };
    ConnectError::new(reason, path, chain(e))
}

fn is_tls(e: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if err.is::<rustls::Error>() {
            return true;
        }
        // An io::Error's `source()` skips the error it wraps, which is where tokio-rustls puts
        // the rustls error: step into it instead.
        current = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    false
}

/// The error and its causes on one line, without the URL reqwest would otherwise print.
fn chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut current: Option<&(dyn StdError + 'static)> = e.source();
    let head = match e.url() {
        Some(_) => {
            if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "cannot connect".to_string()
            } else if e.is_body() {
                "error reading the response body".to_string()
            } else {
                "request failed".to_string()
            }
        }
        None => e.to_string(),
    };
    out.push_str(&head);
    while let Some(err) = current {
        let msg = err.to_string();
        if !msg.is_empty() && !out.ends_with(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        current = err.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> ConnectClient {
        ConnectClient::new(&ClientSettings {
            base_url: Url::parse(base).expect("test URL"),
            timeout: Duration::from_secs(1),
            basic_auth: None,
            permissive_tls: false,
            trusted_certs: vec![],
            identity_pem: None,
            max_response_bytes: 1024,
        })
        .expect("client builds")
    }

    #[test]
    fn names_are_one_percent_encoded_segment_under_any_prefix() {
        let c = client("http://connect:8083/proxy/");
        let url = c.url(&["connectors", "a/b \"c\"?#%", "status"], &[]);
        assert_eq!(
            url.as_str(),
            "http://connect:8083/proxy/connectors/a%2Fb%20%22c%22%3F%23%25/status"
        );
        let c = client("http://connect:8083");
        let url = c.url(&["connectors"], &[("expand", "status"), ("expand", "info")]);
        assert_eq!(
            url.as_str(),
            "http://connect:8083/connectors?expand=status&expand=info"
        );
        assert_eq!(c.url(&[], &[]).as_str(), "http://connect:8083/");
    }

    #[test]
    fn error_messages_come_from_connect_json_or_text() {
        assert_eq!(
            error_message(br#"{"error_code":409,"message":"stale configuration"}"#),
            "stale configuration"
        );
        assert_eq!(
            error_message(b"User cannot access the resource.\n"),
            "User cannot access the resource."
        );
        assert_eq!(error_message(&[b'x'; 300]).chars().count(), 201);
    }
}
