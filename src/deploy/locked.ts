/**
 * What every run that writes shares: opening the state store, and holding the stack's lock around the whole
 * run (taken before observing, released in `finally`, so errors and interrupts release it too). Store failures
 * become one clear diagnostic each (an ExitError).
 */
import { ExitError, type Diagnostic } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import { parseDuration } from '../stack/units.js';
import { ConsulRequestError, ConsulUnreachableError } from '../consul/client.js';
import { openStateStore, type OpenedStore } from '../state/open.js';
import { lockInfo } from '../state/lock-info.js';
import { provisionalOwner } from '../state/identity.js';
import type { StackOwner } from '../labels.js';
import { HashKey } from '../sensitive.js';
import { LockTimeoutError, describeHolder, type HeldLock } from '../state/types.js';
import { StoredDataError } from '../state/stored.js';
import type { DeployIO, StoreOptions, WriteOptions } from './io.js';

export const DEFAULT_LOCK_TIMEOUT = '5m';

export interface Held extends OpenedStore {
  lock: HeldLock;
}

export function lockTimeoutMs(text: string | undefined): number {
  const ns = parseDuration(text ?? DEFAULT_LOCK_TIMEOUT);
  if (ns === undefined)
    throw new ExitError(1, [
      { severity: 'error', summary: `--lock-timeout ${text}: not a duration`, hint: 'write it like 30s, 5m or 0' },
    ]);
  return Math.round(ns / 1e6);
}

function consulError(
  err: ConsulUnreachableError | ConsulRequestError,
  opened: Pick<OpenedStore, 'config'>,
  purpose: string,
) {
  const source =
    opened.config?.source === 'inventory'
      ? "the inventory's consul:"
      : opened.config?.source === 'x-stack.consul'
        ? 'x-stack.consul in the stack file'
        : opened.config?.source;
  return new ExitError(1, [
    {
      severity: 'error',
      summary: err.message,
      detail: `stack needs Consul for ${purpose}; the address comes from ${source}. Nothing was changed on any host.`,
      hint: 'start Consul or point stack at one with --consul ADDRESS or CONSUL_HTTP_ADDR',
    },
  ]);
}

function lockTimeoutError(err: LockTimeoutError): ExitError {
  const h = err.holder;
  const diagnostic: Diagnostic = {
    severity: 'error',
    summary: `stack ${err.stackName} is locked${h ? ` by ${describeHolder(h)}` : ''}`,
    detail: h
      ? `holder: user ${h.user}, machine ${h.machine}, command ${h.command}${h.ciJob ? `, CI job ${h.ciJob}` : ''}, pid ${h.pid}, since ${h.since}`
      : undefined,
    hint: 'wait for it, raise --lock-timeout, or if the holder is gone: stack unlock --force',
  };
  return new ExitError(1, [diagnostic]);
}

/** Turns store failures into one clear diagnostic; anything else is rethrown as is. */
export function storeError(err: unknown, opened: Pick<OpenedStore, 'config' | 'store'>, purpose: string): unknown {
  if (err instanceof ConsulUnreachableError || err instanceof ConsulRequestError)
    return consulError(err, opened, purpose);
  if (err instanceof StoredDataError) {
    return new ExitError(1, [
      {
        severity: 'error',
        summary: `${opened.store.where}: ${err.message}`,
        detail: `stack reads back only what it wrote; this value is damaged or was written by someone else, so it is not used. Nothing was changed on any host.`,
        hint: 'look at the value, and remove or restore it (consul kv delete / kv put, or the file in the state directory)',
      },
    ]);
  }
  if (err instanceof LockTimeoutError) return lockTimeoutError(err);
  return err;
}

/** Opens the state store, without the lock (history, unlock, status). Closes it after `fn`. */
export async function withStore<T>(
  desired: DesiredState,
  opts: StoreOptions,
  purpose: string,
  fn: (opened: OpenedStore) => Promise<T>,
): Promise<T> {
  const opened = openStore(desired, opts);
  try {
    return await fn(opened);
  } catch (err) {
    throw storeError(err, opened, purpose);
  } finally {
    opened.store.close();
  }
}

