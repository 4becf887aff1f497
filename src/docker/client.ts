/**
 * One HostClient per Docker daemon, over dockerode (unix socket, tcp with TLS, or ssh: ssh/connection.ts), its endpoint exactly the one
 * configured: no environment variable can redirect it (dockerFor), and no create body reaches a request URL
 * (request-body.ts). Every method
 * rethrows with context (host, object). Every call has a time limit, and transient errors are
 * retried with exponential back-off a bounded number of times (faults.ts). Retrying a write is safe
 * because an answer that says the work is already done counts as success: 304 on start/stop, 404 on
 * remove, a name in use by our own container with the same labels on create, an existing network
 * with our labels, an endpoint already connected, a rename already made. Calls are counted per host
 * (every attempt), reads apart from writes, for the summary.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import Docker from 'dockerode';
import Modem from 'docker-modem';
import type { Endpoint, HostSpec } from '../stack/types.js';
import type { AuthConfig } from './auth.js';
import { Labels } from '../labels.js';
import { ContainerEvents } from './container-events.js';
import { hostWatchFor, listKey, type HostWatch } from './host-watch.js';
import { sshAgent } from './ssh/pool.js';
import { UNIX_SOCKET_AGENT } from './quiet-agent.js';
import { MAX_CHANNELS } from './ssh/connection.js';
import { splitBody, type DialOptions } from './request-body.js';
import { pingHeaders, engineOfServer } from './ping.js';
import { compareApi, formatApiVersion, negotiateApi, parseApiVersion, type ApiVersion } from './api-version.js';
import { UNFENCED, type Fence } from '../fence.js';
import {
  backoffMs,
  classify,
  DEFAULT_FAULT_SETTINGS,
  errorMessage,
  timeoutFor,
  withRetries,
  withTimeout,
  type CallKind,
  type FaultClass,
  type FaultSettings,
} from './faults.js';

/** dockerd's answer when the cluster store still holds an endpoint of the container being started. */
const STALE_ENDPOINT = /endpoint with name (\S+) already exists in network (\S+?)(?:[\s,.;)]|$)/;

/**
 * dockerd 20.10's answer when a global (cluster-store) network is not yet in its own view: another daemon
 * created it moments ago and this one has not caught up with the store — create found it, start does not.
 */
const NETWORK_NOT_FOUND = /network (\S+) not found/;

/** The container and network named by a stale-endpoint error, if the message is one. */
export function staleEndpoint(message: string): { container: string; network: string } | undefined {
  const m = STALE_ENDPOINT.exec(message);
  return m ? { container: m[1], network: m[2] } : undefined;
}

export interface CallCounts {
  reads: number;
  writes: number;
}

export class HostError extends Error {
  constructor(
    readonly host: string,
    readonly action: string,
    readonly target: string | undefined,
    readonly statusCode: number | undefined,
    cause: unknown,
    /** How the last error was classified, and how many attempts were made. */
    readonly faultClass: FaultClass = classify(cause),
    readonly attempts = 1,
  ) {
    const detail = errorMessage(cause);
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    super(`host ${host}: ${action}${target ? ` ${target}` : ''}: ${detail}${tries}`, { cause });
    this.name = 'HostError';
  }

  /** True when the daemon could not be reached at all (refused, no socket, no route). */
  get unreachable(): boolean {
    return this.faultClass === 'unreachable';
  }
}

/** Is this error a HostError saying the daemon cannot be reached? */
export function isUnreachable(err: unknown): boolean {
  return err instanceof HostError && err.unreachable;
}

/** A list filter as the Engine API takes it: key → values. */
export type Filters = Record<string, string[]>;
/** GET /info, the fields stack reads (dockerode leaves the answer untyped). */
export interface EngineInfoBody {
  ClusterStore?: string | null;
  ClusterAdvertise?: string | null;
  [field: string]: unknown;
}
/** What GET /version says of the daemon, and the API version stack speaks to it at from then on. */
export interface EngineVersion {
  /** The Engine release (`20.10.24`, `28.5.2`), as the daemon reports it. */
  engine: string;
  /** The daemon's own API version (its newest). */
  serverApi: ApiVersion;
  /** Negotiated: the newest version both the daemon and stack know. */
  api: ApiVersion;
}

