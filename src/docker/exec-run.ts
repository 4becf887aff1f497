/**
 * Runs one command in a running container to its end (POST /containers/{id}/exec, then /exec/{id}/start without
 * a TTY or stdin) and reads its exit code: the lifecycle hooks' call. The output is kept only as a short tail, for
 * the message when the command fails. Errors carry the host (HostError).
 */
import type { Readable } from 'node:stream';
import { HostError, type HostClient } from './client.js';
import { classify } from './faults.js';
import { FrameParser } from './frames.js';

export interface ExecBody {
  Cmd: string[];
  User?: string;
  Privileged: boolean;
  WorkingDir?: string;
  Env?: string[];
}

export interface ExecOutcome {
  exitCode: number;
  /** The last bytes of stdout and stderr, as text (trimmed). */
  tail: string;
}

const TAIL_BYTES = 400;
const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number })?.statusCode;

export async function runExec(client: HostClient, container: string, body: ExecBody): Promise<ExecOutcome> {
  const fail = (action: string) => (err: unknown) => {
    throw new HostError(client.name, action, container, statusOf(err), err, classify(err));
  };
  client.counts.writes++;
  const exec = await client.docker
    .getContainer(container)
    .exec({ ...body, AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false })
    .catch(fail('exec in'));
  client.counts.writes++;
  const stream = (await exec
    .start({ hijack: false, stdin: false, Detach: false })
    .catch(fail('start exec in'))) as Readable;
  const tail = await outputTail(stream).catch(fail('read exec output in'));
  for (let attempt = 0; ; attempt++) {
    // The output ends a moment before the daemon records the exit: ask again while it still says running.
    client.counts.reads++;
    const info = await exec.inspect().catch(fail('inspect exec in'));
    if (!info.Running && typeof info.ExitCode === 'number') return { exitCode: info.ExitCode, tail };
    if (attempt >= 100) return { exitCode: typeof info.ExitCode === 'number' ? info.ExitCode : 1, tail };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads a multiplexed stream to its end, keeping its last TAIL_BYTES. */
function outputTail(stream: Readable): Promise<string> {
  const parser = new FrameParser(false);
  let kept = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) kept = Buffer.concat([kept, frame.data]).subarray(-TAIL_BYTES);
    });
    stream.on('end', () => resolve(kept.toString('utf8').trim()));
    stream.on('close', () => resolve(kept.toString('utf8').trim()));
    stream.on('error', reject);
  });
}
