/** `stack events [--follow] [--json] [--since]`: the daemons' events for the stack's objects, merged, with host. */
import { InvalidArgumentError, type Command } from 'commander';
import { addStackOptions } from '../stack-options.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { printEvent } from '../views/events.js';
import { addStoreOption, storeFrom, type StoreOptions } from '../store-options.js';
import { gather } from '../../operate/gather.js';
import { eventScope, followEvents, pastEvents, type EventSinks } from '../../operate/events.js';
import { engineTime, unixSeconds } from '../../operate/time.js';

interface EventsCommandOptions extends CommonOptions, StoreOptions {
  follow?: boolean;
  since?: string;
}

function sinceOption(value: string): string {
  if (engineTime(value, Date.now()) === undefined)
    throw new InvalidArgumentError('give a duration (10m, 1h30m), an RFC 3339 time or Unix seconds');
  return value;
}

export function registerEvents(program: Command): void {
  const cmd = program
    .command('events')
    .description(
      "Show the daemons' events for the stack's containers, networks and volumes, every host merged in time order",
    )
    .option('--follow', 'stream new events until Ctrl-C (then exit 0; -f stays the stack file)')
    .option('--since <time>', 'from this time: a duration ago (10m), an RFC 3339 time, or Unix seconds', sinceOption)
    .option('--json', 'one JSON object a line (see docs/operating.md)');
  addStoreOption(addStackOptions(cmd)).action(async (opts: EventsCommandOptions) => {
    const desired = await loadDesired(opts, { checkPolicy: false });
    const g = await gather(desired, storeFrom(opts));
    if (g.warnings.length) printDiagnostics(g.warnings);
    // Each host that cannot be reached, or whose stream drops, is named once; the others go on; the exit code is 1.
    let lost = g.unreachable.length;
    if (lost) printDiagnostics(g.unreachable.map((d) => ({ ...d, severity: 'warning' })));
    const sinks: EventSinks = {
      event: (e) => printEvent(e, { json: opts.json }),
      lost: (host, reason) => {
        lost++;
        printDiagnostics([{ severity: 'warning', summary: `no events: ${reason}`, where: { host } }]);
      },
    };
    const clients = desired.hosts.filter((h) => g.usable.has(h.name)).map((h) => g.clients.get(h.name)!);
    const scope = eventScope(desired, g.observed, g.owner);
    const now = Date.now();
    const until = unixSeconds(now);
    const since = opts.since === undefined ? undefined : engineTime(opts.since, now);
    const controller = new AbortController();
    if (!opts.follow || since) await pastEvents(clients, scope, { since, until, signal: controller.signal }, sinks);
    if (opts.follow) {
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await followEvents(clients, scope, { since: until, signal: controller.signal }, sinks);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    }
    if (lost) process.exitCode = 1;
  });
}
