/** Every command module registers itself on the program; one module per command. */
import type { Command } from 'commander';
import { registerPlan } from './plan.js';
import { registerApply } from './apply.js';
import { registerBuild } from './build.js';
import { registerDestroy } from './destroy.js';
import { registerStatus } from './status.js';
import { registerPs } from './ps.js';
import { registerEvents } from './events.js';
import { registerValidate } from './validate.js';
import { registerConfig } from './config.js';
import { registerUnlock } from './unlock.js';
import { registerHistory } from './history.js';
import { registerRollback } from './rollback.js';
import { registerHosts } from './hosts.js';
import { registerLogs } from './logs.js';
import { registerExec } from './exec.js';
import { registerCompletion } from './completion.js';
import { registerReconcile } from './reconcile.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerValidate,
  registerConfig,
  registerPlan,
  registerBuild,
  registerApply,
  registerDestroy,
  registerStatus,
  registerPs,
  registerEvents,
  registerLogs,
  registerExec,
  registerHistory,
  registerRollback,
  registerUnlock,
  registerHosts,
  registerCompletion,
  registerReconcile,
];
