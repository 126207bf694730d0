// Type declarations of shoppingfeed-orders (hand-written; checked with `tsc --noEmit --strict`).

/** An order status as Shoppingfeed sends it (unknown ones are kept verbatim). */
export type OrderStatus =
  | 'created' | 'waiting_store_acceptance' | 'refused' | 'waiting_shipment' | 'shipped' | 'cancelled'
  | 'refunded' | 'partially_refunded' | 'partially_shipped' | (string & {});

/** An order operation (the path segment of `POST /v1/store/{id}/order/{operation}`). */
export type Operation =
  | 'accept' | 'refuse' | 'ship' | 'cancel' | 'refund' | 'acknowledge' | 'unacknowledge' | 'deliver' | 'upload-documents';

/** Where an outbound operation stands. */
export type OperationState = 'pending' | 'sending' | 'sent' | 'succeeded' | 'failed' | 'canceled';

/** Where an imported order stands. */
export type ImportState = 'created' | 'acknowledged' | 'failed';

/** The families of errors this package throws (`error.name`). */
export type ErrorName = 'ApiError' | 'ShipmentError' | 'OrderError' | 'StoreError' | 'ConfigError' | 'SyncError' | 'MappingError';

/** Every error thrown by the engine or the adapter: a real Error with a family name and a stable code. */
export interface ShoppingfeedError extends Error {
  name: ErrorName;
  /** Stable discriminant: `Unauthorized`, `RateLimited`, `TrackingUrlInvalid`, `AlreadyShipped`, `ShipmentPending`, `Malformed`, `Locked`, … */
  code: string;
  /** The input field concerned (shipment, order and configuration errors). */
  field?: string;
  /** On a failed cycle: what the cycle did before it stopped (nothing is undone). */
  report?: CycleReport;
  /** On `AmbiguousStore`: the stores the token sees. */
  stores?: StoreInfo[];
}

/** Whether `e` is an error of this package. */
export function isShoppingfeedError(e: unknown): e is ShoppingfeedError;

/** A pino-compatible logger (pino itself fits). */
export interface Logger {
  debug(fields: object, msg?: string): void;
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
}

/** A JSON-lines logger (level, time, msg, fields) writing to `stream` (default stderr). */
export function jsonLogger(options?: { level?: 'debug' | 'info' | 'warn' | 'error'; stream?: { write(s: string): unknown } }): Logger;

/** A request the engine wants sent, as given to a host HTTP function. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Absolute URL. */
  url: string;
  /** Header names and values (includes the Authorization header: never log it). */
  headers: Record<string, string>;
  /** JSON text, or bytes for multipart uploads. */
  body?: string | Uint8Array;
}

/** What a host HTTP function returns: a plain answer, or a fetch `Response`. */
export type HttpAnswer = { status: number; headers?: Record<string, string> | Headers; body?: string | Uint8Array } | Response;

/** Retry limits (429 waits what `X-RateLimit-Wait` says; 5xx/network errors back off exponentially). */
export interface RetryPolicy {
  /** Attempts for one request on 5xx/network/decode failures, first try included (default 5). */
  maxAttempts?: number;
  /** First backoff delay in ms (default 500). */
  baseDelayMs?: number;
  /** Backoff ceiling in ms (default 30000). */
  maxDelayMs?: number;
  /** 429 answers in a row before giving up (default 10). */
  maxRateLimited?: number;
  /** Longest single 429 wait accepted, in ms (default 300000). */
  maxRateLimitWaitMs?: number;
}

/** Options of {@link createOrderSync}. */
export interface OrderSyncOptions {
  /** API base URL (default https://api.shopping-feed.com). */
  apiUrl?: string;
  /** The Shoppingfeed API token (never printed or logged). */
  token: string;
  /** The Shoppingfeed store id; absent: discovered with GET /v1/me (several stores → `AmbiguousStore` error). */
  storeId?: number;
  /** The shop's order store and the connector's journal. */
  store: OrderStore;
  /** The host's HTTP layer; default: the global fetch. */
  http?: (request: HttpRequest) => Promise<HttpAnswer> | HttpAnswer;
  /** Logger (pino-compatible, JSON lines by default on stderr); `false` silences the connector. */
  logger?: Logger | false;
  /** Import orders created in the last N days (default 7). */
  sinceDays?: number;
  /** Also import orders the marketplace fulfils itself (FBA and the like), without stock effect (default false). */
  importFulfilled?: boolean;
  /** Accept orders of channels that need the store's acceptance (default false). */
  autoAccept?: boolean;
  /** Import Shoppingfeed test orders too (default false). */
  includeTest?: boolean;
  /** Failed creation attempts before the error acknowledgement is sent (default 1). */
  errorAckAfter?: number;
  /** Retry limits. */
  retry?: RetryPolicy;
  /** Least severe engine log line passed to the logger and `log` events (default `info`; `debug` adds one line per order). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** The current time (ms, Date or ISO string); default Date.now. For sandboxes with a manual clock. */
  now?: () => number | string | Date;
}

