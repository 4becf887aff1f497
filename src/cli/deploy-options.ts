/** The options of apply, destroy and rollback, turned into what the deploy layer takes. */
import type { DeployOptions } from '../deploy/options.js';
import type { RunSignals } from '../deploy/run-signals.js';
import type { CommonOptions } from './load.js';
import { stateWarning, type WriteOptions } from './store-options.js';
import { faultSettingsFrom, type FaultCliOptions } from './fault-options.js';
import { operatorContext } from './operator.js';
import type { CredentialSource } from '../docker/auth.js';
import type { DesiredState } from '../stack/types.js';
import { deployIO } from './deploy-io.js';

export interface ApplyCommandOptions extends CommonOptions, WriteOptions, FaultCliOptions {
  yes?: boolean;
  refresh?: boolean;
  pruneVolumes?: boolean;
  destroy?: boolean;
  /** `apply --plan FILE` (or the planfile argument). */
  plan?: string;
}

export function deployOptions(opts: ApplyCommandOptions, signals: RunSignals): DeployOptions {
  const io = deployIO(opts);
  // One credential source for the run: the look and the locked plan ask each registry's helper once.
  let credentials: CredentialSource | undefined;
  const operator = (desired: DesiredState) => {
    const context = operatorContext(desired, opts.consul);
    credentials ??= context.credentials;
    return { ...context, credentials };
  };
  return {
    consul: opts.consul,
    lockTimeout: opts.lockTimeout,
    env: process.env,
    warnState: stateWarning((ds) => io.warn(ds)),
    destroy: opts.destroy,
    planning: (desired) => ({
      refresh: opts.refresh,
      pruneVolumes: opts.pruneVolumes,
      skipUnreachable: opts.skipUnreachable,
      faults: faultSettingsFrom(opts),
      ...operator(desired),
    }),
    io,
    signals,
  };
}
