//! Which operation each status allows, and why not (API reference §4.2 and §5), plus the per-channel
//! support table of §5.12.

use super::status::OrderStatus;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An order operation (`POST /v1/store/{storeId}/order/{operation}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// Accept an order waiting for store acceptance.
    Accept,
    /// Refuse an order waiting for store acceptance.
    Refuse,
    /// Ship (whole order or some items).
    Ship,
    /// Cancel before shipment.
    Cancel,
    /// Refund (whole or partial).
    Refund,
    /// Tell Shoppingfeed the order exists in the shop (or could not be created).
    Acknowledge,
    /// Undo an acknowledgement so the order is offered again.
    Unacknowledge,
    /// The parcel was delivered.
    Deliver,
    /// Upload invoices.
    UploadDocuments,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 9] = [
        Operation::Accept,
        Operation::Refuse,
        Operation::Ship,
        Operation::Cancel,
        Operation::Refund,
        Operation::Acknowledge,
        Operation::Unacknowledge,
        Operation::Deliver,
        Operation::UploadDocuments,
    ];

    /// The path segment of the operation endpoint.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Accept => "accept",
            Operation::Refuse => "refuse",
            Operation::Ship => "ship",
            Operation::Cancel => "cancel",
            Operation::Refund => "refund",
            Operation::Acknowledge => "acknowledge",
            Operation::Unacknowledge => "unacknowledge",
            Operation::Deliver => "deliver",
            Operation::UploadDocuments => "upload-documents",
        }
    }

    /// Parses the path-segment spelling.
    pub fn parse(s: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The ticket type Shoppingfeed gives this operation (§5.11).
    pub fn ticket_type(self) -> &'static str {
        match self {
            Operation::Accept => "order.notify.acceptance",
            Operation::Refuse => "order.notify.refusal",
            Operation::Ship => "order.notify.shipment",
            Operation::Cancel => "order.notify.cancellation",
            Operation::Refund => "order.notify.refund",
            Operation::Acknowledge => "order.acknowledge",
            Operation::Unacknowledge => "order.unacknowledge",
            Operation::Deliver => "order.notify.delivery",
            Operation::UploadDocuments => "order.notify.upload-documents",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `operation` may be asked of an order in `status`; `Err` carries the reason in plain words.
pub fn check(status: &OrderStatus, operation: Operation) -> Result<(), &'static str> {
    use Operation as Op;
    use OrderStatus as S;
    // Acknowledgment is orthogonal to status (§4.2): any order can be (un)acknowledged.
    match (status, operation) {
        (_, Op::Acknowledge | Op::Unacknowledge) => Ok(()),
        (S::WaitingStoreAcceptance, Op::Accept | Op::Refuse) => Ok(()),
        (_, Op::Accept | Op::Refuse) => Err("only an order waiting for store acceptance can be accepted or refused"),

        (S::WaitingShipment | S::PartiallyShipped, Op::Ship) => Ok(()),
        (S::Created, Op::Ship) => Err("the marketplace has not validated the payment yet"),
        (S::WaitingStoreAcceptance, Op::Ship) => Err("the order must be accepted before it is shipped"),
        (S::Shipped, Op::Ship) => Err("the order is already shipped; a status change can be made only once"),
        (S::Shipped | S::PartiallyRefunded, Op::Cancel) => Err("a shipped order cannot be cancelled; refund it instead"),

        (S::Created | S::WaitingStoreAcceptance | S::WaitingShipment | S::PartiallyShipped, Op::Cancel) => Ok(()),

        (S::WaitingShipment | S::PartiallyShipped | S::Shipped | S::PartiallyRefunded, Op::Refund) => Ok(()),
        (S::Created | S::WaitingStoreAcceptance, Op::Refund) => Err("the order is not confirmed yet: refuse or cancel it instead"),
        (S::Refunded, Op::Refund) => Err("the order is already fully refunded"),

        (S::Shipped, Op::Deliver) => Ok(()),
        (S::PartiallyShipped, Op::Deliver) => Err("only a fully shipped order can be marked delivered"),
        (S::Created | S::WaitingStoreAcceptance | S::WaitingShipment, Op::Deliver) => Err("the order has not been shipped yet"),

        (S::WaitingShipment | S::PartiallyShipped | S::Shipped | S::PartiallyRefunded | S::Refunded, Op::UploadDocuments) => Ok(()),
        (S::Created | S::WaitingStoreAcceptance, Op::UploadDocuments) => Err("an invoice can be uploaded only once the order is confirmed"),

        (S::Refused, _) => Err("the order was refused"),
        (S::Cancelled, _) => Err("the order is cancelled"),
        (S::Refunded, _) => Err("the order is refunded"),
        (S::Unknown(_) | S::Missing, _) => Err("the order's status is unknown, so no status change is sent"),
        (S::PartiallyRefunded, _) => Err("the order is partially refunded"),
    }
}

/// One row of the lifecycle table for a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allowance {
    /// The operation.
    pub operation: Operation,
    /// Whether it is allowed.
    pub allowed: bool,
    /// Why not, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The lifecycle table row of `status`: every operation, allowed or with its reason.
pub fn allowances(status: &OrderStatus) -> Vec<Allowance> {
    Operation::ALL
        .into_iter()
        .map(|operation| match check(status, operation) {
            Ok(()) => Allowance { operation, allowed: true, reason: None },
            Err(why) => Allowance { operation, allowed: false, reason: Some(why.to_string()) },
        })
        .collect()
}

/// What a channel supports beyond the basic operations (§5.12), and what it requires of a shipment.
/// This is the one channel table: the engine, the ship validator and (through `channelSupport`) the
/// dashboard and the CLI read it. Unknown channels are assumed to support everything and require
/// nothing more: Shoppingfeed, not us, has the last word there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelSupport {
    /// Full refund.
    pub refund: bool,
    /// Partial refund.
    pub partial_refund: bool,
    /// Shipping some items only.
    pub partial_ship: bool,
    /// Cancel.
    pub cancel: bool,
    /// Invoice upload.
    pub documents: bool,
    /// A tracking URL is required with each shipment (not in §5.12: see `for_channel`).
    pub tracking_url: bool,
}

impl ChannelSupport {
    const ALL: ChannelSupport =
        ChannelSupport { refund: true, partial_refund: true, partial_ship: true, cancel: true, documents: true, tracking_url: false };

    /// Support for a channel, looked up by its Shoppingfeed name.
    pub fn for_channel(name: &str) -> ChannelSupport {
        let n: String = name.to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let t = |refund, partial_refund, partial_ship, cancel, documents| ChannelSupport {
            refund,
            partial_refund,
            partial_ship,
            cancel,
            documents,
            tracking_url: false,
        };
        // Tracking URL required: no channel list is published. Shoppingfeed's help center ("An order
        // has an Update Status Shipping error") names the missing tracking URL among the first
        // causes of refused shipments on "most marketplaces"; the sandbox models CDiscount, ManoMano
        // and Leroy Merlin (Mirakl) as refusing a shipment without one. Which channels really
        // require it is a guess: asking for a URL the channel would not need costs one field,
        // a refused status change costs the shipment.
        let url = |s: ChannelSupport| ChannelSupport { tracking_url: true, ..s };
        // Zalando ships as several variants (`zalandomyunittest`, `zalando_fr`): match by prefix.
        match n.as_str() {
            _ if n.starts_with("amazon") => t(false, false, false, true, false),
            _ if n.starts_with("cdiscount") => url(t(true, true, false, true, false)),
            _ if n.starts_with("manomano") || n.starts_with("monechelle") => url(t(false, false, true, false, false)),
            _ if n.starts_with("leroymerlin") => url(ChannelSupport::ALL),
            _ if n.starts_with("bol") => t(false, false, true, true, true),
            _ if n.starts_with("zalando") => t(true, true, false, true, false),
            _ if n.starts_with("backmarket") => t(false, false, false, false, true),
            _ if n.starts_with("colizey") => t(false, false, true, false, true),
            _ if n.starts_with("ebay") => t(true, false, false, true, false),
            _ if n.starts_with("fnac") => t(false, false, false, false, true),
            _ if n.starts_with("joom") || n.starts_with("rakuten") || n.starts_with("walmart") => t(false, false, false, true, false),
            _ if n.starts_with("metromarket") || n.starts_with("miinto") => t(false, false, true, true, true),
            _ if n.starts_with("miravia") => t(true, false, true, false, false),
            _ if n.starts_with("refurbed") || n.starts_with("tiktok") => t(true, true, true, true, false),
            _ if n.starts_with("veepee") => t(true, true, false, false, true),
            _ if n.starts_with("wayfair") => t(false, false, false, false, false),
            _ => ChannelSupport::ALL,
        }
    }
}
