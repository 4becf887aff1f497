/**
 * `stack reconcile`: the GitOps agent (docs/gitops.md). Watches a git repository's branch or tag pattern and
 * applies each stack folder's commit when it changes, checks the hosts for drift every --interval (report or
 * repair), backs off after failures; with --listen, takes signed push webhooks and serves /metrics and /healthz.
 * The agent is src/gitops/; this reads the flags, reconcile.yaml and the environment, prints its log, and maps
 * SIGINT/SIGTERM to a stop (a deploy in flight ends as `stack apply` would).
 */
import type { Command } from 'commander';
import { ExitError } from '../../errors.js';
import { systemClock } from '../../gitops/clock.js';
import type { AgentEvent } from '../../gitops/events.js';
import { listen } from '../../gitops/server.js';
import { addWriteOptions } from '../store-options.js';
import { DEFAULT_GRACE_MS } from '../../apply/interruption.js';
import { operatorContext } from '../operator.js';
import { agentLogLine } from '../views/reconcile.js';
import { reconcileSettings, type ReconcileCliOptions } from '../reconcile-settings.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export async function runReconcile(opts: ReconcileCliOptions): Promise<void> {
  const env = process.env;
  const settings = reconcileSettings(opts, env);
  const log = (e: AgentEvent) => process.stdout.write(agentLogLine(e, opts.json === true));
  // The agent and its metrics (prom-client, src/build/) are loaded by this command only: no other command
  // evaluates them (start-up time).
  const [{ ReconcileAgent }, { AgentMetrics }] = await Promise.all([
    import('../../gitops/agent.js'),
    import('../../gitops/metrics.js'),
  ]);
  const metrics = new AgentMetrics();
  const agent = new ReconcileAgent(
    settings.config,
    {
      env,
      consul: opts.consul,
      lockTimeout: opts.lockTimeout,
      planning: (desired) => operatorContext(desired, opts.consul, env),
      graceMs: opts.grace !== undefined ? opts.grace * 1000 : DEFAULT_GRACE_MS,
    },
    { clock: systemClock, log, metrics },
  );
  const onSignal = (signal: NodeJS.Signals) => agent.stop(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let server: Awaited<ReturnType<typeof listen>>['server'] | undefined;
  try {
    if (settings.listen) {
      const bound = await listen(settings.listen, agent, { secret: settings.secret, log, metrics }).catch(
        (err: unknown) => {
          throw new ExitError(1, [
            {
              severity: 'error',
              summary: `cannot listen on ${opts.listen ?? 'the webhook address'}: ${err instanceof Error ? err.message : String(err)}`,
              hint: 'choose a free port with --listen (or webhook.listen: in reconcile.yaml), or stop what holds it',
            },
          ]);
        },
      );
      server = bound.server;
      log({ event: 'listening', address: bound.address });
    }
    const ok = await agent.run();
    if (settings.config.once && !ok) throw new ExitError(1, [], 'reconcile --once: not every stack is at the commit');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    server?.closeAllConnections();
    server?.close();
  }
}

export function registerReconcile(program: Command): void {
  const cmd = program
    .command('reconcile')
    .description(
      "GitOps agent: watch a git repository's branch or tag pattern, apply each stack folder's commit when it changes, check the hosts for drift every --interval; webhooks, /metrics and /healthz with --listen",
    )
    .option(
      '--repo <url>',
      'the git repository to watch: any URL git understands (https://, ssh://, git@host:path, file://)',
    )
    .option(
      '--ref <ref>',
      'the branch to follow, or a tag pattern such as v* (the newest tag by version order)',
      undefined,
    )
    .option('--stack <dir>', 'a stack folder in the repository; repeatable (replaces the stacks of --config)', collect)
    .option(
      '-c, --config <file>',
      "reconcile.yaml: the repository, the ref, the stacks with the operator's inventories and env files",
    )
    .option(
      '-i, --inventory <path>',
      "the operator's inventory for every stack without its own (default: STACK_INVENTORY); required: the repository never chooses hosts",
    )
    .option('--env-file <path>', "the operator's variables for every stack without its own; repeatable", collect)
    .option('--interval <duration>', 'how often to fetch and check for drift (default 1m; at least 1s)')
    .option(
      '--drift <mode>',
      'what to do about drift: report (log and count it) or repair (apply the commit again) (default report)',
    )
    .option('--listen <address>', 'serve POST /webhook, GET /metrics and GET /healthz on [ADDRESS]:PORT, such as :9090')
    .option(
      '--webhook-secret-file <path>',
      'the file holding the shared webhook secret (GitHub, Gitea: HMAC key; GitLab: token)',
    )
    .option('--webhook-secret-env <name>', 'the environment variable holding the webhook secret')
    .option(
      '--once',
      'one cycle (fetch, apply what changed, check drift), then exit: 1 unless every stack is at the commit',
    )
    .option('--work-dir <path>', 'where the agent keeps its clone (default: ~/.cache/stack/reconcile/ID)')
    .option('--grace <seconds>', 'on SIGTERM, how long operations in flight may finish (default 30)', Number)
    .option('--json', 'log one JSON object per line (time, level, event, …)');
  addWriteOptions(cmd).action(async (opts: ReconcileCliOptions) => {
    await runReconcile(opts);
  });
}
