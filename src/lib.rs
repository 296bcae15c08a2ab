//! kconnect-exporter: a Prometheus exporter for Apache Kafka Connect.
//!
//! Data flows one way: [`config`] → one [`observe`] task per Connect cluster (through the
//! [`connect`] client) → immutable snapshots → [`metrics`] encoding → [`http`] `/metrics`.
//! [`msk`] is the client of Amazon MSK Connect. [`app`] wires them together; `main` only parses
//! the command line and maps errors to exit codes.

pub mod access;
pub mod api;
pub mod app;
pub mod config;
pub mod connect;
pub mod http;
pub mod metrics;
pub mod msk;
pub mod observe;
pub mod operate;
pub mod restart;
pub mod secret;
pub mod startup;
pub mod web;
mod yaml;
