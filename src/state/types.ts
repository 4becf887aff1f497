/**
 * The state store: where stack keeps what several runs must agree on — the apply lock and the revision
 * history of each stack. One interface, two implementations: Consul (src/state/consul-store.ts), for any
 * number of machines, and a local state directory (local-store.ts), for one machine without Consul.
 */
import type { Fence } from '../fence.js';

import type { StackOwner } from '../labels.js';
import type { HashKey } from '../sensitive.js';

/** Who holds a stack's lock, written as the lock's value so a blocked user knows whom to ask. */
export interface LockInfo {
  stack: string;
  user: string;
  machine: string;
  /** `apply`, `destroy`, `rollback --to 3`. */
  command: string;
  /** CI job, e.g. `GITHUB_RUN_ID=123`, when run in CI. */
  ciJob?: string;
  /** ISO time the lock was taken. */
  since: string;
  pid: number;
  /** Consul session or local lock token. */
  id?: string;
}

export interface AcquireOptions {
  /** How long to wait for a held lock; 0 fails at once. */
  timeoutMs: number;
  /** Called once, when the lock is found held, with the holder. */
  onWait?: (holder: LockInfo | undefined) => void;
  pollMs?: number;
  /** Stops waiting (SIGINT/SIGTERM): acquire then rejects with LockWaitAbortedError, leaving the lock as it was. */
  signal?: AbortSignal;
}

/** The wait for a held lock was given up (the command was interrupted); the lock is untouched. */
export class LockWaitAbortedError extends Error {
  constructor(readonly stackName: string) {
    super(`stopped waiting for the lock of stack ${stackName}`);
    this.name = 'LockWaitAbortedError';
  }
}

/** Sleeps `ms`, or less when `signal` fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A held lock. `lost` aborts when the lock can no longer be trusted (session invalidated, key taken). */
export interface HeldLock {
  info: LockInfo;
  lost: AbortSignal;
  /** Refuses writes once the lock is lost; give it to everything that writes under this lock (src/fence.ts). */
  fence: Fence;
  release(): Promise<void>;
}

/** The lock as it is now: its holder (absent: the key is there but held by no session) and its index. */
export interface LockState {
  holder?: LockInfo;
  /** Consul: the key's ModifyIndex; local state: the lock's id. `unlock --force --index` names it. */
  index: string;
}

/** What `unlock --force` did: removed the lock seen at the index, found none, or found another one. */
export type ForceUnlockResult =
  { outcome: 'removed'; holder?: LockInfo } | { outcome: 'gone' } | { outcome: 'changed'; now?: LockState };

/** The lock is held by someone else and the wait ran out. */
export class LockTimeoutError extends Error {
  constructor(
    readonly stackName: string,
    readonly holder: LockInfo | undefined,
    readonly waitedMs: number,
  ) {
    super(`stack ${stackName} is locked${holder ? ` by ${describeHolder(holder)}` : ''}`);
    this.name = 'LockTimeoutError';
  }
}

export function describeHolder(h: LockInfo): string {
  return `${h.user}@${h.machine} (${h.command}${h.ciJob ? `, CI job ${h.ciJob}` : ''}, pid ${h.pid}) since ${h.since}`;
}

export type RevisionResult = 'ok' | 'failed' | 'interrupted';

/** What made a revision: an apply (also a rollback, which applies an earlier revision) or a destroy. */
export type RevisionKind = 'apply' | 'destroy';

export interface PlanSummaryCounts {
  create: number;
  replace: number;
  update: number;
  remove: number;
  operations: number;
}

/** How a service's rolling update ended (the apply's RolloutOutcome kinds; `completed-with-failures` is failure_action continue or within max_failure_ratio). */
export type RevisionRolloutOutcome =
  'completed' | 'completed-with-failures' | 'paused' | 'rolled-back' | 'rollback-incomplete' | 'incomplete';

