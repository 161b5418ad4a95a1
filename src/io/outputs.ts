/**
 * Writing a command's output files without ever losing data (Node only).
 *
 * - An output never replaces an input of the same run, whatever the flags.
 * - An existing file is replaced only when this program wrote it and nobody changed it since
 *   (the folder's `.counterfact-output` manifest lists each file it wrote with its size and
 *   modification time), or when the user says `--force`.
 * - Files are written into a temporary folder inside the output folder and renamed into place
 *   only once all of them are complete; a failure before or during the renames puts the
 *   previous files back, so a folder holds either the complete new set or the complete old one.
 * - A lock file (`.counterfact-lock`, holding the process id) refuses a second run into the
 *   same folder while the first is alive; a lock left by a process that no longer exists is
 *   stale and is taken over.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CounterfactError } from '../problems.js';

/** The manifest a command leaves in each folder it wrote to. */
export const MANIFEST_NAME = '.counterfact-output';
/** The lock held while a command writes into a folder. */
export const LOCK_NAME = '.counterfact-lock';
const TMP_PREFIX = '.counterfact-tmp-';

/** A file the command reads, with the argument or study-file key that named it. */
export interface InputRef {
  readonly path: string;
  readonly argument: string;
}

/** A file the command will write, with the argument or key that named it. */
export interface OutputRef {
  readonly path: string;
  readonly argument: string;
}

/**
 * How existing files are treated:
 * - `own`: replace files this program wrote and nobody changed since (the manifest says so);
 *   refuse any other existing file unless `force`.
 * - `never`: refuse every existing file unless `force` (`init`).
 */
export type ReplacePolicy = 'own' | 'never';

interface ManifestEntry {
  size: number;
  mtimeMs: number;
  command: string;
  run: string;
}

interface Manifest {
  tool: 'counterfact';
  note: string;
  files: Record<string, ManifestEntry>;
}

/** Test hooks: make a write fail part-way, to check that nothing is left half-written. */
export const outputTestHooks: { failAfterStagedFiles: number | null; failAfterRenames: number | null } = {
  failAfterStagedFiles: null,
  failAfterRenames: null,
};

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    // A file that does not exist yet: its folder's real path and its name.
    try {
      return join(realpathSync(dirname(resolve(p))), basename(p));
    } catch {
      return resolve(p);
    }
  }
}

/**
 * Check that an input exists and is a file.
 * @throws CounterfactError naming the argument: not found, or a folder where a file is needed.
 */
export function checkInputFile(path: string, argument: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const parent = dirname(resolve(path));
    const where = code === 'ENOENT' && !existsSync(parent) ? ` (the folder ${parent} does not exist either)` : '';
    throw new CounterfactError({
      code: 'bad_file',
      column: argument,
      message:
        code === 'ENOENT'
          ? `${argument}: file not found: ${path}${where}; check the path`
          : `${argument}: cannot read ${path} (${code ?? (e as Error).message}); check the path and its permissions`,
    });
  }
  if (st.isDirectory()) {
    throw new CounterfactError({
      code: 'bad_file',
      column: argument,
      message: `${argument}: ${path} is a folder; give the data file inside it`,
    });
  }
}

function readManifest(dir: string): Manifest | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8')) as Manifest;
    if (m && m.tool === 'counterfact' && m.files && typeof m.files === 'object') return m;
  } catch {
    // absent or unreadable: no file counts as ours
  }
  return null;
}

/** The file at `path` is one this program wrote and nobody changed since. */
function isOwn(manifest: Manifest | null, path: string): boolean {
  const e = manifest?.files[basename(path)];
  if (!e || !Object.hasOwn(manifest!.files, basename(path))) return false;
  try {
    const st = statSync(path);
    return st.isFile() && st.size === e.size && st.mtimeMs === e.mtimeMs;
  } catch {
    return false;
  }
}

/**
 * Refuse outputs that would replace an input, name a folder, go into a missing folder, or
 * replace an existing file this program did not write (unless `force`). Checked before any
 * work is done, and again right before the files are moved into place.
 */
