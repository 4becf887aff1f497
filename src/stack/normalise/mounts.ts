/**
 * Service volumes: short syntax (`[SOURCE:]TARGET[:MODE]`) and long syntax, for named volumes, bind mounts and
 * tmpfs. A source starting with `/`, `.` or `~` is a bind mount (resolved against the working directory; `~` is
 * HOME); any other source names a top-level volume, which must be declared.
 */
import path from 'node:path';
import type { MountSpec } from '../types.js';
import { isRecord, scalarText, type KeyPath } from '../key-path.js';
import { parseSize } from '../units.js';
import type { NormaliseContext } from './context.js';
import type { Problems } from '../problems.js';

const PROPAGATION = new Set(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);
const CONSISTENCY = new Set(['cached', 'delegated', 'consistent']);

export function normaliseMounts(value: unknown, path: KeyPath, context: NormaliseContext): MountSpec[] {
  if (!Array.isArray(value)) return [];
  const mounts: MountSpec[] = [];
  value.forEach((entry, i) => {
    const mount = isRecord(entry)
      ? longMount(entry, [...path, i], context)
      : shortMount(String(entry), [...path, i], context);
    if (mount) mounts.push(mount);
  });
  const seen = new Map<string, number>();
  mounts.forEach((m) => {
    if (seen.has(m.target)) context.problems.error(path, `two volumes mount at ${m.target}`);
    seen.set(m.target, 1);
  });
  return mounts;
}

function isPathLike(source: string): boolean {
  return source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
}

function hostPath(source: string, context: NormaliseContext): string {
  if (source === '~' || source.startsWith('~/')) return path.join(context.lookup('HOME') ?? '~', source.slice(1));
  return path.resolve(context.workingDir, source);
}

function shortMount(text: string, at: KeyPath, context: NormaliseContext): MountSpec | undefined {
  const { problems } = context;
  const parts = text.split(':');
  if (parts.length > 3)
    return void problems.error(at, `invalid volume "${text}"`, { hint: 'write [SOURCE:]TARGET[:MODE]' });
  const [first, second, mode] = parts;
  const source = parts.length >= 2 ? first : undefined;
  const target = parts.length >= 2 ? second : first;
  if (!target.startsWith('/'))
    return void problems.error(at, `the mount target "${target}" in "${text}" must be an absolute path`);
  let readOnly = false;
  let nocopy = false;
  let propagation: string | undefined;
  let selinux: 'z' | 'Z' | undefined;
  for (const flag of (mode ?? '').split(',').filter(Boolean)) {
    if (flag === 'ro') readOnly = true;
    else if (flag === 'rw') readOnly = false;
    else if (flag === 'nocopy') nocopy = true;
    else if (PROPAGATION.has(flag)) propagation = flag;
    else if (CONSISTENCY.has(flag))
      problems.warning(at, `the mode ${flag} is ignored — consistency only matters on Docker Desktop for Mac`);
    else if (flag === 'z' || flag === 'Z') selinux = flag;
    else
      return void problems.error(at, `unknown volume mode "${flag}" in "${text}"`, {
        hint: 'modes: ro, rw, nocopy, rprivate, private, rshared, shared, rslave, slave',
      });
  }
  if (selinux && (source === undefined || !isPathLike(source)))
    return void problems.error(at, `the mode ${selinux} (SELinux relabelling) applies to bind mounts only`, {
      hint: 'remove it, or mount a host path (./dir:/target:z)',
    });
  if (source === undefined) return { type: 'volume', target, readOnly, volume: { nocopy } };
  if (isPathLike(source)) {
    return {
      type: 'bind',
      source: hostPath(source, context),
      target,
      readOnly,
      bind: { createHostPath: true, ...(propagation ? { propagation } : {}), ...(selinux ? { selinux } : {}) },
    };
  }
  if (!context.declared.volumes.has(source)) {
    problems.error(at, `volume "${source}" is not declared under the top-level volumes:`, {
      hint: `add volumes: { ${source}: {} }, or write ./${source} for a bind mount`,
    });
  }
  return { type: 'volume', source, target, readOnly, volume: { nocopy } };
}

