/**
 * `stack plan`: load → observe → plan, then print. With --detailed-exitcode: 0 no changes, 1 error,
 * 2 changes. `-o FILE` saves the plan for `stack apply FILE` (src/deploy/saved-plan.ts); `--format` picks text,
 * json, markdown (a PR comment, a job summary), github or gitlab (diagnostics for CI: src/cli/output-format.ts).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { refuseWritesWhenResident } from '../daemon/resident.js';
import { ExitError } from '../../errors.js';
import type { DesiredState } from '../../stack/types.js';
import { addStackOptions } from '../stack-options.js';
import { planStack, type Planned } from '../../apply/pipeline.js';
import { printPlan } from '../views/plan.js';
import { planMarkdown } from '../views/plan-markdown.js';
import { addFaultOptions, faultSettingsFrom, type FaultCliOptions } from '../fault-options.js';
import { operatorContext } from '../operator.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { addStoreOption, storeFrom, type StoreOptions } from '../store-options.js';
import { readOwnerAndHashKey } from '../../deploy/locked.js';
import { failOnPlanErrors } from '../../deploy/run.js';
import { contextForSave, type SaveContext } from '../../deploy/save-plan.js';
import { buildSavedPlan } from '../../deploy/saved-plan.js';
import { formatOption, isCiFormat, outputFormat, withDiagnosticsIn, type OutputFormat } from '../output-format.js';
import { printDiagnostics } from '../views/diagnostics.js';
import { buildImages } from './build.js';

export interface PlanCommandOptions extends CommonOptions, FaultCliOptions, StoreOptions {
  refresh?: boolean;
  detailedExitcode?: boolean;
  verbose?: boolean;
  out?: string;
  format?: OutputFormat;
}

/** Prints the plan in the chosen format; gitlab's stdout is the report, so its plan goes to stderr. */
function show(planned: Planned, format: OutputFormat, opts: PlanCommandOptions): void {
  const { plan } = planned;
  if (format === 'markdown') process.stdout.write(planMarkdown(plan, { savedTo: opts.out }));
  else if (format === 'gitlab') printPlan(plan, { verbose: opts.verbose, stream: process.stderr });
  else printPlan(plan, { json: format === 'json', verbose: opts.verbose });
}

function save(file: string, desired: DesiredState, planned: Planned, ctx: SaveContext): void {
  const saved = buildSavedPlan({ desired, ...planned, ...ctx, store: ctx.where, now: new Date() });
  try {
    writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    throw new ExitError(1, [
      {
        severity: 'error',
        summary: `cannot write the saved plan ${file}: ${err instanceof Error ? err.message : String(err)}`,
        hint: 'name a file in a folder you can write to',
      },
    ]);
  }
  process.stderr.write(
    `Saved the plan to ${file}: stack apply ${file} applies exactly it, or refuses if anything changed\n`,
  );
}

export async function runPlan(
  loaded: DesiredState,
  opts: PlanCommandOptions,
  warn: (diagnostics: ExitError['diagnostics']) => void = () => undefined,
): Promise<{ planned: Planned; exitCode: number }> {
  const format = outputFormat(opts);
  // -o writes the file and, at a stack's first plan, its identity and hash key: not in the daemon (src/cli/daemon/).
  if (opts.out) refuseWritesWhenResident('plan -o');
  const { desired, pending } = await lookupBuilds(loaded, opts);
  // A saved plan is made with the stack's own identity and hash key (made now at its first plan) and its revision.
  const ctx = opts.out ? await contextForSave(desired, storeFrom(opts)) : undefined;
  const [owner, hashKey] = ctx ? [ctx.owner, ctx.hashKey] : await readOwnerAndHashKey(desired, storeFrom(opts));
  const planned = await planStack(desired, {
    refresh: opts.refresh,
    skipUnreachable: opts.skipUnreachable,
    faults: faultSettingsFrom(opts),
    owner,
    hashKey,
    ...operatorContext(desired, opts.consul),
  });
  show(planned, format, opts);
  warn(planned.plan.diagnostics.filter((d) => d.severity === 'warning'));
  failOnPlanErrors(planned.plan.diagnostics);
  if (opts.out && ctx) save(opts.out, desired, planned, ctx);
  const changes = planned.plan.operations.length > 0 || pending > 0;
  return { planned, exitCode: opts.detailedExitcode && changes ? 2 : 0 };
}

/**
 * The images of services with `build:`, looked up in the registry (nothing is built or pushed): a tag the registry
 * has plans exactly; one it lacks is built at apply, said on stderr, and counts as a change for --detailed-exitcode.
 */
async function lookupBuilds(desired: DesiredState, opts: PlanCommandOptions) {
  const { desired: resolved, images } = await buildImages(desired, opts, 'lookup', () => {});
  const unbuilt = images.filter((i) => i.image === undefined);
  if (unbuilt.length && opts.out)
    throw new ExitError(1, [
      {
        severity: 'error',
        summary: `cannot save a plan of images not built yet: ${unbuilt.map((i) => i.tag).join(', ')}`,
        hint: 'run stack build first (it builds and pushes them), then stack plan -o FILE plans them by digest',
      },
    ]);
  if (unbuilt.length)
    printDiagnostics(
      unbuilt.map((i) => ({
        severity: 'warning',
        summary: `service ${i.service}: ${i.tag} is not in the registry: built at apply (the plan shows it by tag)`,
        hint: 'stack build builds and pushes it now; plan then shows it by digest',
      })),
    );
  return { desired: resolved, pending: unbuilt.length };
}

export function registerPlan(program: Command): void {
  const cmd = program
    .command('plan')
    .description(
      'Show what apply would do: observe every host, compare with the stack file, print the plan (build: services are looked up in the registry, never built: one not there yet is "built at apply" and counts as a change)',
    )
    .option(
      '--refresh',
      "inspect every container to find drift the config hash and the list cannot see (a network disconnected, a restart policy changed with docker update), and list the VXLAN devices of stack's own overlay on each host",
    )
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
    .option(
      '-o, --out <file>',
      'save the plan to FILE: stack apply FILE applies exactly it, and refuses if the stack, a host or the latest revision changed since (makes the stack identity and hash key if the stack has none yet)',
    )
    .option('--json', 'print the plan as one JSON document (= --format json)')
    .addOption(formatOption(['text', 'json', 'markdown', 'github', 'gitlab']))
    .option('-v, --verbose', 'also list every operation with its dependencies');
  addFaultOptions(cmd);
  addStoreOption(addStackOptions(cmd)).action(async (opts: PlanCommandOptions) => {
    const format = outputFormat(opts);
    await withDiagnosticsIn(format, async (warn) => {
      const desired = await loadDesired(opts, { warn });
      // The plan's own warnings are in its text; a CI format also annotates them.
      const { exitCode } = await runPlan(desired, opts, isCiFormat(format) ? warn : undefined);
      process.exitCode = exitCode;
    });
  });
}
