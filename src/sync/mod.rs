//! The engine: import cycle, acknowledgement batching, outbound operations, ticket follow-up. Generic
//! over the host traits; no Wasm and no I/O of its own.

mod acks;
pub mod client;
pub mod engine;
pub mod error;
pub mod host;
mod import;
mod inbound;
pub mod journal;
mod operations;
mod tickets;
pub mod view;

pub use engine::{CycleFailure, CycleReport, Engine, EngineConfig, LogRecord, ReportIssue, discover_stores};
pub use error::SyncError;
pub use host::{Clock, Http, Store, StoreError, TransportError};
pub use journal::{
    CreateOutcome, ImportRecord, ImportState, MAX_JOURNAL_ID, OperationQuery, OperationRecord, OperationState, OrderSnapshot,
};
pub use view::{OperationView, OrderView, ShipmentView, order_view};
