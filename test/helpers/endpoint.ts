/** An Endpoint from the text tests have (the sandbox's `socket` and `tcp` strings), through the one parser. */
import { parseEndpoint, type Endpoint, type SshEndpoint, type TlsFiles } from '../../src/stack/endpoint.js';

export function endpointOf(text: string, tls: TlsFiles | false = false): Endpoint {
  const parsed = parseEndpoint(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error}`);
  const address = parsed.address;
  if (address.kind === 'ssh') throw new Error(`${text}: use sshEndpointOf for ssh:// endpoints`);
  return address.kind === 'unix' ? address : { ...address, tls };
}

/** An ssh:// endpoint with the sandbox's client key and a known_hosts (the sandbox's unless a test gives its own). */
export function sshEndpointOf(text: string, ssh: { identity: string; knownHosts: string }): SshEndpoint {
  const parsed = parseEndpoint(text);
  if (!parsed.ok || parsed.address.kind !== 'ssh') throw new Error(`${text}: not an ssh:// endpoint`);
  return {
    ...parsed.address,
    user: parsed.address.user ?? 'root',
    identity: ssh.identity,
    knownHosts: [ssh.knownHosts],
  };
}