/** What one cycle did. */
export interface CycleReport {
  /** Orders created in the shop. */
  imported: number;
  /** Success acknowledgements accepted by Shoppingfeed (re-acknowledgements included). */
  acknowledged: number;
  /** Orders the shop already had, acknowledged again rather than created again. */
  reacknowledged: number;
  /** Error acknowledgements sent (once per distinct message). */
  errorAcknowledged: number;
  /**
   * Orders listed as unacknowledged while Shoppingfeed was applying the acknowledgement sent for them
   * (it applies acknowledgements when their tickets run, seconds after accepting them): not sent again.
   */
  ackInFlight: number;
  /** Orders not imported (malformed, refused by the store, store failure). */
  failed: number;
  /** Orders left out by choice (marketplace-fulfilled, test, anonymized, already shipped). */
  skipped: number;
  /** Orders auto-accepted. */
  accepted: number;
  /** Operations sent. */
  sent: number;
  /** Operations the marketplace confirmed. */
  succeeded: number;
  /** Operations that failed at Shoppingfeed or the marketplace. */
  operationsFailed: number;
  /** Operations still waiting to be sent or confirmed. */
  pending: number;
  /** Imported orders cancelled, refused or refunded on the marketplace since. */
  statusChanges: number;
  /** Order list pages read. */
  pages: number;
  /** HTTP calls made, retries included. */
  requests: number;
  /** Problems met (bounded list). */
  issues: { orderId: number | null; reference: string | null; code: string; message: string }[];
}

/** A shipment as the merchant gives it. */
export interface ShipmentInput {
  /** Carrier name as the marketplace should show it (required). */
  carrier: string;
  /** The carrier's tracking number (placeholders such as `0`, `N/A`, `TBD` are refused). */
  trackingNumber: string;
  /** Absolute http(s) tracking URL. */
  trackingUrl?: string | null;
  /** Items shipped (Shoppingfeed item ids); absent or empty: the whole order. */
  items?: { id: number; quantity: number }[];
  /** Warehouse id (null: Shoppingfeed's default). */
  warehouseId?: string | null;
  /** Return label. */
  returnInfo?: { carrier: string; trackingNumber: string } | null;
}

/** A refund: whole order when `products` is empty. */
export interface RefundInput {
  /** Refund the shipping cost too (default true). */
  shipping?: boolean;
  /** Lines refunded by item reference. */
  products?: { reference: string; quantity: number }[];
}

/** An operation record as the journal keeps it. */
export interface OperationRecord {
  /** Local id (`<order id>:<operation>:<n>`). */
  id: string;
  shoppingfeedId: number;
  reference: string;
  /** The operation and its fields (`operation` names it). */
  payload: { operation: Operation } & Record<string, unknown>;
  state: OperationState;
  batchId: string | null;
  message: string | null;
  attempts: number;
  recordedAt: string;
  updatedAt: string;
}

/** A journal entry: which Shoppingfeed order became which shop order. */
export interface ImportRecord {
  shoppingfeedId: number;
  reference: string;
  channel: { id: number | null; name: string };
  state: ImportState;
  shopOrderId: string | null;
  order: {
    status: OrderStatus;
    lines: { id: number | null; quantity: number }[];
    latestShipDate: string | null;
    /** The ship-by date as sent when it could not be read (absent otherwise, and in older records). */
    latestShipDateUnreadable?: string;
    createdAt: string | null;
  };
  tries: number;
  lastError: string | null;
  errorAcked: string | null;
  ackBatchId: string | null;
  /** That acknowledge's ticket was seen done (absent in records written before this field existed). */
  ackApplied?: boolean;
  updatedAt: string;
}

