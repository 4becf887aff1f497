/** What the executor of one operation needs besides the operation and its host's client. */
import type { RegistryCredentials } from '../../docker/auth.js';
import type { OverlayStore } from '../../overlay/store.js';

export interface OperationContext {
  /** The bytes of a secret or config (`secret:KEY`, `config:KEY`). */
  contents: (ref: string) => Buffer;
  pollIntervalMs?: number;
  /** Registry credentials for pulls (only for the operator's hosts: the pipeline decides). */
  credentials?: RegistryCredentials;
  /** Consul, for the operations of stack's own overlay (`overlay.*`). */
  overlayStore?: OverlayStore;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
