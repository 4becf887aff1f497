/** An Endpoint from the text tests have (the sandbox's `socket` and `tcp` strings), through the one parser. */
import { parseEndpoint, type Endpoint, type TlsFiles } from '../../src/stack/endpoint.js';

export function endpointOf(text: string, tls: TlsFiles | false = false): Endpoint {
  const parsed = parseEndpoint(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error}`);
  const address = parsed.address;
  if (address.kind === 'ssh') throw new Error(`${text}: use sshEndpointOf for ssh:// endpoints`);
  return address.kind === 'unix' ? address : { ...address, tls };
}