/** What the engine asks the store to create. Amounts are exactly as the marketplace sent them. */
export interface OrderDraft {
  shoppingfeedId: number;
  storeId: number | null;
  reference: string;
  channel: { id: number | null; name: string };
  status: OrderStatus;
  createdAt: string | null;
  latestShipDate: string | null;
  /** The ship-by date as sent when it could not be read (the deadline is unknown, not absent). */
  latestShipDateUnreadable?: string;
  currency: string;
  lines: {
    itemId: number | null;
    /** Reference to look up in the shop (after `itemsReferencesAliases`). */
    sku: string;
    originalReference: string;
    channelReference: string;
    name: string;
    quantity: number;
    unitPrice: number;
    taxAmount: number;
    ecotaxAmount: number;
    image: string | null;
  }[];
  shippingAmount: number;
  productAmount: number;
  totalAmount: number;
  taxAmount: number;
  paymentMethod: string;
  carrier: string;
  shippingAddress: DraftAddress;
  billingAddress: DraftAddress;
  buyerEmail: string;
  /** `productCode`: the carrier product the marketplace named (`BPR` of Zalando's `BPR:100562`), or null. */
  relayPoint: { id: string; source: string; productCode: string | null } | null;
  /** Shipped by the marketplace's logistics: create without stock effect. */
  fulfilledByChannel: boolean;
  business: boolean;
  vatId: string | null;
  adjustments: { kind: string; amount: number }[];
  isTest: boolean;
  anonymized: boolean;
}

/** An address, tidied (country `UK` → `GB`, mobile phone first). Marketplace text: render as text only. */
export interface DraftAddress {
  firstName: string;
  lastName: string;
  company: string;
  street: string[];
  other: string;
  postalCode: string;
  city: string;
  country: string;
  province: string;
  phone: string;
  email: string;
}

/** The store's answer to `createOrder`. */
export type CreateOutcome =
  | { outcome: 'created'; shopOrderId: string; existed?: boolean }
  | { outcome: 'rejected'; message: string };

/**
 * The shop's order store plus the connector's journal. Methods may be sync or async. A shop implements
 * this to plug the connector into its own database (see MemoryStore for a reference).
 */
export interface OrderStore {
  /** Creates the shop order; idempotent on `draft.shoppingfeedId` (a second call returns the first order, `existed: true`). */
  createOrder(draft: OrderDraft): Promise<CreateOutcome> | CreateOutcome;
  /** Creates a page of orders, each as `createOrder` would (one answer per draft, in order); optional —
   * a store that can do it in one transaction saves most of an import's store time. */
  createOrders?(drafts: OrderDraft[]): Promise<CreateOutcome[]> | CreateOutcome[];
  /** Journal entries of these Shoppingfeed ids (missing ones left out). */
  loadImports(ids: number[]): Promise<ImportRecord[]> | ImportRecord[];
  /** Inserts or replaces journal entries, in one transaction. */
  saveImports(records: ImportRecord[]): Promise<void> | void;
  /** Inserts or replaces operation records, in one transaction. */
  saveOperations(records: OperationRecord[]): Promise<void> | void;
  /** Writes a new operation record unless one with its id exists (then `false`, nothing written); optional,
   * but without it two processes shipping one order in the same instant can overwrite each other's record
   * (the engine falls back to a read then a write). Give it the atomicity of a unique key. */
  insertOperation?(record: OperationRecord): Promise<boolean> | boolean;
  /** Operation records by state (empty: all) and order. */
  operations(query: { states: OperationState[]; shoppingfeedId: number | null }): Promise<OperationRecord[]> | OperationRecord[];
  /** Journal entries in state `created` (acknowledgement not confirmed), at most `limit`: lets the engine
   * repair an acknowledgement whose answer was lost in a crash. */
  loadUnconfirmed?(limit: number): Promise<ImportRecord[]> | ImportRecord[];
  /** Takes the store-wide sync lock for `ttlMs` (renews our own); false when another process holds it. */
  tryLock?(owner: string, ttlMs: number): Promise<boolean> | boolean;
  /** Releases our lock. */
  unlock?(owner: string): Promise<void> | void;
  /** The marketplace cancelled, refused or refunded an imported order: reflect it in the shop. */
  marketplaceStatusChanged?(record: ImportRecord, previous: OrderStatus): Promise<void> | void;
  /** Journal entries with their operations, newest first (for `orders()` and the dashboard). */
  listOrders?(filter: OrderFilter): Promise<{ total: number; items: { record: ImportRecord; operations: OperationRecord[] }[] }>;
  /** Keeps an event (cycle reports, operations) in the store's log. */
  recordEvent?(event: { kind: string; at: string; data: unknown }): Promise<void> | void;
  /** Releases the database. */
  close?(): void;
}

