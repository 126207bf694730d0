// @ts-check
// How the scale tests run `shoppingfeed-orders worker|stores`: through the real CLI once its command
// table lists the command, else through this file as a stand-in dispatcher (`node cli.js NAME args…`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/shoppingfeed-orders.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/** The argv (after `node`) that runs `shoppingfeed-orders <name> ...args`. @param {string} name @param {string[]} args */
export function cliArgs(name, args) {
  const listed = new RegExp(`^\\s*${name}: \\{`, 'm').test(readFileSync(BIN, 'utf8'));
  return listed ? [BIN, name, ...args] : [SELF, name, ...args];
}

// The test runner also runs every file under test/ on its own: with no command named, nothing to do.
if (process.argv[1] === SELF && process.argv.length > 2) {
  const [name, ...args] = process.argv.slice(2);
  const command = (await import(`../../bin/commands/${name}.js`)).default;
  const code = await command.run(args);
  if (code) process.exitCode = code;
}
