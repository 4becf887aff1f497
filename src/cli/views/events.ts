/** `stack events`: one line per event, or one JSON object a line (its shape is in docs/operating.md). */
import type { StackEvent } from '../../operate/events.js';
import { printable } from '../../observe/owner.js';

/** `2026-12-06T00:40:00.123456789Z h1 container start app-web-1 (web.1)`. */
export function eventLine(e: StackEvent): string {
  const action = e.detail ? `${e.action}: ${e.detail}` : e.action;
  const replica = e.service ? ` (${e.service}.${e.slot})` : '';
  const exit = e.exitCode !== undefined ? ` exit ${e.exitCode}` : '';
  // Names, services and slots come from labels anyone with Engine access can write: no control characters.
  return printable(`${e.time} ${e.host} ${e.type} ${action} ${e.name}${replica}${exit}`);
}

export function printEvent(e: StackEvent, options: { json?: boolean; stream?: NodeJS.WritableStream } = {}): void {
  const stream = options.stream ?? process.stdout;
  stream.write(`${options.json ? JSON.stringify(e) : eventLine(e)}\n`);
}
