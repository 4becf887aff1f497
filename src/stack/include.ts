/**
 * Top-level `include` (compose-spec): each entry is loaded as its own sub-project — its files merged in order,
 * interpolated with the including project's variables plus its own env_file (default: its project folder's .env),
 * its own includes applied, relative paths made absolute against its project_directory (default: the first file's
 * folder) — and its services, networks, volumes, configs and secrets are added to the including file.
 *
 * Trust: the stack file is application input. An included file, its project_directory and its env_file must be
 * inside the project folder (symlinks followed); remote includes (URLs, git, OCI) are refused; a cycle is an error.
 * A resource defined by both the including file and an included one is an error naming both files, unless the two
 * definitions are identical (the same file reached twice).
 */
import path from 'node:path';
import { CONTENT_FILE_LIMIT, describeRefusal, STACK_FILE_LIMIT, type ProjectFolder } from './bounded-file.js';
import { parseEnvFile } from './env-file.js';
import { rebaseRelativePaths } from './extends.js';
import { interpolateTree } from './interpolate-tree.js';
import type { Lookup } from './interpolate.js';
import { isRecord, type KeyPath } from './key-path.js';
import { mergeTrees } from './merge.js';
import type { MergeTags } from './merge-tags.js';
import type { Problems } from './problems.js';
import type { SourcePositions } from './source-positions.js';

export interface IncludeContext {
  positions: SourcePositions;
  tags: MergeTags;
  problems: Problems;
  folder: ProjectFolder;
  displayPath: (absolute: string) => string;
  /** Parses a file read for the stack (recording its name for positions); undefined after reporting. */
  parse: (file: string, bytes: Buffer) => Record<string, unknown> | undefined;
}

/** One include entry, checked: absolute paths, the sub-project's folder, its env files. */
interface IncludeEntry {
  at: KeyPath;
  files: string[];
  projectDirectory: string;
  envFiles: string[];
  /** True when env_file was written (the files must exist); false for the default .env. */
  envFilesRequired: boolean;
}

const RESOURCES = ['services', 'networks', 'volumes', 'configs', 'secrets'] as const;
/** Files one load reads for includes, at most (a diamond of includes N levels deep would read 2^N files). */
export const MAX_INCLUDED_FILES = 1000;
const included = new WeakMap<IncludeContext, number>();
const ENTRY_KEYS = new Set(['path', 'project_directory', 'env_file']);
const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|[a-z][a-z0-9+.-]*:[a-z0-9]|git@)/i;

/**
 * Applies `tree.include` (the tree was read from `file`, in project folder `projectDir`, interpolated with
 * `lookup`) and removes it. `chain`: the files including this one (for cycles).
 */
export function applyIncludes(
  tree: Record<string, unknown>,
  file: string,
  projectDir: string,
  lookup: Lookup,
  chain: readonly string[],
  ctx: IncludeContext,
): void {
  const spec = tree.include;
  if (spec === undefined) return;
  const fail = (at: KeyPath, summary: string, hint?: string) =>
    ctx.problems.add({ severity: 'error', summary, hint, where: ctx.positions.locate(tree, at) });
  if (!Array.isArray(spec)) {
    fail(['include'], 'include must be a list of files or of { path, project_directory, env_file }');
    delete tree.include;
    return;
  }
  const entries = spec.map((raw, i) => checkEntry(raw, ['include', i], projectDir, ctx, fail));
  const here = [...chain, file];
  for (const entry of entries) {
    if (!entry) continue;
    const cycle = entry.files.find((f) => here.includes(f));
    if (cycle) {
      const names = [...here.slice(here.indexOf(cycle)), cycle].map(ctx.displayPath);
      fail(entry.at, `include forms a cycle: ${names.join(' → ')}`, 'remove one of the includes');
      continue;
    }
    const project = loadProject(entry, lookup, here, ctx, (at, s, h) => fail([...entry.at, ...at], s, h));
    if (project) importResources(tree, project, file, ctx);
  }
  delete tree.include;
}

type Fail = (at: KeyPath, summary: string, hint?: string) => void;

