// Type declarations of shoppingfeed-orders/vendure (hand-written; the plugin is plain CommonJS).
// Vendure's own types are not imported, so this file loads whatever @vendure/core version the shop has.

import type { CycleReport, HttpAnswer, HttpRequest, ImportRecord, Logger, OperationRecord, OrderDraft, OrderStore, RetryPolicy } from '../index.js';

/** Options of {@link ShoppingfeedPlugin.init}. */
export interface ShoppingfeedPluginOptions {
  /** The Shoppingfeed API token (never printed or logged). */
  token: string;
  /** The Shoppingfeed store id; absent: discovered with GET /v1/me (the token must see exactly one store). */
  storeId?: number;
  /** API base URL (default https://api.shopping-feed.com; the sandbox's URL in tests). */
  apiUrl?: string;
  /** Minutes between two imports (default 10): 1–59, or whole hours (60, 120, …). Needs DefaultSchedulerPlugin. */
  everyMinutes?: number;
  /** Accept orders of channels that need the store's acceptance (default false). */
  autoAccept?: boolean;
  /** Tracking URL per carrier (matched case-insensitively on the fulfillment's method; `*` for any other), with
   * `{trackingNumber}` and `{carrier}` replaced (`{trackingCode}`: a deprecated spelling of `{trackingNumber}`, still read;
   * without `{trackingNumber}` the number is appended), the engine's one template syntax, checked at init. Used when
   * the fulfillment has no tracking URL. */
  trackingUrlTemplates?: Record<string, string>;
  /** Name of the Fulfillment custom field holding a tracking URL (default `trackingUrl`; added unless it exists). */
  trackingUrlField?: string;
  /** Token of the Vendure channel the orders are created in (default: the default channel). */
  channelToken?: string;
  /** Import orders created in the last N days (default 7). */
  sinceDays?: number;
  /** Also import marketplace-fulfilled orders (FBA and the like; default false). Vendure allocates stock for them as usual. */
  importFulfilled?: boolean;
  /** Import Shoppingfeed test orders too (default false). */
  includeTest?: boolean;
  /** Failed creation attempts before the error acknowledgement is sent (default 1). */
  errorAckAfter?: number;
  /** Retry limits of the API client. */
  retry?: RetryPolicy;
  /** Timeout of one scheduled sync (default '10m'). */
  taskTimeout?: number | string;
  /** The connector's logger (default: Vendure's Logger, context `ShoppingfeedPlugin`); `false` silences it. */
  logger?: Logger | false;
  /** The host's HTTP layer (default: global fetch). */
  http?: (request: HttpRequest) => Promise<HttpAnswer> | HttpAnswer;
  /** The current time, for sandboxes with a manual clock (default Date.now). */
  now?: () => number | string | Date;
}

/**
 * The Vendure 3 plugin (@vendure/core >= 3.3):
 * `plugins: [DefaultSchedulerPlugin.init(), ShoppingfeedPlugin.init({ token, storeId })]`.
 */
export declare class ShoppingfeedPlugin {
  static options: ShoppingfeedPluginOptions | undefined;
  static init(options: ShoppingfeedPluginOptions): typeof ShoppingfeedPlugin;
}

/** The plugin's provider: `injector.get(ShoppingfeedService)`. */
export declare class ShoppingfeedService {
  /** One sync cycle now (what the scheduled task runs); a summary of the report (at most 10 issues). */
  runOnce(): Promise<CycleReport>;
  /** The connector itself (engine + the Vendure store): `ship`, `cancel`, `refund`, `orders()`… */
  getSync(): import('../index.js').OrderSync;
  /** The OrderStore kept in Vendure's database. */
  readonly store: VendureOrderStore;
  /** Resolves when the admin hooks queued so far (ship, cancel) have run. */
  idle(): Promise<void>;
  /** How many admin hook events this process has handled. */
  readonly hooksRun: number;
  /** OrderStore.createOrder through Vendure's OrderService; idempotent on the Shoppingfeed id. */
  createOrder(draft: OrderDraft): Promise<{ outcome: 'created'; shopOrderId: string; existed?: boolean } | { outcome: 'rejected'; message: string }>;
  /** The marketplace cancelled, refused or refunded the order: cancels it in Vendure (or adds a note). */
  marketplaceStatusChanged(record: ImportRecord, previous: string): Promise<void>;
}

