/**
 * Hostile-input corpus, area: `counterfact app` (issue 15). Only the refusals run here (a good
 * call serves until stopped; tests/app covers it): each exits 2 naming the argument and the fix.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type CorpusCase, runCase } from './harness.js';

let busy: ReturnType<typeof createServer>;
let busyPort = 0;
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => busy.close(() => r())));

const cases: (() => CorpusCase)[] = [
  () => ({ name: 'a port that is not a number', args: ['app', '--port', 'eighty'], code: 2, err: /--port/ }),
  () => ({ name: 'a port beyond 65535', args: ['app', '--port', '70000'], code: 2, err: /--port/ }),
  () => ({ name: 'a negative port', args: ['app', '--port', '-1'], code: 2, err: /--port/ }),
  () => ({ name: 'a port in use', args: ['app', '--port', String(busyPort)], code: 2, err: /is in use: choose another --port, or leave it out/ }),
  () => ({ name: 'a folder without the built app', args: ['app', '--dir', '{dir}'], code: 2, err: /not built.*npm run build/ }),
  () => ({ name: 'a folder that does not exist', args: ['app', '--dir', '{dir}/missing'], code: 2, err: /not built/ }),
  () => ({
    name: 'the page only, no bundles',
    files: { 'index.html': '<!doctype html>' },
    args: ['app', '--dir', '{dir}'],
    code: 2,
    err: /app\.js and worker\.js/,
  }),
  () => ({ name: 'an unknown flag', args: ['app', '--host', '0.0.0.0'], code: 2, err: /--host/ }),
  () => ({ name: 'help', args: ['app', '--help'], code: 0, out: /127\.0\.0\.1/ }),
];

describe('corpus: counterfact app', () => {
  for (const c of cases) {
    it(c().name, async () => {
      await runCase(c());
    });
  }
});
