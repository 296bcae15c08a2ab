//! Test support for the web configuration's TLS: certificates made with rcgen, a directory of
//! files for a web configuration, a server that answers with the principal it sees, a client.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use kconnect_exporter::web::WebConfig;

pub struct Ca {
    pub issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, as PEM and as rustls takes them.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
    pub key_der: Vec<u8>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        Ca {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    pub fn server(&self, cn: &str) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        self.sign(params)
    }

    /// A client certificate; `cn: None` gives a subject with an organisation only.
    pub fn client(&self, cn: Option<&str>, sans: &[SanType]) -> Leaf {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        // rcgen puts a CN of its own in a new certificate's subject
        params.distinguished_name = rcgen::DistinguishedName::new();
        match cn {
            Some(cn) => params.distinguished_name.push(DnType::CommonName, cn),
            None => {
                params
                    .distinguished_name
                    .push(DnType::OrganizationName, "Acme");
                params
                    .distinguished_name
                    .push(DnType::OrganizationalUnitName, "Ops");
            }
        }
        params.subject_alt_names = sans.to_vec();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(params)
    }

    pub fn sign(&self, params: CertificateParams) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }
}

/// A directory holding server.crt, server.key, clients.pem and web.yml.
pub struct Files {
    pub dir: tempfile::TempDir,
}

impl Files {
    pub fn new(server: &Leaf, clients_ca: &Ca) -> Files {
        let files = Files {
            dir: tempfile::tempdir().unwrap(),
        };
        files.server(server);
        files.write("clients.pem", &clients_ca.pem());
        files
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    pub fn server(&self, leaf: &Leaf) {
        self.write("server.crt", &leaf.cert_pem);
        self.write("server.key", &leaf.key_pem);
    }

    /// Loads web.yml holding `yaml`, with the files checked again on every handshake.
    pub fn config(&self, yaml: &str) -> WebConfig {
        self.write("web.yml", yaml);
        let path = self.path("web.yml");
        WebConfig::from_text(&path, yaml, Duration::ZERO).unwrap()
    }
}

/// What the server saw of one connection: the principal, or why the handshake failed.
pub type Seen = Result<Option<String>, String>;

/// Serves `config` on 127.0.0.1, answering each connection with the principal it names.
pub async fn serve(
    config: &WebConfig,
) -> (
    u16,
    mpsc::UnboundedReceiver<Seen>,
    tokio::task::JoinHandle<()>,
) {
    let tls = config.tls.clone().expect("a TLS configuration");
    let acceptor = tls.acceptor();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            match acceptor.accept(tcp).await {
                Ok(mut stream) => {
                    let principal = tls.client_principal(stream.get_ref().1);
                    let line = format!("{}\n", principal.as_deref().unwrap_or("-"));
                    let _ = stream.write_all(line.as_bytes()).await;
                    let _ = stream.shutdown().await;
                    let _ = tx.send(Ok(principal));
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        }
    });
    (port, rx, task)
}

/// What the client got: the server's certificate, the negotiated protocol version and ALPN,
/// and the line the server wrote.
#[derive(Debug)]
pub struct Got {
    pub server_cert: CertificateDer<'static>,
    pub version: rustls::ProtocolVersion,
    pub alpn: Option<Vec<u8>>,
    pub line: String,
}

pub struct Client {
    pub versions: Vec<&'static rustls::SupportedProtocolVersion>,
    pub alpn: Vec<Vec<u8>>,
    pub identity: Option<(Vec<CertificateDer<'static>>, Vec<u8>)>,
}

impl Client {
    pub fn new() -> Client {
        Client {
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            alpn: vec![],
            identity: None,
        }
    }

    pub fn with_cert(mut self, leaf: &Leaf) -> Client {
        self.identity = Some((vec![leaf.der.clone()], leaf.key_der.clone()));
        self
    }

    pub async fn connect(&self, port: u16, ca: &Ca) -> Result<Got, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.issuer.der().clone()).unwrap();
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&self.versions)
            .unwrap()
            .with_root_certificates(roots);
        let mut config = match &self.identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), PrivateKeyDer::Pkcs8(key.clone().into()))
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn.clone();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let mut stream = connector
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        let (_, conn) = stream.get_ref();
        let server_cert = conn.peer_certificates().unwrap()[0].clone().into_owned();
        let version = conn.protocol_version().unwrap();
        let alpn = conn.alpn_protocol().map(<[u8]>::to_vec);
        // Under TLS 1.3 a refused client certificate shows when reading.
        let mut line = String::new();
        stream
            .read_to_string(&mut line)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Got {
            server_cert,
            version,
            alpn,
            line,
        })
    }
}

pub fn yaml(client_auth: &str, extra: &str) -> String {
    format!(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  \
         client_auth_type: {client_auth}\n{extra}"
    )
}
