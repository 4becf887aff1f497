/**
 * Streams in and out of a container, for `stack logs` and `stack exec`: the logs stream (GET
 * /containers/{id}/logs, always with timestamps) and an exec session (POST /containers/{id}/exec, then
 * /exec/{id}/start hijacked: the connection becomes a two-way byte stream). Opening each has the read time limit;
 * once open, a stream lasts as long as its container (or the caller's `stop` signal). Errors carry the host (HostError).
 */
import { Readable, type Duplex } from 'node:stream';
import { HostError, type HostClient } from './client.js';
import { classify, withTimeout } from './faults.js';

export interface LogsQuery {
  follow: boolean;
  /** Unix seconds (fractions allowed: `1700000000.123456789`) or an RFC 3339 time; the Engine's `since`. */
  since?: string;
  until?: string;
  /** Lines from the end of each container's log; absent for all. */
  tail?: number;
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number })?.statusCode;

/** Opens a container's log stream (timestamps always on); ends when the log does (or, following, the container). */
export async function openLogs(
  client: HostClient,
  container: string,
  query: LogsQuery,
  stop: AbortSignal,
): Promise<Readable> {
  try {
    client.counts.reads++;
    return await withTimeout(client.faults.readTimeoutMs, async (limit) => {
      const opts = {
        follow: query.follow,
        stdout: true,
        stderr: true,
        timestamps: true,
        ...(query.since !== undefined ? { since: query.since } : {}),
        ...(query.until !== undefined ? { until: query.until } : {}),
        ...(query.tail !== undefined ? { tail: query.tail } : {}),
        abortSignal: AbortSignal.any([limit, stop]),
      };
      // dockerode answers a stream when following, the whole body (a Buffer) otherwise.
      const target = client.docker.getContainer(container) as unknown as { logs(o: object): Promise<unknown> };
      const body = await target.logs(opts);
      return Buffer.isBuffer(body) ? Readable.from([body]) : (body as Readable);
    });
  } catch (err) {
    throw new HostError(client.name, 'logs of', container, statusOf(err), err, classify(err));
  }
}

export interface ExecRequest {
  cmd: string[];
  tty: boolean;
  /** Terminal size to start with (TTY only). */
  size?: { columns: number; rows: number };
}

/** A started exec: its connection (stdin in; output raw with a TTY, else framed), resize, and its exit code. */
export interface ExecSession {
  socket: Duplex;
  resize(size: { columns: number; rows: number }): Promise<void>;
  /** The command's exit code, read once its output has ended. */
  exitCode(): Promise<number>;
}

/** Creates and starts an exec in a container (stdin attached), over a hijacked connection. */
export async function startExec(client: HostClient, container: string, req: ExecRequest): Promise<ExecSession> {
  const where = (action: string) => (err: unknown) => {
    throw new HostError(client.name, action, container, statusOf(err), err, classify(err));
  };
  client.counts.writes++;
  const exec = await client.docker
    .getContainer(container)
    .exec({ Cmd: req.cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: req.tty })
    .catch(where('exec in'));
  client.counts.writes++;
  const socket: Duplex = await exec.start({ hijack: true, stdin: true, Tty: req.tty }).catch(where('start exec in'));
  const resize = async (size: { columns: number; rows: number }): Promise<void> => {
    await exec.resize({ w: size.columns, h: size.rows }).catch(() => undefined); // best effort
  };
  if (req.tty && req.size) await resize(req.size);
  return {
    socket,
    resize,
    exitCode: async () => {
      // The output ends a moment before the daemon records the exit: ask again while it still says running.
      for (let attempt = 0; ; attempt++) {
        client.counts.reads++;
        const info = await exec.inspect().catch(where('inspect exec in'));
        if (!info.Running && typeof info.ExitCode === 'number') return info.ExitCode;
        if (attempt >= 100) return typeof info.ExitCode === 'number' ? info.ExitCode : 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
