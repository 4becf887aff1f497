/**
 * `stack hosts check`: can these hosts take a stack? Per host: reachable and ping, Engine and API version,
 * platform, kernel, clock skew, free disk of the data root, the overlay paths that work there, labels. Without -f the
 * hosts come from the operator (-i, STACK_INVENTORY, a docker context, DOCKER_HOST, the sandbox's inventory or the local socket) and
 * are checked for any stack; with -f for that stack's networks. Exit 1 when a host cannot take them.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ExitError, hasErrors, type Diagnostic } from '../../errors.js';
import { checkHosts, DEFAULT_CHECK_TIMEOUT_MS } from '../../hosts/check.js';
import type { Finding, NetworkNeeds } from '../../hosts/types.js';
import { overlayNetworks } from '../../overlay/mode.js';
import { loadHosts } from '../../stack/index.js';
import type { HostSpec } from '../../stack/types.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { addStackOptions, stackOptionsFrom } from '../stack-options.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { printHostsCheck } from '../views/hosts.js';

interface CheckOptions extends CommonOptions {
  timeout?: number;
}

interface Target {
  hosts: HostSpec[];
  needs: NetworkNeeds;
  helperImage?: string;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 600)
    throw new InvalidArgumentError('must be a number of seconds above 0, at most 600');
  return n;
}

export function registerHosts(program: Command): void {
  const hosts = program.command('hosts').description('Look at the hosts stack deploys to');
  const check = hosts
    .command('check')
    .description(
      "Check every host in parallel: reachable and ping, Engine and API version, OS/arch, kernel, clock skew, free disk of the data root, whether overlay networks can work (the engine's cluster store, or stack's own VXLAN overlay: a probe container makes VXLAN devices and sends datagrams to UDP 4789 of every other host, and leaves nothing behind), and the labels stack places by. Exit 1 when a host is unreachable or the overlay stack would use cannot work on it (with -f: only when that stack has overlay networks). Without -f no stack file is read, not even compose.yaml",
    )
    .option('--json', 'print the report as JSON')
    .option(
      '--timeout <seconds>',
      `time limit of each Engine call and of each probe step on one host (default ${DEFAULT_CHECK_TIMEOUT_MS / 1000})`,
      seconds,
    );
  addStackOptions(check).action(async (opts: CheckOptions) => {
    const target = opts.file?.length ? await stackTarget(opts) : inventoryTarget(opts);
    const report = await checkHosts(target.hosts, {
      needs: target.needs,
      ...(target.helperImage ? { helperImage: target.helperImage } : {}),
      timeoutMs: (opts.timeout ?? DEFAULT_CHECK_TIMEOUT_MS / 1000) * 1000,
    });
    printHostsCheck(report, { json: opts.json });
    const diagnostics = report.findings.map(diagnostic);
    if (!hasErrors(diagnostics)) return printDiagnostics(diagnostics);
    printDiagnostics(diagnostics.filter((d) => d.severity === 'warning'));
    throw new ExitError(
      1,
      diagnostics.filter((d) => d.severity === 'error'),
    );
  });
}

function diagnostic(f: Finding): Diagnostic {
  return { severity: f.severity, summary: f.summary, ...(f.hint ? { hint: f.hint } : {}) };
}

/** With -f: the stack's hosts (the operator's first, as every command) and what its networks need. */
async function stackTarget(opts: CheckOptions): Promise<Target> {
  const desired = await loadDesired(opts, { checkPolicy: false });
  const nets = overlayNetworks(desired).map((n) => n.key);
  return {
    hosts: desired.hosts,
    needs: {
      overlay: nets.length > 0,
      setting: desired.settings.overlay,
      why: nets.length
        ? `stack ${desired.name} has overlay network${nets.length > 1 ? 's' : ''} ${nets.join(', ')}`
        : `stack ${desired.name} has no overlay network`,
    },
    ...(desired.settings.overlayHelperImage ? { helperImage: desired.settings.overlayHelperImage } : {}),
  };
}

/** Without -f: the operator's hosts, checked as for any stack (one with overlay networks, x-stack.overlay auto). */
function inventoryTarget(opts: CheckOptions): Target {
  const result = loadHosts(stackOptionsFrom(opts));
  if (!result.value || hasErrors(result.diagnostics)) throw new ExitError(1, result.diagnostics);
  if (result.diagnostics.length) printDiagnostics(result.diagnostics);
  return {
    hosts: result.value.hosts,
    needs: { overlay: true, setting: 'auto', why: 'no stack file (-f): checked for a stack with overlay networks' },
    ...(result.value.overlayHelperImage ? { helperImage: result.value.overlayHelperImage } : {}),
  };
}
