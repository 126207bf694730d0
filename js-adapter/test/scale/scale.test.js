// @ts-check
// Scale-out end to end: Redis and PostgreSQL started for the run (scripts/services.sh), a sandbox of
// 20 stores × 500 orders, three `shoppingfeed-orders worker` processes on one BullMQ queue and one
// PostgreSQL journal. One worker is killed (SIGKILL) in the middle of a cycle, another stopped with
// SIGTERM in the middle of one; ship operations are recorded from this process while workers run.
// Checked against the sandbox (its orders and its request log) and the journal: every order imported
// and acknowledged exactly once, every ship sent once, the killed cycle finished by another worker,
// and no two workers ever talking to the API for the same store at the same time.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRig, storeOfPath, TOKEN_VAR } from './harness.js';
import { cliArgs } from './cli.js';

const STORES = 20;
const PER_STORE = 500;
const LOCK_MS = 4000;

/** @type {Awaited<ReturnType<typeof startRig>>} */
let rig;
/** @type {import('./harness.js').WorkerProc[]} */
let workers = [];
/** Windows in which this process sent a store's requests itself (a ship sent at once). @type {{storeId: number, start: number, end: number, owner: string}[]} */
const recorderWindows = [];
/** Every ship recorded: order id → {storeId, trackingNumber, state at record time}. @type {Map<number, {storeId: number, trackingNumber: string, state: string}>} */
const ships = new Map();
/** @type {{ worker: import('./harness.js').WorkerProc, at: number, jobs: any[] } | null} */
let killed = null;
/** @type {number} */
let extraStore = 0;

/**
 * Runs `shoppingfeed-orders <name> …` and resolves with its exit code and output.
 * @param {string} name @param {string[]} args
 */
function runCli(name, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgs(name, args), { env: rig.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  }).then((/** @type {any} */ r) => /** @type {{code: number, stdout: string, stderr: string}} */ (r));
}

/** Journal entries of a store in a state. @param {number} storeId @param {string} state */
async function journal(storeId, state) {
  return rig.rows('SELECT shoppingfeed_id::float8 AS id, shop_order_id AS shop FROM {s}.imports WHERE store_id = $1 AND state = $2 ORDER BY shoppingfeed_id', [storeId, state]);
}

/**
 * Records a ship from this process (as a shop's back office would), its API window noted.
 * @param {number} storeId @param {number} orderId
 */
async function recordShip(storeId, orderId) {
  /** @type {{first: number | null, last: number | null}} */
  const w = { first: null, last: null };
  const http = async (/** @type {any} */ req) => {
    w.first ??= Date.now();
    try {
      const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
      return { status: res.status, headers: res.headers, body: await res.text() };
    } finally {
      w.last = Date.now();
    }
  };
  const sync = await rig.scale.orderSync(storeId, { http });
  const trackingNumber = `6A${String(orderId).slice(-11).padStart(11, '0')}`;
  const op = await sync.ship(orderId, { carrier: 'Colissimo', trackingNumber, trackingUrl: `https://www.laposte.fr/outils/suivre-vos-envois?code=${trackingNumber}` });
  ships.set(orderId, { storeId, trackingNumber, state: op.state });
  if (w.first !== null) recorderWindows.push({ storeId, start: w.first, end: /** @type {number} */ (w.last), owner: 'recorder' });
  return op;
}

/** Active cycles of a worker: cycle-start events with no end (cycle, cycle-failed, skipped) after them. @param {import('./harness.js').WorkerProc} w */
function activeCycles(w) {
  /** @type {Map<string, any>} */
  const open = new Map();
  for (const e of w.events) {
    if (e.event === 'cycle-start') open.set(String(e.jobId), e);
    else if (['cycle', 'cycle-failed', 'skipped'].includes(e.event)) open.delete(String(e.jobId));
  }
  return [...open.values()];
}

