/** Image references: normalising, splitting and the registry host. Pure string helpers (observe, plan and apply use them). */

/** Image reference as written with `:latest` made explicit where there is neither tag nor digest. */
export function normaliseImageRef(image: string): string {
  if (image.includes('@')) return image;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image : `${image}:latest`;
}

/** Splits `registry:5000/name:tag` into the repository and the tag (or digest). */
export function splitImageRef(image: string): { repo: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { repo: image.slice(0, at), digest: image.slice(at + 1) };
  const ref = normaliseImageRef(image);
  const colon = ref.lastIndexOf(':');
  return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/** The registry host of an image reference (`docker.io` for Docker Hub names). */
export function registryOf(image: string): string {
  const first = image.split('/')[0];
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}