/** Filters of the stored orders. */
export interface OrderFilter {
  limit?: number;
  offset?: number;
  /** Shoppingfeed status. */
  status?: OrderStatus;
  /** Channel name. */
  channel?: string;
  /** Only failed imports/operations and deadlines at risk or passed (applied after the page is read). */
  needsAttention?: boolean;
}

/** A shipment (parcel) of an order as recorded in the journal. */
export interface ShipmentView {
  carrier: string;
  trackingNumber: string;
  trackingUrl: string;
  /** Items (empty: the whole order). */
  items: { id: number; quantity: number }[];
  state: OperationState;
  message: string | null;
}

/** One order as the CLI and the dashboard show it (computed by the engine). */
export interface OrderView {
  id: number;
  reference: string;
  channel: { id: number | null; name: string };
  status: OrderStatus;
  state: ImportState;
  /** The shop order id sent to Shoppingfeed. */
  storeReference: string | null;
  acknowledged: boolean;
  tries: number;
  lastError: string | null;
  createdAt: string | null;
  latestShipDate: string | null;
  /** The ship-by date as sent when it could not be read: the deadline is then `at_risk`, its time unknown. */
  latestShipDateUnreadable: string | null;
  deadline: Deadline;
  /** The latest live shipment (else the latest failed one). */
  shipment: ShipmentView | null;
  /** Every parcel recorded and not failed or canceled, oldest first (partial-ship channels take several). */
  parcels: ShipmentView[];
  operations: { id: string; operation: Operation; state: OperationState; batchId: string | null; message: string | null; recordedAt: string; updatedAt: string }[];
  /** Operations the status allows now. */
  allowed: Operation[];
  needsAttention: boolean;
}

/** Deadline status against the marketplace's ship-by date. */
export interface Deadline {
  state: 'none' | 'on_time' | 'at_risk' | 'overdue';
  /** Seconds until the ship-by date (negative when overdue). */
  secondsLeft: number | null;
  /** Share of the window (creation → ship-by) elapsed. */
  elapsedShare: number | null;
}

/** A store the token sees. */
export interface StoreInfo {
  id: number;
  name: string;
  status: string;
  country: string;
}

/** Events of an {@link OrderSync}. */
export interface OrderSyncEvents {
  /** A cycle completed. */
  cycle: (report: CycleReport) => void;
  /** A cycle failed (the error carries `report`). */
  error: (error: ShoppingfeedError) => void;
  /** An operation was recorded (and sent when possible). */
  operation: (record: OperationRecord) => void;
  /** An engine log line (never contains the token). */
  log: (record: { level: 'debug' | 'info' | 'warn' | 'error'; message: string; orderId: number | null }) => void;
}

/** The connector for one Shoppingfeed store. */
export interface OrderSync {
  /** One full cycle: list every page, create, acknowledge, send pending operations, follow tickets. */
  runOnce(): Promise<CycleReport>;
  /** A cycle now and every `everyMinutes` (default 10); cycles never overlap. */
  start(options?: { everyMinutes?: number }): void;
  /** Stops the schedule; resolves when the running cycle has ended. */
  stop(): Promise<void>;
  /** Ships once: validated, recorded, sent (queued for the next cycle when the API is unreachable). */
  ship(orderId: number, shipment: ShipmentInput): Promise<OperationRecord>;
  /** Cancels before shipment. */
  cancel(orderId: number, reason?: string): Promise<OperationRecord>;
  /** Refunds (whole order without products). */
  refund(orderId: number, refund?: RefundInput): Promise<OperationRecord>;
  /** Accepts an order waiting for store acceptance. */
  accept(orderId: number, reason?: string): Promise<OperationRecord>;
  /** Refuses an order waiting for store acceptance. */
  refuse(orderId: number): Promise<OperationRecord>;
  /** Tells the marketplace the parcel was delivered. */
  deliver(orderId: number): Promise<OperationRecord>;
  /** Uploads an invoice PDF (≤ 2 MB). */
  uploadInvoice(orderId: number, pdf: Uint8Array | ArrayBuffer): Promise<OperationRecord>;
  /** The stored orders as views. */
  orders(filter?: OrderFilter): Promise<{ total: number; orders: OrderView[] }>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof OrderSyncEvents>(event: E, listener: OrderSyncEvents[E]): () => void;
  /** HTTP calls made so far. */
  readonly requests: number;
}

