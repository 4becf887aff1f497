/** A stop's (or remove's) dependencies with what the network driver says must come first. Pure. */
import type { NetworkDriver, StopRequest } from './types.js';

/** The deps to add a container stop or remove with: its own, then the driver's (`NetworkDriver.beforeStop`). */
export function stopDeps(
  network: Pick<NetworkDriver, 'beforeStop'>,
  stop: Omit<StopRequest, 'deps'> & { deps: (string | undefined)[] },
): string[] {
  const deps = [...new Set(stop.deps.filter((d): d is string => !!d))];
  return [...deps, ...network.beforeStop({ ...stop, deps })];
}
