/**
 * Output of `stack config`: the normalised desired state as YAML (like `docker compose config`). Secret and
 * config content is never printed, nor any hash of it: only where it came from and its size; sensitive environment
 * values and build args show as `(sensitive)`.
 */
import { stringify } from 'yaml';
import type {
  DesiredState,
  FileObjectSpec,
  HostSpec,
  LifecycleHook,
  ServiceSpec,
  StackSettings,
} from '../../stack/types.js';
import { MASK } from '../../sensitive.js';
import { formatEndpoint } from '../../stack/endpoint.js';

function masked(objects: Record<string, FileObjectSpec>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, object] of Object.entries(objects)) {
    const { content, contentHash: _hash, ...rest } = object;
    result[key] = { ...rest, ...(content ? { content: `<${content.length} bytes, not shown>` } : {}) };
  }
  return result;
}

/** A service with its sensitive environment values, build args and lifecycle hooks' environment values masked. */
export function maskedService(service: ServiceSpec): ServiceSpec {
  const sensitive = new Set(service.sensitive ?? []);
  const sensitiveArgs = new Set(service.build?.sensitiveArgs ?? []);
  const environment = maskedMap(service.environment, sensitive);
  const build = service.build && { ...service.build, args: maskedMap(service.build.args, sensitiveArgs) };
  const result: ServiceSpec = { ...service, environment, ...(build ? { build } : {}) };
  if (service.postStart) result.postStart = service.postStart.map(maskedHook);
  if (service.preStop) result.preStop = service.preStop.map(maskedHook);
  return result;
}

function maskedHook(hook: LifecycleHook): LifecycleHook {
  return { ...hook, environment: maskedMap(hook.environment, new Set(hook.sensitive)) };
}

function maskedMap(values: Record<string, string>, sensitive: ReadonlySet<string>): Record<string, string> {
  if (!sensitive.size) return values;
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sensitive.has(k) ? MASK : v]));
}

/** A host as an inventory writes it: the endpoint's text, then its TLS setting (tcp only). */
function printableHost(host: HostSpec): Record<string, unknown> {
  const { endpoint, ...rest } = host;
  return {
    name: host.name,
    endpoint: formatEndpoint(endpoint),
    ...(endpoint.kind === 'tcp' ? { tls: endpoint.tls } : {}),
    labels: rest.labels,
  };
}

/** The settings, the builder written as a host is. */
function printableSettings(settings: StackSettings): Record<string, unknown> {
  const { build, ...rest } = settings;
  return build ? { ...rest, build: { registry: build.registry, builder: printableHost(build.builder) } } : rest;
}

/** What `stack config` prints, as plain data: the state with secrets, sensitive values and credentials left out. */
export function printableConfig(state: DesiredState): Record<string, unknown> {
  const { policy: _policy, registryAuth: _registryAuth, ...rest } = state;
  return {
    ...rest,
    hosts: state.hosts.map(printableHost),
    settings: printableSettings(state.settings),
    services: Object.fromEntries(Object.entries(state.services).map(([k, s]) => [k, maskedService(s)])),
    secrets: masked(state.secrets),
    configs: masked(state.configs),
  };
}

export function formatConfig(state: DesiredState): string {
  return stringify(printableConfig(state), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** `stack config --json`: the same data as JSON, one document. */
export function formatConfigJson(state: DesiredState): string {
  return `${JSON.stringify(printableConfig(state), null, 2)}\n`;
}

export function printConfig(state: DesiredState, json = false, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(json ? formatConfigJson(state) : formatConfig(state));
}
