/**
 * A build's context as stack sends it: the files of the context folder that `.dockerignore` keeps (the Dockerfile
 * and `.dockerignore` always, as the docker CLI does), read once, and the content hash the image is tagged with.
 * The folder is walked without following symlinks (a link is sent as a link), its real path must be inside the
 * project's, and it is capped in files and bytes. The hash covers every entry (path, type, executable bit,
 * content or link target) and the build's options, so equal inputs give equal tags and any change a new one.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import dockerignore from '@balena/dockerignore';
import type { BuildSpec } from '../stack/types.js';

export interface ContextEntry {
  /** Path inside the context, with `/`. */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  /** 0o755 or 0o644 (files and folders: only the executable bit is kept, as git keeps it). */
  mode: number;
  content?: Buffer;
  linkname?: string;
}

export interface BuildContext {
  entries: ContextEntry[];
  /** The Dockerfile's name in the context (the inline one's generated name with `dockerfile_inline`). */
  dockerfile: string;
  /** sha256 over the entries and the build's options, hex. */
  hash: string;
}

export interface ContextLimits {
  maxFiles: number;
  maxBytes: number;
}

export const DEFAULT_CONTEXT_LIMITS: ContextLimits = { maxFiles: 100_000, maxBytes: 512 * 1024 * 1024 };

/** The name `dockerfile_inline`'s text is sent under. */
export const INLINE_DOCKERFILE = '.stack-dockerfile-inline';

/** A context stack refuses to send, with what to do. */
export class ContextError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ContextError';
  }
}

/** Reads the context of `spec` (inside `projectDir`), filtered by its .dockerignore, and hashes it. */
export function readContext(
  spec: BuildSpec,
  projectDir: string,
  limits: ContextLimits = DEFAULT_CONTEXT_LIMITS,
): BuildContext {
  const root = confinedRoot(spec.context, projectDir);
  const dockerfile = spec.dockerfileInline !== undefined ? INLINE_DOCKERFILE : spec.dockerfile;
  const ignore = ignoreRules(root, dockerfile);
  const entries = walk(root, ignore, limits).filter((e) => e.name !== INLINE_DOCKERFILE);
  if (spec.dockerfileInline !== undefined)
    entries.push({ name: INLINE_DOCKERFILE, type: 'file', mode: 0o644, content: Buffer.from(spec.dockerfileInline) });
  else if (!entries.some((e) => e.name === dockerfile && e.type === 'file'))
    throw new ContextError(
      `the Dockerfile ${dockerfile} is not a file of the context ${spec.context}`,
      'create it, or name the right one with dockerfile:',
    );
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, dockerfile, hash: contextHash(entries, spec) };
}

function confinedRoot(context: string, projectDir: string): string {
  let real: string;
  let project: string;
  try {
    real = realpathSync(context);
    project = realpathSync(projectDir);
  } catch {
    throw new ContextError(`the build context ${context} does not exist`, 'create the folder, or fix context:');
  }
  const relative = path.relative(project, real);
  if (relative.startsWith('..') || path.isAbsolute(relative))
    throw new ContextError(
      `the build context ${context} leads outside the project folder (to ${real})`,
      'a build reads only files under the project folder: replace the symlink by the folder itself',
    );
  if (!lstatSync(real).isDirectory())
    throw new ContextError(`the build context ${context} is not a folder`, 'give the folder to build as context:');
  return real;
}

type Ignores = (name: string) => boolean;

/** `.dockerignore` at the context's root; the Dockerfile and .dockerignore are always sent (the docker CLI's rule). */
function ignoreRules(root: string, dockerfile: string): { ignores: Ignores; hasExceptions: boolean } {
  let text: string;
  try {
    text = readFileSync(path.join(root, '.dockerignore'), 'utf8');
  } catch {
    return { ignores: () => false, hasExceptions: false };
  }
  const patterns = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const rules = dockerignore.default().add([...patterns, '!.dockerignore', `!${dockerfile}`]);
  return { ignores: (name) => rules.ignores(name), hasExceptions: patterns.some((p) => p.startsWith('!')) };
}

function walk(root: string, rules: { ignores: Ignores; hasExceptions: boolean }, limits: ContextLimits) {
  const entries: ContextEntry[] = [];
  let bytes = 0;
  const visit = (dir: string) => {
    for (const name of readdirSync(path.join(root, dir)).sort()) {
      const rel = dir ? `${dir}/${name}` : name;
      const stat = lstatSync(path.join(root, rel));
      const ignored = rules.ignores(rel);
      if (stat.isDirectory()) {
        if (!ignored) entries.push({ name: rel, type: 'directory', mode: modeOf(stat) });
        if (!ignored || rules.hasExceptions) visit(rel);
        continue;
      }
      if (ignored) continue;
      const entry = fileEntry(root, rel, stat);
      if (!entry) continue;
      bytes += entry.content?.length ?? 0;
      entries.push(entry);
      if (entries.length > limits.maxFiles || bytes > limits.maxBytes)
        throw new ContextError(
          `the build context ${root} has more than ${limits.maxFiles} files or ${limits.maxBytes} bytes`,
          'leave out what the build does not need with a .dockerignore',
        );
    }
  };
  visit('');
  return entries;
}

function fileEntry(root: string, rel: string, stat: Stats): ContextEntry | undefined {
  const full = path.join(root, rel);
  if (stat.isSymbolicLink()) return { name: rel, type: 'symlink', mode: 0o777, linkname: readlinkSync(full) };
  if (stat.isFile()) return { name: rel, type: 'file', mode: modeOf(stat), content: readFileSync(full) };
  return undefined; // sockets, fifos, devices: not sent (as the docker CLI skips them)
}

const modeOf = (stat: Stats) => (stat.isDirectory() || stat.mode & 0o111 ? 0o755 : 0o644);

function contextHash(entries: readonly ContextEntry[], spec: BuildSpec): string {
  const hash = createHash('sha256');
  const options = {
    dockerfile: spec.dockerfileInline !== undefined ? INLINE_DOCKERFILE : spec.dockerfile,
    args: spec.args,
    target: spec.target ?? null,
    labels: spec.labels,
  };
  hash.update(`stack-build-v1\0${JSON.stringify(options)}\0`);
  for (const e of entries) {
    const body = e.content ?? Buffer.from(e.linkname ?? '');
    hash.update(`${e.name}\0${e.type}\0${e.mode.toString(8)}\0${body.length}\0`);
    hash.update(body);
  }
  return hash.digest('hex');
}
