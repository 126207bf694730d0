'use strict';
// VendureOrderStore: the engine's OrderStore on Vendure. The journal (imports, operations, lock, events) lives
// in the plugin's entities; orders are created and cancelled by the ShoppingfeedService through Vendure's
// own services. No side file.

const { typeorm } = require('./peer.cjs');
const { ShoppingfeedImport, ShoppingfeedOperation, ShoppingfeedLock, ShoppingfeedEvent } = require('./entities.cjs');

const { In, LessThan } = typeorm;
const CHUNK = 500;
const EVENTS_KEPT = 2000;

/** @param {any[]} list @param {number} size */
function chunks(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

class VendureOrderStore {
  /**
   * @param {object} deps
   * @param {() => import('typeorm').DataSource} deps.dataSource   Vendure's connection (raw)
   * @param {{ createOrder(draft: any): Promise<any>, marketplaceStatusChanged(record: any, previous: string): Promise<void> }} deps.shop
   * @param {string} deps.lockName
   */
  constructor({ dataSource, shop, lockName }) {
    this.dataSource = dataSource;
    this.shop = shop;
    this.lockName = lockName;
    this.eventsSincePrune = 0;
  }

  /** @param {Function} entity */
  repo(entity) {
    return this.dataSource().getRepository(/** @type {any} */ (entity));
  }

  createOrder(draft) {
    return this.shop.createOrder(draft);
  }

  marketplaceStatusChanged(record, previous) {
    return this.shop.marketplaceStatusChanged(record, previous);
  }

  /** @param {number[]} ids */
  async loadImports(ids) {
    const out = [];
    for (const part of chunks(ids.map(String), CHUNK)) {
      const rows = await this.repo(ShoppingfeedImport).find({ where: { shoppingfeedId: In(part) } });
      for (const row of rows) out.push(JSON.parse(row.record));
    }
    return out;
  }

  /** @param {any[]} records */
  async saveImports(records) {
    if (records.length === 0) return;
    const rows = records.map(
      (r) =>
        new ShoppingfeedImport({
          shoppingfeedId: String(r.shoppingfeedId),
          state: r.state,
          status: String(r.order?.status ?? ''),
          channel: String(r.channel?.name ?? ''),
          shopOrderId: r.shopOrderId ?? null,
          orderCreatedAt: r.order?.createdAt ?? null,
          updatedAt: r.updatedAt ?? new Date().toISOString(),
          record: JSON.stringify(r),
        }),
    );
    await this.dataSource().transaction((m) => m.save(ShoppingfeedImport, rows, { chunk: 100 }));
  }

  /** @param {any[]} records */
  async saveOperations(records) {
    if (records.length === 0) return;
    const rows = records.map(
      (r) =>
        new ShoppingfeedOperation({
          id: r.id,
          shoppingfeedId: String(r.shoppingfeedId),
          state: r.state,
          updatedAt: r.updatedAt ?? new Date().toISOString(),
          record: JSON.stringify(r),
        }),
    );
    await this.dataSource().transaction((m) => m.save(ShoppingfeedOperation, rows, { chunk: 100 }));
  }

  /**
   * Writes a new operation record unless one with its id exists: false then, nothing written. The primary
   * key decides, so of two servers recording the same shipment at once only the first is kept.
   * @param {any} r @returns {Promise<boolean>}
   */
  async insertOperation(r) {
    const repo = this.repo(ShoppingfeedOperation);
    const row = new ShoppingfeedOperation({
      id: r.id,
      shoppingfeedId: String(r.shoppingfeedId),
      state: r.state,
      updatedAt: r.updatedAt ?? new Date().toISOString(),
      record: JSON.stringify(r),
    });
    try {
      await repo.insert(row);
      return true;
    } catch (err) {
      // Refused by the primary key: the other caller recorded it first. Any other failure is a failure.
      if (await repo.findOne({ where: { id: r.id } })) return false;
      throw err;
    }
  }

  /** @param {{ states: string[], shoppingfeedId: number | null }} query */
  async operations(query) {
    /** @type {Record<string, any>} */
    const where = {};
    if (query.states?.length) where.state = In(query.states);
    if (query.shoppingfeedId != null) where.shoppingfeedId = String(query.shoppingfeedId);
    const rows = await this.repo(ShoppingfeedOperation).find({ where });
    return rows.map((row) => JSON.parse(row.record));
  }

  /**
   * Takes the sync lock: a conditional update (ours, or expired) then a read-back, so two processes
   * racing on any database see one winner.
   * @param {string} owner @param {number} ttlMs
   */
  async tryLock(owner, ttlMs) {
    const repo = this.repo(ShoppingfeedLock);
    const now = Date.now();
    const expiresAt = now + ttlMs;
    const existing = await repo.findOne({ where: { name: this.lockName } });
    if (!existing) {
      try {
        await repo.insert({ name: this.lockName, owner, expiresAt });
        return true;
      } catch {
        // another process inserted it first: fall through to the conditional update
      }
    }
    await repo
      .createQueryBuilder()
      .update()
      .set({ owner, expiresAt })
      .where([
        { name: this.lockName, owner },
        { name: this.lockName, expiresAt: LessThan(now) },
      ])
      .execute();
    const row = await repo.findOne({ where: { name: this.lockName } });
    return !!row && row.owner === owner && Number(row.expiresAt) === expiresAt;
  }

  /** @param {string} owner */
  async unlock(owner) {
    await this.repo(ShoppingfeedLock).delete({ name: this.lockName, owner });
  }

  /** @param {{ limit?: number, offset?: number, status?: string, channel?: string }} [filter] */
  async listOrders(filter = {}) {
    const qb = this.repo(ShoppingfeedImport).createQueryBuilder('i');
    if (filter.status) qb.andWhere('i.status = :status', { status: filter.status });
    if (filter.channel) qb.andWhere('LOWER(i.channel) = :channel', { channel: String(filter.channel).toLowerCase() });
    qb.orderBy('i.orderCreatedAt', 'DESC').addOrderBy('i.shoppingfeedId', 'DESC');
    qb.skip(filter.offset ?? 0).take(filter.limit ?? 100);
    const [rows, total] = await qb.getManyAndCount();
    const ids = rows.map((r) => r.shoppingfeedId);
    const ops = ids.length ? await this.repo(ShoppingfeedOperation).find({ where: { shoppingfeedId: In(ids) } }) : [];
    const items = rows.map((row) => ({
      record: JSON.parse(row.record),
      operations: ops.filter((o) => o.shoppingfeedId === row.shoppingfeedId).map((o) => JSON.parse(o.record)),
    }));
    return { total, items };
  }

  /** @param {{ kind: string, at: string, data: unknown }} event */
  async recordEvent(event) {
    const repo = this.repo(ShoppingfeedEvent);
    const saved = await repo.save(new ShoppingfeedEvent({ kind: event.kind, at: event.at, data: JSON.stringify(event.data ?? null) }));
    if (++this.eventsSincePrune >= 100) {
      this.eventsSincePrune = 0;
      await repo.delete({ id: LessThan(Number(saved.id) - EVENTS_KEPT) });
    }
  }

  /** The newest events (for the admin and tests). @param {number} [limit] */
  async events(limit = 50) {
    const rows = await this.repo(ShoppingfeedEvent).find({ order: { id: 'DESC' }, take: limit });
    return rows.map((r) => ({ kind: r.kind, at: r.at, data: JSON.parse(r.data) }));
  }
}

module.exports = { VendureOrderStore };
