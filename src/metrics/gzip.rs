//! One gzip member (RFC 1952) made of parts compressed at different times.
//!
//! The clusters' part of the exposition is compressed once per set of snapshots and shared by
//! every scrape; the head (scrape count, process metrics) is compressed per scrape. Both are raw
//! DEFLATE streams ended with a sync flush, which leaves them at a byte boundary with no final
//! block, so they can be laid one after the other; a final empty block, the CRC-32 of the whole
//! text (combined from the parts' CRCs) and its length close the member. Every gzip reader reads
//! the result, not only those that accept several members (curl, browsers and most HTTP client
//! libraries read only the first).

use std::fmt;

use axum::body::Bytes;
use flate2::{Compress, Compression, FlushCompress};

/// The gzip header: magic, DEFLATE, no flags, no time, no extra flags, unknown OS.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// A final, empty block with fixed Huffman codes: BFINAL=1, BTYPE=01, end-of-block (10 bits).
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// A raw DEFLATE stream ended with a sync flush, with the CRC-32 and length of its text.
#[derive(Debug, Clone)]
pub struct Part {
    pub bytes: Bytes,
    crc: crc32fast::Hasher,
    len: u64,
}

/// A `fmt::Write` that compresses what is written to it into a [`Part`].
pub struct Deflater {
    z: Compress,
    out: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
}

impl Deflater {
    pub fn new() -> Deflater {
        // Fast compression: at 10,000 connectors the clusters' part is ~33 MB of text, rebuilt
        // every observation; level 1 already shrinks it about 30-fold.
        Deflater {
            z: Compress::new(Compression::fast(), false),
            out: Vec::new(),
            crc: crc32fast::Hasher::new(),
            len: 0,
        }
    }

    fn feed(&mut self, mut input: &[u8], flush: FlushCompress) {
        loop {
            if self.out.capacity() - self.out.len() < 4096 {
                self.out.reserve(64 * 1024);
            }
            let before = self.z.total_in();
            self.z
                .compress_vec(input, &mut self.out, flush)
                .expect("compressing into memory cannot fail");
            input = &input[(self.z.total_in() - before) as usize..];
            // Done when the input is taken and the output did not fill the space it had (a
            // flush may have more to write otherwise).
            if input.is_empty() && self.out.len() < self.out.capacity() {
                return;
            }
        }
    }

    /// Ends the stream with a sync flush.
    pub fn finish(mut self) -> Part {
        self.feed(&[], FlushCompress::Sync);
        Part {
            bytes: Bytes::from(self.out),
            crc: self.crc,
            len: self.len,
        }
    }
}

impl Default for Deflater {
    fn default() -> Self {
        Deflater::new()
    }
}

impl fmt::Write for Deflater {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.crc.update(s.as_bytes());
        self.len += s.len() as u64;
        self.feed(s.as_bytes(), FlushCompress::None);
        Ok(())
    }
}

/// The gzip member of `parts` in order, as three pieces: the header with the first part, the
/// second part as it is (shared, not copied), and the trailer.
pub fn member(first: &Part, second: &Part) -> [Bytes; 3] {
    let mut head = Vec::with_capacity(HEADER.len() + first.bytes.len());
    head.extend_from_slice(&HEADER);
    head.extend_from_slice(&first.bytes);
    let mut crc = first.crc.clone();
    crc.combine(&second.crc);
    let len = first.len + second.len;
    let mut tail = Vec::with_capacity(10);
    tail.extend_from_slice(&FINAL_BLOCK);
    tail.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE is the length modulo 2^32.
    tail.extend_from_slice(&(len as u32).to_le_bytes());
    [Bytes::from(head), second.bytes.clone(), Bytes::from(tail)]
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::io::Read;

    use super::*;

    fn part(text: &str) -> Part {
        let mut d = Deflater::new();
        d.write_str(text).unwrap();
        d.finish()
    }

    #[test]
    fn two_parts_make_one_member_any_reader_reads_whole() {
        let big: String = (0..50_000).map(|i| format!("line {i}\n")).collect();
        for (a, b) in [
            ("", ""),
            ("head\n", ""),
            ("", "tail\n"),
            ("head\n", big.as_str()),
        ] {
            let pieces = member(&part(a), &part(b));
            let body: Vec<u8> = pieces.iter().flat_map(|p| p.iter().copied()).collect();
            // A single-member reader: it stops at the end of the first member.
            let mut text = String::new();
            flate2::read::GzDecoder::new(body.as_slice())
                .read_to_string(&mut text)
                .expect("a valid gzip member");
            assert_eq!(text, format!("{a}{b}"));
            // And nothing follows the member.
            let mut d = flate2::bufread::GzDecoder::new(body.as_slice());
            d.read_to_end(&mut Vec::new()).unwrap();
            assert_eq!(d.into_inner(), &[] as &[u8]);
        }
    }
}
