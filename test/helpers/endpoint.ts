/** An Endpoint from the text tests have (the sandbox's `socket` and `tcp` strings), through the one parser. */
import { parseEndpoint, type Endpoint, type TlsFiles } from '../../src/stack/endpoint.js';

export function endpointOf(text: string, tls: TlsFiles | false = false): Endpoint {
  const parsed = parseEndpoint(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error}`);
  return parsed.address.kind === 'unix' ? parsed.address : { ...parsed.address, tls };
}