export function checkOutputs(outputs: readonly OutputRef[], inputs: readonly InputRef[], options: { force?: boolean; replace?: ReplacePolicy } = {}): void {
  const ins = new Map(inputs.map((i) => [real(i.path), i]));
  const seen = new Map<string, OutputRef>();
  const manifests = new Map<string, Manifest | null>();
  for (const out of outputs) {
    const r = real(out.path);
    const input = ins.get(r);
    if (input) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: out.argument,
        message: `refusing to write ${out.argument} to ${out.path}: it is an input of this run (${input.argument}); choose another path (--force never replaces an input)`,
      });
    }
    const twice = seen.get(r);
    if (twice) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: out.argument,
        message: `${out.argument} and ${twice.argument} name the same file ${out.path}; give each output its own path`,
      });
    }
    seen.set(r, out);
    const folder = dirname(resolve(out.path));
    if (!existsSync(folder)) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: out.argument,
        message: `${out.argument}: the folder ${folder} does not exist; create it first or choose another path`,
      });
    }
    if (!statSync(folder).isDirectory()) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: out.argument,
        message: `${out.argument}: ${folder} is a file, not a folder; choose another path`,
      });
    }
    if (!existsSync(out.path)) continue;
    const st = statSync(out.path);
    if (st.isDirectory()) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: out.argument,
        message: `${out.argument}: ${out.path} is a folder; give a file path for the output`,
      });
    }
    if (options.force) continue;
    if (!manifests.has(folder)) manifests.set(folder, readManifest(folder));
    if ((options.replace ?? 'own') === 'own' && isOwn(manifests.get(folder)!, out.path)) continue;
    throw new CounterfactError({
      code: 'bad_argument',
      column: out.argument,
      message:
        (options.replace ?? 'own') === 'own'
          ? `refusing to replace the existing file ${out.path} (${out.argument}): counterfact did not write it, or it was changed since; choose another path, or add --force to replace it`
          : `refusing to replace the existing file ${out.path} (${out.argument}); choose another folder, or add --force to replace it`,
    });
  }
}

/**
 * Check that `dir` can be an output folder: absent (it will be created) or a folder.
 * @throws CounterfactError when it is a file.
 */
export function checkOutputFolder(dir: string, argument: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new CounterfactError({
      code: 'bad_argument',
      column: argument,
      message: `${argument}: ${dir} is a file, not a folder; choose a folder for the outputs`,
    });
  }
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the folder's lock, or refuse naming it. A lock whose process is gone (same host) is
 * stale and is taken over.
 */
export function acquireLock(dir: string, command: string): () => void {
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: { pid?: number; host?: string; command?: string } = {};
      try {
        holder = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        // unreadable lock: treated as held
      }
      const sameHost = holder.host === undefined || holder.host === hostname();
      if (attempt === 0 && typeof holder.pid === 'number' && sameHost && !pidAlive(holder.pid)) {
        try {
          unlinkSync(path); // stale: its process is gone
        } catch {
          // someone else took it over first; the next attempt decides
        }
        continue;
      }
      throw new CounterfactError({
        code: 'bad_argument',
        column: path,
        message: `another counterfact ${holder.command ?? 'command'} (process ${holder.pid ?? 'unknown'}${holder.host && !sameHost ? ` on ${holder.host}` : ''}) is writing to ${dir}: wait for it to finish, or choose another output folder. If no such run is going (a crash on another machine), delete the lock file ${path}`,
      });
    }
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), command, started: new Date().toISOString() }) + '\n');
    } finally {
      closeSync(fd);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    };
  }
  /* c8 ignore next */
  throw new CounterfactError({
    code: 'bad_argument',
    column: path,
    message: `could not take the lock ${path}; delete it if no counterfact run is writing to ${dir}`,
  });
}

/**
 * Remove temporary folders left by a run that was killed before moving its files into place
 * (its process is gone and it had not yet moved any previous file aside). Called with the lock held.
 */
function removeStaleTemporaries(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = new RegExp(`^${TMP_PREFIX.replace(/\./g, '\\.')}(\\d+)-`).exec(n);
    if (!m || pidAlive(Number(m[1]))) continue;
    const previous = join(dir, n, '.previous');
    if (existsSync(previous) && readdirSync(previous).length > 0) continue; // holds earlier outputs: left for the user
    rmSync(join(dir, n), { recursive: true, force: true });
  }
}

/** A file to write: `write` receives the temporary path to write it to. */
export interface OutputFile extends OutputRef {
  readonly write: (tmpPath: string) => void | Promise<void>;
}

export interface OutputSessionOptions {
  readonly command: string;
  readonly inputs: readonly InputRef[];
  readonly force?: boolean;
  readonly replace?: ReplacePolicy;
  /**
   * Files in the folders' manifests that this session does not write again are removed (when
   * unchanged since written): the folder holds one complete set (`run`). Default false: other
   * outputs in the folder are kept (`estimate --pairs`).
   */
  readonly wholeSet?: boolean;
}

/**
 * An output session: checks every output before any work is done, takes each output folder's
 * lock, and writes all files at once in {@link OutputSession.commit}. Always call `close()`
 * (in a finally block): it releases the locks and removes any temporary folder.
 */
export class OutputSession {
  private readonly releases: (() => void)[] = [];
  private readonly tmps: string[] = [];
  private readonly runId = randomBytes(6).toString('hex');

