/**
 * What a client and `stack daemon` say over the daemon's unix socket: one request line, then reply lines, each a JSON
 * document. The request carries everything of the client's process a command reads — arguments, working directory,
 * environment, whether its outputs are terminals — and which build of stack it is, so that the daemon runs exactly
 * what the client would. Each side checks what it reads before using it.
 */

/** The client's build: its entry file, that file's mtime and Node's version. A daemon of another build refuses. */
export type BuildIdentity = string;

export interface OutputShape {
  tty: boolean;
  columns?: number;
}

export interface DaemonRequest {
  kind: 'run';
  build: BuildIdentity;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdout: OutputShape;
  stderr: OutputShape;
}

export type DaemonReply =
  | { kind: 'output'; stream: 'stdout' | 'stderr'; text: string }
  /** The command ended in the daemon with this exit code (its output came before). */
  | { kind: 'exit'; code: number }
  /** The daemon did not run the command, or stopped it before its first write: the client runs it itself. */
  | { kind: 'fallback'; reason: string };

/** The commands a daemon serves: those whose no-op or plan reads only. */
export const RESIDENT_COMMANDS: ReadonlySet<string> = new Set(['apply', 'plan', 'validate']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function outputShape(v: unknown): OutputShape | undefined {
  if (!isRecord(v) || typeof v.tty !== 'boolean') return undefined;
  if (v.columns === undefined) return { tty: v.tty };
  return Number.isInteger(v.columns) && (v.columns as number) > 0
    ? { tty: v.tty, columns: v.columns as number }
    : undefined;
}

/** The request in a line, or a reason it is not one. */
export function parseRequest(line: string): DaemonRequest | { invalid: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (!isRecord(v) || v.kind !== 'run') return { invalid: 'not a run request' };
  const { build, argv, cwd, env } = v;
  if (typeof build !== 'string' || !isStrings(argv) || typeof cwd !== 'string' || !cwd.startsWith('/'))
    return { invalid: 'build, argv or cwd missing or of the wrong type' };
  if (!isRecord(env) || !Object.values(env).every((s) => typeof s === 'string'))
    return { invalid: 'env is not strings' };
  const [stdout, stderr] = [outputShape(v.stdout), outputShape(v.stderr)];
  if (!stdout || !stderr) return { invalid: 'stdout or stderr shape missing' };
  return { kind: 'run', build, argv, cwd, env: env as Record<string, string>, stdout, stderr };
}

/** A reply in a line, or undefined when the line is not one. */
export function parseReply(line: string): DaemonReply | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(v)) return undefined;
  if (v.kind === 'output' && (v.stream === 'stdout' || v.stream === 'stderr') && typeof v.text === 'string')
    return { kind: 'output', stream: v.stream, text: v.text };
  if (v.kind === 'exit' && Number.isInteger(v.code) && (v.code as number) >= 0 && (v.code as number) < 256)
    return { kind: 'exit', code: v.code as number };
  if (v.kind === 'fallback' && typeof v.reason === 'string') return { kind: 'fallback', reason: v.reason };
  return undefined;
}

/**
 * A path that names something of the process that opens it (`-f /dev/stdin`, `--env-file <(…)` as /dev/fd/63,
 * /proc/self/…): in the daemon it would be the daemon's, so such a command runs in the client.
 */
const PROCESS_PATH = /(^|=)\/(dev|proc)\//;

/** The command a client's arguments name (the first word), when the daemon serves it. */
export function residentCommand(argv: readonly string[]): string | undefined {
  if (!RESIDENT_COMMANDS.has(argv[0] ?? '') || argv.some((a) => PROCESS_PATH.test(a))) return undefined;
  return argv[0];
}