/** GET /version, as the Engine answers it (every field unvalidated: the caller parses what it reads). */
export type EngineVersionBody = Record<string, unknown>;
/** The query of `POST /build` stack sends (the Engine API's names). */
export interface BuildQuery {
  t: string;
  dockerfile: string;
  buildargs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  /** Remove intermediate containers, also after a failed step. */
  rm: boolean;
  forcerm: boolean;
}
/** One line of a pull's progress stream. */
interface PullProgress {
  error?: string;
  errorDetail?: { message?: string };
}

/** dockerode options for an endpoint: every connection field explicit (host and socketPath never both set). */
export function dockerOptions(endpoint: Endpoint): Docker.DockerOptions & { agent?: Agent } {
  switch (endpoint.kind) {
    case 'unix':
      return {
        agent: UNIX_SOCKET_AGENT,
        socketPath: endpoint.path,
        host: undefined,
        port: undefined,
        protocol: 'http',
        ca: undefined,
        cert: undefined,
        key: undefined,
      };
    case 'tcp': {
      const tls = endpoint.tls;
      return {
        socketPath: undefined,
        host: endpoint.host,
        port: endpoint.port,
        protocol: tls ? 'https' : 'http',
        ca: tls ? readFileSync(tls.ca) : undefined,
        cert: tls ? readFileSync(tls.cert) : undefined,
        key: tls ? readFileSync(tls.key) : undefined,
      };
    }
    case 'ssh':
      // The Engine API over an SSH channel (ssh/connection.ts): plain HTTP inside it, through the host's agent.
      return {
        socketPath: undefined,
        host: 'docker',
        port: undefined,
        protocol: 'http',
        ca: undefined,
        cert: undefined,
        key: undefined,
        agent: sshAgent(endpoint),
      };
    default: {
      const never: never = endpoint;
      throw new Error(`unsupported endpoint ${JSON.stringify(never)}`);
    }
  }
}

/**
 * A dockerode client for one endpoint that no environment variable can redirect. docker-modem's constructor
 * merges defaults it reads from DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_PATH_PREFIX and
 * DOCKER_CLIENT_TIMEOUT under the options it is given: a DOCKER_HOST=tcp://… sets `host`, which silences the
 * socketPath stack gave, and a DOCKER_CERT_PATH is read (or throws) whatever the endpoint. So the modem is made
 * without its constructor, every field the constructor sets given here (docker-modem 5;
 * test/unit/docker/endpoint-client.test.ts checks this list against the constructor's).
 */
export function dockerFor(endpoint: Endpoint): Docker {
  const o = dockerOptions(endpoint);
  const fields = {
    host: o.host,
    socketPath: o.socketPath,
    port: o.port,
    pathPrefix: undefined,
    username: undefined,
    password: undefined,
    version: undefined,
    key: o.key,
    cert: o.cert,
    ca: o.ca,
    timeout: undefined,
    connectionTimeout: undefined,
    checkServerIdentity: undefined,
    agent: o.agent,
    headers: {},
    sshOptions: {},
    protocol: o.protocol,
  };
  const modem = Object.assign(Object.create(BODY_SAFE_MODEM) as Modem, fields);
  return new Docker({ modem } as Docker.DockerOptions);
}