/** A long-syntax bind's options: create_host_path (default true), propagation, selinux (z or Z). */
function longBind(
  entry: Record<string, unknown>,
  mount: { source: string; target: string; readOnly: boolean },
  at: KeyPath,
  problems: Problems,
): MountSpec | undefined {
  const bind = isRecord(entry.bind) ? entry.bind : {};
  const selinux = bind.selinux === 'z' || bind.selinux === 'Z' ? bind.selinux : undefined;
  if (selinux && bind.create_host_path === false)
    return void problems.error([...at, 'bind', 'selinux'], 'bind.selinux needs create_host_path (the default)', {
      hint: 'the Engine relabels only binds it may create: remove create_host_path: false, or remove selinux',
    });
  return {
    type: 'bind',
    ...mount,
    bind: {
      createHostPath: bind.create_host_path !== false,
      ...(typeof bind.propagation === 'string' ? { propagation: bind.propagation } : {}),
      ...(selinux ? { selinux } : {}),
    },
  };
}

function longMount(entry: Record<string, unknown>, at: KeyPath, context: NormaliseContext): MountSpec | undefined {
  const { problems } = context;
  const type = entry.type as MountSpec['type'];
  const target = String(entry.target);
  if (!target.startsWith('/'))
    return void problems.error([...at, 'target'], `the mount target "${target}" must be an absolute path`);
  const readOnly = entry.read_only === true;
  const source = typeof entry.source === 'string' && entry.source !== '' ? entry.source : undefined;
  if (type === 'bind') {
    if (!source) return void problems.error(at, 'a bind mount needs a source path');
    return longBind(entry, { source: hostPath(source, context), target, readOnly }, at, problems);
  }
  if (type === 'tmpfs') {
    if (source) problems.error([...at, 'source'], 'a tmpfs mount has no source');
    const tmpfs = isRecord(entry.tmpfs) ? entry.tmpfs : {};
    const spec: MountSpec = { type, target, readOnly, tmpfs: {} };
    if (tmpfs.size !== undefined) {
      const size = parseSize(tmpfs.size);
      if (size === undefined)
        problems.error([...at, 'tmpfs', 'size'], `invalid size "${scalarText(tmpfs.size)}"`, { hint: 'e.g. 64m' });
      else spec.tmpfs!.size = size;
    }
    if (tmpfs.mode !== undefined) {
      const mode = typeof tmpfs.mode === 'number' ? tmpfs.mode : parseInt(scalarText(tmpfs.mode), 8);
      if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)
        problems.error([...at, 'tmpfs', 'mode'], `invalid file mode "${scalarText(tmpfs.mode)}"`, {
          hint: 'an octal mode such as 1777',
        });
      else spec.tmpfs!.mode = mode;
    }
    return spec;
  }
  const volume = isRecord(entry.volume) ? entry.volume : {};
  if (source && !context.declared.volumes.has(source)) {
    problems.error([...at, 'source'], `volume "${source}" is not declared under the top-level volumes:`, {
      hint: `add volumes: { ${source}: {} }`,
    });
  }
  const subpath = volumeSubpath(volume.subpath, [...at, 'volume', 'subpath'], problems);
  return {
    type: 'volume',
    ...(source ? { source } : {}),
    target,
    readOnly,
    volume: { nocopy: volume.nocopy === true, ...(subpath !== undefined ? { subpath } : {}) },
  };
}

/** volume.subpath: a relative path that stays inside the volume (the stack file never names a path outside it). */
function volumeSubpath(value: unknown, at: KeyPath, problems: Problems): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.startsWith('/') || value.split('/').includes('..')) {
    problems.error(at, `volume.subpath "${value}" must be a relative path inside the volume, without ".."`, {
      hint: 'name a folder of the volume, e.g. data/web',
    });
    return undefined;
  }
  return value;
}
