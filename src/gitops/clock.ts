/** Time for the reconcile agent, injected so tests control it: the back-off and the interval wait on it. */
import { abortableSleep } from '../state/types.js';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` fires (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: abortableSleep,
};