/** docker-modem's prototype with a dial that gets a create's options split (request-body.ts): no body in a URL. */
const BODY_SAFE_MODEM: object = (() => {
  type Dial = (this: unknown, options: DialOptions, callback?: (err: unknown, data?: unknown) => void) => unknown;
  const dial = (Modem.prototype as unknown as { dial: Dial }).dial;
  return Object.create(Modem.prototype, {
    dial: {
      value: function (this: unknown, options: DialOptions, callback?: (err: unknown, data?: unknown) => void) {
        return dial.call(this, splitBody(options), callback);
      },
      // Writable, so a wrapper (the fence's, below) can still put its own dial on a modem made from it.
      writable: true,
      configurable: true,
    },
  }) as object;
})();

function statusOf(err: unknown): number | undefined {
  return typeof (err as { statusCode?: unknown })?.statusCode === 'number'
    ? (err as { statusCode: number }).statusCode
    : undefined;
}

/** What a conflicting or failed write finds when it looks: the work is already done, or not. */
const NOT_DONE = Symbol('not done');

/** Engine calls that change nothing although they are not GETs: waiting for a container, attaching to it. */
const NOT_A_WRITE = /^\/containers\/[^/]+\/(wait|attach)(\?|$)/;

/**
 * Puts `fence` in front of the daemon's HTTP transport: every request that is not a GET (nor a wait or an
 * attach) is refused before it is sent once the fence is closed — the calls below, and anyone using `docker`
 * directly (the overlay's helper container) alike.
 */
function fenceWrites(docker: Docker, host: string, fence: Fence): void {
  type Dial = (
    options: { method?: string; path?: string },
    callback?: (err: unknown, data?: unknown) => void,
  ) => unknown;
  const modem = docker.modem as unknown as { dial: Dial };
  const dial: Dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    const method = (options.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD' && !NOT_A_WRITE.test(options.path ?? '')) {
      try {
        fence.check(`${method} ${(options.path ?? '').split('?')[0]} on host ${host}`);
      } catch (err) {
        if (callback) return callback(err);
        throw err;
      }
    }
    return dial(options, callback);
  };
}

export class HostClient {
  readonly counts: CallCounts = { reads: 0, writes: 0 };
  readonly docker: Docker;

  constructor(
    readonly name: string,
    docker: Docker,
    readonly faults: FaultSettings = DEFAULT_FAULT_SETTINGS,
    /** The run's lock: once it is lost, no write is sent (fence.ts). */
    readonly fence: Fence = UNFENCED,
    /**
     * Calls the transport carries at once: an ssh:// host's channels (more would wait inside the HTTP agent with
     * their time limits running); unbounded for a socket or TCP. The apply holds no more slots of this host.
     */
    readonly maxInFlight = Infinity,
    /** In `stack daemon`, the host's lists kept from run to run while its event stream is quiet (host-watch.ts). */
    private readonly watch?: HostWatch<EngineVersion>,
  ) {
    this.docker = docker;
    if (fence !== UNFENCED) fenceWrites(docker, name, fence);
  }

  static fromSpec(spec: HostSpec, faults: FaultSettings = DEFAULT_FAULT_SETTINGS, fence: Fence = UNFENCED): HostClient {
    const inFlight = spec.endpoint.kind === 'ssh' ? MAX_CHANNELS : Infinity;
    const watch = hostWatchFor<EngineVersion>(spec.endpoint);
    return new HostClient(spec.name, dockerFor(spec.endpoint), faults, fence, inFlight, watch);
  }