/** The connector for one Shoppingfeed store, hosted in this process. */
export function createOrderSync(options: OrderSyncOptions): OrderSync;

/** The journal and a small shop kept in memory (tests, demos, reference implementation). */
export class MemoryStore implements OrderStore {
  /** `unknownSkus`: SKUs refused; `catalog`: the SKUs sold (when given, any other is refused). */
  constructor(options?: { unknownSkus?: Iterable<string>; catalog?: Iterable<string> });
  /** Adds SKUs to the catalog. */
  addProducts(skus: Iterable<string>): Promise<void>;
  createOrder(draft: OrderDraft): Promise<CreateOutcome>;
  loadImports(ids: number[]): Promise<ImportRecord[]>;
  saveImports(records: ImportRecord[]): Promise<void>;
  saveOperations(records: OperationRecord[]): Promise<void>;
  insertOperation(record: OperationRecord): Promise<boolean>;
  operations(query: { states: OperationState[]; shoppingfeedId: number | null }): Promise<OperationRecord[]>;
  tryLock(owner: string, ttlMs: number): Promise<boolean>;
  unlock(owner: string): Promise<void>;
  marketplaceStatusChanged(record: ImportRecord, previous: OrderStatus): Promise<void>;
  listOrders(filter?: OrderFilter): Promise<{ total: number; items: { record: ImportRecord; operations: OperationRecord[] }[] }>;
  recordEvent(event: { kind: string; at: string; data: unknown }): Promise<void>;
  loadUnconfirmed(limit: number): Promise<ImportRecord[]>;
}

/** The journal and a small shop in SQLite (better-sqlite3, WAL, versioned migrations). */
export class SqliteStore implements OrderStore {
  /**
   * `file` is a path or `:memory:`; `catalog` lists the SKUs sold (empty: every SKU accepted); `cacheKb` is SQLite's
   * page cache (default 6000 KiB).
   */
  constructor(file: string, options?: { catalog?: string[]; cacheKb?: number });
  createOrder(draft: OrderDraft): Promise<CreateOutcome>;
  loadImports(ids: number[]): Promise<ImportRecord[]>;
  saveImports(records: ImportRecord[]): Promise<void>;
  saveOperations(records: OperationRecord[]): Promise<void>;
  insertOperation(record: OperationRecord): Promise<boolean>;
  operations(query: { states: OperationState[]; shoppingfeedId: number | null }): Promise<OperationRecord[]>;
  tryLock(owner: string, ttlMs: number): Promise<boolean>;
  unlock(owner: string): Promise<void>;
  marketplaceStatusChanged(record: ImportRecord, previous: OrderStatus): Promise<void>;
  listOrders(filter?: OrderFilter): Promise<{ total: number; items: { record: ImportRecord; operations: OperationRecord[] }[] }>;
  recordEvent(event: { kind: string; at: string; data: unknown }): Promise<void>;
  loadUnconfirmed(limit: number): Promise<ImportRecord[]>;
  createOrders(drafts: OrderDraft[]): Promise<CreateOutcome[]>;
  /** Adds SKUs to the catalog. */
  addProducts(skus: string[]): void;
  /** The event log, newest first. */
  events(filter?: { limit?: number; kind?: string }): Promise<{ id: number; kind: string; at: string; data: unknown }[]>;
  /** The shop order created for a Shoppingfeed order, with its lines (null when none). */
  shopOrder(shoppingfeedId: number): Promise<({ id: string; status: 'open' | 'cancelled'; lines: unknown[]; draft: OrderDraft } & Record<string, unknown>) | null>;
  /** Closes the database. */
  close(): void;
}

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** The Shoppingfeed store this instance serves; every row is keyed by it. */
  storeId: number;
  /** A PostgreSQL URL (the store makes its own pool, ended by close())… */
  connectionString?: string;
  /** …or a `pg.Pool` shared with other stores (left open by close()). */
  pool?: unknown;
  /** Where the tables live (default `shoppingfeed_orders`; created when missing). */
  schema?: string;
  /** SKUs this store sells (while it has none, every SKU is accepted). */
  catalog?: Iterable<string>;
  /** Connections of the pool made from `connectionString` (default 10). */
  poolSize?: number;
}

