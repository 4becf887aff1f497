/**
 * `reconcile.yaml`, the reconcile agent's configuration (docs/gitops.md): the git repository and ref it watches,
 * the stack folders in it, and for each the operator's inventory and env files. It is the operator's file, on the
 * agent's machine: its inventory and env-file paths resolve against its own folder and may be anywhere; the
 * repository chooses only what is inside the stack folders. Validated by schemas/reconcile.schema.json; every
 * problem comes back at once with file:line:col.
 */
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { describeRefusal, readOperatorFile, STACK_FILE_LIMIT } from './bounded-file.js';
import { createMergeTags } from './merge-tags.js';
import { Problems } from './problems.js';
import type { StackSchema } from './schema.js';
import { SourcePositions } from './source-positions.js';
import { readYamlFile } from './yaml-file.js';

/** One stack folder of the repository, with what the operator gives it. */
export interface ReconcileStackEntry {
  /** The folder inside the repository (relative, no `..`). */
  path: string;
  /** Stack files inside that folder (default: the loader's compose.yaml, … lookup). */
  files?: string[];
  projectName?: string;
  /** Absolute: the operator's inventory for this stack. */
  inventory?: string;
  /** Absolute: the operator's env files for this stack. */
  envFiles?: string[];
  profiles?: string[];
}

export interface ReconcileFile {
  repo: string;
  ref?: string;
  interval?: string;
  drift?: 'report' | 'repair';
  /** Absolute: the inventory of every stack without its own. */
  inventory?: string;
  envFiles?: string[];
  webhook?: { listen?: string; secretFile?: string; secretEnv?: string };
  stacks: ReconcileStackEntry[];
}

type Raw = Record<string, unknown>;

export function readReconcileFile(
  file: string,
  schema: StackSchema,
): { value?: ReconcileFile; diagnostics: Diagnostic[] } {
  const positions = new SourcePositions();
  const problems = new Problems(positions);
  const read = readOperatorFile(file, STACK_FILE_LIMIT);
  if (!read.ok) {
    const { summary, hint } = describeRefusal('reconcile file', file, read.refusal);
    return { diagnostics: [{ severity: 'error', summary, hint, where: { file } }] };
  }
  const parsed = readYamlFile(read.bytes, file, positions, createMergeTags());
  if (!parsed.value) return { diagnostics: parsed.diagnostics };
  const root = parsed.value;
  for (const p of schema.validate('reconcile', root))
    problems.error(p.path, p.message, { atKey: p.atKey, hint: p.hint, in: root });
  if (problems.hasErrors()) return { diagnostics: [...parsed.diagnostics, ...problems.sorted()] };
  return { value: toReconcileFile(root, path.dirname(path.resolve(file))), diagnostics: parsed.diagnostics };
}

function toReconcileFile(root: Raw, baseDir: string): ReconcileFile {
  const abs = (p: unknown) => (typeof p === 'string' ? path.resolve(baseDir, p) : undefined);
  const absList = (l: unknown) => (Array.isArray(l) ? l.map((p) => path.resolve(baseDir, String(p))) : undefined);
  const hook = root.webhook as Raw | undefined;
  const out: ReconcileFile = {
    repo: String(root.repo),
    stacks: (root.stacks as Raw[]).map((s) =>
      dropUndefined({
        path: String(s.path),
        files: s.files as string[] | undefined,
        projectName: s.project_name as string | undefined,
        inventory: abs(s.inventory),
        envFiles: absList(s.env_files),
        profiles: s.profiles as string[] | undefined,
      }),
    ),
  };
  const rest = dropUndefined({
    ref: root.ref as string | undefined,
    interval: root.interval as string | undefined,
    drift: root.drift as ReconcileFile['drift'],
    inventory: abs(root.inventory),
    envFiles: absList(root.env_files),
    webhook: hook
      ? dropUndefined({
          listen: hook.listen as string | undefined,
          secretFile: abs(hook.secret_file),
          secretEnv: hook.secret_env as string | undefined,
        })
      : undefined,
  });
  return { ...out, ...rest };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
