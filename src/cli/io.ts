/** Where a command writes: injectable so tests can run commands in-process. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is an interactive terminal (progress bars); false gives plain log lines. */
  readonly isTTY: boolean;
}

/**
 * A stream the reader closed (`counterfact … | head`): the write fails with EPIPE. The
 * command then goes on quietly (files it writes are still written) and stops printing, with
 * no message and its own exit code.
 */
function quietWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  let listening = false;
  return (text) => {
    if (closed) return;
    if (!listening) {
      listening = true;
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') closed = true;
        else throw e;
      });
    }
    try {
      stream.write(text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') closed = true;
      else throw e;
    }
  };
}

export const processIO: CliIO = {
  out: quietWriter(process.stdout),
  err: quietWriter(process.stderr),
  isTTY: Boolean(process.stderr.isTTY),
};

/** An IO that records everything, for tests. */
export function memoryIO(): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}
