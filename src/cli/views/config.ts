/**
 * Output of `stack config`: the normalised desired state as YAML (like `docker compose config`). Secret and
 * config content is never printed: only where it came from and its sha256.
 */
import { stringify } from 'yaml';
import type { DesiredState, FileObjectSpec, HostSpec } from '../../stack/types.js';
import { formatEndpoint } from '../../stack/endpoint.js';

function masked(objects: Record<string, FileObjectSpec>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, object] of Object.entries(objects)) {
    const { content, contentHash, ...rest } = object;
    result[key] = {
      ...rest,
      ...(content ? { content: `<${content.length} bytes, not shown>` } : {}),
      ...(contentHash ? { contentHash: `sha256:${contentHash}` } : {}),
    };
  }
  return result;
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

export function formatConfig(state: DesiredState): string {
  const { policy: _policy, ...rest } = state;
  const printable = {
    ...rest,
    hosts: state.hosts.map(printableHost),
    secrets: masked(state.secrets),
    configs: masked(state.configs),
  };
  return stringify(printable, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function printConfig(state: DesiredState, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(formatConfig(state));
}
