import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The library (everything under src/ except io/ and cli/) must run in a browser bundle:
// no Node built-ins, no `process`.
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('browser safety', () => {
  const src = join(__dirname, '..', 'src');
  const lib = files(src).filter((f) => !/[\\/](io|cli)[\\/]/.test(f));
  it('finds the library files', () => expect(lib.length).toBeGreaterThan(10));
  for (const f of lib) {
    it(f.slice(src.length + 1), () => {
      const text = readFileSync(f, 'utf8');
      expect(text).not.toMatch(/from ['"](node:|fs|path|os|child_process|worker_threads)['"/]/);
      expect(text).not.toMatch(/\bprocess\.(env|argv|exit|stdout|stderr|cwd)/);
    });
  }
});
