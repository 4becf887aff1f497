/** Every command module registers itself on the program; one module per command. */
import type { Command } from 'commander';
import { registerPlan } from './plan.js';
import { registerApply } from './apply.js';
import { registerDestroy } from './destroy.js';
import { registerStatus } from './status.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerPlan, registerApply, registerDestroy, registerStatus];