describe('scale-out: 3 workers, 20 stores × 500 orders', { timeout: 240_000 }, () => {
  before(async () => {
    rig = await startRig({ stores: STORES, ordersPerStore: PER_STORE, tag: 'scale' });
  });
  after(async () => {
    await rig?.close();
  });

  test('three workers import every store; one killed with SIGKILL mid-cycle: its cycle completes on another worker', async () => {
    const t0 = Date.now();
    workers = await Promise.all([1, 2, 3].map((i) => rig.spawnWorker({ concurrency: 2, lockMs: LOCK_MS, name: `w${i}` })));
    const ids = rig.sb.storeIds;

    // Two stores through the CLI (the token *reference* only), the others through the API.
    for (const id of ids.slice(0, 2)) {
      const r = await runCli('stores', ['add', String(id), '--token-ref', `env:${TOKEN_VAR}`, '--api-url', rig.sb.url,
        '--redis', rig.services.redisUrl, '--queue', rig.queue, '--name', `store ${id}`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const raw = await runCli('stores', ['add', String(ids[2]), '--token-ref', rig.sb.token, '--redis', rig.services.redisUrl, '--queue', rig.queue]);
    assert.equal(raw.code, 2, 'a raw token is refused');
    assert.match(raw.stderr, /token reference is env:NAME/);
    assert.ok(!raw.stderr.includes(rig.sb.token), 'the refused token is not echoed');
    for (const id of ids.slice(2)) await rig.scale.addStore({ id, tokenRef: `env:${TOKEN_VAR}`, apiUrl: rig.sb.url });
    const stored = await rig.scale.registry.redis.hgetall(`${rig.queue}:stores`);
    assert.equal(Object.keys(stored).length, STORES);
    assert.ok(!JSON.stringify(stored).includes(rig.sb.token), 'no token in Redis');

    // The victim: w1, in the middle of a cycle that has created some orders but not all.
    const victim = workers[0];
    await rig.until(async () => {
      const counts = await rig.ordersPerStore();
      return activeCycles(victim).some((c) => {
        const n = counts.get(c.storeId) ?? 0;
        return n >= 100 && n < PER_STORE;
      });
    }, 'w1 in the middle of an import', 60_000, 5);
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    const { signal } = await victim.exited;
    assert.equal(signal, 'SIGKILL');
    // Its cycles that were running (all it printed has been read by now).
    killed = { worker: victim, at: killedAt, jobs: activeCycles(victim) };
    const midway = await rig.ordersPerStore();
    const cut = killed.jobs.filter((j) => (midway.get(j.storeId) ?? 0) < PER_STORE);
    assert.ok(cut.length >= 1, `a store left half-imported: ${JSON.stringify(killed.jobs)}`);

    // While the two others work: ship three orders of eight stores as soon as each has some.
    const shipStores = ids.filter((id) => !killed?.jobs.some((j) => j.storeId === id)).slice(0, 8);
    const shipping = Promise.all(shipStores.map(async (storeId) => {
      await rig.until(async () => (await journal(storeId, 'acknowledged')).length >= 3, `acknowledged orders in ${storeId}`, 120_000, 20);
      for (const o of (await journal(storeId, 'acknowledged')).slice(0, 3)) await recordShip(storeId, o.id);
    }));

    // Every order of every store in the journal and acknowledged at Shoppingfeed.
    await rig.until(async () => {
      const counts = await rig.ordersPerStore();
      return ids.every((id) => counts.get(id) === PER_STORE)
        && ids.every((id) => rig.sandboxOrders(id).every((o) => o.acknowledgedAt !== null));
    }, 'all orders imported and acknowledged', 150_000, 100);
    await shipping;

    // The killed jobs were taken over once their lease expired, and completed by the survivors.
    for (const j of killed.jobs) {
      const done = await Promise.any(workers.slice(1).map((w) => w.waitFor((e) => e.event === 'cycle' && String(e.jobId) === String(j.jobId), 60_000)));
      assert.notEqual(done.pid, victim.pid);
      assert.ok(Date.parse(done.startedAt) >= killed.at + 1000, `retried after the lease: ${done.startedAt} vs kill at ${new Date(killed.at).toISOString()}`);
    }
    const all = [...rig.sb.storeIds];
    assert.equal(all.length, STORES);
    process.stderr.write(`# scale: ${STORES * PER_STORE} orders imported by 3 workers (one killed) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  test('ship operations recorded while a worker’s cycle holds the store are queued, then sent once by a worker', async () => {
    const targets = rig.sb.storeIds.slice(10, 14);
    for (const storeId of targets) {
      // New orders, and a slow acknowledgement: the cycle holds the store while ships are recorded.
      rig.addOrders(storeId, 300);
      rig.sb.control.injectFault({ kind: 'slow', delayMs: 1500, method: 'POST', path: `/v1/store/${storeId}/order/acknowledge`, count: 1 });
      const seen = workers.slice(1).map((w) => w.events.length);
      await rig.scale.runNow(storeId);
      await Promise.any(workers.slice(1).map((w, k) => w.waitFor((e) => e.event === 'cycle-start' && e.storeId === storeId
        && w.events.indexOf(e) >= seen[k], 30_000)));
      await rig.until(async () => ((await rig.ordersPerStore()).get(storeId) ?? 0) === PER_STORE + 300, `cycle of ${storeId} creating`, 30_000, 2);
      const acked = (await journal(storeId, 'acknowledged')).filter((o) => !ships.has(o.id)).slice(0, 2);
      for (const o of acked) {
        const op = await recordShip(storeId, o.id);
        assert.equal(op.state, 'pending', `order ${o.id}: recorded, not sent, while the cycle holds the store`);
      }
    }
    const queued = [...ships].filter(([, s]) => targets.includes(s.storeId));
    assert.equal(queued.length, 8);
    assert.ok(!recorderWindows.some((w) => targets.includes(w.storeId)), 'this process sent nothing for these stores');
    // Sent (and relayed to the marketplace) without waiting for the 10-minute schedule.
    await rig.until(() => queued.every(([id]) => rig.sb.control.marketplace({ orderId: id }).status === 'shipped'), 'queued ships sent by a worker', 60_000, 100);
    await rig.until(async () => targets.every((id) => rig.sandboxOrders(id).every((o) => o.acknowledgedAt !== null)), 'new orders acknowledged', 60_000);
  });

  test('SIGTERM in the middle of a cycle: the cycle finishes, then the worker exits 0', async () => {
    extraStore = rig.sb.storeIds[15];
    rig.addOrders(extraStore, 500);
    // A slow acknowledgement keeps the cycle running when the signal comes.
    rig.sb.control.injectFault({ kind: 'slow', delayMs: 2000, method: 'POST', path: `/v1/store/${extraStore}/order/acknowledge`, count: 1 });
    const before = (await rig.ordersPerStore()).get(extraStore) ?? 0;
    const seen = workers.slice(1).map((w) => w.events.length);
    await rig.scale.runNow(extraStore);
    const start = await Promise.any(workers.slice(1).map((w, k) => w.waitFor((e) => e.event === 'cycle-start' && e.storeId === extraStore
      && w.events.indexOf(e) >= seen[k], 30_000)));
    const w = /** @type {import('./harness.js').WorkerProc} */ (workers.find((x) => x.pid === start.pid));
    await rig.until(async () => ((await rig.ordersPerStore()).get(extraStore) ?? 0) > before, 'the cycle creating orders', 30_000, 2);
    w.child.kill('SIGTERM');
    const exit = await w.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, w.stderr());
    const done = w.events.find((e) => e.event === 'cycle' && String(e.jobId) === String(start.jobId));
    assert.ok(done, 'the running cycle completed before the exit');
    assert.equal(done.imported, 500);
    assert.equal((await rig.ordersPerStore()).get(extraStore), before + 500);
    const order = w.events.map((e) => e.event);
    assert.ok(order.indexOf('stopping') < order.lastIndexOf('cycle') && order.at(-1) === 'stopped', order.join(','));
  });

  test('every order imported and acknowledged exactly once; every ship sent once', async () => {
    // One more round on the last worker: tickets followed, interrupted acknowledgements confirmed.
    const last = workers[2].child.exitCode === null ? workers[2] : workers[1];
    const mark = last.events.length;
    for (const id of rig.sb.storeIds) await rig.scale.runNow(id);
    await rig.until(() => rig.sb.storeIds.every((id) => last.events.slice(mark).some((e) => e.event === 'cycle' && e.storeId === id)),
      'a final cycle of every store', 90_000).catch(async (err) => {
      const counts = await rig.scale.queue.getJobCounts();
      throw new Error(`${err.message}; ${last.name}: ${JSON.stringify(last.events.slice(mark).map((e) => [e.event, e.storeId, e.jobId, e.reason]))}; jobs ${JSON.stringify(counts)}`);
    });
    await rig.until(async () => (await rig.rows("SELECT count(*)::int AS n FROM {s}.imports WHERE state <> 'acknowledged'"))[0].n === 0
      && (await rig.rows("SELECT count(*)::int AS n FROM {s}.operations WHERE state <> 'succeeded'"))[0].n === 0, 'journal settled', 60_000, 200);
    last.child.kill('SIGTERM');
    assert.deepEqual(await last.exited, { code: 0, signal: null });

    const log = rig.requestLog();
    /** @type {Map<number, number>} */
    const acks = new Map();
    /** @type {Map<number, number>} */
    const shipsSent = new Map();
    for (const r of log) {
      if (r.method !== 'POST' || r.status !== 202) continue;
      const entries = /** @type {any} */ (r.body)?.order ?? [];
      if (r.path.endsWith('/order/acknowledge')) for (const e of entries) if (e.status === 'success') acks.set(e.id, (acks.get(e.id) ?? 0) + 1);
      if (r.path.endsWith('/order/ship')) for (const e of entries) shipsSent.set(e.id, (shipsSent.get(e.id) ?? 0) + 1);
    }
    const expected = STORES * PER_STORE + 4 * 300 + 500;
    const twice = [...acks].filter(([, n]) => n > 1);
    if (twice.length) {
      const ids = new Set(twice.map(([id]) => id));
      const where = log.filter((r) => r.path.endsWith('/order/acknowledge') && (/** @type {any} */ (r.body)?.order ?? []).some((/** @type {any} */ e) => ids.has(e.id)))
        .map((r) => `#${r.seq} ${r.timestamp} ${r.path} ${(/** @type {any} */ (r.body)?.order ?? []).filter((/** @type {any} */ e) => ids.has(e.id)).length}`);
      process.stderr.write(`# duplicate acks (${twice.length}): ${where.join(' | ')}; killed ${JSON.stringify(killed?.jobs)} at ${new Date(/** @type {any} */ (killed).at).toISOString()}\n`);
      const storesOf = new Set(log.filter((r) => r.path.endsWith('/order/acknowledge') && (/** @type {any} */ (r.body)?.order ?? []).some((/** @type {any} */ e) => ids.has(e.id))).map((r) => storeOfPath(r.path)));
      for (const w of workers) {
        process.stderr.write(`# ${w.name}: ${w.events.filter((e) => storesOf.has(e.storeId)).map((e) => `${e.event}@${new Date(e.seenAt).toISOString().slice(17, 23)} ${e.storeId} ${e.jobId} ${e.reason ?? ''} ${e.imported ?? ''}/${e.acknowledged ?? ''}`).join(' | ')}\n`);
      }
    }
    assert.deepEqual(twice, [], 'no order acknowledged twice');
    assert.equal(acks.size, expected);

    const made = await rig.rows('SELECT store_id::float8 AS store, shoppingfeed_id::float8 AS id, id AS shop FROM {s}.orders');
    assert.equal(made.length, expected, 'one shop order per Shoppingfeed order');
    assert.equal(new Set(made.map((m) => `${m.store}:${m.id}`)).size, expected);
    const shopOf = new Map(made.map((m) => [m.id, m.shop]));
    for (const id of rig.sb.storeIds) {
      for (const o of rig.sandboxOrders(id)) {
        assert.ok(acks.has(o.id), `order ${o.id} acknowledged`);
        assert.equal(o.storeReference, shopOf.get(o.id), `order ${o.id}: storeReference is the shop order`);
      }
    }

    assert.equal(ships.size, 8 * 3 + 4 * 2);
    assert.deepEqual([...shipsSent].filter(([, n]) => n > 1), [], 'no ship sent twice');
    assert.deepEqual([...shipsSent.keys()].sort(), [...ships.keys()].sort(), 'every recorded ship sent');
    for (const [id, s] of ships) {
      const mp = rig.sb.control.marketplace({ orderId: id });
      assert.equal(mp.status, 'shipped', `order ${id}`);
      assert.equal(mp.trackingNumber, s.trackingNumber);
    }
  });

  test('no two workers ever ran the same store at once (the sandbox request log against the cycles’ windows)', async () => {
    const events = await rig.rows("SELECT store_id::float8 AS store, data FROM {s}.events WHERE kind = 'worker-cycle'");
    /** @type {Map<number, {start: number, end: number, owner: string, job: string}[]>} */
    const windows = new Map();
    const add = (/** @type {number} */ storeId, /** @type {any} */ w) => windows.set(storeId, [...(windows.get(storeId) ?? []), w]);
    for (const { store, data } of events) {
      const d = JSON.parse(data);
      if (d.apiFirstAt != null) add(store, { start: d.apiFirstAt, end: d.apiLastAt, owner: `pid ${d.pid}`, job: d.jobId });
    }
    // The killed worker's unfinished cycles: from their start to the kill, plus what the sandbox (in
    // this process) may log late of requests sent before it (nobody else may take the store within the
    // lease anyway).
    for (const j of killed?.jobs ?? []) add(j.storeId, { start: Date.parse(j.startedAt), end: /** @type {any} */ (killed).at + 500, owner: `pid ${j.pid} (killed)`, job: j.jobId });
    for (const w of recorderWindows) add(w.storeId, { ...w, job: 'ship' });

    const log = rig.requestLog();
    let checked = 0;
    for (const storeId of rig.sb.storeIds) {
      const ws = (windows.get(storeId) ?? []).sort((a, b) => a.start - b.start);
      // Windows of a store never overlap: one holder at a time.
      for (let i = 1; i < ws.length; i++) {
        assert.ok(ws[i].start >= ws[i - 1].end, `store ${storeId}: ${ws[i - 1].owner} (${ws[i - 1].job}) until ${ws[i - 1].end.toFixed(1)}`
          + ` and ${ws[i].owner} (${ws[i].job}) from ${ws[i].start.toFixed(1)}`);
      }
      // Every request the sandbox received for the store falls in one of them (ms resolution of the log).
      const reqs = log.filter((r) => storeOfPath(r.path) === storeId);
      let at = 0;
      /** @type {Set<number>} */
      const left = new Set();
      for (const r of reqs) {
        const t = Date.parse(r.timestamp);
        // The log's times are whole milliseconds: a millisecond of slack either side.
        let k = ws.findIndex((w) => t >= w.start && t <= w.end);
        if (k < 0) k = ws.findIndex((w) => t >= w.start - 1 && t <= w.end + 1);
        assert.ok(k >= 0, `store ${storeId}: request #${r.seq} ${r.method} ${r.path}?${new URLSearchParams(r.query)} at ${r.timestamp} outside every cycle: `
          + `${ws.map((w) => `${w.owner} ${w.job} ${new Date(w.start).toISOString().slice(11, 23)}–${new Date(w.end).toISOString().slice(11, 23)}`).join(', ')}; `
          + `requests: ${reqs.map((x) => `#${x.seq} ${x.method} ${x.path.split('/').pop()} ${x.timestamp.slice(11, 23)}+${x.durationMs}`).join(', ')}; `
          + `killed at ${new Date(/** @type {any} */ (killed).at).toISOString().slice(11, 23)}`);
        // In the log's order, a holder's requests are contiguous: once another holder spoke, the first never speaks again.
        assert.ok(!left.has(k), `store ${storeId}: ${ws[k].owner} spoke again after another holder`);
        if (k !== at) {
          left.add(at);
          at = k;
        }
        checked += 1;
      }
    }
    assert.ok(checked > STORES * 5, `${checked} requests checked`);
  });

  test('stores list --json: metrics per store from the shared journal', async () => {
    const r = await runCli('stores', ['list', '--json', '--redis', rig.services.redisUrl, '--postgres', rig.services.postgresUrl,
      '--queue', rig.queue, '--schema', rig.schema]);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    assert.equal(list.length, STORES);
    for (const s of list) {
      const extra = (rig.sb.storeIds.slice(10, 14).includes(s.id) ? 300 : 0) + (s.id === extraStore ? 500 : 0);
      const shipped = [...ships.values()].filter((x) => x.storeId === s.id).length;
      assert.equal(s.tokenRef, `env:${TOKEN_VAR}`);
      assert.equal(s.everyMinutes, 10);
      assert.ok(s.nextRunAt);
      const m = s.metrics;
      assert.equal(m.imported, PER_STORE + extra, `store ${s.id}`);
      assert.equal(m.failed, 0);
      assert.equal(m.pendingOperations, 0);
      assert.equal(m.lastCycle.ok, true);
      assert.ok(Date.parse(m.lastCycle.at) > 0 && m.lastCycle.durationMs > 0);
      assert.equal(m.unshipped, PER_STORE + extra - shipped);
      assert.ok(m.oldestUnshipped?.deadline?.state, JSON.stringify(m.oldestUnshipped));
    }
    const human = await runCli('stores', ['list', '--redis', rig.services.redisUrl, '--postgres', rig.services.postgresUrl, '--queue', rig.queue, '--schema', rig.schema]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^store\s+name\s+every\s+next run\s+last cycle\s+imported/);
    assert.equal(human.stdout.trim().split('\n').length, STORES + 1);
    await sleep(0);
  });
});
