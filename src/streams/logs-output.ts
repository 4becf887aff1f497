/** What the log readers hand to the CLI's view: lines, and notices about hosts (each named once per change). */
import type { LogLine, ReplicaRef } from './log-line.js';

export type LogNotice =
  | { kind: 'unreachable'; host: string; message: string }
  | { kind: 'reachable'; host: string }
  | { kind: 'failed'; host: string; container: string; message: string };

export interface LogsOutput {
  /** The replicas about to be written (the history's), before their first line: e.g. to align prefixes. */
  begin?(replicas: readonly ReplicaRef[]): void;
  line(line: LogLine): void;
  notice(notice: LogNotice): void;
}

export interface LogsScope {
  stack: string;
  /** The stack's identity when known: only its containers are read. */
  owner?: import('../labels.js').StackOwner;
  targets: readonly import('./replicas.js').Target[];
}
