/**
 * `counterfact app`: serve the browser app (dist/app/) on 127.0.0.1 and print its address.
 * A static file server of the app's own files only (node:http, no dependencies): the data the
 * analyst opens in the page are read by the browser and never sent here.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CounterfactError } from '../problems.js';
import { num, parseFlags } from './args.js';
import type { CliIO } from './io.js';

export const APP_HELP = `Usage: counterfact app [--port N] [--dir DIR]

Serves the counterfact browser app on http://127.0.0.1 (this computer only) and prints the
address: open it in a browser, open a CSV, Arrow or Parquet file, choose the design and run
the evaluation in the tab. The data are read by the browser and never leave the computer;
the server only sends the app's own files. Stop it with Ctrl+C.

Options:
  --port N    port to listen on [a free port]
  --dir DIR   folder of the built app [the package's dist/app]
`;

/** The page's policy (the HTML also carries it as a meta tag, for other static servers). */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'none'; connect-src 'none'; worker-src 'self'; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'";
/**
 * The worker's policy: it may evaluate code (the report's charts compile their expressions with
 * `Function`, as vega does by default) but it may not connect anywhere.
 */
export const WORKER_CSP = "default-src 'none'; script-src 'self' 'unsafe-eval'; connect-src 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** The built app: next to the CLI in the package (dist/cli → dist/app), or dist/app from src/cli. */
export function defaultAppDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'app'), join(here, '..', '..', 'dist', 'app')];
  return candidates.find(isBuilt) ?? candidates[0]!;
}

/** A folder holding the built app (src/app has the page but not the bundles). */
function isBuilt(dir: string): boolean {
  return ['index.html', 'app.js', 'worker.js'].every((f) => existsSync(join(dir, f)));
}

/** Every file of the app, by URL path (read once: the server serves nothing else). */
function appFiles(dir: string): Map<string, { body: Buffer; type: string }> {
  const out = new Map<string, { body: Buffer; type: string }>();
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${name}/`);
      else {
        const ext = name.slice(name.lastIndexOf('.')).toLowerCase();
        if (TYPES[ext]) out.set(`/${prefix}${name}`, { body: readFileSync(p), type: TYPES[ext] });
      }
    }
  };
  walk(dir, '');
  return out;
}

export interface AppServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Start the app's server on 127.0.0.1.
 * @throws CounterfactError when the app is not built or the port is taken.
 */
export async function startAppServer(options: { port?: number; dir?: string } = {}): Promise<AppServer> {
  const dir = options.dir ?? defaultAppDir();
  if (!isBuilt(dir))
    throw new CounterfactError({
      code: 'bad_argument',
      column: '--dir',
      message: `the app is not built: ${dir} does not hold index.html, app.js and worker.js; run \`npm run build\` (or give --dir, the folder of the built app)`,
    });
  const files = appFiles(dir);
  const server = createServer((req, res) => {
    const host = req.headers.host ?? '';
    const port = (server.address() as { port: number } | null)?.port;
    // Only this machine's own names (a page on another site cannot reach the server by DNS rebinding).
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('misdirected request\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      path = '';
    }
    const f = files.get(path === '/' ? '/index.html' : path);
    if (!f) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': f.type,
      'content-length': f.body.length,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'content-security-policy': path === '/worker.js' ? WORKER_CSP : APP_CSP,
    });
    res.end(req.method === 'HEAD' ? undefined : f.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES')
        reject(
          new CounterfactError({
            code: 'bad_argument',
            column: '--port',
            message: `port ${options.port} ${e.code === 'EADDRINUSE' ? 'is in use' : 'is not allowed here'}: choose another --port, or leave it out for a free one`,
          }),
        );
      else reject(e);
    });
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Run `counterfact app`: serve until interrupted. Returns the exit code. */
export async function appCommand(argv: readonly string[], io: CliIO, opts: { signal?: AbortSignal } = {}): Promise<number> {
  const { flags } = parseFlags(argv, { port: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    io.out(APP_HELP);
    return 0;
  }
  const port = num(flags, 'port', { integer: true, min: 0, max: 65535 });
  const app = await startAppServer({ port, dir: typeof flags.dir === 'string' ? flags.dir : undefined });
  io.out(`counterfact app: open ${app.url} in your browser (this computer only; Ctrl+C stops it)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    if (opts.signal) {
      if (opts.signal.aborted) stop();
      opts.signal.addEventListener('abort', stop, { once: true });
    } else {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
  });
  await app.close();
  return 0;
}
