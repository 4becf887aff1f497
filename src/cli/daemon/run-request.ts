/**
 * Runs one client's command inside the daemon as if in the client's own process: its environment, working
 * directory, exit code and outputs (captured, with the client's terminal shape) stand in for the daemon's while it
 * runs, and the daemon's come back after. One request at a time (the server queues them): process.env, cwd and the
 * standard streams are the process's. The run is resident (src/cli/daemon/resident.ts): at a step that writes it
 * ends with WritesNeeded, and nothing it printed is sent — the client runs the command itself.
 */
import { Writable } from 'node:stream';
import { WritesNeeded } from '../../errors.js';
import type { DaemonReply, DaemonRequest, OutputShape } from './protocol.js';
import { whileResident } from './resident.js';

/** A stand-in for process.stdout or stderr: keeps what is written, in order with the other one. */
class CapturedOutput extends Writable {
  readonly isTTY: boolean;
  readonly columns: number | undefined;

  constructor(
    private readonly stream: 'stdout' | 'stderr',
    shape: OutputShape,
    private readonly replies: DaemonReply[],
  ) {
    super({ decodeStrings: false });
    this.isTTY = shape.tty;
    this.columns = shape.columns;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.replies.push({ kind: 'output', stream: this.stream, text: chunk.toString() });
    callback();
  }
}

interface ProcessState {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: PropertyDescriptor | undefined;
  stderr: PropertyDescriptor | undefined;
  exitCode: typeof process.exitCode;
}

function replaceEnv(env: Record<string, string | undefined>): void {
  for (const key of Object.keys(process.env)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
}

function takeOver(req: DaemonRequest, replies: DaemonReply[]): ProcessState {
  const saved: ProcessState = {
    env: { ...process.env },
    cwd: process.cwd(),
    stdout: Object.getOwnPropertyDescriptor(process, 'stdout'),
    stderr: Object.getOwnPropertyDescriptor(process, 'stderr'),
    exitCode: process.exitCode,
  };
  process.chdir(req.cwd);
  replaceEnv(req.env);
  const stdout = new CapturedOutput('stdout', req.stdout, replies);
  const stderr = new CapturedOutput('stderr', req.stderr, replies);
  Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stdout });
  Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => stderr });
  process.exitCode = undefined;
  return saved;
}

function giveBack(saved: ProcessState): void {
  if (saved.stdout) Object.defineProperty(process, 'stdout', saved.stdout);
  if (saved.stderr) Object.defineProperty(process, 'stderr', saved.stderr);
  replaceEnv(saved.env);
  process.chdir(saved.cwd);
  process.exitCode = saved.exitCode;
}

/** The replies to one request: the run's outputs and its exit code, or one fallback. */
export async function runRequest(req: DaemonRequest, run: (argv: string[]) => Promise<number>): Promise<DaemonReply[]> {
  const replies: DaemonReply[] = [];
  let saved: ProcessState | undefined;
  // Events the hosts' streams delivered with the request are read before the run looks at what they keep.
  await new Promise((resolve) => setImmediate(resolve));
  try {
    saved = takeOver(req, replies);
    const code = await whileResident(() => run(req.argv));
    return [...replies, { kind: 'exit', code }];
  } catch (err) {
    if (err instanceof WritesNeeded) return [{ kind: 'fallback', reason: err.step }];
    return [{ kind: 'fallback', reason: `the daemon failed: ${err instanceof Error ? err.message : String(err)}` }];
  } finally {
    if (saved) giveBack(saved);
  }
}
