// Compiled by `tsc --noEmit --strict` (make test): the declarations as a shop's TypeScript uses them.
import { createOrderSync, MemoryStore, isShoppingfeedError, validateShipment } from 'shoppingfeed-orders';
import type { CycleReport, OrderStore, OrderView, ShoppingfeedError } from 'shoppingfeed-orders';

const store: OrderStore = new MemoryStore();
const sync = createOrderSync({ token: 'secret', storeId: 1, store, sinceDays: 7, retry: { maxAttempts: 3 }, logger: false });
const off = sync.on('cycle', (r: CycleReport) => r.imported + r.acknowledged);
off();
sync.on('error', (e: ShoppingfeedError) => e.code);

export async function example(): Promise<OrderView[]> {
  try {
    const report = await sync.runOnce();
    const op = await sync.ship(1, { carrier: 'DPD', trackingNumber: '09876543210', trackingUrl: 'https://trace.dpd.fr/fr/trace/09876543210' });
    if (op.state === 'sent' && report.sent >= 0) validateShipment({ carrier: 'DPD', trackingNumber: '01234567890123' });
  } catch (e) {
    if (isShoppingfeedError(e) && e.code === 'AlreadyShipped') return [];
    throw e;
  }
  const { orders } = await sync.orders({ needsAttention: true, limit: 50 });
  return orders.filter((o) => o.deadline.state === 'overdue');
}
