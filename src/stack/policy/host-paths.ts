/**
 * Which denied host path a bind source exposes. A bind exposes a denied path when it is that path, lies under it,
 * or is a folder above it (binding /var exposes /var/run/docker.sock). `/` is the one exception to "under": it
 * denies only binding `/` itself, or every bind would be refused. Pure string work on normalised absolute paths:
 * symbolic links on the host are not followed (docs/policy.md says so).
 */
import path from 'node:path';

/** `/a//b/../c/` → `/a/c`; a relative path is taken from `/`. */
export function normaliseHostPath(p: string): string {
  const resolved = path.posix.resolve('/', p);
  return resolved.length > 1 && resolved.endsWith('/') ? resolved.slice(0, -1) : resolved;
}

/** True when `child` lies strictly below `parent`. */
function isBelow(child: string, parent: string): boolean {
  return parent === '/' ? child !== '/' : child.startsWith(`${parent}/`);
}

/** The first denied path (normalised) that binding `source` would expose, or undefined. */
export function deniedPathOf(source: string, denied: readonly string[]): string | undefined {
  const s = normaliseHostPath(source);
  for (const raw of denied) {
    const d = normaliseHostPath(raw);
    if (s === d || isBelow(d, s) || (d !== '/' && isBelow(s, d))) return d;
  }
  return undefined;
}
