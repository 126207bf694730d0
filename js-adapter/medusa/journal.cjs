'use strict';
// Journal: the engine's OrderStore minus order creation, on the `shoppingfeed` module's tables (see
// .medusa/server/src/modules/shoppingfeed). Upserts run in one transaction; the lock is one atomic
// statement, so two Medusa processes (server and worker) never run a cycle at the same time.

const CHUNK = 200;
const EVENTS_KEPT = 2000;

/** @param {any[]} list @param {number} size */
function chunks(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** A jsonb column as read back (pg parses it; a string only if something stored text). */
function parsed(value) {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** An ISO date the engine sent, or null when absent or unreadable. */
function dateOrNull(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

class Journal {
  /** @param {() => import('knex').Knex} knex the module's connection */
  constructor(knex) {
    this.knex = knex;
    this.eventsSincePrune = 0;
  }

  /** @param {number[]} ids */
  async loadImports(ids) {
    const out = [];
    for (const part of chunks(ids.map(String), CHUNK)) {
      const rows = await this.knex()('shoppingfeed_import').select('record').whereIn('id', part).whereNull('deleted_at');
      for (const row of rows) out.push(parsed(row.record));
    }
    return out;
  }

  /** @param {any[]} records */
  async saveImports(records) {
    if (records.length === 0) return;
    const rows = records.map((r) => ({
      id: String(r.shoppingfeedId),
      state: String(r.state),
      status: String(r.order?.status ?? ''),
      channel: String(r.channel?.name ?? ''),
      shop_order_id: r.shopOrderId ?? null,
      order_created_at: dateOrNull(r.order?.createdAt),
      record: JSON.stringify(r),
      updated_at: new Date(),
      deleted_at: null,
    }));
    await this.knex().transaction(async (trx) => {
      for (const part of chunks(rows, CHUNK)) {
        await trx('shoppingfeed_import')
          .insert(part)
          .onConflict('id')
          .merge(['state', 'status', 'channel', 'shop_order_id', 'order_created_at', 'record', 'updated_at', 'deleted_at']);
      }
    });
  }

  /** @param {any[]} records */
  async saveOperations(records) {
    if (records.length === 0) return;
    const rows = records.map((r) => ({
      id: String(r.id),
      shoppingfeed_id: String(r.shoppingfeedId),
      state: String(r.state),
      record: JSON.stringify(r),
      updated_at: new Date(),
      deleted_at: null,
    }));
    await this.knex().transaction(async (trx) => {
      for (const part of chunks(rows, CHUNK)) {
        await trx('shoppingfeed_operation').insert(part).onConflict('id').merge(['shoppingfeed_id', 'state', 'record', 'updated_at', 'deleted_at']);
      }
    });
  }

  /**
   * Writes a new operation record unless one with its id exists: false then, nothing written. The primary
   * key decides, so of two servers recording the same shipment at once only the first is kept.
   * @param {any} r @returns {Promise<boolean>}
   */
  async insertOperation(r) {
    const rows = await this.knex()('shoppingfeed_operation')
      .insert({ id: String(r.id), shoppingfeed_id: String(r.shoppingfeedId), state: String(r.state), record: JSON.stringify(r), updated_at: new Date(), deleted_at: null })
      .onConflict('id')
      .ignore()
      .returning('id');
    return rows.length === 1;
  }

  /** @param {{ states?: string[], shoppingfeedId?: number | null }} query */
  async operations(query) {
    const q = this.knex()('shoppingfeed_operation').select('record').whereNull('deleted_at');
    if (query.states?.length) q.whereIn('state', query.states);
    if (query.shoppingfeedId != null) q.where('shoppingfeed_id', String(query.shoppingfeedId));
    const rows = await q.orderBy('created_at', 'asc');
    return rows.map((row) => parsed(row.record));
  }

  /** Imports whose acknowledgement is not confirmed yet. @param {number} limit */
  async loadUnconfirmed(limit) {
    const rows = await this.knex()('shoppingfeed_import').select('record').where('state', 'created').whereNull('deleted_at').limit(limit);
    return rows.map((row) => parsed(row.record));
  }

  /**
   * Takes (or renews) the lock `name` for `ttlMs`: one statement that inserts it, or takes it over when it is
   * ours or expired; the database's clock decides expiry.
   * @param {string} name @param {string} owner @param {number} ttlMs
   */
  async tryLock(name, owner, ttlMs) {
    const ms = Math.max(1, Math.round(Number(ttlMs) || 0));
    const { rows } = await this.knex().raw(
      `insert into shoppingfeed_lock (id, owner, expires_at) values (?, ?, now() + (? * interval '1 millisecond'))
       on conflict (id) do update set owner = excluded.owner, expires_at = excluded.expires_at, updated_at = now(), deleted_at = null
       where shoppingfeed_lock.owner = excluded.owner or shoppingfeed_lock.expires_at < now() or shoppingfeed_lock.deleted_at is not null
       returning owner`,
      [name, owner, ms],
    );
    return rows.length === 1 && rows[0].owner === owner;
  }

  /** @param {string} name @param {string} owner */
  async unlock(name, owner) {
    await this.knex()('shoppingfeed_lock').where({ id: name, owner }).delete();
  }

  /** @param {{ limit?: number, offset?: number, status?: string, channel?: string }} [filter] */
  async listOrders(filter = {}) {
    const base = () => {
      const q = this.knex()('shoppingfeed_import').whereNull('deleted_at');
      if (filter.status) q.where('status', filter.status);
      if (filter.channel) q.whereRaw('lower(channel) = ?', [String(filter.channel).toLowerCase()]);
      return q;
    };
    const [{ count }] = await base().count({ count: '*' });
    const rows = await base()
      .select('id', 'record')
      .orderByRaw('order_created_at desc nulls last, length(id) desc, id desc')
      .offset(filter.offset ?? 0)
      .limit(filter.limit ?? 100);
    const ids = rows.map((r) => r.id);
    const ops = ids.length
      ? await this.knex()('shoppingfeed_operation').select('shoppingfeed_id', 'record').whereIn('shoppingfeed_id', ids).whereNull('deleted_at').orderBy('created_at', 'asc')
      : [];
    const items = rows.map((row) => ({
      record: parsed(row.record),
      operations: ops.filter((o) => o.shoppingfeed_id === row.id).map((o) => parsed(o.record)),
    }));
    return { total: Number(count), items };
  }

  /** @param {{ kind: string, at: string, data: unknown }} event @param {() => string} newId */
  async recordEvent(event, newId) {
    await this.knex()('shoppingfeed_event').insert({
      id: newId(),
      kind: String(event.kind),
      at: dateOrNull(event.at) ?? new Date(),
      data: JSON.stringify(event.data ?? null),
    });
    if (++this.eventsSincePrune >= 100) {
      this.eventsSincePrune = 0;
      await this.knex().raw(
        `delete from shoppingfeed_event where id in (select id from shoppingfeed_event order by at desc, id desc offset ?)`,
        [EVENTS_KEPT],
      );
    }
  }

  /** The newest events (admin route, tests). @param {{ limit?: number, kind?: string }} [filter] */
  async events(filter = {}) {
    const q = this.knex()('shoppingfeed_event').select('kind', 'at', 'data').whereNull('deleted_at');
    if (filter.kind) q.where('kind', filter.kind);
    const rows = await q.orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(filter.limit ?? 50);
    return rows.map((r) => ({ kind: r.kind, at: new Date(r.at).toISOString(), data: parsed(r.data) }));
  }
}

module.exports = { Journal };
