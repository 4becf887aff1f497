/** `stack logs`: the logs of the stack's replicas on every host, merged in the daemons' timestamp order. */
import { InvalidArgumentError, type Command } from 'commander';
import { clientsFor } from '../../docker/client.js';
import { dumpLogs } from '../../streams/dump.js';
import { Follower } from '../../streams/follow.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { addStoreOption, type StoreOptions } from '../store-options.js';
import { ownerOrWarn } from '../stack-owner.js';
import { targetsFrom } from '../targets.js';
import { logsView } from '../views/logs.js';
import { engineTime } from '../log-times.js';

interface LogsOptions extends CommonOptions, StoreOptions {
  follow?: boolean;
  since?: string;
  until?: string;
  tail?: number;
  timestamps?: boolean;
}

function lineCount(value: string): number {
  if (!/^[0-9]{1,9}$/.test(value)) throw new InvalidArgumentError('must be a whole number of lines (0 or more)');
  return Number(value);
}

export function registerLogs(program: Command): void {
  const cmd = program
    .command('logs')
    .usage('[options] [SERVICE[.N]…]')
    .argument('[service...]', 'services to show, SERVICE or SERVICE.N for one replica (default: every service)')
    .description("Show the logs of the stack's replicas on every host, merged in the daemons' timestamp order")
    .option(
      '--follow',
      'keep following: new replicas (rollouts) join, hosts that drop and come back resume (not -f: that is the stack file)',
    )
    .option(
      '--since <time>',
      'only lines from this time: RFC 3339 (2026-12-06T10:00:00Z), unix seconds, or an age (10m, 1h30m)',
      (v: string) => engineTime(v),
    )
    .option('--until <time>', 'only lines before this time (same forms as --since)', (v: string) => engineTime(v))
    .option('--tail <n>', 'only the last N lines of each replica', lineCount)
    .option('--timestamps', "show the daemon's timestamp of every line")
    .option('--json', 'one JSON object a line: service, slot, host, stream (stdout/stderr), time, line');
  addStoreOption(addStackOptions(cmd)).action(async (args: string[], opts: LogsOptions) => {
    const desired = await loadDesired(opts, { checkPolicy: false });
    const targets = targetsFrom(desired, args);
    const owner = await ownerOrWarn(desired, opts);
    const scope = { stack: desired.name, owner, targets };
    const query = {
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      ...(opts.until !== undefined ? { until: opts.until } : {}),
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
    };
    const view = logsView({ json: !!opts.json, timestamps: !!opts.timestamps });
    const clients = clientsFor(desired.hosts);
    if (!opts.follow) {
      const result = await dumpLogs(clients, scope, query, view);
      if (result.unreachable.length) process.exitCode = 1;
      return;
    }
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await new Follower(clients, scope, query, view, { stop: stop.signal }).run();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    process.exitCode = 130;
  });
}
