/**
 * Resolves `extends` (`extends: base` or `extends: { service: base, file: common.yaml }`): the extending service
 * is merged over its base with the same rules as several files. Relative paths in a base from another file
 * (env_file, bind mount sources) are made absolute against that file's folder, as Compose does.
 */
import path from 'node:path';
import type { Diagnostic } from '../errors.js';
import { isRecord, scalarText, type KeyPath } from './key-path.js';
import { mergeService, type MergeContext } from './merge.js';
import type { SourcePositions } from './source-positions.js';

export interface ExtendsContext extends MergeContext {
  positions: SourcePositions;
  /** Absolute path of a file from its displayed name (as positions record it). */
  absolutePath(displayFile: string): string;
  /** Reads, parses and interpolates another file for `extends.file`; undefined (after reporting) if it fails. */
  loadFile(absolutePath: string, from: { root: unknown; path: KeyPath }): Record<string, unknown> | undefined;
  report(diagnostic: Diagnostic): void;
}

interface Tree {
  root: Record<string, unknown>;
  /** Absolute path of the file the tree was read from (for relative `extends.file`). */
  file: string;
}

export function resolveExtends(root: Record<string, unknown>, firstFile: string, context: ExtendsContext): void {
  const services = root.services;
  if (!isRecord(services)) return;
  const resolver = new ExtendsResolver(context);
  for (const name of Object.keys(services)) resolver.resolve({ root, file: firstFile }, name, []);
}

class ExtendsResolver {
  private readonly done = new WeakSet<object>();

  constructor(private readonly context: ExtendsContext) {}

  /** Resolves `services[name]` in `tree`, returning the resolved service (or undefined if it is missing). */
  resolve(tree: Tree, name: string, chain: string[]): Record<string, unknown> | undefined {
    const services = tree.root.services as Record<string, unknown>;
    const service = services[name];
    if (!isRecord(service)) return undefined;
    if (this.done.has(service) || service.extends === undefined) return service;
    const id = `${tree.file}#${name}`;
    const where = ['services', name, 'extends'];
    if (chain.includes(id)) {
      this.fail(tree.root, where, `extends forms a cycle: ${[...chain, id].map((c) => c.split('#')[1]).join(' → ')}`);
      delete service.extends;
      return service;
    }
    const spec = service.extends;
    const baseName =
      typeof spec === 'string' ? spec : isRecord(spec) && typeof spec.service === 'string' ? spec.service : undefined;
    if (!baseName) {
      this.fail(tree.root, where, 'extends must be a service name or { service: NAME, file: FILE }');
      delete service.extends;
      return service;
    }
    const baseTree = this.baseTreeOf(tree, service, spec, where);
    if (!baseTree) {
      delete service.extends;
      return service;
    }
    const baseServices = baseTree.root.services;
    if (!isRecord(baseServices) || !isRecord(baseServices[baseName])) {
      const known = isRecord(baseServices) ? Object.keys(baseServices).join(', ') : '';
      this.fail(
        tree.root,
        [...where, ...(isRecord(spec) ? ['service'] : [])],
        `extends names service "${baseName}", which is not defined${baseTree === tree ? '' : ` in ${String((spec as Record<string, unknown>).file)}`}`,
        known ? `defined services: ${known}` : undefined,
      );
      delete service.extends;
      return service;
    }
    const base = this.resolve(baseTree, baseName, [...chain, id]);
    if (!base) return service;
    const merged = this.merged(base, baseTree !== tree ? baseTree : undefined, service);
    services[name] = merged;
    this.done.add(merged);
    return merged;
  }

  /** The tree the base service is in: this one, or the file `extends.file` names (undefined: it could not be read). */
  private baseTreeOf(tree: Tree, service: Record<string, unknown>, spec: unknown, where: KeyPath): Tree | undefined {
    if (!isRecord(spec) || spec.file === undefined) return tree;
    const declaredIn = this.context.positions.get(service, 'extends')?.source.file;
    const from = declaredIn ? path.dirname(this.context.absolutePath(declaredIn)) : path.dirname(tree.file);
    const file = path.resolve(from, scalarText(spec.file));
    const loaded = this.context.loadFile(file, { root: tree.root, path: [...where, 'file'] });
    return loaded ? { root: loaded, file } : undefined;
  }

  /** The service merged over its base (both without `extends`), positions kept; `other`: the base's own file. */
  private merged(
    base: Record<string, unknown>,
    other: Tree | undefined,
    service: Record<string, unknown>,
  ): Record<string, unknown> {
    const baseCopy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(base)) {
      if (key === 'extends') continue;
      baseCopy[key] = value;
      this.context.positions.copy(base, key, baseCopy);
    }
    if (other) rebaseRelativePaths(baseCopy, path.dirname(other.file));
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(service)) {
      if (key === 'extends') continue;
      own[key] = value;
      this.context.positions.copy(service, key, own);
    }
    return mergeService(baseCopy, own, this.context);
  }

  private fail(root: unknown, where: KeyPath, summary: string, hint?: string): void {
    this.context.report({
      severity: 'error',
      summary,
      where: this.context.positions.locate(root, where),
      ...(hint ? { hint } : {}),
    });
  }
}

function isRelative(p: string): boolean {
  return p.startsWith('./') || p.startsWith('../') || p === '.' || p === '..';
}

/** Makes env_file paths and bind mount sources of a service from another file absolute. */
export function rebaseRelativePaths(service: Record<string, unknown>, dir: string): void {
  const envFile = service.env_file;
  if (typeof envFile === 'string') service.env_file = path.resolve(dir, envFile);
  else if (Array.isArray(envFile)) {
    envFile.forEach((entry, i) => {
      if (typeof entry === 'string') envFile[i] = path.resolve(dir, entry);
      else if (isRecord(entry) && typeof entry.path === 'string') entry.path = path.resolve(dir, entry.path);
    });
  }
  const volumes = service.volumes;
  if (Array.isArray(volumes)) {
    volumes.forEach((entry, i) => {
      if (typeof entry === 'string') {
        const [source, ...rest] = entry.split(':');
        if (rest.length && isRelative(source)) volumes[i] = [path.resolve(dir, source), ...rest].join(':');
      } else if (isRecord(entry) && typeof entry.source === 'string' && isRelative(entry.source)) {
        entry.source = path.resolve(dir, entry.source);
      }
    });
  }
}
