//! Kafka Connect's REST API: the client and the response models. Pure I/O against one cluster:
//! it knows nothing of snapshots, metrics or configuration sources.

mod actions;
mod client;
mod error;
mod model;
mod redact;

pub use actions::Answer;
pub use client::{
    BasicAuth, BuildError, ClientSettings, ConnectClient, ExpandForm, Lookup, USER_AGENT,
};
pub use error::{ConnectError, Reason, classify_status, is_plain_http_refused, is_starting_worker};
pub use model::{
    APACHE_STATES, ActiveTopics, CLOUD_STATES, ConnectorConfig, ConnectorId, ConnectorInfo,
    ConnectorStatus, Expanded, Health, Listing, MSK_STATES, ServerInfo, State, StateEntry, TaskId,
    TaskInfo, TaskState, exception_class,
};
pub use redact::{REDACTED, SECRET_WORDS, is_secret_key, redact_config, redact_value};
