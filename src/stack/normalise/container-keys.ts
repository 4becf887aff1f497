/**
 * A container's extra groups, NIS domain name, MAC address (and fixed IP addresses: one container's, as it is), device cgroup rules and device requests (`gpus`,
 * `deploy.resources.reservations.devices`): only what the file sets, the schema having checked the shapes (a MAC
 * address's and a cgroup rule's forms among them).
 */
import type { ServiceSpec } from '../types.js';
import { isRecord, type KeyPath } from '../key-path.js';
import type { NormaliseContext } from './context.js';
import { normaliseDeviceRequests } from './device-requests.js';

export function containerKeys(
  spec: ServiceSpec,
  service: Record<string, unknown>,
  at: KeyPath,
  context: NormaliseContext,
): void {
  if (Array.isArray(service.group_add) && service.group_add.length) spec.groupAdd = service.group_add.map(String);
  if (typeof service.domainname === 'string' && service.domainname) spec.domainname = service.domainname;
  if (typeof service.mac_address === 'string') {
    spec.macAddress = service.mac_address.toLowerCase();
    checkMacAddress(service, [...at, 'mac_address'], context);
  }
  networkMacAddresses(service, at, context);
  fixedAddresses(service, at, context);
  if (Array.isArray(service.device_cgroup_rules) && service.device_cgroup_rules.length)
    spec.deviceCgroupRules = service.device_cgroup_rules.map(String);
  const gpus = normaliseDeviceRequests(service.gpus, [...at, 'gpus'], context, true);
  if (gpus) spec.gpus = gpus;
  const deploy = isRecord(service.deploy) ? service.deploy : {};
  const resources = isRecord(deploy.resources) ? deploy.resources : {};
  const reservations = isRecord(resources.reservations) ? resources.reservations : {};
  const devicesAt = [...at, 'deploy', 'resources', 'reservations', 'devices'];
  const reserved = normaliseDeviceRequests(reservations.devices, devicesAt, context, false);
  if (reserved) spec.deviceReservations = reserved;
}

/** A MAC address is one container's: not with a network mode, several replicas, or a start-first update. */
function checkMacAddress(service: Record<string, unknown>, at: KeyPath, context: NormaliseContext): void {
  if (service.network_mode !== undefined)
    context.problems.error(at, 'mac_address cannot be used with network_mode (the Engine refuses it)', {
      atKey: true,
      hint: 'remove one of them',
    });
  else checkOneContainer(service, at, 'mac_address', context);
}

/**
 * A key only one container may hold (a MAC address, a fixed IP address on a network): not with several replicas or
 * global mode, nor with a start-first update, when old and new container run side by side. `perHost`: the key is
 * one container's per host (an address on a bridge network, which each host has its own of), so one replica per host
 * — global mode, or max_replicas_per_node: 1 — is fine.
 */
function checkOneContainer(
  service: Record<string, unknown>,
  at: KeyPath,
  key: string,
  context: NormaliseContext,
  perHost = false,
) {
  const deploy = isRecord(service.deploy) ? service.deploy : {};
  const replicas = typeof deploy.replicas === 'number' ? deploy.replicas : 1;
  const placement = isRecord(deploy.placement) ? deploy.placement : {};
  const onePerHost = deploy.mode === 'global' || placement.max_replicas_per_node === 1;
  if ((deploy.mode === 'global' || replicas > 1) && !(perHost && onePerHost))
    context.problems.error(
      at,
      `${key} cannot be used with ${deploy.mode === 'global' ? 'deploy.mode global' : `${replicas} replicas`}: each container needs its own${perHost ? ' on a host' : ''}`,
      {
        atKey: true,
        hint: perHost
          ? `remove ${key}, run one replica, or one per host (max_replicas_per_node: 1) on a bridge network`
          : `remove ${key}, or run one replica`,
      },
    );
  else if (isRecord(deploy.update_config) && deploy.update_config.order === 'start-first')
    context.problems.error(
      at,
      `${key} cannot be used with update_config.order start-first: old and new container would share it`,
      { atKey: true, hint: 'use order: stop-first (the default)' },
    );
}

/**
 * Fixed addresses (`ipv4_address`, `ipv6_address`): one container's too — two containers cannot hold one address on
 * one network (the Engine refuses the second create). A bridge network is each host's own, so one replica per host
 * may hold it; an overlay (or an external network, whose scope is not known here) spans the hosts.
 */
function fixedAddresses(service: Record<string, unknown>, at: KeyPath, context: NormaliseContext): void {
  const networks = isRecord(service.networks) ? service.networks : {};
  for (const [name, spec] of Object.entries(networks))
    for (const key of ['ipv4_address', 'ipv6_address'])
      if (isRecord(spec) && typeof spec[key] === 'string')
        checkOneContainer(service, [...at, 'networks', name, key], key, context, isLocalBridge(name, context));
}

/** Whether a network of the file is a bridge stack creates (each host has its own). */
function isLocalBridge(name: string, context: NormaliseContext): boolean {
  const root = context.problems.root;
  const declared = isRecord(root) && isRecord(root.networks) ? root.networks : {};
  const spec = isRecord(declared[name]) ? declared[name] : {};
  const driver = typeof spec.driver === 'string' ? spec.driver : context.defaultNetworkDriver;
  return driver === 'bridge' && !spec.external;
}

/** Per-network MAC addresses: one container's too, and not beside the service-level one (which would be ambiguous). */
function networkMacAddresses(service: Record<string, unknown>, at: KeyPath, context: NormaliseContext): void {
  const networks = isRecord(service.networks) ? service.networks : {};
  for (const [name, spec] of Object.entries(networks)) {
    if (!isRecord(spec) || typeof spec.mac_address !== 'string') continue;
    const where = [...at, 'networks', name, 'mac_address'];
    if (typeof service.mac_address === 'string')
      context.problems.error(where, 'mac_address is set both on the service and on one of its networks', {
        atKey: true,
        hint: 'keep one: the service-level one applies to the first network',
      });
    else checkMacAddress(service, where, context);
  }
}