/** One entry (`- file.yaml` or `- { path, project_directory, env_file }`) checked; undefined after reporting. */
function checkEntry(raw: unknown, at: KeyPath, projectDir: string, ctx: IncludeContext, fail: Fail) {
  const spec: Record<string, unknown> = typeof raw === 'string' ? { path: raw } : isRecord(raw) ? raw : {};
  if (typeof raw !== 'string' && !isRecord(raw))
    return fail(at, 'an include entry must be a file path or { path, project_directory, env_file }');
  for (const key of Object.keys(spec))
    if (!ENTRY_KEYS.has(key))
      fail([...at, key], `unknown key ${key} in include`, 'use path, project_directory, env_file');
  const paths = stringList(spec.path);
  const envs = spec.env_file === undefined ? [] : stringList(spec.env_file);
  const base = typeof raw === 'string' ? at : [...at, 'path'];
  if (!paths?.length) return fail(base, 'include needs path: a file or a list of files');
  if (!envs) return fail([...at, 'env_file'], 'env_file must be a file or a list of files');
  if (spec.project_directory !== undefined && typeof spec.project_directory !== 'string')
    return fail([...at, 'project_directory'], 'project_directory must be a folder path');
  const all = [...paths.map((p, i) => ({ p, where: typeof raw === 'string' ? base : listAt(spec.path, base, i) }))];
  if (typeof spec.project_directory === 'string')
    all.push({ p: spec.project_directory, where: [...at, 'project_directory'] });
  envs.forEach((p, i) => all.push({ p, where: listAt(spec.env_file, [...at, 'env_file'], i) }));
  let ok = true;
  for (const { p, where } of all) {
    const problem = pathProblem(p, projectDir, ctx);
    if (problem) {
      fail(where, problem.summary, problem.hint);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const files = paths.map((p) => path.resolve(projectDir, p));
  const dir =
    typeof spec.project_directory === 'string'
      ? path.resolve(projectDir, spec.project_directory)
      : path.dirname(files[0]);
  const envFiles = envs.length ? envs.map((p) => path.resolve(projectDir, p)) : [path.join(dir, '.env')];
  return { at, files, projectDirectory: dir, envFiles, envFilesRequired: envs.length > 0 } satisfies IncludeEntry;
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value;
  return undefined;
}

function listAt(value: unknown, at: KeyPath, i: number): KeyPath {
  return Array.isArray(value) ? [...at, i] : at;
}

/** Why a path written in an include cannot be used: remote, or outside the project folder. */
function pathProblem(p: string, projectDir: string, ctx: IncludeContext) {
  if (REMOTE.test(p))
    return {
      summary: `include ${p} is remote: stack includes only files inside the project folder`,
      hint: 'copy the file into the project folder and include it by a relative path',
    };
  const resolved = path.resolve(projectDir, p);
  if (ctx.folder.holds(resolved)) return undefined;
  return describeRefusal('include', p, { kind: 'outside', resolved, symlink: false }, ctx.folder);
}

/** The sub-project's merged tree, its relative paths made absolute; undefined after reporting. */
function loadProject(
  entry: IncludeEntry,
  parentLookup: Lookup,
  chain: readonly string[],
  ctx: IncludeContext,
  fail: Fail,
): Record<string, unknown> | undefined {
  const lookup = includeLookup(entry, parentLookup, ctx, fail);
  const trees: Record<string, unknown>[] = [];
  for (const [i, file] of entry.files.entries()) {
    const count = (included.get(ctx) ?? 0) + 1;
    included.set(ctx, count);
    if (count > MAX_INCLUDED_FILES) {
      if (count === MAX_INCLUDED_FILES + 1)
        fail([], `include reads more than ${MAX_INCLUDED_FILES} files`, 'include each file once, from one place');
      return undefined;
    }
    const read = ctx.folder.read(file, STACK_FILE_LIMIT);
    if (!read.ok) {
      const { summary, hint } = describeRefusal('included file', ctx.displayPath(file), read.refusal, ctx.folder);
      fail(entry.files.length > 1 ? ['path', i] : [], summary, hint);
      return undefined;
    }
    const tree = ctx.parse(file, read.bytes);
    if (!tree) return undefined;
    interpolateTree(tree, lookup, ctx.positions).forEach((d) => ctx.problems.add(d));
    applyIncludes(tree, file, entry.projectDirectory, lookup, chain, ctx);
    trees.push(tree);
  }
  let merged = trees[0];
  for (const tree of trees.slice(1)) merged = mergeTrees(merged, tree, ctx);
  rebaseProject(merged, entry.projectDirectory);
  return merged;
}

/** The including project's variables first, then the include's env files (Compose's order). */
function includeLookup(entry: IncludeEntry, parent: Lookup, ctx: IncludeContext, fail: Fail): Lookup {
  const values: Record<string, string> = {};
  for (const [i, file] of entry.envFiles.entries()) {
    const read = ctx.folder.read(file, CONTENT_FILE_LIMIT);
    if (!read.ok) {
      if (!entry.envFilesRequired && read.refusal.kind === 'missing') continue;
      const { summary, hint } = describeRefusal('env file', ctx.displayPath(file), read.refusal, ctx.folder);
      fail(entry.envFilesRequired ? ['env_file', ...(entry.envFiles.length > 1 ? [i] : [])] : [], summary, hint);
      continue;
    }
    const parsed = parseEnvFile(read.bytes.toString('utf8'), ctx.displayPath(file), (n) => parent(n) ?? values[n]);
    parsed.diagnostics.forEach((d) => ctx.problems.add(d));
    Object.assign(values, parsed.values);
  }
  return (name) => parent(name) ?? values[name];
}

/** Relative paths in an included project (env_file, bind sources, configs/secrets files) against its folder. */
function rebaseProject(tree: Record<string, unknown>, dir: string): void {
  if (isRecord(tree.services))
    for (const s of Object.values(tree.services)) if (isRecord(s)) rebaseRelativePaths(s, dir);
  for (const key of ['configs', 'secrets'] as const) {
    const objects = tree[key];
    if (!isRecord(objects)) continue;
    for (const spec of Object.values(objects))
      if (isRecord(spec) && typeof spec.file === 'string') spec.file = path.resolve(dir, spec.file);
  }
}

/** Adds the sub-project's resources to `tree`; one defined differently in both is an error naming both files. */
function importResources(
  tree: Record<string, unknown>,
  project: Record<string, unknown>,
  file: string,
  ctx: IncludeContext,
): void {
  for (const key of RESOURCES) {
    const from = project[key];
    if (!isRecord(from)) continue;
    if (!isRecord(tree[key])) {
      tree[key] = {};
      ctx.positions.copy(project, key, tree);
    }
    const to = tree[key] as Record<string, unknown>;
    for (const [name, value] of Object.entries(from)) {
      if (!(name in to)) {
        to[name] = value;
        ctx.positions.copy(from, name, to);
      } else if (JSON.stringify(to[name]) !== JSON.stringify(value)) {
        const included = ctx.positions.locate(project, [key, name]).file ?? 'an included file';
        ctx.problems.add({
          severity: 'error',
          summary: `${key}.${name} is defined in both ${ctx.displayPath(file)} and ${included} (included)`,
          hint: 'define it in one file only, or rename one of them',
          where: ctx.positions.locate(tree, [key, name]),
        });
      }
    }
  }
}