/** What an operator watches for one store (`stores list --json`). */
export interface StoreMetrics {
  storeId: number;
  /** The last cycle of any process (null: none yet). */
  lastCycle: {
    at: string;
    ok: boolean;
    imported: number;
    acknowledged: number;
    failed: number;
    sent: number;
    error: { code: string | null; message: string | null } | null;
    /** Wall time and worker of the last worker cycle (null when run outside a worker). */
    durationMs: number | null;
    worker: string | null;
  } | null;
  /** Orders in the shop (journal state created or acknowledged). */
  imported: number;
  /** Of which acknowledged. */
  acknowledged: number;
  /** Failed imports. */
  failed: number;
  /** Operations recorded and not yet confirmed by the marketplace (pending, sending, sent). */
  pendingOperations: number;
  /** Orders with an operation the marketplace refused (a ship, a cancel…) and none of that kind retried since. */
  failedOperations: number;
  /** Imported orders waiting for shipment with no ship/cancel/refuse recorded. */
  unshipped: number;
  /** The oldest of them, with its deadline when `metrics({deadline})` was given the engine's rules. */
  oldestUnshipped: { id: number; reference: string; channel: string | null; createdAt: string | null; latestShipDate: string | null; deadline?: Deadline } | null;
}

/** The journal and a shop order table in PostgreSQL, shared by every process of a scale-out (pg, versioned migrations,
 * rows keyed by Shoppingfeed store id, a store lock that a dead holder frees at once). */
export class PostgresStore implements OrderStore {
  constructor(options: PostgresStoreOptions);
  readonly storeId: number;
  readonly schema: string;
  /** Migrations applied by this open (empty when another store or process had applied them). */
  readonly migrated: Promise<number[]>;
  /** Resolves once the schema is migrated (every method waits for it too). */
  ready(): Promise<this>;
  createOrder(draft: OrderDraft): Promise<CreateOutcome>;
  createOrders(drafts: OrderDraft[]): Promise<CreateOutcome[]>;
  loadImports(ids: number[]): Promise<ImportRecord[]>;
  saveImports(records: ImportRecord[]): Promise<void>;
  saveOperations(records: OperationRecord[]): Promise<void>;
  insertOperation(record: OperationRecord): Promise<boolean>;
  operations(query: { states: OperationState[]; shoppingfeedId: number | null }): Promise<OperationRecord[]>;
  tryLock(owner: string, ttlMs: number): Promise<boolean>;
  unlock(owner: string): Promise<void>;
  marketplaceStatusChanged(record: ImportRecord, previous: OrderStatus): Promise<void>;
  listOrders(filter?: OrderFilter): Promise<{ total: number; items: { record: ImportRecord; operations: OperationRecord[] }[] }>;
  recordEvent(event: { kind: string; at: string; data: unknown }): Promise<void>;
  loadUnconfirmed(limit: number): Promise<ImportRecord[]>;
  /** Adds SKUs to this store's catalog. */
  addProducts(skus: Iterable<string>): Promise<void>;
  /** This store's event log, newest first. */
  events(filter?: { limit?: number; kind?: string }): Promise<{ id: number; kind: string; at: string; data: unknown }[]>;
  /** The shop order created for a Shoppingfeed order, with its lines (null when none). */
  shopOrder(shoppingfeedId: number): Promise<({ id: string; status: 'open' | 'cancelled'; lines: unknown[]; draft: OrderDraft } & Record<string, unknown>) | null>;
  /** Metrics of this store; pass `deadline: deadlineStatus` for the oldest order's deadline. */
  metrics(options?: { now?: number; deadline?: (latestShipDate: string | null, createdAt: string | null, now: number) => Deadline }): Promise<StoreMetrics>;
  /** `metrics()` of several stores of this journal in one consistent read (five statements whatever their number). */
  metricsOf(storeIds: number[], options?: { now?: number; deadline?: (latestShipDate: string | null, createdAt: string | null, now: number) => Deadline }): Promise<StoreMetrics[]>;
  /** Schema versions recorded, oldest first. */
  schemaVersions(): Promise<number[]>;
  /** Ends the pool it made (connectionString); a shared pool stays open. */
  close(): Promise<void>;
}

