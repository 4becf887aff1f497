/**
 * The Engine API over SSH, as the docker CLI does it: one SSH connection per host (ssh2), and per HTTP connection
 * one channel running `docker system dial-stdio` on the host, which pipes the channel to the host's own Docker
 * socket. The host key is checked against known_hosts before anything else (known-hosts.ts): an unknown, changed or
 * revoked key ends the connection with an error naming the host and the key's fingerprint, and nothing is sent.
 * Keys come from the agent (SSH_AUTH_SOCK) and the identity file; no password, no prompt.
 *
 * Connections are kept in one pool per process (SSH_POOL), so that every HostClient a run makes for a host (look,
 * apply, catalog) shares one connection; its socket is unref'd while no channel is open, so an idle connection
 * never keeps the process alive, and a dropped one is opened again on the next call.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { readFileSync } from 'node:fs';
import type { Client, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { formatEndpoint, type SshEndpoint } from '../../stack/endpoint.js';
import { fingerprint, keyType, knownHostsName, knownTypes, readKnownHosts, verifyHostKey } from './known-hosts.js';

/** The command run on the host for each HTTP connection (the docker CLI's, connhelper/ssh). */
export const DIAL_STDIO = ['docker', 'system', 'dial-stdio'] as const;
/**
 * At most this many channels (HTTP connections) at once per host: below OpenSSH's MaxSessions (10 by default);
 * more requests wait for a free channel.
 */
export const MAX_CHANNELS = 8;
/** Time for TCP connect, key exchange and authentication. */
const HANDSHAKE_TIMEOUT_MS = 20_000;

/** A host key stack will not accept: unknown, changed or revoked. A definite error: never retried. */
export class SshHostKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshHostKeyError';
  }
}

/** An SSH error with the socket code the fault classifier reads (faults.ts: ECONNREFUSED → unreachable). */
class SshError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SshError';
  }
}

/** One host's SSH connection: opened on the first dial, shared by every channel, opened again after a drop. */
export class SshConnection {
  private client?: Promise<Client>;
  private socket?: Socket;
  /** Streams in use (ref'd). */
  private refs = 0;
  /** How many times a connection was opened (handshakes), for tests and the summary. */
  handshakes = 0;

  constructor(readonly endpoint: SshEndpoint) {}

  /**
   * A byte stream to the host's Docker socket: a new channel running dial-stdio. Returned at once, like a socket
   * that is still connecting (so that Node's agent counts it against maxSockets); it fails if the channel does not open.
   */
  dial(): Duplex {
    const channel = this.connected().then(
      (client) =>
        new Promise<ClientChannel>((resolve, reject) =>
          client.exec(DIAL_STDIO.join(' '), (err, ch) =>
            err
              ? reject(new SshError(`${this.where()}: cannot open a channel: ${err.message}`, 'ECONNRESET'))
              : resolve(ch),
          ),
        ),
    );
    this.reference(1);
    return dialStream(channel, this.where(), (on) => this.reference(on ? 1 : -1));
  }

  /** Closes the connection (tests; a run's end needs nothing: an idle connection is unref'd). */
  end(): void {
    void this.client?.then((c) => c.end()).catch(() => undefined);
    this.client = undefined;
  }

  private where(): string {
    return `ssh ${formatEndpoint(this.endpoint)}`;
  }

  /**
   * The socket keeps the process alive only while a request uses one of its channels (Node's agent unrefs a
   * kept-alive stream while it waits in the pool, and refs it when it reuses it).
   */
  private reference(delta: number): void {
    this.refs += delta;
    if (this.refs > 0) this.socket?.ref();
    else this.socket?.unref();
  }

  private connected(): Promise<Client> {
    this.client ??= this.open().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  private async open(): Promise<Client> {
    const e = this.endpoint;
    const keys = readKnownHosts(e.knownHosts);
    const name = knownHostsName(e.host, e.port);
    let refusal: SshHostKeyError | undefined;
    const hostVerifier = (blob: Buffer): boolean => {
      refusal = hostKeyRefusal(e, keys, name, blob);
      return refusal === undefined;
    };
    // ssh2 is loaded by the first ssh:// host only: a run without one never evaluates it (start-up time).
    const ssh2 = await import('ssh2');
    const socket = (this.socket = netConnect({ host: e.host, port: e.port }));
    this.handshakes++;
    return new Promise<Client>((resolve, reject) => {
      const client = new ssh2.Client();
      client.once('ready', () => resolve(client));
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        this.client = undefined;
        reject(refusal ?? connectError(this.where(), e, err));
      });
      client.on('close', () => {
        this.client = undefined;
        reject(new SshError(`${this.where()}: the connection closed`, 'ECONNRESET'));
      });
      client.connect(connectConfig(e, socket, hostVerifier, knownTypes(keys, name)));
    });
  }
}

function connectConfig(
  e: SshEndpoint,
  sock: Socket,
  hostVerifier: (blob: Buffer) => boolean,
  preferred: string[],
): ConnectConfig {
  return {
    sock,
    host: e.host,
    port: e.port,
    username: e.user,
    ...(e.agent ? { agent: e.agent } : {}),
    ...(e.identity ? { privateKey: readFileSync(e.identity) } : {}),
    hostVerifier,
    readyTimeout: HANDSHAKE_TIMEOUT_MS,
    keepaliveInterval: 0,
    tryKeyboard: false,
    ...(preferred.length ? { algorithms: { serverHostKey: hostKeyAlgorithms(preferred) } } : {}),
  };
}

