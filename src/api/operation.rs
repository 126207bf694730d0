//! Operation bodies (`POST /v1/store/{storeId}/order/{operation}`, API reference §5) and the 202 answer.

use super::error::ApiError;
use crate::order::lenient::clip;
use crate::order::{Operation, ShipLine, ValidShipment};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Orders per operation call, as the SDK sends them.
pub const MAX_BATCH: usize = 100;

/// Outcome reported by an acknowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AckStatus {
    /// The order exists in the shop.
    Success,
    /// It could not be created; the message lands in the order's `errors`.
    Error,
}

/// A product line of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundLine {
    /// Item reference.
    pub reference: String,
    /// Quantity refunded.
    pub quantity: u32,
}

/// What one order's entry in an operation call carries, besides its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation", rename_all = "kebab-case")]
pub enum OperationPayload {
    /// Acknowledge.
    #[serde(rename_all = "camelCase")]
    Acknowledge {
        /// Success or error.
        status: AckStatus,
        /// The shop's order id (empty on error).
        store_reference: String,
        /// Client clock, ISO 8601 with offset.
        acknowledged_at: String,
        /// Error text.
        message: Option<String>,
    },
    /// Unacknowledge.
    Unacknowledge,
    /// Accept.
    Accept {
        /// Optional reason.
        reason: String,
    },
    /// Refuse.
    Refuse,
    /// Ship.
    Ship {
        /// The validated shipment.
        shipment: ValidShipment,
    },
    /// Cancel.
    Cancel {
        /// Optional reason.
        reason: String,
    },
    /// Refund; no products = whole order.
    Refund {
        /// Refund the shipping cost too.
        shipping: bool,
        /// Lines refunded.
        products: Vec<RefundLine>,
    },
    /// Deliver.
    Deliver,
    /// Upload invoices (metadata; the files travel as multipart parts).
    UploadDocuments {
        /// Document types, one per file (only `invoice` is allowed).
        documents: Vec<String>,
    },
}

impl OperationPayload {
    /// The operation this payload belongs to.
    pub fn operation(&self) -> Operation {
        match self {
            OperationPayload::Acknowledge { .. } => Operation::Acknowledge,
            OperationPayload::Unacknowledge => Operation::Unacknowledge,
            OperationPayload::Accept { .. } => Operation::Accept,
            OperationPayload::Refuse => Operation::Refuse,
            OperationPayload::Ship { .. } => Operation::Ship,
            OperationPayload::Cancel { .. } => Operation::Cancel,
            OperationPayload::Refund { .. } => Operation::Refund,
            OperationPayload::Deliver => Operation::Deliver,
            OperationPayload::UploadDocuments { .. } => Operation::UploadDocuments,
        }
    }

    /// The order's entry in the `order` array of the call.
    pub fn entry(&self, order_id: u64) -> Value {
        match self {
            OperationPayload::Acknowledge { status, store_reference, acknowledged_at, message } => {
                let mut e = json!({"id": order_id, "status": status, "storeReference": store_reference, "acknowledgedAt": acknowledged_at});
                if let Some(m) = message {
                    e["message"] = json!(m);
                }
                e
            }
            OperationPayload::Unacknowledge | OperationPayload::Refuse | OperationPayload::Deliver => json!({"id": order_id}),
            OperationPayload::Accept { reason } | OperationPayload::Cancel { reason } => json!({"id": order_id, "reason": reason}),
            OperationPayload::Ship { shipment: s } => {
                // The SDK always sends every key, empty when unset.
                let items: Vec<Value> = s.items.iter().map(|ShipLine { id, quantity }| json!({"id": id, "quantity": quantity})).collect();
                let mut e = json!({
                    "id": order_id,
                    "carrier": s.carrier,
                    "trackingNumber": s.tracking_number,
                    "trackingLink": s.tracking_url,
                    "items": items,
                    "warehouseId": s.warehouse_id,
                });
                if let Some(r) = &s.return_info {
                    e["returnInfo"] = json!({"carrier": r.carrier, "trackingNumber": r.tracking_number});
                }
                e
            }
            OperationPayload::Refund { shipping, products } => {
                json!({"id": order_id, "refund": {"shipping": shipping, "products": products}})
            }
            OperationPayload::UploadDocuments { documents } => {
                let docs: Vec<Value> = documents.iter().map(|t| json!({"type": t})).collect();
                json!({"id": order_id, "documents": docs})
            }
        }
    }
}

/// The JSON body of one call: `{"order": [entries]}`.
pub fn batch_body<'a>(entries: impl IntoIterator<Item = (u64, &'a OperationPayload)>) -> String {
    let list: Vec<Value> = entries.into_iter().map(|(id, p)| p.entry(id)).collect();
    json!({ "order": list }).to_string()
}

/// An order the API left out of a batch (`report[]` with `state: ignored`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ignored {
    /// Order id, as sent.
    pub id: Option<u64>,
    /// Marketplace reference, when echoed.
    pub reference: Option<String>,
    /// Why.
    pub message: String,
}

/// The 202 answer: the batch id to follow tickets by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchAccepted {
    /// Batch id.
    pub batch_id: String,
    /// `_links.ticket.href`, when given.
    pub ticket_href: Option<String>,
    /// Orders ignored in this call.
    pub ignored: Vec<Ignored>,
}

/// Decodes a 202 operation answer.
pub fn parse_batch_accepted(body: &str) -> Result<BatchAccepted, ApiError> {
    let what = "operation";
    let v: Value = serde_json::from_str(body).map_err(|e| ApiError::Decode { what, message: e.to_string() })?;
    let batch_id = match v.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(ApiError::Decode { what, message: format!("no batch id in `{}`", clip(body)) }),
    };
    let ticket_href = v.pointer("/_links/ticket/href").and_then(Value::as_str).map(str::to_string);
    let ignored = v
        .get("report")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter(|e| e.get("state").and_then(Value::as_str).is_none_or(|s| s == "ignored"))
                .map(|e| Ignored {
                    id: e.get("id").and_then(|i| i.as_u64().or_else(|| i.as_str().and_then(|s| s.parse().ok()))),
                    reference: e.get("reference").and_then(Value::as_str).map(str::to_string),
                    message: e.get("message").and_then(Value::as_str).map(clip).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(BatchAccepted { batch_id, ticket_href, ignored })
}

/// A multipart/form-data body for upload-documents: the JSON `body` part, then `files[]` in the
/// same order as the entries' documents.
pub fn multipart_upload(boundary: &str, json_body: &str, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    out.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n{json_body}\r\n").as_bytes());
    for (name, bytes) in files {
        // The file name is ours (derived from the order id), never a marketplace string.
        let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
        out.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files[]\"; filename=\"{safe}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}
