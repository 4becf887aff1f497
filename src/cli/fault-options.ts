/**
 * The options about faults that plan, apply and destroy share: --skip-unreachable, the Engine call
 * time limits, the number of retries, and (apply) the grace time after an interruption.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_FAULT_SETTINGS, type FaultSettings } from '../docker/faults.js';
import { DEFAULT_GRACE_MS } from '../apply/interruption.js';

export interface FaultCliOptions {
  skipUnreachable?: boolean;
  timeout?: number;
  pullTimeout?: number;
  retries?: number;
  grace?: number;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number of seconds above 0');
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 20) throw new InvalidArgumentError('must be a whole number from 0 to 20');
  return n;
}

const s = (ms: number) => `${ms / 1000}`;

/** Adds --skip-unreachable, --timeout, --pull-timeout, --retries (and --grace with `grace`). */
export function addFaultOptions(command: Command, { grace = false } = {}): Command {
  command
    .option(
      '--skip-unreachable',
      'plan and apply the hosts that answer, leave out (and name) those that do not; default: an unreachable host is an error before any write',
    )
    .option(
      '--timeout <seconds>',
      `time limit of one Engine call (default ${s(DEFAULT_FAULT_SETTINGS.writeTimeoutMs)}; reads ${s(DEFAULT_FAULT_SETTINGS.readTimeoutMs)}; a stop gets its grace period + ${s(DEFAULT_FAULT_SETTINGS.stopExtraMs)})`,
      seconds,
    )
    .option(
      '--pull-timeout <seconds>',
      `time limit of one image pull (default ${s(DEFAULT_FAULT_SETTINGS.pullTimeoutMs)})`,
      seconds,
    )
    .option(
      '--retries <n>',
      `further attempts after a transient error (connection reset, time-out, 5xx), with exponential back-off (default ${DEFAULT_FAULT_SETTINGS.retries})`,
      count,
    );
  if (grace)
    command.option(
      '--grace <seconds>',
      `after SIGINT/SIGTERM, how long operations in flight may finish (default ${s(DEFAULT_GRACE_MS)}); a second signal stops at once`,
      seconds,
    );
  return command;
}

export function faultSettingsFrom(opts: FaultCliOptions): FaultSettings {
  const f: FaultSettings = { ...DEFAULT_FAULT_SETTINGS };
  if (opts.timeout !== undefined) {
    f.writeTimeoutMs = opts.timeout * 1000;
    f.readTimeoutMs = Math.min(f.readTimeoutMs, f.writeTimeoutMs);
  }
  if (opts.pullTimeout !== undefined) f.pullTimeoutMs = opts.pullTimeout * 1000;
  if (opts.retries !== undefined) f.retries = opts.retries;
  return f;
}

export function graceMsFrom(opts: FaultCliOptions): number {
  return opts.grace !== undefined ? opts.grace * 1000 : DEFAULT_GRACE_MS;
}
