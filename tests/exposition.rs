//! The exposition as a scraper receives it: gzipped as one member that a single-member reader
//! (curl, browsers, most HTTP libraries) reads whole, the clusters' part compressed once per set
//! of snapshots, and a snapshot too old to be current shown as a failed observation.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::*;
use kconnect_exporter::config::ObservationVersion::V2;
use kconnect_exporter::metrics::{Exposition, Format};

/// Decodes like curl and browsers do: the first gzip member only, and nothing may follow it.
fn gunzip(parts: &[axum::body::Bytes]) -> String {
    let joined: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    let mut decoder = flate2::bufread::GzDecoder::new(joined.as_slice());
    let mut out = String::new();
    decoder
        .read_to_string(&mut out)
        .expect("one valid gzip member");
    assert!(
        decoder.into_inner().is_empty(),
        "bytes after the gzip member"
    );
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
async fn gzip_is_one_member_holding_the_exposition_and_rebuilt_only_for_new_snapshots() {
    let server = fixture_server().await;
    let (mut observer, handle) = observer(&cluster("default", &server.uri(), V2), 2);
    observer.observe_once().await;
    let interval = Duration::from_secs(30);
    let exposition = Exposition::new(vec![handle], interval, interval);

    for format in [Format::Text, Format::OpenMetrics] {
        let plain = exposition.encode(format);
        let gz = exposition.encode_gzip(format);
        let text = gunzip(&gz);
        assert_eq!(steady(&text), steady(&plain), "{format:?}");
        assert_eq!(
            sample(&text, "kconnect_connector_state{connect_cluster=\"default\",connector=\"audit-log-sink\",state=\"UNASSIGNED\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
            Some("1")
        );
        if format == Format::OpenMetrics {
            assert!(text.ends_with("# EOF\n") && text.matches("# EOF").count() == 1);
        }
        // A second scrape of the same snapshot reuses the compressed clusters' part.
        let again = exposition.encode_gzip(format);
        assert_eq!(again[1].as_ptr(), gz[1].as_ptr(), "{format:?}: cached");
        assert_eq!(steady(&gunzip(&again)), steady(&plain));
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

#[tokio::test]
async fn the_plain_text_comes_in_pieces_that_join_to_the_whole() {
    let server = fixture_server().await;
    let (mut observer, handle) = observer(&cluster("default", &server.uri(), V2), 2);
    observer.observe_once().await;
    let interval = Duration::from_secs(30);
    let exposition = Exposition::new(vec![handle], interval, interval);
    for format in [Format::Text, Format::OpenMetrics] {
        let pieces: Vec<String> = exposition.text(format).collect();
        assert!(pieces.iter().all(|p| !p.is_empty()));
        assert_eq!(steady(&pieces.concat()), steady(&exposition.encode(format)));
    }
}

#[tokio::test]
async fn a_snapshot_older_than_two_intervals_and_the_timeout_is_not_shown_as_current() {
    let server = fixture_server().await;
    let (mut observer, handle) = observer(&cluster("default", &server.uri(), V2), 2);
    observer.observe_once().await;
    // Stale after 2 × 100 ms + 100 ms, as if the observer had stopped publishing.
    let short = Duration::from_millis(100);
    let exposition = Exposition::new(vec![handle], short, short);
    let first = exposition.encode(Format::Text);
    assert_eq!(
        sample(&first, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("1")
    );
    let until = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = gunzip(&exposition.encode_gzip(Format::Text));
        if sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref() == Some("0") {
            break text;
        }
        assert!(Instant::now() < until, "still current:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        sample(
            &text,
            "kconnect_observation_error{connect_cluster=\"default\",reason=\"deadline\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert!(
        !text.contains("kconnect_connector_state{"),
        "no connector series from a stale snapshot"
    );
    // The plain text agrees with the gzip.
    let plain = exposition.encode(Format::Text);
    assert_eq!(
        sample(&plain, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("0")
    );
}