/**
 * The stack's identity for a run that only reads (plan, status): the stored one, or — before the first
 * apply — a provisional one that nothing on the hosts carries, so nothing there counts as the stack's own.
 */
export async function readOwner(desired: DesiredState, opts: StoreOptions): Promise<StackOwner> {
  return withStore(
    desired,
    opts,
    'the stack identity',
    async ({ store }) => (await store.identity(desired.name)) ?? provisionalOwner(store.where),
  );
}

/**
 * The stack's hash key for a run that only reads (plan): the stored one, or — before the first apply — a throwaway
 * one (nothing on the hosts carries its HMACs, so every container shows as new anyway).
 */
export async function readHashKey(desired: DesiredState, opts: StoreOptions): Promise<HashKey> {
  return withStore(
    desired,
    opts,
    'the stack hash key',
    async ({ store }) => (await store.hashKey(desired.name)) ?? HashKey.random(),
  );
}

/**
 * The stack's identity and hash key for a run that only reads (plan, a drift check), both read at once (one round
 * trip to Consul instead of two); when both fail, the identity's error is the one thrown, as when read in turn.
 */
export async function readOwnerAndHashKey(desired: DesiredState, opts: StoreOptions): Promise<[StackOwner, HashKey]> {
  const [owner, hashKey] = await Promise.allSettled([readOwner(desired, opts), readHashKey(desired, opts)]);
  if (owner.status === 'rejected') throw owner.reason;
  if (hashKey.status === 'rejected') throw hashKey.reason;
  return [owner.value, hashKey.value];
}

export function openStore(desired: DesiredState, opts: StoreOptions): OpenedStore {
  try {
    return openStateStore(desired, opts.consul, opts.env, opts.warnState);
  } catch (err) {
    const summary = err instanceof Error ? err.message : String(err);
    const hint = summary.startsWith('cannot set up the Consul client')
      ? 'check CONSUL_CACERT, CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY'
      : 'set STACK_STATE_DIR, or point stack at Consul with --consul or CONSUL_HTTP_ADDR';
    throw new ExitError(1, [{ severity: 'error', summary, hint }]);
  }
}

async function acquire(
  desired: DesiredState,
  opts: WriteOptions,
  command: string,
  io: Pick<DeployIO, 'lockWait' | 'lockTaken'>,
  signal: AbortSignal | undefined,
): Promise<Held> {
  const timeoutMs = lockTimeoutMs(opts.lockTimeout);
  const opened = openStore(desired, opts);
  try {
    const lock = await opened.store.acquire(desired.name, lockInfo(desired.name, command, opts.env), {
      timeoutMs,
      onWait: (holder) => io.lockWait(desired.name, holder, opened.store.where, timeoutMs),
      signal,
    });
    io.lockTaken?.(desired.name);
    return { ...opened, lock };
  } catch (err) {
    opened.store.close();
    throw storeError(err, opened, 'the apply lock');
  }
}

/**
 * Runs `fn` holding the stack's lock; the lock is released however `fn` ends. `signal` (SIGINT/SIGTERM) stops
 * the wait for a held lock, leaving that lock as it was.
 */
export async function withStackLock<T>(
  desired: DesiredState,
  opts: WriteOptions,
  command: string,
  io: Pick<DeployIO, 'lockWait' | 'lockTaken' | 'warn'>,
  fn: (held: Held) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const held = await acquire(desired, opts, command, io, signal);
  try {
    return await fn(held);
  } catch (err) {
    throw err instanceof StoredDataError ? storeError(err, held, command) : err;
  } finally {
    try {
      await held.lock.release();
    } catch (err) {
      io.warn([
        {
          severity: 'warning',
          summary: `could not release the lock of stack ${desired.name}: ${err instanceof Error ? err.message : String(err)}`,
          hint: 'its session expires by itself; or run stack unlock --force',
        },
      ]);
    }
    held.store.close();
  }
}