/** A registered store: what every worker needs to run its cycles. Never a token: a reference to one. */
export interface StoreEntry {
  id: number;
  /** `env:NAME` (upper case), `file:/absolute/path` or `file:/absolute/path#KEY`, read by each worker at each cycle. */
  tokenRef: string;
  /** Minutes between cycles (default 10). */
  everyMinutes: number;
  apiUrl?: string;
  name?: string;
  sinceDays?: number;
  autoAccept?: boolean;
  importFulfilled?: boolean;
  includeTest?: boolean;
  addedAt: string;
}

/** What one worker cycle did, and where its time went. */
export interface WorkerCycleResult {
  storeId: number;
  worker: string;
  pid: number;
  jobId: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** Of which waiting on the Shoppingfeed API, and on PostgreSQL (they may overlap). */
  apiMs: number;
  dbMs: number;
  requests: number;
  /** The window in which the cycle talked to the API (epoch ms), null when it made no request. */
  apiFirstAt: number | null;
  apiLastAt: number | null;
  imported: number;
  acknowledged: number;
  failed: number;
  sent: number;
  pending: number;
}

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** Redis URL (the BullMQ queue and the store registry). */
  redis: string;
  /** PostgreSQL URL or a `pg.Pool` (the shared journal). */
  postgres: string | unknown;
  /** Cycles of different stores run side by side in this process (default 4). */
  concurrency?: number;
  /** Queue name (default `shoppingfeed-orders`). */
  queue?: string;
  /** PostgreSQL schema (default `shoppingfeed_orders`). */
  schema?: string;
  /** BullMQ job lease: a dead worker's cycle goes to another worker after it (default 30000). */
  lockDurationMs?: number;
  /** How often dead workers' jobs are looked for (default: lockDurationMs). */
  stalledIntervalMs?: number;
  /** A job finding its store held by another process comes back after this (default 5000). */
  lockedRetryMs?: number;
  /** One API call's limit (default 120000). */
  httpTimeoutMs?: number;
  /** Where `env:` token references are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Engine logs (default none). */
  logger?: Logger | false;
  /** This worker's name in reports (default host:pid). */
  name?: string;
}

/** A running worker. */
export interface ScaleWorker {
  readonly id: string;
  /** `cycle-start`, `cycle` (a {@link WorkerCycleResult}), `cycle-failed` (with `error`), `skipped` (`reason`), `error`. */
  on(event: 'cycle-start' | 'cycle' | 'cycle-failed' | 'skipped' | 'error', listener: (payload: any) => void): () => void;
  /** Counters since start. */
  stats(): { cycles: number; failed: number; skipped: number; busyMs: number; apiMs: number; dbMs: number; imported: number };
  /** Takes no new job, waits for the running cycles, then releases Redis and PostgreSQL. */
  close(): Promise<void>;
}

/** Starts a worker: cycles from the BullMQ queue, one store at a time per store across all workers. */
export function startWorker(options: WorkerOptions): Promise<ScaleWorker>;

/** The control side of a scale-out: the store registry, run-now, metrics, an OrderSync per store. */
export interface Scale {
  /** Registers (or updates) a store and its repeatable job; the first cycle is queued at once. */
  addStore(entry: { id: number; tokenRef: string } & Partial<Omit<StoreEntry, 'id' | 'tokenRef'>>): Promise<StoreEntry>;
  /** Unregisters a store and its schedule (its journal stays). */
  removeStore(id: number): Promise<boolean>;
  /** The registered stores with their next run. */
  listStores(): Promise<(StoreEntry & { nextRunAt: string | null })[]>;
  /** One registered store. */
  getStore(id: number): Promise<StoreEntry | null>;
  /** The PostgresStore of one store id (needs `postgres`; closed with this handle). */
  store(id: number): PostgresStore;
  /** Makes sure a cycle of the store starts after this call; resolves with the job id. */
  runNow(id: number): Promise<string | null>;
  /** Metrics of the registered stores (or of `ids`); needs `postgres`. */
  metrics(ids?: number[]): Promise<StoreMetrics[]>;
  /**
   * The registered stores with their metrics (null without `postgres`) and `late`: no cycle for two of their periods
   * (and a minute), or none since registered that long ago — no worker is taking their jobs.
   */
  overview(): Promise<(StoreEntry & { nextRunAt: string | null; metrics: StoreMetrics | null; late: boolean })[]>;
  /**
   * An OrderSync of a registered store in this process (ship, cancel…: sent at once, or by a cycle asked for right
   * away). Its token is read from the store's reference here, unless `options.token` gives one.
   */
  orderSync(id: number, options?: Partial<OrderSyncOptions>): Promise<OrderSync>;
  /** Releases Redis and PostgreSQL. */
  close(): Promise<void>;
}

