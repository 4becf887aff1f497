/**
 * Whether this run is one the resident process (`stack daemon`) serves for a client: such a run stays read-only.
 * The commands ask it at the steps that would write, and throw WritesNeeded there; the client then runs the command
 * in a process of its own, as without the daemon.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { WritesNeeded } from '../../errors.js';

const resident = new AsyncLocalStorage<true>();

/** Runs `fn` as a resident run: what it calls sees residentRun() true. */
export function whileResident<T>(fn: () => Promise<T>): Promise<T> {
  return resident.run(true, fn);
}

export function residentRun(): boolean {
  return resident.getStore() === true;
}

/** In a resident run, stops before `step` (which writes): the client runs the command itself. */
export function refuseWritesWhenResident(step: string): void {
  if (residentRun()) throw new WritesNeeded(step);
}
