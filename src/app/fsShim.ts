/**
 * The browser build's stand-in for `node:fs` and `node:path` (aliased by the app bundle in
 * tsup.config.ts), so the app reads Arrow and Parquet through the library's own reader
 * (src/io/readTable.ts) rather than a copy of it: a file the analyst opened is registered here
 * under its name, and `readFileSync`/`statSync` hand its bytes back. Nothing touches a disk.
 */
const files = new Map<string, Uint8Array>();

/** Make `bytes` readable under `name` for the reader. */
export function putFile(name: string, bytes: Uint8Array): void {
  files.set(name, bytes);
}

/** Forget a registered file. */
export function dropFile(name: string): void {
  files.delete(name);
}

function get(path: string): Uint8Array {
  const b = files.get(path);
  if (!b) throw Object.assign(new Error(`file not opened in the page: ${path}`), { code: 'ENOENT', path });
  return b;
}

export function readFileSync(path: string): Uint8Array {
  return get(path);
}

export function statSync(path: string): { size: number; isDirectory(): boolean; isFile(): boolean } {
  const b = get(path);
  return { size: b.byteLength, isDirectory: () => false, isFile: () => true };
}

function unsupported(name: string): never {
  throw new Error(`${name} is not available in the browser app`);
}
export const writeFileSync = (): never => unsupported('writeFileSync');
export const openSync = (): never => unsupported('openSync');
export const readSync = (): never => unsupported('readSync');
export const closeSync = (): never => unsupported('closeSync');

/** node:path's extname (the reader picks the format by extension). */
export function extname(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot);
}

export default { readFileSync, statSync, writeFileSync, openSync, readSync, closeSync, extname };
