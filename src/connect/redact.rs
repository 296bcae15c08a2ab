//! Redaction of a connector's configuration before anyone sees it: Connect returns it raw, with
//! plain-text secrets unmasked.
//!
//! The rule, which errs on the side of hiding:
//!
//! 1. A key is split into words at every character that is not a letter or digit and where a
//!    lower-case letter is followed by an upper-case one (`sasl.jaas.config` → sasl, jaas,
//!    config; `clientSecret` → client, secret).
//! 2. Its value is replaced by `[redacted]` when one of the words is in [`SECRET_WORDS`]
//!    (password, secret, token, credentials, jaas, …), when its last word is `key` or `keys`
//!    (`api.key`, `aws.secret.access.key`, `ssl.keystore.key`; `key.converter` is not hidden),
//!    or when it ends in `user.info` (Confluent's `basic.auth.user.info`, `user:password`).
//! 3. In every other value, the password of a URL (`scheme://user:password@host`) and the value
//!    of a `password=`, `pwd=`, `secret=` or `token=` parameter (JDBC and ODBC strings) are
//!    replaced by `[redacted]`.
//! 4. A value that is only a config-provider reference (`${file:/etc/kafka/secrets:db.password}`)
//!    is shown: it says where the secret is, not what it is.

use std::collections::BTreeMap;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Words of a key that make its value secret.
pub const SECRET_WORDS: [&str; 14] = [
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "tokens",
    "credential",
    "credentials",
    "jaas",
    "apikey",
    "privatekey",
    "secretkey",
];

/// Parameters inside a value whose value is secret (`…;password=x;…`, `…&token=x`).
const SECRET_PARAMS: [&str; 4] = ["password", "pwd", "secret", "token"];

/// The configuration with every secret-looking value redacted. Values that are not strings
/// (Connect sends strings only) are shown as JSON text.
pub fn redact_config(config: BTreeMap<String, serde_json::Value>) -> BTreeMap<String, String> {
    config
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            let shown = redact_value(&key, &text);
            (key, shown)
        })
        .collect()
}

/// The value of `key` as it may be shown.
pub fn redact_value(key: &str, value: &str) -> String {
    if is_reference(value) {
        return value.to_string();
    }
    if is_secret_key(key) {
        return REDACTED.to_string();
    }
    redact_params(&redact_url_passwords(value))
}

/// Whether the value of `key` is hidden whole (rules 1 and 2).
pub fn is_secret_key(key: &str) -> bool {
    let words = words(key);
    let last = words.last().map(String::as_str);
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || matches!(last, Some("key" | "keys"))
        || words.ends_with(&["user".to_string(), "info".to_string()])
}

fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// `${provider:path:key}` and nothing else.
fn is_reference(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("${") && v.ends_with('}') && v[2..v.len() - 1].find(['{', '}']).is_none()
}

/// `scheme://user:password@host` → `scheme://user:[redacted]@host`, for every URL in the text.
fn redact_url_passwords(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends at the first `/`, `?`, `#` or space; its userinfo at its last `@`.
        let end = tail
            .find(['/', '?', '#', ' ', ',', ';'])
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..=colon]);
                        out.push_str(REDACTED);
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `…password=x;…` → `…password=[redacted];…` for the parameters of [`SECRET_PARAMS`], in any
/// case, up to the next `&`, `;`, `,` or space.
fn redact_params(value: &str) -> String {
    let lower = value.to_ascii_lowercase();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        let starts_param = i == 0 || matches!(value.as_bytes()[i - 1], b'&' | b';' | b'?' | b' ');
        let param = SECRET_PARAMS.iter().find(|p| {
            starts_param
                && lower[i..].starts_with(**p)
                && lower.as_bytes().get(i + p.len()) == Some(&b'=')
        });
        match param {
            Some(p) => {
                let value_start = i + p.len() + 1;
                let value_end = value[value_start..]
                    .find(['&', ';', ',', ' '])
                    .map_or(value.len(), |e| value_start + e);
                out.push_str(&value[i..value_start]);
                out.push_str(REDACTED);
                i = value_end;
            }
            None => {
                let c = value[i..].chars().next().expect("i is on a char boundary");
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_look_secret_are_hidden_whole() {
        // (key, hidden)
        let rows = [
            ("connection.password", true),
            ("ssl.key.password", true),
            ("ssl.keystore.password", true),
            ("ssl.keystore.key", true),
            ("ssl.keystore.location", false),
            ("sasl.jaas.config", true),
            ("producer.override.sasl.jaas.config", true),
            ("aws.secret.access.key", true),
            ("aws.access.key.id", false),
            ("api.key", true),
            ("apiKey", true),
            ("clientSecret", true),
            ("oauth.client.secret", true),
            ("azure.sas.token", true),
            ("gcp.credentials.json", true),
            ("basic.auth.user.info", true),
            ("schema.registry.basic.auth.user.info", true),
            ("value.converter.basic.auth.credentials.source", true),
            ("key.converter", false),
            ("key.converter.schemas.enable", false),
            ("transforms.route.key", true),
            ("encryption.keys", true),
            ("connection.user", false),
            ("connection.url", false),
            ("topics", false),
            ("tasks.max", false),
            ("mongo.PASSWORD", true),
            ("DB_PWD", true),
            ("keystore", false),
        ];
        for (key, hidden) in rows {
            assert_eq!(is_secret_key(key), hidden, "{key}");
        }
    }

    #[test]
    fn credentials_inside_values_are_hidden() {
        let rows = [
            (
                "connection.uri",
                "mongodb://app:s3cret@db-1:27017,db-2/shop?authSource=admin",
                "mongodb://app:[redacted]@db-1:27017,db-2/shop?authSource=admin",
            ),
            (
                "connection.url",
                "jdbc:postgresql://orders-db.internal:5432/shop",
                "jdbc:postgresql://orders-db.internal:5432/shop",
            ),
            (
                "connection.url",
                "jdbc:mysql://db/shop?user=app&password=s3cret&ssl=true",
                "jdbc:mysql://db/shop?user=app&password=[redacted]&ssl=true",
            ),
            (
                "connection.url",
                "jdbc:sqlserver://db;databaseName=shop;user=app;Password=s3cret",
                "jdbc:sqlserver://db;databaseName=shop;user=app;Password=[redacted]",
            ),
            (
                "endpoint",
                "https://user@host/path and http://a:b@c",
                "https://user@host/path and http://a:[redacted]@c",
            ),
            (
                "query",
                "select * from t where pwd_hint=1",
                "select * from t where pwd_hint=1",
            ),
            ("topics", "orders,refunds", "orders,refunds"),
            (
                "connection.password",
                "${file:/etc/kafka/secrets.properties:orders.db.password}",
                "${file:/etc/kafka/secrets.properties:orders.db.password}",
            ),
            ("connection.password", "${not a reference", REDACTED),
            ("connection.password", "hunter2", REDACTED),
            ("naïve", "café://ü:ß@x", "café://ü:[redacted]@x"),
        ];
        for (key, value, shown) in rows {
            assert_eq!(redact_value(key, value), shown, "{key}={value}");
        }
    }
}
