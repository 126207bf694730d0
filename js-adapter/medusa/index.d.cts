// Type declarations of shoppingfeed-orders/medusa (hand-written). Medusa's own types are left as `any` here so
// that this file type-checks without Medusa installed; in a Medusa project pass your MedusaContainer.

import type { CycleReport, OrderDraft, CreateOutcome, ImportRecord, OperationRecord, OrderSync, OrderSyncOptions, OrderFilter } from '../index.js';

/** The plugin's options (`plugins: [{ resolve: 'shoppingfeed-orders/medusa', options }]` in medusa-config). */
export interface ShoppingfeedMedusaOptions {
  /** The Shoppingfeed API token (never printed or logged). */
  token: string;
  /** The Shoppingfeed store id; absent: discovered with GET /v1/me (several stores → `AmbiguousStore` error). */
  storeId?: number;
  /** API base URL (default https://api.shopping-feed.com; the sandbox's URL to try it). */
  apiUrl?: string;
  /** Minutes between two scheduled syncs (default 10; a divisor of 60 gives a cron tick, anything else an interval). */
  everyMinutes?: number;
  /** Accept orders of channels that need the store's acceptance (default false). */
  autoAccept?: boolean;
  /** Also import orders the marketplace fulfils itself (FBA and the like), without stock effect (default false). */
  importFulfilled?: boolean;
  /** Import Shoppingfeed test orders too (default false). */
  includeTest?: boolean;
  /** Import orders created in the last N days (default 7). */
  sinceDays?: number;
  /** Failed creation attempts before the error acknowledgement is sent (default 1). */
  errorAckAfter?: number;
  /** Retry limits of the Shoppingfeed API calls. */
  retry?: OrderSyncOptions['retry'];
  /** The region of marketplace orders; absent: a region in the order's currency that contains its country. */
  regionId?: string;
  /** The sales channel of marketplace orders; absent: the store's default sales channel. */
  salesChannelId?: string;
  /**
   * The shipping option of marketplace orders (it decides the stock location and provider of fulfillments);
   * absent: the option named like the buyer's carrier, else one whose service zone covers the country.
   */
  shippingOptionId?: string;
  /** Carrier names sent to Shoppingfeed, by shipping option id, shipping option name or fulfillment provider id (default: the shipping option's name). */
  carriers?: Record<string, string>;
  /** Tracking URL templates by carrier name (`{trackingNumber}`, `{carrier}`; key `*` for any; no `{trackingNumber}`: the number is appended), used when a label has no http(s) tracking URL. */
  trackingUrlTemplates?: Record<string, string>;
  /** The host's HTTP layer (default: the global fetch). */
  http?: OrderSyncOptions['http'];
  /** The engine's log lines go to Medusa's logger; `false` silences them. */
  logger?: false;
}

/** The connector of one Medusa application: the engine, the shop side and the journal. */
export interface MedusaConnector {
  readonly options: ShoppingfeedMedusaOptions;
  readonly journal: Journal;
  readonly shop: MedusaShop;
  /** Cycles ended in this process. */
  readonly cycles: number;
  readonly lastCycle: (Omit<CycleReport, 'issues'> & { issues: CycleReport['issues']; endedAt: string }) | null;
  readonly lastError: { code: string | null; message: string; endedAt: string } | null;
  /** Admin hooks (subscribers) run and failed in this process. */
  readonly hooks: { run: number; failed: number };
  /** The OrderSync (made on first use; throws a `ConfigError` without a token). */
  getSync(): OrderSync;
  /** One cycle; a call while one runs in this process joins it. */
  runOnce(): Promise<Omit<CycleReport, 'issues'> & { issues: CycleReport['issues']; endedAt: string }>;
}

/** The journal on the `shoppingfeed` module's tables (the engine's OrderStore minus order creation). */
export class Journal {
  constructor(knex: () => any);
  loadImports(ids: number[]): Promise<ImportRecord[]>;
  saveImports(records: ImportRecord[]): Promise<void>;
  saveOperations(records: OperationRecord[]): Promise<void>;
  operations(query: { states?: string[]; shoppingfeedId?: number | null }): Promise<OperationRecord[]>;
  loadUnconfirmed(limit: number): Promise<ImportRecord[]>;
  tryLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  unlock(name: string, owner: string): Promise<void>;
  listOrders(filter?: OrderFilter): Promise<{ total: number; items: { record: ImportRecord; operations: OperationRecord[] }[] }>;
  recordEvent(event: { kind: string; at: string; data: unknown }, newId: () => string): Promise<void>;
  events(filter?: { limit?: number; kind?: string }): Promise<{ kind: string; at: string; data: unknown }[]>;
}

/** The engine's order side on Medusa: creates orders with the import workflow, cancels them on marketplace cancellations. */
export class MedusaShop {
  constructor(deps: { container: any; options: ShoppingfeedMedusaOptions; logger: { info(m: string): void; warn(m: string): void; error(m: string): void; debug?(m: string): void } });
  /** Idempotent on `draft.shoppingfeedId` (kept in the order's metadata); `shopOrderId` is the Medusa display id. */
  createOrder(draft: OrderDraft): Promise<CreateOutcome>;
  marketplaceStatusChanged(record: ImportRecord, previous: string): Promise<void>;
  /** The Medusa order made from a Shoppingfeed order, or null. */
  findOrder(shoppingfeedId: number): Promise<{ id: string; display_id: number; status: string } | null>;
}

/** The name the plugin's module is registered under in Medusa's container. */
export const SHOPPINGFEED_MODULE: 'shoppingfeed';
/** The workflow id of the import workflow. */
export const IMPORT_WORKFLOW_ID: 'shoppingfeed-import-order';
/** The import workflow (createOrderWorkflow → marketplace tax lines → reservations → payment collection → marked as paid). */
export const importMarketplaceOrderWorkflow: any;

/** The connector of the Medusa application `container` belongs to. */
export function getConnector(container: any): MedusaConnector;
/** One sync cycle now (what the scheduled job runs). */
export function runShoppingfeedSync(container: any): ReturnType<MedusaConnector['runOnce']>;
/** The OrderSync of this Medusa application: orders(), refund(), deliver(), uploadInvoice(), … */
export function getShoppingfeedSync(container: any): OrderSync;
/** The `shipment.created` hook: sends the shipment of a fulfillment once. */
export function shipFulfillment(connector: MedusaConnector, fulfillmentId: string): Promise<void>;
/** The `order.canceled` hook: sends `cancel` unless the marketplace cancelled the order. */
export function orderCanceled(connector: MedusaConnector, orderId: string): Promise<void>;
/** Expands a per-carrier tracking URL template. */
export function trackingUrlFrom(templates: Record<string, string> | undefined, carrier: string, trackingNumber: string): string | null;