  /**
   * @param outputs every file the command may write
   * @throws CounterfactError when an output would replace an input or a foreign file, names a
   *   folder or a missing folder, or another run holds a folder's lock.
   */
  constructor(
    private readonly outputs: readonly OutputRef[],
    private readonly options: OutputSessionOptions,
  ) {
    checkOutputs(outputs, options.inputs, options);
    try {
      for (const dir of this.folders()) {
        this.releases.push(acquireLock(dir, options.command));
        removeStaleTemporaries(dir);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private folders(): string[] {
    return [...new Set(this.outputs.map((o) => dirname(real(o.path))))];
  }

  /**
   * Write every file into a temporary folder beside its target, then move them all into
   * place; on any failure the previous files are put back and the error is rethrown.
   */
  async commit(files: readonly OutputFile[]): Promise<void> {
    // Checked again: a file may have appeared while the command was working.
    checkOutputs(files, this.options.inputs, this.options);
    const byDir = new Map<string, OutputFile[]>();
    for (const f of files) {
      const d = dirname(real(f.path));
      if (!byDir.has(d)) byDir.set(d, []);
      byDir.get(d)!.push(f);
    }
    for (const [dir, group] of byDir) await this.commitFolder(dir, group);
  }

  private async commitFolder(dir: string, files: readonly OutputFile[]): Promise<void> {
    const tmp = join(dir, `${TMP_PREFIX}${process.pid}-${this.runId}`);
    mkdirSync(tmp);
    this.tmps.push(tmp);
    let staged = 0;
    for (const f of files) {
      await f.write(join(tmp, basename(f.path)));
      staged++;
      if (outputTestHooks.failAfterStagedFiles !== null && staged >= outputTestHooks.failAfterStagedFiles) {
        throw new Error(`test hook: failure after ${staged} staged file(s)`);
      }
    }
    const previous = join(tmp, '.previous');
    mkdirSync(previous);
    const old = readManifest(dir);
    const names = files.map((f) => basename(f.path));
    // Outputs of an earlier run that this run does not write again (and nobody changed).
    const retire = this.options.wholeSet && old ? Object.keys(old.files).filter((n) => !names.includes(n) && isOwn(old, join(dir, n))) : [];
    const movedAside: string[] = [];
    const placed: string[] = [];
    try {
      for (const n of [...names, ...retire]) {
        if (existsSync(join(dir, n))) {
          renameSync(join(dir, n), join(previous, n));
          movedAside.push(n);
        }
      }
      for (const n of names) {
        renameSync(join(tmp, n), join(dir, n));
        placed.push(n);
        if (outputTestHooks.failAfterRenames !== null && placed.length >= outputTestHooks.failAfterRenames) {
          throw new Error(`test hook: failure after ${placed.length} rename(s)`);
        }
      }
    } catch (e) {
      // Put the previous set back.
      for (const n of placed) {
        try {
          unlinkSync(join(dir, n));
        } catch {
          // nothing to remove
        }
      }
      for (const n of movedAside) renameSync(join(previous, n), join(dir, n));
      throw e;
    }
    const entries: Record<string, ManifestEntry> = {};
    if (old && !this.options.wholeSet) {
      for (const [n, e] of Object.entries(old.files)) if (!names.includes(n) && isOwn(old, join(dir, n))) entries[n] = e;
    }
    for (const n of names) {
      const st = statSync(join(dir, n));
      entries[n] = { size: st.size, mtimeMs: st.mtimeMs, command: this.options.command, run: this.runId };
    }
    const manifest: Manifest = {
      tool: 'counterfact',
      note: 'Files counterfact wrote in this folder; it replaces them on the next run only while they are unchanged. Safe to delete.',
      files: entries,
    };
    writeFileSync(join(tmp, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + '\n');
    renameSync(join(tmp, MANIFEST_NAME), join(dir, MANIFEST_NAME));
  }

  /** Release the locks and remove the temporary folders (also after a failure). */
  close(): void {
    for (const t of this.tmps.splice(0)) rmSync(t, { recursive: true, force: true });
    for (const r of this.releases.splice(0)) r();
  }
}

/**
 * Write a set of files safely (see {@link OutputSession}): check, lock, stage, move into place.
 * For commands that have nothing to compute between the check and the write.
 */
export async function writeOutputs(files: readonly OutputFile[], options: OutputSessionOptions): Promise<void> {
  const session = new OutputSession(files, options);
  try {
    await session.commit(files);
  } finally {
    session.close();
  }
}

/** Write text to `path` (a helper for OutputFile.write). */
export function writeText(text: string): (tmpPath: string) => void {
  return (p) => writeFileSync(p, text);
}
