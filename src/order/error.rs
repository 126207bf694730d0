//! Errors of the order layer. Each has a stable `code()` that reaches JS unchanged.

use thiserror::Error;

/// A Shoppingfeed order that cannot be used, or an operation its status does not allow.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OrderError {
    /// The payload is not JSON at all.
    #[error("order is not valid JSON: {message}")]
    NotJson {
        /// Parser message.
        message: String,
    },
    /// A field has a value that cannot be read.
    #[error("order field `{field}` is invalid: {message}")]
    Malformed {
        /// Path of the field (`items[0].quantity`).
        field: String,
        /// What is wrong, quoting the value.
        message: String,
    },
    /// The order's status does not allow the operation.
    #[error("cannot {operation} order {order_id} in status `{status}`: {reason}")]
    NotAllowed {
        /// Shoppingfeed order id.
        order_id: u64,
        /// Operation asked.
        operation: String,
        /// Current status.
        status: String,
        /// Why.
        reason: String,
    },
}

impl OrderError {
    /// Stable discriminant for JS.
    pub fn code(&self) -> &'static str {
        match self {
            OrderError::NotJson { .. } => "NotJson",
            OrderError::Malformed { .. } => "Malformed",
            OrderError::NotAllowed { .. } => "NotAllowed",
        }
    }
}

/// A shipment refused before anything is recorded or sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShipmentError {
    /// No carrier.
    #[error("carrier is required")]
    CarrierMissing,
    /// Carrier too long or with control characters.
    #[error("carrier `{value}` is not a carrier name")]
    CarrierInvalid {
        /// The value given.
        value: String,
    },
    /// Markup or a script where a carrier name belongs (`<b>UPS</b>`, `javascript:`…).
    #[error("carrier `{value}` looks like markup or a script, not a carrier name")]
    CarrierMarkup {
        /// The value given.
        value: String,
    },
    /// No tracking number.
    #[error("tracking number is required")]
    TrackingNumberMissing,
    /// "0", "N/A", "TBD", "xxxx"…
    #[error("tracking number `{value}` is a placeholder, not a carrier's tracking number")]
    TrackingNumberPlaceholder {
        /// The value given.
        value: String,
    },
    /// Too long or with control characters.
    #[error("tracking number `{value}` is not a tracking number")]
    TrackingNumberInvalid {
        /// The value given.
        value: String,
    },
    /// A URL typed where the number belongs.
    #[error("tracking number `{value}` is a URL: put the carrier's number in trackingNumber and the link in trackingUrl")]
    TrackingNumberIsUrl {
        /// The value given (clipped).
        value: String,
    },
    /// Spaces inside the number (`1Z 999 AA1…`): carriers print them for reading, never send them.
    #[error("tracking number `{value}` contains spaces: type it without spaces, as the carrier's tracking page takes it")]
    TrackingNumberSpaces {
        /// The value given.
        value: String,
    },
    /// Shorter than any carrier issues.
    #[error("tracking number `{value}` is too short: carriers issue at least {min} characters")]
    TrackingNumberTooShort {
        /// The value given.
        value: String,
        /// The minimum length.
        min: usize,
    },
    /// A number the named carrier cannot have issued.
    #[error("tracking number `{value}` does not fit carrier `{carrier}`: {expected}")]
    TrackingNumberFormat {
        /// The value given.
        value: String,
        /// The carrier as typed.
        carrier: String,
        /// The carrier's shape, in words.
        expected: &'static str,
    },
    /// The channel requires a tracking URL and none was given.
    #[error("{channel} requires a tracking URL with each shipment: give trackingUrl")]
    TrackingUrlRequired {
        /// The channel's name.
        channel: String,
    },
    /// Not an absolute http(s) URL, credentials, too long…
    #[error("tracking URL `{value}` {reason}")]
    TrackingUrlInvalid {
        /// The value given (clipped).
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An item id that is not in the order.
    #[error("item {id} is not in this order")]
    ItemUnknown {
        /// Item id given.
        id: u64,
    },
    /// The same item twice.
    #[error("item {id} is listed twice")]
    ItemRepeated {
        /// Item id given.
        id: u64,
    },
    /// Zero, or more than is left to ship.
    #[error("item {id}: quantity {quantity} is not between 1 and the {remaining} left to ship")]
    ItemQuantity {
        /// Item id.
        id: u64,
        /// Quantity asked.
        quantity: u32,
        /// Quantity still to ship.
        remaining: u32,
    },
    /// The channel ships whole orders only.
    #[error("{channel} accepts only whole-order shipments")]
    PartialShipUnsupported {
        /// The channel's name (or "this marketplace").
        channel: String,
    },
    /// Items asked of an order whose lines have no Shoppingfeed item id (the official modules'
    /// orders never have one): there is nothing to name them by in the ship request.
    #[error("this order's lines carry no Shoppingfeed item id: only the whole order can be shipped")]
    ItemIdsMissing,
    /// Everything is shipped already.
    #[error("the order is already fully shipped")]
    AlreadyShipped,
}

