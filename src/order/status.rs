//! Shoppingfeed order statuses (API reference §4.1), an unknown one kept as it came.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An order status. Statuses outside the documented list (the spec's own example shows `accepted`)
/// are kept in [`OrderStatus::Unknown`] instead of failing the order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum OrderStatus {
    /// Created on the marketplace, payment not yet validated.
    Created,
    /// The store must accept or refuse it.
    WaitingStoreAcceptance,
    /// Refused by the seller.
    Refused,
    /// To ship: the normal importable state.
    WaitingShipment,
    /// Shipped.
    Shipped,
    /// Cancelled by the buyer or the seller.
    Cancelled,
    /// Refunded.
    Refunded,
    /// Partially refunded.
    PartiallyRefunded,
    /// Partially shipped.
    PartiallyShipped,
    /// Anything else, verbatim (empty when absent).
    Unknown(String),
    /// Placeholder for a missing status.
    #[default]
    Missing,
}

impl OrderStatus {
    /// Every documented status, in lifecycle order.
    pub const KNOWN: [OrderStatus; 9] = [
        OrderStatus::Created,
        OrderStatus::WaitingStoreAcceptance,
        OrderStatus::Refused,
        OrderStatus::WaitingShipment,
        OrderStatus::Shipped,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
        OrderStatus::PartiallyRefunded,
        OrderStatus::PartiallyShipped,
    ];

    /// The API spelling.
    pub fn as_str(&self) -> &str {
        match self {
            OrderStatus::Created => "created",
            OrderStatus::WaitingStoreAcceptance => "waiting_store_acceptance",
            OrderStatus::Refused => "refused",
            OrderStatus::WaitingShipment => "waiting_shipment",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::PartiallyShipped => "partially_shipped",
            OrderStatus::Unknown(s) => s,
            OrderStatus::Missing => "",
        }
    }

    /// Parses the API spelling; anything else becomes `Unknown`.
    pub fn parse(s: &str) -> OrderStatus {
        let t = s.trim();
        OrderStatus::KNOWN
            .iter()
            .find(|k| k.as_str() == t)
            .cloned()
            .unwrap_or_else(|| if t.is_empty() { OrderStatus::Missing } else { OrderStatus::Unknown(t.to_string()) })
    }

    /// A status that no operation can move on from (except refunds after cancel, which the channel decides).
    pub fn is_closed(&self) -> bool {
        matches!(self, OrderStatus::Refused | OrderStatus::Cancelled | OrderStatus::Refunded)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OrderStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OrderStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        Ok(v.map(|s| OrderStatus::parse(&s)).unwrap_or(OrderStatus::Missing))
    }
}