/** Opens the control side of a scale-out. */
export function openScale(options: { redis: string; postgres?: string | unknown; queue?: string; schema?: string; env?: Record<string, string | undefined> }): Scale;
/** Parses a token reference; a raw token (anything else) throws `ConfigError` `TokenRef`. */
export function parseTokenRef(ref: string): { kind: 'env'; name: string } | { kind: 'file'; path: string; key: string | null };
/** The token a reference points to, read now; `ConfigError` `TokenMissing` when it cannot be. */
export function resolveToken(ref: string, options?: { env?: Record<string, string | undefined> }): string;

/** The production API URL. */
export const DEFAULT_API_URL: string;

/** Parses a Shoppingfeed order (JSON text or object) leniently; throws `OrderError` (`Malformed`, with `field`). */
export function parseOrder(input: string | object): Record<string, unknown>;
/** Maps a Shoppingfeed order to the draft the shop creates its order from. */
export function toOrderDraft(input: string | object, options?: { defaultCurrency?: string }): OrderDraft;
/** The lifecycle row of a status (or an order): every operation, allowed or why not. */
export function allowedOperations(statusOrOrder: OrderStatus | object): { operation: Operation; allowed: boolean; reason?: string }[];
/**
 * Validates a shipment exactly as the engine will; throws `ShipmentError` with `code` and `field`.
 * Without `context` only the fields are checked: items are checked against the order's lines, which
 * only the context (or the engine, when it ships) has.
 */
export function validateShipment(
  shipment: ShipmentInput,
  context?: { lines?: { id: number | null; quantity: number }[]; channel?: string; shipped?: { id: number; quantity: number }[] },
): ShipmentInput & { complete: boolean };
/**
 * The tracking URL a template gives: `{trackingNumber}` (and `{carrier}`) replaced, URL-encoded; a template
 * without `{trackingNumber}` gets the number appended. `{number}` and `{trackingCode}` are deprecated
 * spellings of `{trackingNumber}`, still read.
 */
export function fillTrackingUrl(template: string, trackingNumber: string, carrier?: string): string;
/** The tracking URL for `carrier` from configured templates: its own (any case), else the `*` one; null when none. */
export function trackingUrlFor(
  templates: Record<string, string> | { name: string; template: string }[] | null | undefined,
  carrier: string,
  trackingNumber: string,
): string | null;
/** Checks a template when it is configured; throws `ConfigError` (`code` `Config`, `field` `trackingUrlTemplate`). */
export function checkTrackingUrlTemplate(template: string): void;
/** Deadline status against a ship-by date. */
export function deadlineStatus(latestShipDate?: string | null, createdAt?: string | null, now?: number | string): Deadline;
/** What a channel supports beyond the basic operations, and whether it requires a tracking URL with each shipment. */
export function channelSupport(channel: string): {
  refund: boolean;
  partialRefund: boolean;
  partialShip: boolean;
  cancel: boolean;
  documents: boolean;
  trackingUrl: boolean;
};
/** One order as the CLI and the dashboard show it. */
export function orderView(record: ImportRecord, operations: OperationRecord[], now?: number | string): OrderView;
/** The stores a token sees. */
export function discoverStores(options: { apiUrl?: string; token: string; http?: OrderSyncOptions['http'] }): Promise<StoreInfo[]>;
/** The engine's version. */
export function engineVersion(): string;
/** The engine class itself (createOrderSync wraps it). */
export const SyncEngine: new (config: object, host: object) => {
  runCycle(): Promise<CycleReport>;
  ship(id: number, shipment: ShipmentInput): Promise<OperationRecord>;
  readonly requests: number;
};
declare const _default: {
  createOrderSync: typeof createOrderSync;
  MemoryStore: typeof MemoryStore;
  SqliteStore: typeof SqliteStore;
  PostgresStore: typeof PostgresStore;
  startWorker: typeof startWorker;
  openScale: typeof openScale;
};
export default _default;
