/**
 * One host's probe container (probe-scripts.ts says what it is): created (the helper image pulled first when the
 * host lacks it), started, asked to run commands (Engine exec, each with a time limit), and ended — the devices
 * deleted by an exec, then the container stopped (its TERM trap deletes them too) and removed. Every step has a time
 * limit; `end` never throws and says what it could not undo.
 */
import type Docker from 'dockerode';
import type { HostClient } from '../docker/client.js';
import { withTimeout } from '../docker/faults.js';
import { cleanupCommand, probeBody, type ProbeRun } from './probe-scripts.js';
import type { DeviceName } from '../overlay/values.js';
import { Labels } from '../labels.js';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

export interface ExecResult {
  exitCode: number;
  output: string;
}

/** Reads a hijacked exec stream to its end (a TTY: one raw stream), aborted by `signal`. */
function readAll(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const abort = () => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', abort, { once: true });
    stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    stream.on('error', reject);
    stream.on('end', () => {
      signal.removeEventListener('abort', abort);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** Removes the run's probe containers on a host, whatever state they are in; errors are left to the caller's report. */
async function removeByLabel(client: HostClient, run: ProbeRun, timeoutMs: number): Promise<void> {
  await withTimeout(timeoutMs, async () => {
    const found = await client.docker.listContainers({
      all: true,
      filters: { label: [`${Labels.hostsCheck}=${run.nonce}`] },
    });
    await Promise.all(found.map((c) => client.docker.getContainer(c.Id).remove({ force: true })));
  }).catch(() => undefined);
}

export class ProbeContainer {
  private constructor(
    readonly client: HostClient,
    private readonly container: Docker.Container,
    readonly pulledImage: boolean,
  ) {}

  /** Creates and starts the probe; pulls the image first if the host lacks it. */
  static async start(
    client: HostClient,
    image: string,
    run: ProbeRun,
    cmd: string[],
    dataRoot: string | undefined,
    timeoutMs: number,
  ): Promise<ProbeContainer> {
    const body = probeBody(image, run, cmd, dataRoot);
    const create = () =>
      withTimeout(timeoutMs, () => client.docker.createContainer(body as Docker.ContainerCreateOptions)).catch(
        async (err: unknown) => {
          // Created after all, the answer lost (a time-out): find it by the run's label and remove it.
          if (statusOf(err) !== 404) await removeByLabel(client, run, timeoutMs);
          throw err;
        },
      );
    let pulled = false;
    let container: Docker.Container;
    try {
      container = await create();
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      await client.pull(image);
      pulled = true;
      container = await create();
    }
    const probe = new ProbeContainer(client, container, pulled);
    try {
      await withTimeout(timeoutMs, () => container.start());
    } catch (err) {
      await probe.end([], timeoutMs);
      throw err;
    }
    return probe;
  }

  /** Runs `cmd` in the container (no shell of ours: argv) and returns its exit code and output. */
  async exec(cmd: string[], timeoutMs: number): Promise<ExecResult> {
    return withTimeout(timeoutMs, async (signal) => {
      const exec = await this.container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
      const stream = (await exec.start({ hijack: true, stdin: false, Tty: true })) as NodeJS.ReadableStream;
      const output = await readAll(stream, signal);
      const { ExitCode } = (await exec.inspect()) as { ExitCode: number | null };
      return { exitCode: ExitCode ?? -1, output };
    });
  }

  /**
   * Deletes `devices`, stops the container (its trap deletes them again; AutoRemove removes it) and removes it if it
   * is still there. Returns what could not be undone, or undefined.
   */
  async end(devices: readonly DeviceName[], timeoutMs: number): Promise<string | undefined> {
    const problems: string[] = [];
    if (devices.length)
      await this.exec(cleanupCommand(devices), timeoutMs).then(
        (r) => void (r.exitCode !== 0 && problems.push(`deleting the probe's devices exited ${r.exitCode}`)),
        (err: unknown) => void problems.push(`deleting the probe's devices: ${message(err)}`),
      );
    await withTimeout(timeoutMs, () => this.container.stop({ t: 5 })).catch((err: unknown) => {
      if (statusOf(err) !== 304 && statusOf(err) !== 404) problems.push(`stopping the probe: ${message(err)}`);
    });
    await withTimeout(timeoutMs, () => this.container.remove({ force: true })).catch((err: unknown) => {
      // 404: AutoRemove was first; 409: its removal is in progress.
      if (statusOf(err) !== 404 && statusOf(err) !== 409) problems.push(`removing the probe: ${message(err)}`);
    });
    return problems.length
      ? `host ${this.client.name}: probe container ${this.container.id.slice(0, 12)}: ${problems.join('; ')}`
      : undefined;
  }
}
