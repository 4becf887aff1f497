/**
 * Hosts lost during an apply: once an Engine call fails because its daemon cannot be reached (after
 * its retries), nothing more is sent to that host; the operations still waiting for it are skipped
 * with the failure as their root cause, and the other hosts' work goes on.
 */
import { isUnreachable } from '../docker/client.js';

export interface LostHost {
  /** The operation whose failure showed the host was gone. */
  op: string;
  error: string;
}

export class LostHosts {
  private readonly lost = new Map<string, LostHost>();

  /** Records the host as lost when err says its daemon cannot be reached; returns whether it did. */
  note(host: string, op: string, err: unknown): boolean {
    if (!isUnreachable(err) || this.lost.has(host)) return isUnreachable(err);
    this.lost.set(host, { op, error: err instanceof Error ? err.message : String(err) });
    return true;
  }

  /** The gate of the DAG walk: nothing more starts on a lost host; the op that showed it is the root cause. */
  refusal(host: string): { reason: string; root: string } | undefined {
    const gone = this.lost.get(host);
    return gone ? { reason: `host ${host} lost: ${gone.error}`, root: gone.op } : undefined;
  }

  get(host: string): LostHost | undefined {
    return this.lost.get(host);
  }

  entries(): Record<string, LostHost> {
    return Object.fromEntries(this.lost);
  }
}
