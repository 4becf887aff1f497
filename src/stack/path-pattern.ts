/** Key-path patterns such as `services.*.deploy.replicas`, where `*` matches one key or list index. */
import type { KeyPath } from './key-path.js';

export type PathPattern = readonly string[];

export function pattern(text: string): PathPattern {
  return text.split('.');
}

export function matchesPattern(path: KeyPath, p: PathPattern): boolean {
  if (path.length !== p.length) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] !== '*' && p[i] !== String(path[i])) return false;
  }
  return true;
}
