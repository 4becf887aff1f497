/** Removing one observed container: stop (gracefully, when running) then remove. Pure. */
import type { ObservedContainer } from '../../observe/types.js';
import { Roles } from '../../labels.js';
import type { Builder } from '../builder.js';
import type { HostState } from './context.js';

/** Stop (gracefully, when running) then remove a container; returns the remove op id. */
export function removeContainer(
  b: Builder,
  hs: HostState | undefined,
  c: ObservedContainer,
  resource: string,
  cause: string,
  deps: string[],
  volumes: boolean,
): string | undefined {
  if (!hs) return undefined;
  const running = c.state === 'running' || c.state === 'restarting' || c.state === 'paused';
  const stop =
    running && c.role !== Roles.helper
      ? b.add('container.stop', c.host, `stop ${c.name}`, resource, cause, deps, { name: c.name })
      : undefined;
  const rm = b.add('container.remove', c.host, `remove ${c.name}`, resource, cause, stop ? [stop] : deps, {
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