/** The journal (imports, operations, lock, events) in the plugin's entities. */
export declare class VendureOrderStore implements OrderStore {
  constructor(deps: {
    dataSource: () => unknown;
    shop: Pick<ShoppingfeedService, 'createOrder' | 'marketplaceStatusChanged'> | null;
    lockName: string;
  });
  createOrder(draft: OrderDraft): Promise<{ outcome: 'created'; shopOrderId: string; existed?: boolean } | { outcome: 'rejected'; message: string }>;
  loadImports(ids: number[]): Promise<ImportRecord[]>;
  saveImports(records: ImportRecord[]): Promise<void>;
  saveOperations(records: OperationRecord[]): Promise<void>;
  operations(query: { states: OperationRecord['state'][]; shoppingfeedId: number | null }): Promise<OperationRecord[]>;
  tryLock(owner: string, ttlMs: number): Promise<boolean>;
  unlock(owner: string): Promise<void>;
  marketplaceStatusChanged(record: ImportRecord, previous: string): Promise<void>;
  listOrders(filter?: { limit?: number; offset?: number; status?: string; channel?: string }): Promise<{ total: number; items: { record: ImportRecord; operations: OperationRecord[] }[] }>;
  recordEvent(event: { kind: string; at: string; data: unknown }): Promise<void>;
  events(limit?: number): Promise<{ kind: string; at: string; data: unknown }[]>;
}

/** Table `shoppingfeed_import`: one row per Shoppingfeed order seen. */
export declare class ShoppingfeedImport {
  shoppingfeedId: string;
  state: string;
  status: string;
  channel: string;
  shopOrderId: string | null;
  orderCreatedAt: string | null;
  updatedAt: string;
  /** The ImportRecord as JSON. */
  record: string;
}
/** Table `shoppingfeed_operation`: one row per outbound operation. */
export declare class ShoppingfeedOperation {
  id: string;
  shoppingfeedId: string;
  state: string;
  updatedAt: string;
  /** The OperationRecord as JSON. */
  record: string;
}
/** Table `shoppingfeed_lock`. */
export declare class ShoppingfeedLock {
  name: string;
  owner: string;
  expiresAt: number | string;
}
/** Table `shoppingfeed_event`: cycle reports and operations, newest kept. */
export declare class ShoppingfeedEvent {
  id: number;
  kind: string;
  at: string;
  data: string;
}

/** OrderItemPriceCalculationStrategy wrapper: marketplace lines at the marketplace's unit price, tax included. */
export declare class MarketplacePriceCalculationStrategy {
  constructor(inner: unknown);
}
/** TaxLineCalculationStrategy wrapper: marketplace lines taxed at the rate their tax amount implies. */
export declare class MarketplaceTaxLineCalculationStrategy {
  constructor(inner: unknown);
}

/** Codes of the shipping method, calculator, eligibility checker and fulfillment handler the plugin adds. */
export declare const SHOPPINGFEED_CODES: {
  shippingMethod: 'shoppingfeed';
  shippingCalculator: 'shoppingfeed-marketplace-shipping';
  eligibilityChecker: 'shoppingfeed-marketplace-order';
  fulfillmentHandler: 'shoppingfeed-fulfillment';
};
/** Id of the scheduled task (`runScheduledTask(id: "shoppingfeed-sync")` in the Admin API). */
export declare const SHOPPINGFEED_TASK_ID: 'shoppingfeed-sync';