/** ssh2's host key algorithms, those known_hosts holds for the host first (as OpenSSH orders them). */
function hostKeyAlgorithms(preferred: string[]): ServerHostKeyAlgorithm[] {
  const all: ServerHostKeyAlgorithm[] = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const first = all.filter((a) => preferred.includes(a) || (a.startsWith('rsa-') && preferred.includes('ssh-rsa')));
  return [...first, ...all.filter((a) => !first.includes(a))];
}

/** Why a presented host key is refused, or undefined when known_hosts holds it for this host. */
export function hostKeyRefusal(
  e: Pick<SshEndpoint, 'host' | 'port' | 'knownHosts'>,
  keys: ReturnType<typeof readKnownHosts>,
  name: string,
  blob: Buffer,
): SshHostKeyError | undefined {
  const verdict = verifyHostKey(keys, name, blob);
  const presented = `${keyType(blob)} ${fingerprint(blob)}`;
  const files = e.knownHosts.join(', ');
  switch (verdict.kind) {
    case 'known':
      return undefined;
    case 'unknown':
      return new SshHostKeyError(
        `ssh ${name}: host key ${presented} is not in known_hosts (${files}); stack never accepts an unknown key — ` +
          `check that fingerprint with the host's administrator, then add the key (ssh-keyscan${e.port === 22 ? '' : ` -p ${e.port}`} ${e.host} >> ${e.knownHosts[0]})`,
      );
    case 'changed':
      return new SshHostKeyError(
        `ssh ${name}: HOST KEY CHANGED: it presents ${presented}, known_hosts has ${verdict.known.map((k) => `${k.type} at ${k.where}`).join(', ')} — ` +
          `someone may be intercepting the connection, or the host was reinstalled; once you know which, remove the old key (ssh-keygen -R '${name}' -f ${verdict.known[0].where.replace(/:\d+$/, '')})`,
      );
    case 'revoked':
      return new SshHostKeyError(`ssh ${name}: host key ${presented} is revoked (@revoked at ${verdict.where})`);
  }
}

function connectError(where: string, e: SshEndpoint, err: Error & { level?: string; code?: string }): Error {
  if (err.level === 'client-authentication')
    return new SshError(
      `${where}: authentication as ${e.user} failed (tried: ${[e.agent ? 'the agent' : '', e.identity ?? ''].filter(Boolean).join(', ') || 'no key: no agent, no identity'})`,
    );
  if (err.level === 'client-timeout') return new SshError(`${where}: ${err.message}`, 'ETIMEDOUT');
  if (err.code) return new SshError(`${where}: ${err.message}`, err.code);
  return new SshError(`${where}: ${err.message}`);
}

/**
 * The channel as the socket an HTTP request writes to (kept alive by Node's agent between requests); writes wait
 * for the channel to open. When dial-stdio exits with an error before sending a byte (the host's dockerd is down),
 * the stream fails with ECONNREFUSED and dial-stdio's message, so the host is classified unreachable as with a
 * refused socket. `ref` hears when the stream starts or stops keeping the process alive (it starts ref'd).
 */
function dialStream(opening: Promise<ClientChannel>, where: string, ref: (on: boolean) => void): Duplex {
  let referenced = true;
  const setRef = (on: boolean) => {
    if (on !== referenced) ref((referenced = on));
  };
  const ready = opening.catch((err: Error) => {
    setRef(false);
    stream.destroy(err);
    return undefined;
  });
  const stream = new Duplex({
    allowHalfOpen: false,
    read: () => void ready.then((ch) => ch?.resume()),
    write: (chunk: Buffer, _encoding, callback) =>
      void ready.then((ch) => (ch ? ch.write(chunk, callback) : callback(new Error(`${where}: no channel`)))),
    final: (callback) => void ready.then((ch) => (ch?.end(), callback())),
    destroy: (err, callback) => {
      void ready.then((ch) => ch?.close());
      callback(err);
    },
  });
  void ready.then((ch) => ch && pipeChannel(ch, stream, where, () => setRef(false)));
  const self = stream as Duplex & Record<'ref' | 'unref' | 'setTimeout' | 'setNoDelay' | 'setKeepAlive', () => Duplex>;
  self.ref = () => (setRef(true), stream);
  self.unref = () => (setRef(false), stream);
  // What Node's HTTP client and agent call on a net.Socket: nothing to do on a channel.
  self.setTimeout = self.setNoDelay = self.setKeepAlive = () => stream;
  return stream;
}

/** Moves the channel's output into the stream; its end ends the stream, or fails it when dial-stdio failed. */
function pipeChannel(channel: ClientChannel, stream: Duplex, where: string, closed: () => void): void {
  let received = false;
  let stderr = '';
  let exitCode: number | undefined;
  channel.on('data', (data: Buffer) => {
    received = true;
    if (!stream.push(data)) channel.pause();
  });
  channel.stderr.on('data', (data: Buffer) => void (stderr = (stderr + data.toString()).slice(-2000)));
  channel.on('exit', (code: number | null) => void (exitCode = code ?? undefined));
  channel.once('close', () => {
    closed();
    if (!received && exitCode !== 0)
      stream.destroy(
        new SshError(
          `${where}: ${DIAL_STDIO.join(' ')} failed: ${stderr.trim() || `exit ${exitCode}`}`,
          'ECONNREFUSED',
        ),
      );
    else stream.push(null);
  });
}
