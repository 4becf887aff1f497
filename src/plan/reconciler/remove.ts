/** Removing one observed container: stop (gracefully, when running) then remove. Pure. */
import { hookNote, preStopParams } from '../lifecycle.js';
import type { ObservedContainer } from '../../observe/types.js';
import { Roles } from '../../labels.js';
import type { Builder } from '../builder.js';
import { stopDeps } from '../drivers/stop.js';
import type { HostState, Reconciler } from './context.js';

/**
 * Stop (gracefully, when running) then remove a container, each after what the network driver says must come
 * first; returns the remove op id.
 */
export function removeContainer(
  r: Pick<Reconciler, 'b' | 'network' | 'desiredIn'>,
  hs: HostState | undefined,
  c: ObservedContainer,
  resource: string,
  cause: string,
  deps: string[],
  volumes: boolean,
): string | undefined {
  if (!hs) return undefined;
  const { b, network } = r;
  const running = c.state === 'running' || c.state === 'restarting' || c.state === 'paused';
  const at = { host: c.host, name: c.name, resource };
  const spec = c.role === Roles.helper ? undefined : r.desiredIn.services[c.service];
  const stop =
    running && c.role !== Roles.helper
      ? b.add(
          'container.stop',
          c.host,
          `stop ${c.name}${hookNote('pre_stop', spec)}`,
          resource,
          cause,
          stopDeps(network, {
            ...at,
            kind: 'container.stop',
            deps,
          }),
          { name: c.name, ...preStopParams(spec) },
        )
      : undefined;
  const rmDeps = stopDeps(network, { ...at, kind: 'container.remove', deps: stop ? [stop] : deps });
  const rm = b.add('container.remove', c.host, `remove ${c.name}`, resource, cause, rmDeps, {
    name: c.name,
    force: true,
    volumes,
  });
  hs.containerRemovals.push(rm);
  return rm;
}

/** Shows the removal of a container (done before, or just added) as a delete change. */
export function showDelete(b: Builder, c: ObservedContainer, resource: string, service: string, cause: string): void {
  b.change({ host: c.host, type: 'container', resource, service, name: c.name, action: 'delete', cause });
}
