//! The CBOR of Smithy's RPC v2 protocol, which CloudWatch speaks: requests read into JSON values
//! (timestamps, tag 1, become epoch seconds) and the few answers the stand-in sends, written
//! with the types the protocol prescribes (doubles as float64, timestamps as tag 1 + float64).
#![allow(dead_code)]

use minicbor::data::{IanaTag, Tag, Type};
use minicbor::{Decoder, Encoder};
use serde_json::{Map, Number, Value};

const MAX_DEPTH: usize = 32;

/// A whole CBOR item as JSON.
pub fn to_json(bytes: &[u8]) -> Result<Value, String> {
    let mut d = Decoder::new(bytes);
    let v = value(&mut d, 0).map_err(|e| e.to_string())?;
    if d.position() != bytes.len() {
        return Err(format!(
            "{} bytes after the CBOR item",
            bytes.len() - d.position()
        ));
    }
    Ok(v)
}

fn value(d: &mut Decoder<'_>, depth: usize) -> Result<Value, minicbor::decode::Error> {
    if depth > MAX_DEPTH {
        return Err(minicbor::decode::Error::message("nested too deep"));
    }
    Ok(match d.datatype()? {
        Type::Map | Type::MapIndef => {
            let mut m = Map::new();
            let len = d.map()?;
            let mut i = 0u64;
            loop {
                match len {
                    Some(n) if i == n => break,
                    None if d.datatype()? == Type::Break => {
                        d.skip()?;
                        break;
                    }
                    _ => {}
                }
                let key = match value(d, depth + 1)? {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                m.insert(key, value(d, depth + 1)?);
                i += 1;
            }
            Value::Object(m)
        }
        Type::Array | Type::ArrayIndef => {
            let mut a = Vec::new();
            let len = d.array()?;
            loop {
                match len {
                    Some(n) if a.len() as u64 == n => break,
                    None if d.datatype()? == Type::Break => {
                        d.skip()?;
                        break;
                    }
                    _ => {}
                }
                a.push(value(d, depth + 1)?);
            }
            Value::Array(a)
        }
        Type::String | Type::StringIndef => {
            let mut s = String::new();
            for part in d.str_iter()? {
                s.push_str(part?);
            }
            Value::String(s)
        }
        Type::Bool => Value::Bool(d.bool()?),
        Type::Null | Type::Undefined => {
            d.skip()?;
            Value::Null
        }
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Value::from(d.u64()?),
        Type::I8 | Type::I16 | Type::I32 | Type::I64 => Value::from(d.i64()?),
        Type::F16 | Type::F32 | Type::F64 => {
            Number::from_f64(d.f64()?).map_or(Value::Null, Value::Number)
        }
        // Only timestamps are tagged in this protocol; the value is what matters.
        Type::Tag => {
            d.tag()?;
            value(d, depth + 1)?
        }
        other => {
            return Err(minicbor::decode::Error::message(format!(
                "unexpected CBOR type {other}"
            )));
        }
    })
}

/// A writer of definite-length CBOR.
pub struct Writer(Encoder<Vec<u8>>);

impl Writer {
    pub fn new() -> Writer {
        Writer(Encoder::new(Vec::new()))
    }

    pub fn map(&mut self, len: usize) -> &mut Self {
        self.0.map(len as u64).expect("writing to a Vec");
        self
    }

    pub fn array(&mut self, len: usize) -> &mut Self {
        self.0.array(len as u64).expect("writing to a Vec");
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.0.str(s).expect("writing to a Vec");
        self
    }

    pub fn double(&mut self, x: f64) -> &mut Self {
        self.0.f64(x).expect("writing to a Vec");
        self
    }

    /// An epoch-seconds timestamp: tag 1 around a float64.
    pub fn timestamp(&mut self, epoch_secs: f64) -> &mut Self {
        self.0
            .tag(Tag::from(IanaTag::Timestamp))
            .expect("writing to a Vec");
        self.double(epoch_secs)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0.into_writer()
    }
}
