/**
 * Loads one stack folder of the checked-out commit. The folder must be inside the checkout, also after its
 * symlinks are followed (a repository's `web -> /etc` is refused), and it is the project folder: every file the
 * stack names must be inside it (the loader's confinement). Hosts come only from the operator's inventory; the
 * environment is the operator's.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { loadStack } from '../stack/index.js';
import type { LoadResult } from '../stack/types.js';
import type { StackTarget } from './config.js';

/** The stack folder's real path inside `checkout`, or a diagnostic saying why it is not there. */
export function stackFolder(checkout: string, target: StackTarget): string | Diagnostic {
  const root = realpathSync(checkout);
  const wanted = path.resolve(root, target.path);
  let real: string;
  try {
    real = realpathSync(wanted);
  } catch {
    return {
      severity: 'error',
      summary: `the repository has no folder ${target.path} at this commit`,
      hint: 'add the stack folder to the repository, or fix the path given with --stack or in reconcile.yaml',
    };
  }
  const rel = path.relative(root, real);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    return {
      severity: 'error',
      summary: `the stack folder ${target.path} leads outside the repository (to ${real})`,
      hint: 'a stack folder must be a real folder of the repository, not a symlink out of it',
    };
  return real;
}

/** Variables that would pick one name, profile or host for every stack the agent applies: its settings say those. */
const PER_STACK_VARIABLES = [
  'COMPOSE_PROJECT_NAME',
  'STACK_NAME',
  'COMPOSE_PROFILES',
  'DOCKER_HOST',
  'STACK_INVENTORY',
];

export async function loadTarget(
  checkout: string,
  target: StackTarget,
  env: Record<string, string | undefined>,
): Promise<LoadResult> {
  const folder = stackFolder(checkout, target);
  if (typeof folder !== 'string') return { diagnostics: [folder] };
  return loadStack({
    cwd: folder,
    projectDirectory: '.',
    env: Object.fromEntries(Object.entries(env).filter(([k]) => !PER_STACK_VARIABLES.includes(k))),
    files: target.files ?? [],
    inventory: target.inventory,
    ...(target.projectName ? { projectName: target.projectName } : {}),
    ...(target.envFiles?.length ? { envFiles: target.envFiles } : {}),
    ...(target.profiles?.length ? { profiles: target.profiles } : {}),
  });
}
