/**
 * What stack's own overlay asks of a new container, decided before its create op is added (so the op is final
 * once added): on its Consul-backed networks, Consul's DNS server and the networks' search domains, and no local
 * aliases (Docker's embedded DNS does not serve these networks; the replica is registered in Consul's catalog
 * under those names after it starts, by finish.ts, which reads the aliases recorded here).
 */
import type { EndpointSettings } from 'dockerode';
import type { ContainerCreateBody, OperationOf } from '../../types.js';
import { searchDomain } from '../../../overlay/names.js';
import type { OverlayBuilder, OverlayPlan } from './overlay-plan.js';

/** Does the overlay finish its part of the plan (DNS, registrations, releases)? As finishOverlay's own guard. */
export function overlayFinishes(plan: OverlayPlan): boolean {
  return plan.names.size > 0 && plan.helperImage !== undefined;
}

/** Key of the aliases recorded for a container's endpoint on a network. */
export const aliasKey = (host: string, container: string, network: string) => `${host} ${container} ${network}`;

/**
 * Completes a new container's create body and its endpoints (the create's and those connected right after),
 * none of them added yet: Dns and DnsSearch on the body, Aliases emptied on the overlay's endpoints.
 */
export function overlayEndpoints(
  plan: OverlayPlan,
  stack: string,
  host: string,
  container: string,
  body: ContainerCreateBody,
  endpoints: [string, EndpointSettings][],
): void {
  if (!overlayFinishes(plan)) return;
  const mine = endpoints.filter(([net]) => plan.wanted.has(net));
  if (!mine.length) return;
  const hc = (body.HostConfig ??= {});
  if (plan.dns.length) hc.Dns = [...new Set([...plan.dns, ...((hc.Dns as string[] | undefined) ?? [])])];
  hc.DnsSearch = [
    ...new Set([...mine.map(([net]) => searchDomain(stack, plan.names.get(net)!)), ...(hc.DnsSearch ?? [])]),
  ];
  for (const [net, endpoint] of mine) {
    plan.aliases.set(aliasKey(host, container, net), [...(endpoint.Aliases ?? [])]);
    endpoint.Aliases = [];
  }
}

/** An added create op's endpoints: the one at create and those connected right after, by network name. */
export function endpointsOf(b: OverlayBuilder, create: OperationOf<'container.create'>): [string, EndpointSettings][] {
  const endpoints = Object.entries(create.params.body.NetworkingConfig?.EndpointsConfig ?? {});
  for (const c of b.ops)
    if (c.kind === 'network.connect' && c.host === create.host && c.params.container === create.params.name)
      endpoints.push([c.params.network, c.params.body.EndpointConfig]);
  return endpoints;
}
