//! Errors of the sync engine.

use super::host::StoreError;
use crate::api::ApiError;
use crate::order::{OrderError, ShipmentError};
use thiserror::Error;

/// Why an engine call failed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SyncError {
    /// The API did not give what was needed, after retries.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The store failed.
    #[error("store error: {0}")]
    Store(#[from] StoreError),
    /// The order or its status does not allow it.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// The shipment is incomplete or implausible.
    #[error(transparent)]
    Shipment(#[from] ShipmentError),
    /// The order was never imported and the API does not know it either.
    #[error("order {id} is not in the journal")]
    UnknownOrder {
        /// Shoppingfeed order id.
        id: u64,
    },
    /// The same operation is already recorded for this order.
    #[error("{operation} of order {id} is already {state}")]
    Duplicate {
        /// Shoppingfeed order id.
        id: u64,
        /// Operation.
        operation: String,
        /// Its state.
        state: String,
    },
    /// A shipment of this order is recorded and not sent yet (by this process or another): a second
    /// one would either be sent too or be lost, so none is recorded until the first has gone.
    #[error(
        "order {id} already has a shipment {state} (tracking number {tracking_number}): nothing new was recorded, a shipment goes \
         once; the next sync sends the recorded one"
    )]
    ShipmentPending {
        /// Shoppingfeed order id.
        id: u64,
        /// The recorded shipment's tracking number.
        tracking_number: String,
        /// Where it stands, for people (`waiting to be sent`, `being sent`).
        state: String,
    },
    /// The channel does not support the operation (API reference §5.12).
    #[error("{channel} does not support {operation}")]
    Unsupported {
        /// Channel name.
        channel: String,
        /// Operation.
        operation: String,
    },
    /// A cycle is already running in this engine.
    #[error("a sync cycle is already running")]
    CycleInProgress,
    /// Another process holds the store's sync lock.
    #[error("another process is syncing this store (lock held)")]
    Locked,
    /// Configuration problem.
    #[error("invalid configuration: {field}: {message}")]
    Config {
        /// Option name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl SyncError {
    /// Stable discriminant for JS (`ApiError`/`OrderError`/`ShipmentError` codes pass through).
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Api(e) => e.code(),
            SyncError::Store(_) => "StoreFailed",
            SyncError::Order(e) => e.code(),
            SyncError::Shipment(e) => e.code(),
            SyncError::UnknownOrder { .. } => "UnknownOrder",
            SyncError::Duplicate { .. } => "Duplicate",
            SyncError::ShipmentPending { .. } => "ShipmentPending",
            SyncError::Unsupported { .. } => "Unsupported",
            SyncError::CycleInProgress => "CycleInProgress",
            SyncError::Locked => "Locked",
            SyncError::Config { .. } => "Config",
        }
    }

    /// The error family, used as the JS error's `name`.
    pub fn name(&self) -> &'static str {
        match self {
            SyncError::Api(_) => "ApiError",
            SyncError::Store(_) => "StoreError",
            SyncError::Order(_) => "OrderError",
            SyncError::Shipment(_) => "ShipmentError",
            SyncError::Config { .. } => "ConfigError",
            _ => "SyncError",
        }
    }
}
