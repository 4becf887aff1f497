/**
 * `stack build`: build the services with `build:` on the inventory's builder and push them to its registry, changing
 * nothing on the hosts (CI: build in one job, apply in another; apply finds the images in the registry). With
 * --json, NDJSON events and a last `build.summary` with each service's image by digest.
 */
import type { Command } from 'commander';
import type { BuildEvent, BuildResult } from '../../build/images.js';
import type { DesiredState } from '../../stack/types.js';
import { addStackOptions } from '../stack-options.js';
import { loadDesired, type CommonOptions } from '../load.js';
import { addFaultOptions, faultSettingsFrom, type FaultCliOptions } from '../fault-options.js';
import { operatorContext } from '../operator.js';
import { buildReporter, printBuilt } from '../views/build.js';

export interface BuildCommandOptions extends CommonOptions, FaultCliOptions {}

/** The build step of apply, plan and build: every `build:` resolved to an image by digest (`lookup`: no writes). */
export async function buildImages(
  desired: DesiredState,
  opts: CommonOptions & FaultCliOptions,
  mode: 'build' | 'lookup',
  onEvent: (event: BuildEvent) => void = buildReporter({ json: opts.json }),
): Promise<BuildResult> {
  // src/build/ (tar-stream, .dockerignore rules) is loaded for a stack with build: services only (start-up time).
  if (!Object.values(desired.services).some((s) => s.build !== undefined)) return { desired, images: [] };
  const { resolveBuilds } = await import('../../build/images.js');
  return resolveBuilds(desired, {
    mode,
    credentials: operatorContext(desired, opts.consul).credentials,
    faults: faultSettingsFrom(opts),
    onEvent,
  });
}

export function registerBuild(program: Command): void {
  const cmd = program
    .command('build')
    .description(
      "Build the services with build: on the inventory's builder and push them to its registry (nothing on the hosts changes); a tag already in the registry is not built again",
    )
    .option('--json', 'print NDJSON events, the last one (build.summary) with each image by digest');
  addFaultOptions(cmd);
  addStackOptions(cmd).action(async (opts: BuildCommandOptions) => {
    const desired = await loadDesired(opts);
    const { images } = await buildImages(desired, opts, 'build');
    printBuilt(images, { json: opts.json });
  });
}
