/** `counterfact app`'s server: only the app's own files, only to this machine's names. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CSP, type AppServer, appCommand, startAppServer, WORKER_CSP } from '../../src/cli/app.js';
import { memoryIO } from '../../src/cli/io.js';

const dir = mkdtempSync(join(tmpdir(), 'counterfact-app-server-'));
const appDir = join(dir, 'app');
mkdirSync(appDir);
writeFileSync(join(appDir, 'index.html'), '<!doctype html><title>app</title>');
writeFileSync(join(appDir, 'app.js'), 'console.log(1)');
writeFileSync(join(appDir, 'worker.js'), 'self.onmessage = () => {}');
writeFileSync(join(dir, 'secret.csv'), 'id\n1\n');

function get(port: number, path: string, opts: { host?: string; method?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${port}` } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('counterfact app server', () => {
  let app: AppServer;
  beforeAll(async () => {
    app = await startAppServer({ dir: appDir });
  });
  afterAll(async () => app.close());

  it('listens on 127.0.0.1 and serves the page with its policy', async () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await get(app.port, '/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>app</title>');
    expect(r.headers['content-security-policy']).toBe(APP_CSP);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    const w = await get(app.port, '/worker.js');
    expect(w.headers['content-security-policy']).toBe(WORKER_CSP);
    expect(w.headers['content-type']).toMatch(/javascript/);
  });

  it('serves nothing outside the app folder', async () => {
    for (const p of ['/../secret.csv', '/%2e%2e/secret.csv', '/..%2fsecret.csv', '/app/../../secret.csv', '/nope.js', '//etc/passwd'])
      expect((await get(app.port, p)).status, p).toBe(404);
  });

  it('answers only to this machine’s own names, and only GET/HEAD', async () => {
    expect((await get(app.port, '/', { host: 'evil.example:80' })).status).toBe(421);
    expect((await get(app.port, '/', { host: `localhost:${app.port}` })).status).toBe(200);
    expect((await get(app.port, '/', { method: 'POST' })).status).toBe(405);
  });

  it('counterfact app prints the address and stops when asked', async () => {
    const io = memoryIO();
    const ctl = new AbortController();
    const done = appCommand(['--dir', appDir], io, { signal: ctl.signal });
    for (let k = 0; k < 50 && !io.stdout; k++) await new Promise((r) => setTimeout(r, 20));
    const url = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(io.stdout);
    expect(url).not.toBeNull();
    expect((await get(Number(url![1]), '/app.js')).body).toBe('console.log(1)');
    ctl.abort();
    expect(await done).toBe(0);
  });
});