  /**
   * One Engine call with its time limit and retries. `ok` lists status codes that mean the work is
   * done; `done` looks (with reads) whether a failed write's work is done after all.
   */
  private async call<T>(
    kind: CallKind,
    action: string,
    target: string | undefined,
    fn: (signal: AbortSignal) => Promise<T>,
    options: { ok?: number[]; stopGraceSeconds?: number; done?: (err: unknown) => Promise<T | typeof NOT_DONE> } = {},
  ): Promise<T | undefined> {
    const limit = timeoutFor(kind, this.faults, options.stopGraceSeconds);
    let attempts = 0;
    try {
      return await withRetries(async () => {
        attempts++;
        if (kind !== 'read') this.fence.check(`${action}${target ? ` ${target}` : ''}`);
        if (kind === 'read') this.counts.reads++;
        else this.counts.writes++;
        if (kind !== 'read') this.watch?.drop();
        try {
          return await withTimeout(limit, fn);
        } catch (err) {
          const status = statusOf(err);
          if (status !== undefined && options.ok?.includes(status)) return undefined;
          if (options.done && classify(err) !== 'unreachable') {
            const found = await options.done(err).catch((): typeof NOT_DONE => NOT_DONE);
            if (found !== NOT_DONE) return found;
          }
          throw err;
        }
      }, this.faults);
    } catch (err) {
      throw new HostError(this.name, action, target, statusOf(err), err, classify(err), attempts);
    } finally {
      if (kind !== 'read') this.watch?.drop();
    }
  }

