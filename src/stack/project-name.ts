/**
 * The stack name, in Compose's order: `-p` > COMPOSE_PROJECT_NAME > STACK_NAME (each from the environment, then
 * `.env`) > top-level `name:` > the folder of the first file. A name from `name:` or the folder is normalised as
 * Compose normalises it (lowercased; characters other than a-z 0-9 _ - dropped; leading _ and - dropped); one from
 * the operator (-p or a variable) must already be valid.
 */

export const STACK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export interface ProjectNameInput {
  flag?: string;
  /** The variables the stack is interpolated with (the environment, then `.env` or --env-file). */
  variable: (name: string) => string | undefined;
  /** The top-level `name:`, interpolated. */
  fileName?: unknown;
  workingDir: string;
}

export type ProjectNameSource = '-p' | 'COMPOSE_PROJECT_NAME' | 'STACK_NAME' | 'name' | 'folder';

export type ProjectNameResult =
  | { name: string; source: ProjectNameSource; /** What `name:` said, when normalising changed it. */ written?: string }
  | { error: string; source: ProjectNameSource };

/** Compose's NormalizeProjectName. */
export function normaliseProjectName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

export function resolveProjectName(input: ProjectNameInput): ProjectNameResult {
  const explicit: [string | undefined, '-p' | 'COMPOSE_PROJECT_NAME' | 'STACK_NAME'][] = [
    [input.flag, '-p'],
    [input.variable('COMPOSE_PROJECT_NAME') || undefined, 'COMPOSE_PROJECT_NAME'],
    [input.variable('STACK_NAME') || undefined, 'STACK_NAME'],
  ];
  for (const [value, source] of explicit) {
    if (value === undefined) continue;
    if (!STACK_NAME_PATTERN.test(value)) {
      return {
        error: `invalid stack name "${value}" (from ${source}): use lowercase letters, digits, _ and -, starting with a letter or digit`,
        source,
      };
    }
    return { name: value, source };
  }
  if (typeof input.fileName === 'string' && input.fileName) {
    const name = normaliseProjectName(input.fileName);
    if (!name) return { error: `the name "${input.fileName}" holds no letter or digit`, source: 'name' };
    return { name, source: 'name', ...(name === input.fileName ? {} : { written: input.fileName }) };
  }
  const folder = input.workingDir.split(/[\\/]/).filter(Boolean).pop() ?? '';
  const name = normaliseProjectName(folder);
  if (!name) return { error: `cannot derive a stack name from the folder "${folder}"`, source: 'folder' };
  return { name, source: 'folder' };
}
