// @ts-check
// Redis / PostgreSQL for a test file: the URLs from the environment when given (SFO_TEST_REDIS_URL,
// SFO_TEST_POSTGRES_URL: a run that started them once), else throw-away instances started with
// scripts/services.sh (installed from apt when missing) and stopped by `stop()`. No test helper here.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../scripts/services.sh', import.meta.url));

/**
 * @param {('redis' | 'postgres')[]} wanted
 * @returns {Promise<{ redisUrl: string, postgresUrl: string, stop: () => Promise<void>, started: boolean }>}
 */
export async function startServices(wanted) {
  const given = {
    redis: process.env.SFO_TEST_REDIS_URL ?? '',
    postgres: process.env.SFO_TEST_POSTGRES_URL ?? '',
  };
  const missing = wanted.filter((w) => !given[w]);
  if (missing.length === 0) {
    return { redisUrl: given.redis, postgresUrl: given.postgres, stop: async () => {}, started: false };
  }
  const { stdout } = await run('bash', [SCRIPT, 'start', ...missing], { timeout: 300_000, maxBuffer: 1 << 24 });
  const env = Object.fromEntries(stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const dir = env.SFO_SERVICES_DIR;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await run('bash', [SCRIPT, 'stop', dir], { timeout: 60_000 });
  };
  // A test process that dies without its after() hook still stops what it started.
  process.once('exit', () => {
    if (!stopped) {
      try {
        execFileSync('bash', [SCRIPT, 'stop', dir], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        // best effort
      }
    }
  });
  return { redisUrl: given.redis || env.REDIS_URL || '', postgresUrl: given.postgres || env.PG_URL || '', stop, started: true };
}