impl ShipmentError {
    /// Stable discriminant for JS.
    pub fn code(&self) -> &'static str {
        match self {
            ShipmentError::CarrierMissing => "CarrierMissing",
            ShipmentError::CarrierInvalid { .. } => "CarrierInvalid",
            ShipmentError::CarrierMarkup { .. } => "CarrierMarkup",
            ShipmentError::TrackingNumberMissing => "TrackingNumberMissing",
            ShipmentError::TrackingNumberPlaceholder { .. } => "TrackingNumberPlaceholder",
            ShipmentError::TrackingNumberInvalid { .. } => "TrackingNumberInvalid",
            ShipmentError::TrackingNumberIsUrl { .. } => "TrackingNumberIsUrl",
            ShipmentError::TrackingNumberSpaces { .. } => "TrackingNumberSpaces",
            ShipmentError::TrackingNumberTooShort { .. } => "TrackingNumberTooShort",
            ShipmentError::TrackingNumberFormat { .. } => "TrackingNumberFormat",
            ShipmentError::TrackingUrlRequired { .. } => "TrackingUrlRequired",
            ShipmentError::TrackingUrlInvalid { .. } => "TrackingUrlInvalid",
            ShipmentError::ItemUnknown { .. } => "ItemUnknown",
            ShipmentError::ItemRepeated { .. } => "ItemRepeated",
            ShipmentError::ItemQuantity { .. } => "ItemQuantity",
            ShipmentError::PartialShipUnsupported { .. } => "PartialShipUnsupported",
            ShipmentError::ItemIdsMissing => "ItemIdsMissing",
            ShipmentError::AlreadyShipped => "AlreadyShipped",
        }
    }

    /// The request field the error is about, for forms.
    pub fn field(&self) -> &'static str {
        match self {
            ShipmentError::CarrierMissing | ShipmentError::CarrierInvalid { .. } | ShipmentError::CarrierMarkup { .. } => "carrier",
            ShipmentError::TrackingNumberMissing
            | ShipmentError::TrackingNumberPlaceholder { .. }
            | ShipmentError::TrackingNumberInvalid { .. }
            | ShipmentError::TrackingNumberIsUrl { .. }
            | ShipmentError::TrackingNumberSpaces { .. }
            | ShipmentError::TrackingNumberTooShort { .. }
            | ShipmentError::TrackingNumberFormat { .. } => "trackingNumber",
            ShipmentError::TrackingUrlInvalid { .. } | ShipmentError::TrackingUrlRequired { .. } => "trackingUrl",
            ShipmentError::ItemUnknown { .. }
            | ShipmentError::ItemRepeated { .. }
            | ShipmentError::ItemQuantity { .. }
            | ShipmentError::PartialShipUnsupported { .. }
            | ShipmentError::ItemIdsMissing
            | ShipmentError::AlreadyShipped => "items",
        }
    }
}
