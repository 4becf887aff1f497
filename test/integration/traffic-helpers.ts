/**
 * A client that requests a service by name in a loop inside a container, counting failures into files read
 * afterwards: one request at a time (busybox `timeout 10 wget`: a refused, reset or wrong answer fails at once, so the
 * timeout only has to be long enough that a request merely slowed by a loaded machine is not counted), no retry,
 * at most 5000 requests.
 */
import type { ExecutionContext } from 'ava';
import { eventually, type Deployed } from './reconcile-helpers.js';

type Exec = (cmd: string[]) => Promise<{ exitCode: number; output: string }>;

export interface TrafficResult {
  requests: number;
  failures: number;
  /** One line per failed request: its number and the client's uptime when it failed. */
  failed: string;
}

export class TrafficClient {
  /** `exec` runs a command in the client container. */
  constructor(private readonly exec: Exec) {}

  /** The client container's command: waits for start(), then requests `url` in a loop (and stays up after). */
  static command(url: string): string[] {
    const loop = `i=0; f=0; while [ ! -f /tmp/stop ] && [ $i -lt 5000 ]; do i=$((i+1)); if ! timeout 10 wget -qO- ${url} >/tmp/body; then f=$((f+1)); read up _ </proc/uptime; echo "$i $up" >>/tmp/failed; fi; echo "$i $f" >/tmp/count; done; touch /tmp/finished`;
    return ['sh', '-c', `trap 'exit 0' TERM; while [ ! -f /tmp/go ]; do sleep 0.2; done; ${loop}; sleep 3600 & wait`];
  }

  /** Starts the loop (the container's own process, so no exec stays open) and waits until it has made a few requests. */
  async start(): Promise<void> {
    await this.exec(['touch', '/tmp/go']);
    await eventually(async () => (await this.counts()).requests >= 5, 30_000, 'the request loop to run');
  }

  async counts(): Promise<{ requests: number; failures: number }> {
    const r = await this.exec(['sh', '-c', 'cat /tmp/count 2>/dev/null; true']);
    const [i, f] = r.output.trim().split(' ').map(Number);
    return { requests: i || 0, failures: f || 0 };
  }

  /** Lets a few more requests through, then stops the loop and returns what it saw. */
  async stop(): Promise<TrafficResult> {
    const at = (await this.counts()).requests;
    await eventually(async () => (await this.counts()).requests >= at + 5, 30_000, 'requests after the update');
    await this.exec(['touch', '/tmp/stop']);
    await eventually(
      async () => (await this.exec(['test', '-f', '/tmp/finished'])).exitCode === 0,
      30_000,
      'the request loop to end',
    );
    const failed = (await this.exec(['sh', '-c', 'cat /tmp/failed 2>/dev/null; true'])).output;
    return { ...(await this.counts()), failed };
  }
}

/**
 * A start-first update to a version failing its healthcheck, with failure_action rollback, while `client` runs:
 * the rollout rolled back, nobody's request failed, and the service still answers `v1` by name.
 */
export async function assertRolledBackUnnoticed(
  t: ExecutionContext,
  rolled: Deployed,
  client: TrafficClient,
  exec: Exec,
): Promise<void> {
  t.false(rolled.result?.ok);
  t.is(rolled.result?.rollouts.api.outcome, 'rolled-back');
  t.regex(rolled.result!.rollouts.api.failures[0].error, /unhealthy/);
  const result = await client.stop();
  t.is(result.failures, 0, `failed requests (number, uptime): ${result.failed}`);
  // Asked until it answers (a single request may be slowed past its timeout by a loaded machine): v1, never v2.
  t.is(
    await eventually(
      async () => (await exec(['sh', '-c', 'timeout 5 wget -qO- http://api:8080/'])).output.trim() || undefined,
      20_000,
      'api to answer by name',
    ),
    'v1',
  );
}