  /** The labels of a container, or undefined when there is none by that name. */
  private async containerLabels(name: string): Promise<Record<string, string> | undefined> {
    this.counts.reads++;
    try {
      const i = await withTimeout(this.faults.readTimeoutMs, () => this.docker.getContainer(name).inspect());
      return i.Config?.Labels ?? {};
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.call(
      'read',
      'ping',
      undefined,
      (abortSignal) => this.docker.ping({ abortSignal } as never) as unknown as Promise<unknown>,
    );
  }

  /**
   * GET /_ping (unversioned: every daemon answers it; src/docker/ping.ts), then every later call of this client goes to the
   * negotiated version's paths (`/v1.44/…`): each host is spoken to at its own version. A daemon too old for
   * stack, or an answer that is not a version, is an error naming the host. Asked once per client: a call while
   * one is on its way or after it succeeded (observe's host reads and its digest questions both wait for it) gets
   * the same answer; after a failure the next call asks again.
   */
  negotiate(): Promise<EngineVersion> {
    this.negotiated ??=
      this.watchedVersion() ??
      this.askVersion().catch((err: unknown) => {
        this.negotiated = undefined;
        throw err;
      });
    return this.negotiated;
  }
  private negotiated: Promise<EngineVersion> | undefined;
  /** The version the ping gave is set on the modem: every call from now on goes to its paths. */
  private known = false;

  /**
   * The API version this host was spoken to at by the stack's last apply (its newest revision keeps it): until the
   * ping answers, `early` reads go to that version's paths at once instead of waiting for it. Ignored when it is not a
   * version stack speaks, or once the version is being asked.
   */
  hintApi(text: string | undefined): void {
    const hint = parseApiVersion(text);
    if (!hint || this.negotiated) return;
    const speaks = negotiateApi(hint, undefined);
    if (!speaks.ok || compareApi(speaks.version, hint) !== 0) return;
    this.hint = hint;
    this.speak(hint);
  }
  private hint: ApiVersion | undefined;

  /** A hint is set and the ping has not answered yet: an `early` read goes now. */
  get hinted(): boolean {
    return !this.known && !!this.hint;
  }

  /**
   * A read at the host's API version. With a hint and the version not yet known it is sent at once, beside the ping,
   * and kept only if the ping says that same version (else asked again at the negotiated one); otherwise after the
   * ping. A host whose ping fails throws the ping's error either way.
   */
  async early<T>(read: () => Promise<T>): Promise<T> {
    const hint = this.known || this.watch?.knownVersion ? undefined : this.hint;
    if (!hint) {
      await this.negotiate();
      return read();
    }
    const answer = read();
    answer.catch(() => undefined); // awaited below when it is kept; dropped (and not unhandled) otherwise
    const { api } = await this.negotiate();
    return compareApi(api, hint) === 0 ? answer : read();
  }

  private async askVersion(): Promise<EngineVersion> {
    // Unversioned whatever the modem's version (a hint may have set one): every daemon answers /_ping.
    const unversioned = Object.create(this.docker.modem, { version: { value: undefined } }) as object;
    const headers = await this.call('read', 'version', undefined, (abortSignal) =>
      pingHeaders(unversioned as never, abortSignal),
    );
    const serverApi = parseApiVersion(headers?.['api-version']);
    if (!serverApi)
      throw new HostError(
        this.name,
        'version',
        undefined,
        undefined,
        new Error('the answer carries no Engine API version'),
      );
    const negotiated = negotiateApi(serverApi, undefined);
    if (!negotiated.ok)
      throw new HostError(
        this.name,
        'version',
        undefined,
        undefined,
        new Error(`${negotiated.reason}: upgrade its Engine`),
      );
    this.speak(negotiated.version);
    this.known = true;
    const version = { engine: engineOfServer(headers!.server), serverApi, api: negotiated.version };
    void this.watch?.open((opts) => this.docker.getEvents(opts), headers!.date, version);
    return version;
  }

  /** Every call of this client from now on goes to `version`'s paths (`/v1.44/…`). */
  private speak(version: ApiVersion): void {
    (this.docker.modem as unknown as { version?: string }).version = `v${formatApiVersion(version)}`;
  }

  /** The version the host's watch keeps (its stream open since a ping gave it), set on the modem; else undefined. */
  private watchedVersion(): Promise<EngineVersion> | undefined {
    const kept = this.watch?.knownVersion;
    if (!kept) return undefined;
    this.speak(kept.api);
    this.known = true;
    return Promise.resolve(kept);
  }

  /** A list from the host's watch when it keeps one, else read (and kept if nothing happened on the host meanwhile). */
  private async watched<T>(key: string, read: () => Promise<T>): Promise<T> {
    if (!this.watch) return read();
    const kept = this.watch.take<T>(key);
    if (kept !== undefined) return kept;
    const ticket = this.watch.ticket();
    const value = await read();
    this.watch.keep(key, ticket, value, read);
    return value;
  }

  /** GET /info: the daemon's configuration (cluster store, advertise address, …). */
  async info(): Promise<EngineInfoBody> {
    return (await this.call('read', 'info', undefined, () => this.docker.info() as Promise<EngineInfoBody>))!;
  }
  /** GET /version: Engine and API versions, OS, architecture, kernel. */
  async version(): Promise<EngineVersionBody> {
    return (await this.call(
      'read',
      'version',
      undefined,
      (abortSignal) => this.docker.version({ abortSignal } as never) as unknown as Promise<EngineVersionBody>,
    ))!;
  }
  async listContainers(filters: Filters): Promise<Docker.ContainerInfo[]> {
    return this.watched(
      listKey('containers', filters),
      async () =>
        (await this.call('read', 'list containers', undefined, (abortSignal) =>
          this.docker.listContainers({ all: true, filters, abortSignal }),
        )) ?? [],
    );
  }
  async listNetworks(filters: Filters): Promise<Docker.NetworkInspectInfo[]> {
    return this.watched(
      listKey('networks', filters),
      async () =>
        (await this.call('read', 'list networks', undefined, (abortSignal) =>
          this.docker.listNetworks({ filters, abortSignal }),
        )) ?? [],
    );
  }
  async listVolumes(filters: Filters): Promise<Docker.VolumeInspectInfo[]> {
    return this.watched(listKey('volumes', filters), async () => {
      const res = await this.call('read', 'list volumes', undefined, (abortSignal) =>
        this.docker.listVolumes({ filters, abortSignal }),
      );
      return res?.Volumes ?? [];
    });
  }
  async listImages(): Promise<Docker.ImageInfo[]> {
    return this.watched(
      listKey('images'),
      async () =>
        (await this.call('read', 'list images', undefined, (abortSignal) => this.docker.listImages({ abortSignal }))) ??
        [],
    );
  }
  async inspectContainer(name: string): Promise<Docker.ContainerInspectInfo> {
    return (await this.call('read', 'inspect container', name, (abortSignal) =>
      this.docker.getContainer(name).inspect({ abortSignal }),
    ))!;
  }
  /** The daemon's event stream for one container (counted as a read), to wake waits: see container-events.ts. */
  async watchContainer(name: string): Promise<ContainerEvents> {
    return (await this.call('read', 'watch events of container', name, (abortSignal) =>
      ContainerEvents.open((opts) => this.docker.getEvents(opts), name, abortSignal),
    ))!;
  }
  /** The manifest digest a tag points to now, asked through the daemon's distribution endpoint. */
  async distribution(image: string, auth?: AuthConfig): Promise<string> {
    const res = (await this.call('read', 'resolve digest of', image, (abortSignal) =>
      this.docker.getImage(image).distribution({ ...(auth ? { authconfig: auth } : {}), abortSignal }),
    ))!;
    return res.Descriptor.digest;
  }
  async pull(image: string, auth?: AuthConfig, platform?: string): Promise<void> {
    await this.call('pull', 'pull', platform ? `${image} for ${platform}` : image, async (abortSignal) => {
      const options = { ...(auth ? { authconfig: auth } : {}), ...(platform ? { platform } : {}), abortSignal };
      const stream = await this.docker.pull(image, options);
      const output = await new Promise<PullProgress[]>((resolve, reject) => {
        abortSignal.addEventListener(
          'abort',
          () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(),
          { once: true },
        );
        this.docker.modem.followProgress(stream, (err: Error | null, out: PullProgress[]) =>
          err ? reject(err) : resolve(out),
        );
      });
      const failed = output.find((o) => o.error || o.errorDetail);
      if (failed) throw new Error(failed.error ?? failed.errorDetail?.message);
    });
  }
  /**
   * `POST /build` (the classic builder) with the context as a tar; each line of its output is handed to `onLine`.
   * A step that fails ends the stream with an error: thrown with the daemon's message. Not retried (a write).
   */
  async build(
    context: Buffer,
    query: BuildQuery,
    onLine: (line: string) => void,
    registryconfig?: Record<string, AuthConfig>,
  ): Promise<void> {
    await this.call('pull', 'build', query.t, async (abortSignal) => {
      const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
        this.docker.modem.dial(
          {
            path: '/build?',
            method: 'POST',
            file: context,
            options: query,
            ...(registryconfig && Object.keys(registryconfig).length ? { registryconfig } : {}),
            headers: { 'Content-Type': 'application/x-tar' },
            abortSignal,
            isStream: true,
            statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
          },
          (err: unknown, data: unknown) =>
            err
              ? reject(err instanceof Error ? err : new Error(JSON.stringify(err)))
              : resolve(data as NodeJS.ReadableStream),
        ),
      );
      await this.followStream(stream, abortSignal, (event) => {
        if (typeof event.stream === 'string') onLine(event.stream);
      });
    });
  }

