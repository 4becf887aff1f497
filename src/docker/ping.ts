/**
 * GET /_ping as the Docker CLI negotiates with it: the API version is in the answer's `Api-Version` header and the
 * Engine release in `Server` (`Docker/28.5.2 (linux)`). A ping is the cheapest call a daemon answers; GET /version
 * makes dockerd run `runc --version` and `docker-init --version` on every call, which on many hosts sharing a few
 * cores is most of a no-op's Engine time.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** The part of docker-modem's dial that a streamed GET needs. */
interface Dialer {
  dial(options: object, callback: (err: Error | null, res: IncomingMessage) => void): void;
}

/** The headers of the daemon's answer to GET /_ping (its body, `OK`, read and dropped). */
export function pingHeaders(modem: Dialer, abortSignal: AbortSignal): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const options = {
      path: '/_ping',
      method: 'GET',
      isStream: true,
      abortSignal,
      statusCodes: { 200: true, 500: 'server error' },
    };
    modem.dial(options, (err, res) => {
      if (err) return reject(err);
      res.on('error', reject);
      res.on('end', () => resolve(res.headers));
      res.resume();
    });
  });
}

const SERVER = /^[A-Za-z][\w-]{0,31}\/([0-9A-Za-z][0-9A-Za-z.+~-]{0,63})(?:\s|$)/;

/** `Docker/20.10.24+dfsg1 (linux)` → `20.10.24+dfsg1`; `unknown` when the header is absent or not of that shape. */
export function engineOfServer(header: string | string[] | undefined): string {
  const m = typeof header === 'string' ? SERVER.exec(header) : null;
  return m ? m[1] : 'unknown';
}