/** One service's rolling update as a revision records it: how it ended, which replicas failed and why. */
export interface RevisionRollout {
  service: string;
  outcome: RevisionRolloutOutcome;
  /** The replicas whose new container failed: container name, host, the failed operation and its error. */
  failures: { replica: string; host: string; op: string; reason: string }[];
  /** Replicas running the new version at the end. */
  updated: string[];
  /** Replicas put back to the previous version by a rollback. */
  rolledBack: string[];
  /** Rollback steps that failed (outcome rollback-incomplete). */
  rollbackErrors?: { op: string; error: string }[];
}

/** What `stack history` lists: everything about a revision but the stack itself. */
export interface RevisionSummary {
  number: number;
  /** sha256 of the stored desired stack. */
  hash: string;
  result: RevisionResult;
  /** `destroy`: the stack was removed from the hosts; absent in revisions recorded before kinds existed (= apply). */
  kind?: RevisionKind;
  command: string;
  who: string;
  when: string;
  commit?: string;
  plan: PlanSummaryCounts;
  /** Per service rolled by this apply, in name order; absent when nothing was rolled (and in revisions recorded before rollouts were). */
  rollouts?: RevisionRollout[];
  /**
   * The Engine API version the apply spoke to each host at (`h1` → `1.41`): the next run sends its first reads at
   * that version beside the ping instead of after it (HostClient.hintApi). Absent in revisions recorded before.
   */
  apiVersions?: Record<string, string>;
}

/** A revision: its summary and the normalised desired stack, secrets as hashes only. */
export interface RevisionRecord extends RevisionSummary {
  desired: StoredDesired;
}

/** The desired stack as a revision keeps it: plain JSON, configs' bytes in base64, secrets' bytes never. */
export interface StoredDesired {
  name: string;
  workingDir: string;
  services: Record<string, unknown>;
  networks: Record<string, unknown>;
  volumes: Record<string, unknown>;
  configs: Record<string, { spec: Record<string, unknown>; content?: string }>;
  secrets: Record<string, Record<string, unknown>>;
}

/** A revision's manifest: its summary and how to read its chunks. Readers trust only manifests. */
export interface RevisionManifest extends RevisionSummary {
  encoding: 'json' | 'zlib';
  chunks: number;
  /** Bytes of the encoded record over all chunks, and their sha256. */
  bytes: number;
  sha256: string;
  /** Consul: the folder under the revision's key holding its chunks (one per writer; absent: `chunks`). */
  chunkDir?: string;
}

export interface StateStore {
  /** `Consul at http://…` or `local state in /…`, for messages. */
  readonly where: string;
  /** The stack's identity (src/state/identity.ts), if its first apply made one. */
  identity(stack: string): Promise<StackOwner | undefined>;
  /** The stack's identity, made now if there is none (check-and-set: concurrent first applies get the same one). */
  claimIdentity(stack: string): Promise<StackOwner>;
  /** The stack's hash key (src/state/hash-key.ts), if its first apply made one; read without the lock (plan). */
  hashKey(stack: string): Promise<HashKey | undefined>;
  /** The stack's hash key, made now if there is none (create-only: concurrent first applies get the same one). */
  claimHashKey(stack: string): Promise<HashKey>;
  acquire(stack: string, info: LockInfo, options: AcquireOptions): Promise<HeldLock>;
  /** The current holder, if the lock is held. */
  holder(stack: string): Promise<LockInfo | undefined>;
  /** The lock's holder and index, if the lock key exists. */
  lockState(stack: string): Promise<LockState | undefined>;
  /** Removes the lock if it is still the one at `index` (check-and-set); never one taken meanwhile. */
  forceUnlock(stack: string, index: string): Promise<ForceUnlockResult>;
  /** Revisions, oldest first. */
  list(stack: string): Promise<RevisionSummary[]>;
  /** The newest revision's summary, if any (without reading the others). */
  latest(stack: string): Promise<RevisionSummary | undefined>;
  get(stack: string, number: number): Promise<RevisionRecord | undefined>;
  /** Stores a revision (number = last + 1 given by the caller) and prunes all but the newest `keep`. */
  record(stack: string, record: RevisionRecord, keep: number): Promise<void>;
  close(): void;
}
