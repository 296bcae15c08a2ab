//! The gzipped exposition: the same text as the plain one, and the clusters' part compressed once
//! per set of snapshots, not once per scrape.

mod common;

use std::io::Read;
use std::time::Duration;

use common::*;
use kconnect_exporter::config::ObservationVersion::V2;
use kconnect_exporter::metrics::{Exposition, Format};

fn gunzip(parts: &[axum::body::Bytes]) -> String {
    let joined: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    let mut out = String::new();
    flate2::read::MultiGzDecoder::new(joined.as_slice())
        .read_to_string(&mut out)
        .expect("valid gzip members");
    out
}

/// Without the lines that change between two encodings of the same snapshots.
fn steady(text: &str) -> String {
    text.lines()
        .filter(|l| !l.contains("process_") && !l.starts_with("kconnect_exporter_scrapes_total"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn gzip_holds_the_same_exposition_and_is_rebuilt_only_for_new_snapshots() {
    let server = fixture_server().await;
    let (mut observer, handle) = observer(&cluster("default", &server.uri(), V2), 2);
    observer.observe_once().await;
    let exposition = Exposition::new(vec![handle], Duration::from_secs(30));

    for format in [Format::Text, Format::OpenMetrics] {
        let plain = exposition.encode(format);
        let gz = exposition.encode_gzip(format);
        let text = gunzip(&gz);
        assert_eq!(steady(&text), steady(&plain), "{format:?}");
        assert!(text.contains("kconnect_connector_state{connect_cluster=\"default\",connector=\"audit-log-sink\",state=\"UNASSIGNED\"} 1"));
        if format == Format::OpenMetrics {
            assert!(text.ends_with("# EOF\n") && text.matches("# EOF").count() == 1);
        }
        // A second scrape of the same snapshot reuses the compressed clusters' part.
        let again = exposition.encode_gzip(format);
        assert_eq!(again[1].as_ptr(), gz[1].as_ptr(), "{format:?}: cached");
    }

    let before = exposition.encode_gzip(Format::Text);
    observer.observe_once().await;
    let after = exposition.encode_gzip(Format::Text);
    assert_ne!(
        after[1].as_ptr(),
        before[1].as_ptr(),
        "a new snapshot is encoded anew"
    );
    let text = gunzip(&after);
    assert_eq!(
        sample(
            &text,
            "kconnect_observations_total{connect_cluster=\"default\",result=\"success\"}"
        )
        .as_deref(),
        Some("2")
    );
}
