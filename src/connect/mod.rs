//! Kafka Connect's REST API: the client and the response models. Pure I/O against one cluster:
//! it knows nothing of snapshots, metrics or configuration sources.

mod client;
mod error;
mod model;

pub use client::{
    BasicAuth, BuildError, ClientSettings, ConnectClient, ExpandForm, Lookup, USER_AGENT,
};
pub use error::{ConnectError, Reason, classify_status, is_plain_http_refused, is_starting_worker};
pub use model::{
    ConnectorConfig, ConnectorInfo, ConnectorStatus, Expanded, Listing, ServerInfo, State,
    StateEntry, TaskId, TaskInfo, TaskState, exception_class,
};
