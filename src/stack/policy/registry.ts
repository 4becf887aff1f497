/**
 * Image repositories and the operator's registry patterns. An image is reduced to its fully qualified repository
 * (`busybox:1.35` → `docker.io/library/busybox`, `10.77.0.2:5000/busybox@sha256:…` → `10.77.0.2:5000/busybox`) and
 * matched against each pattern, where `*` stands for any characters (slashes included) and everything else is
 * literal. Patterns must name a registry before their first `/` (the schema checks it), so `*` never matches
 * into a registry's host name.
 */

/** The fully qualified repository of an image reference: registry host, path, no tag or digest. */
export function imageRepository(image: string): string {
  let name = image;
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  const first = name.split('/')[0];
  const hasRegistry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
  return first === 'index.docker.io' ? `docker.io${name.slice(first.length)}` : name;
}

function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** True when the image's repository matches one of the patterns. */
export function registryAllows(image: string, patterns: readonly string[]): boolean {
  const repository = imageRepository(image);
  return patterns.some((p) => patternRegExp(p).test(repository));
}