  /** `POST /images/NAME/push` of one tag; the manifest digest the registry answered (the stream's last aux). */
  async push(repo: string, tag: string, auth: AuthConfig | undefined, onLine: (line: string) => void): Promise<string> {
    const digest = await this.call('pull', 'push', `${repo}:${tag}`, async (abortSignal) => {
      const stream = await this.docker.getImage(repo).push({ tag, authconfig: auth ?? {}, abortSignal });
      let found: string | undefined;
      await this.followStream(stream, abortSignal, (event) => {
        const aux = event.aux as { Digest?: unknown } | undefined;
        if (typeof aux?.Digest === 'string') found = aux.Digest;
        else if (typeof event.status === 'string' && !event.progressDetail) onLine(event.status);
      });
      return found;
    });
    if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest))
      throw new HostError(this.name, 'push', `${repo}:${tag}`, undefined, new Error('the daemon reported no digest'));
    return digest;
  }

  /** Reads a JSON-lines progress stream to its end; an `error` line throws with the daemon's message. */
  private async followStream(
    stream: NodeJS.ReadableStream,
    abortSignal: AbortSignal,
    onEvent: (event: Record<string, unknown>) => void,
  ): Promise<void> {
    abortSignal.addEventListener(
      'abort',
      () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(),
      { once: true },
    );
    let failure: string | undefined;
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (event: Record<string, unknown>) => {
          const detail = event.errorDetail as { message?: unknown } | undefined;
          if (typeof event.error === 'string' || detail) failure ??= String(event.error ?? detail?.message);
          else onEvent(event);
        },
      );
    });
    if (failure !== undefined) throw new Error(failure.trim());
  }

  async createNetwork(body: Docker.NetworkCreateOptions): Promise<void> {
    await this.call(
      'write',
      'create network',
      body.Name,
      (abortSignal) => this.docker.createNetwork({ ...body, abortSignal }),
      {
        done: async (err) => {
          if (statusOf(err) !== 409 && !/already exists/i.test(errorMessage(err))) return NOT_DONE;
          this.counts.reads++;
          const found = await withTimeout(this.faults.readTimeoutMs, () =>
            this.docker.listNetworks({ filters: { name: [body.Name] } }),
          );
          const same = found.find(
            (n) =>
              n.Name === body.Name && sameLabels(n.Labels, body.Labels, [Labels.stack, Labels.owner, Labels.network]),
          );
          return same ? undefined : NOT_DONE;
        },
      },
    );
  }
  async removeNetwork(name: string): Promise<void> {
    await this.call(
      'write',
      'remove network',
      name,
      (abortSignal) => this.docker.getNetwork(name).remove({ abortSignal }),
      { ok: [404] },
    );
  }
  async createVolume(body: Docker.VolumeCreateOptions): Promise<void> {
    await this.call('write', 'create volume', body.Name, (abortSignal) =>
      this.docker.createVolume({ ...body, abortSignal } as Docker.VolumeCreateOptions),
    );
  }
  async removeVolume(name: string): Promise<void> {
    await this.call(
      'write',
      'remove volume',
      name,
      (abortSignal) => this.docker.getVolume(name).remove({ abortSignal }),
      { ok: [404] },
    );
  }
  async createContainer(name: string, body: Docker.ContainerCreateOptions): Promise<string> {
    const c = await this.call(
      'write',
      'create container',
      name,
      (abortSignal) => this.docker.createContainer({ ...body, name, abortSignal }),
      {
        // A name in use by our own container with the same labels (a retried or repeated create): done.
        done: async (err) => {
          if (statusOf(err) !== 409) return NOT_DONE;
          const labels = await this.containerLabels(name);
          return labels &&
            sameLabels(labels, body.Labels, [
              Labels.managed,
              Labels.stack,
              Labels.owner,
              Labels.service,
              Labels.slot,
              Labels.configHash,
              Labels.replaceRole,
            ])
            ? ({ id: name } as unknown as Docker.Container)
            : NOT_DONE;
        },
      },
    );
    return c?.id ?? name;
  }
  async connectNetwork(network: string, body: Docker.NetworkConnectOptions): Promise<void> {
    await this.call(
      'write',
      `connect ${body.Container} to network`,
      network,
      (abortSignal) =>
        this.docker.getNetwork(network).connect({ ...body, abortSignal } as Docker.NetworkConnectOptions),
      {
        done: (err) =>
          Promise.resolve(
            /already exists in network|already connected/i.test(errorMessage(err)) ? undefined : NOT_DONE,
          ),
      },
    );
  }
  /** Takes a container off a network (its names leave the network's DNS); not connected counts as done. */
  async disconnectNetwork(network: string, container: string): Promise<void> {
    await this.call(
      'write',
      `disconnect ${container} from network`,
      network,
      (abortSignal) =>
        this.docker
          .getNetwork(network)
          .disconnect({ Container: container, Force: false, abortSignal }) as Promise<unknown>,
      {
        ok: [404],
        done: (err) => Promise.resolve(/is not connected/i.test(errorMessage(err)) ? undefined : NOT_DONE),
      },
    );
  }
  async start(name: string): Promise<void> {
    const once = () =>
      this.call(
        'write',
        'start container',
        name,
        (abortSignal) => this.docker.getContainer(name).start({ abortSignal }) as Promise<unknown>,
        { ok: [304] },
      );
    // A network the daemon does not see yet (see NETWORK_NOT_FOUND): asked again with back-off, `retries` times.
    const start = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once();
        } catch (err) {
          if (!NETWORK_NOT_FOUND.test(errorMessage(err)) || attempt > this.faults.retries) throw err;
          await new Promise((r) => setTimeout(r, backoffMs(attempt, this.faults)));
        }
      }
    };
    try {
      await start();
    } catch (err) {
      // dockerd 20.10 with a cluster store can keep a dead endpoint of this very container in the store (after a
      // start that failed half-way); `docker network disconnect -f` is the known cure: remove it, start again.
      const stale = staleEndpoint(errorMessage(err));
      if (!stale || stale.container !== name) throw err;
      await this.call(
        'write',
        `remove stale endpoint ${name} from network`,
        stale.network,
        (abortSignal) =>
          this.docker
            .getNetwork(stale.network)
            .disconnect({ Container: name, Force: true, abortSignal }) as Promise<unknown>,
      );
      await start();
    }
  }
  async stop(name: string, timeoutSeconds?: number): Promise<void> {
    await this.call(
      'stop',
      'stop container',
      name,
      (abortSignal) =>
        this.docker
          .getContainer(name)
          .stop({ ...(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }), abortSignal }),
      {
        ok: [304],
        stopGraceSeconds: timeoutSeconds,
      },
    );
  }
  async remove(name: string, options: { force: boolean; volumes: boolean }): Promise<void> {
    await this.call(
      'write',
      'remove container',
      name,
      (abortSignal) => this.docker.getContainer(name).remove({ force: options.force, v: options.volumes, abortSignal }),
      {
        ok: [404],
        done: (err) => Promise.resolve(/already in progress/i.test(errorMessage(err)) ? undefined : NOT_DONE),
      },
    );
  }
  async rename(name: string, newName: string): Promise<void> {
    await this.call(
      'write',
      `rename container to ${newName}`,
      name,
      (abortSignal) => this.docker.getContainer(name).rename({ name: newName, abortSignal }),
      {
        // Already renamed (a retried rename): the old name is gone and the new one is ours.
        done: async (err) => {
          const status = statusOf(err);
          if (status !== 404 && status !== 409) return NOT_DONE;
          if (await this.containerLabels(name)) return NOT_DONE;
          const labels = await this.containerLabels(newName);
          return labels?.[Labels.managed] === 'true' ? undefined : NOT_DONE;
        },
      },
    );
  }
  /** POST /containers/{id}/update: dockerode types the body as any object. */
  async update(name: string, body: object): Promise<void> {
    await this.call('write', 'update container', name, (abortSignal) =>
      this.docker.getContainer(name).update({ ...body, abortSignal }),
    );
  }
  async putArchive(name: string, path: string, archive: Buffer): Promise<void> {
    await this.call('write', 'put archive into', name, (abortSignal) =>
      this.docker.getContainer(name).putArchive(archive, { path, abortSignal }),
    );
  }
}

/** Do two label sets agree on these keys? */
export function sameLabels(
  have: Record<string, string> | undefined,
  want: Record<string, string> | undefined,
  keys: readonly string[],
): boolean {
  if (!have || !want) return false;
  return keys.every((k) => have[k] === want[k]);
}

/** One client per host, by name. */
export function clientsFor(
  hosts: readonly HostSpec[],
  faults: FaultSettings = DEFAULT_FAULT_SETTINGS,
  fence: Fence = UNFENCED,
): Map<string, HostClient> {
  return new Map(hosts.map((h) => [h.name, HostClient.fromSpec(h, faults, fence)]));
}
