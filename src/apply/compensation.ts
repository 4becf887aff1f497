/**
 * Compensation of replace groups: when an operation of a group that began fails or is skipped, the group's planned
 * undo steps run once, best effort and in order (start the old container again, remove the new one). A group may
 * have two branches in flight at once (stop-first: the old container's rename beside the new one's start), so once
 * its compensation is started no other operation of the group starts (`refusal`), and the undo steps wait until the
 * group's calls in flight have settled: each step with `ifDone` then reads a final status, and runs only when the
 * step it undoes succeeded. Once the old container is removed nothing runs: the next apply finds the temporary
 * container and finishes the replace.
 */
import type { Operation, Plan } from '../plan/types.js';
import { errorText, ref, type ApplyEvent } from './events.js';
import type { LostHosts } from './lost-hosts.js';
import type { OpStatus } from './result.js';

export interface CompensationDeps {
  plan: Plan;
  status(opId: string): OpStatus | undefined;
  lost: LostHosts;
  hardSignal?: AbortSignal;
  /** Runs one undo step through the concurrency slots. */
  run(op: Operation): Promise<unknown>;
  /** The group's Engine calls still in flight (a stop-first replica renames its old container beside the start). */
  inFlight(group: string): Promise<unknown>[];
  emit(e: ApplyEvent): void;
}

const ALREADY_REMOVED = 'not run: the old container is already removed; the next apply completes the replace';

export class Compensations {
  private readonly begun = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  /** Per started compensation, the operation whose failure (or skip's root cause) started it. */
  private readonly roots = new Map<string, string>();

  constructor(private readonly d: CompensationDeps) {}

  /** An operation of the group started: a later failure is compensated. */
  begin(group: string): void {
    this.begun.add(group);
  }

  /** The group's compensation, if it was started. */
  of(group: string): Promise<void> | undefined {
    return this.running.get(group);
  }

  /** Why an operation of a group being put back must not start (the undo steps read the group's final state). */
  refusal(op: Operation): { reason: string; root: string } | undefined {
    const root = op.group ? this.roots.get(op.group) : undefined;
    return root ? { reason: 'its replace group is being put back', root } : undefined;
  }

  /**
   * Starts the group's compensation (once, and only when the group began) after `root` failed or was skipped;
   * returns it when it started now.
   */
  start(group: string, root: string): Promise<void> | undefined {
    if (this.running.has(group) || !this.begun.has(group)) return undefined;
    const c = this.d.plan.compensations.find((x) => x.group === group);
    if (!c) return undefined;
    if (this.oldRemoved(group)) {
      for (const op of c.ops) this.d.emit({ type: 'compensate', group, op: ref(op), error: ALREADY_REMOVED });
      return undefined;
    }
    // Nothing more of the group starts; what it has in flight settles first (the steps read what was done).
    this.roots.set(group, root);
    const work = Promise.allSettled(this.d.inFlight(group)).then(() => this.runSteps(group, c.ops));
    this.running.set(group, work);
    return work;
  }

  private oldRemoved(group: string): boolean {
    return this.d.plan.operations.some(
      (o) => o.group === group && o.kind === 'container.remove' && this.d.status(o.id) === 'done',
    );
  }

  private async runSteps(group: string, ops: (Operation & { ifDone?: string })[]): Promise<void> {
    for (const op of ops) {
      if (op.ifDone && this.d.status(op.ifDone) !== 'done') continue;
      const gone = this.d.lost.get(op.host);
      if (gone || this.d.hardSignal?.aborted) {
        this.d.emit({ type: 'compensate', group, op: ref(op), error: gone ? `host ${op.host} lost` : 'interrupted' });
        continue;
      }
      try {
        await this.d.run(op);
        this.d.emit({ type: 'compensate', group, op: ref(op) });
      } catch (err) {
        this.d.emit({ type: 'compensate', group, op: ref(op), error: errorText(err) });
      }
    }
  }
}
