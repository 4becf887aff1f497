/** Messages about the apply lock and the state store, on stderr (stdout stays clean for --json). */
import { describeHolder, type LockInfo, type LockState } from '../../state/types.js';

export function printLockWait(
  stack: string,
  holder: LockInfo | undefined,
  where: string,
  timeoutMs: number,
  stream: NodeJS.WriteStream = process.stderr,
): void {
  const who = holder ? describeHolder(holder) : 'another run';
  const wait =
    timeoutMs > 0 ? `waiting up to ${formatMs(timeoutMs)} (--lock-timeout)` : 'not waiting (--lock-timeout 0)';
  stream.write(`stack ${stack} is locked in ${where} by ${who}; ${wait}\n`);
}

export function printUnlocked(
  stack: string,
  removed: LockInfo | undefined,
  where: string,
  stream: NodeJS.WriteStream = process.stdout,
): void {
  if (!removed) stream.write(`stack ${stack} was not locked in ${where}; nothing removed\n`);
  else if (!removed.id)
    stream.write(`removed a released lock entry of stack ${stack} in ${where} (last ${describeHolder(removed)})\n`);
  else
    stream.write(
      `removed the lock of stack ${stack} in ${where}: held by ${describeHolder(removed)}${removed.id ? `, session ${removed.id}` : ''}\n`,
    );
}

/** What `unlock --force` is about to remove, on stderr. */
export function printLockState(
  stack: string,
  now: LockState,
  where: string,
  stream: NodeJS.WriteStream = process.stderr,
): void {
  const who = now.holder
    ? `held by ${describeHolder(now.holder)}${now.holder.id ? `, session ${now.holder.id}` : ''}`
    : 'a released entry';
  stream.write(`the lock of stack ${stack} in ${where} is ${who}, index ${now.index}\n`);
}

export function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
