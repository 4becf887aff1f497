/** Where the overlay helper's image is on a host (pure); what makes a valid one is src/stack/overlay-helper-image.ts. */
import type { ImageDigests } from './types.js';

export { HELPER_IMAGE_HINT } from '../stack/overlay-helper-image.js';

/** Is the helper image on a host? By its digest (a `name:tag@digest` reference counts by the digest too). */
export function helperImagePresent(images: readonly ImageDigests[], image: string): boolean {
  const at = image.indexOf('@');
  const name = image.slice(0, at).replace(/:[^/:]+$/, '');
  const pinned = `${name}${image.slice(at)}`;
  return images.some((i) => i.repoDigests.includes(pinned));
}
