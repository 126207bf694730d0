#!/usr/bin/env node
// @ts-check
// `shoppingfeed-orders <command>`: a small dispatcher. Each command lives in ./commands/<name>.js and
// is loaded only when asked for, so adding one (sync, ship, orders, demo, dashboard) is one file and
// one line in COMMANDS.

/**
 * @typedef {object} Command
 * @property {string} summary  one line for the usage text
 * @property {string} usage    argument synopsis
 * @property {(args: string[]) => Promise<number|void>} run  resolves to the exit code (default 0)
 */

/** @type {Record<string, {summary: string, load: () => Promise<{default: Command}>}>} */
const COMMANDS = {
  sync: { summary: 'import, acknowledge and send pending operations (once or on a schedule)', load: () => import('./commands/sync.js') },
  ship: { summary: 'ship an order once: carrier, tracking number, tracking URL', load: () => import('./commands/ship.js') },
  orders: { summary: 'list the stored orders and their sync state', load: () => import('./commands/orders.js') },
  dashboard: { summary: 'serve the admin dashboard (orders, detail, ship form, sync log) over the store', load: () => import('./commands/dashboard.js') },
  worker: { summary: 'run store cycles from the BullMQ queue on the shared PostgreSQL journal (scale-out)', load: () => import('./commands/worker.js') },
  stores: { summary: 'register the stores the workers serve (add, list with metrics, remove, run now)', load: () => import('./commands/stores.js') },
  demo: { summary: 'the whole circuit on this machine: sandbox + engine + SQLite store', load: () => import('./commands/demo.js') },
  sandbox: { summary: 'run a local Shoppingfeed API + marketplace emulator', load: () => import('./commands/sandbox.js') },
};

function usage() {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: shoppingfeed-orders <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'shoppingfeed-orders <command> --help' for a command's options.\n`;
}

async function main(/** @type {string[]} */ argv) {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  const entry = name === undefined ? undefined : Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    if (name !== undefined) process.stderr.write(`shoppingfeed-orders: unknown command '${name}'\n\n`);
    process.stderr.write(usage());
    return 2;
  }
  const command = (await entry.load()).default;
  return (await command.run(args)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`shoppingfeed-orders: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
