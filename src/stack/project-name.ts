/** The stack name: `-p` > STACK_NAME > top-level `name:` > the folder of the first file (made valid). */

export const STACK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export interface ProjectNameInput {
  flag?: string;
  env: Record<string, string | undefined>;
  /** The top-level `name:` after interpolation. */
  fileName?: unknown;
  workingDir: string;
}

export type ProjectNameResult =
  | { name: string; source: '-p' | 'STACK_NAME' | 'name' | 'folder' }
  | { error: string; source: '-p' | 'STACK_NAME' | 'name' | 'folder' };

export function resolveProjectName(input: ProjectNameInput): ProjectNameResult {
  const explicit: [string | undefined, '-p' | 'STACK_NAME' | 'name'][] = [
    [input.flag, '-p'],
    [input.env.STACK_NAME || undefined, 'STACK_NAME'],
    [typeof input.fileName === 'string' && input.fileName ? input.fileName : undefined, 'name'],
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
  const folder = input.workingDir.split(/[\\/]/).filter(Boolean).pop() ?? '';
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
  if (!name) return { error: `cannot derive a stack name from the folder "${folder}"`, source: 'folder' };
  return { name, source: 'folder' };
}
