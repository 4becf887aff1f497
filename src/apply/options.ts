/** What apply needs: one client per host, the concurrency limits, the reporter, the interruption signals. */
import type { HostClient } from '../docker/client.js';
import type { Reporter } from './events.js';
import type { OperationContext } from './operations/context.js';

export interface ApplyOptions extends OperationContext {
  clients: ReadonlyMap<string, HostClient>;
  hostConcurrency: number;
  globalConcurrency: number;
  reporter?: Reporter;
  /** Interruption: start no new operation. */
  signal?: AbortSignal;
  /** Hard interruption: return at once, without waiting for operations in flight. */
  hardSignal?: AbortSignal;
}
