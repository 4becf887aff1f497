/**
 * The overlay helper's image reference: the operator's choice (inventory `overlay.helper_image`, or
 * `--overlay-helper-image`), never Consul's nor the stack file's, and pinned by digest, so that nobody who can
 * only write Consul (or push a tag to a registry) can change what runs with NET_ADMIN on every host (pure).
 */

/** `[registry[:port]/]repo[/…][:tag]@sha256:<64 hex>`. */
export const HELPER_IMAGE_PATTERN =
  '^[a-z0-9][a-z0-9._-]*(?::[0-9]{1,5})?(?:/[a-z0-9][a-z0-9._-]*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$';
const HELPER_IMAGE = new RegExp(HELPER_IMAGE_PATTERN);

export const HELPER_IMAGE_HINT =
  'set overlay: { helper_image: REGISTRY/busybox@sha256:DIGEST } in the inventory, or pass --overlay-helper-image REGISTRY/busybox@sha256:DIGEST: any image with chroot (busybox), pinned by digest (`docker inspect --format "{{index .RepoDigests 0}}" IMAGE` prints it), in a registry every host can reach';

/** The problem with a helper image reference, or undefined when it is pinned by digest. */
export function helperImageProblem(image: string): string | undefined {
  if (HELPER_IMAGE.test(image)) return undefined;
  if (!/@sha256:/.test(image))
    return `the overlay helper image must be pinned by digest (NAME@sha256:<64 hex>), not a tag a registry can move`;
  return 'the overlay helper image is not an image reference NAME@sha256:<64 hex>';
}
