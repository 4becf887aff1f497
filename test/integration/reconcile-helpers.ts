/** Shared by the reconcile integration tests: sandbox hosts, unique stack names, deploy, inspect, events. */
import { randomBytes } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import Docker from 'dockerode';
import type { DesiredState, HostSpec, ServiceSpec } from '../../src/stack/types.js';
import {
  planStack as planStackAs,
  applyPlanned,
  type PipelineOptions,
  type Planned,
} from '../../src/apply/pipeline.js';
import { LocalStateStore } from '../../src/state/local-store.js';
import type { StackOwner } from '../../src/labels.js';
import { stateDir } from './cli-helpers.js';
import type { ApplyEvent, ApplyResult } from '../../src/apply/index.js';
import { dockerOptions } from '../../src/docker/client.js';
import type { Plan } from '../../src/plan/types.js';
import { Labels } from '../../src/labels.js';
import { sandbox as readSandbox, sandboxSsh, type Sandbox } from '../helpers/sandbox.js';
import { HostEventRecorder } from './event-recorder.js';
import { desired as buildDesired } from '../unit/plan/helpers.js';
import { endpointOf, sshEndpointOf } from '../helpers/endpoint.js';
import type { CredentialSource } from '../../src/docker/auth.js';

export { service, network } from '../unit/plan/helpers.js';

/** The hosts ordinary tests deploy to: pool=main (h1-h3); h4 is kept for tests that stop a daemon. */
export function sandbox(): Sandbox {
  const all = readSandbox();
  return { ...all, hosts: all.hosts.filter((h) => (h.labels.pool ?? 'main') === 'main') };
}

export type Transport = 'socket' | 'tls' | 'ssh';

export function hostSpecs(transport: Transport): HostSpec[] {
  const s = sandbox();
  return s.hosts.map((h) => ({
    name: h.name,
    endpoint:
      transport === 'socket'
        ? endpointOf(h.socket)
        : transport === 'tls'
          ? endpointOf(h.tcp, h.tls)
          : sshEndpointOf(sandboxSsh().hosts[h.name], sandboxSsh()),
    labels: h.labels ?? {},
  }));
}

export function docker(host: string, transport: Transport = 'socket'): Docker {
  return new Docker(dockerOptions(hostSpecs(transport).find((h) => h.name === host)!.endpoint));
}

export function uniqueStack(prefix: string): string {
  return `t${prefix}${randomBytes(3).toString('hex')}`;
}

export const IMAGE = () => sandbox().images.busybox;

export function desiredFor(
  name: string,
  services: ServiceSpec[],
  transport: Transport,
  over: Partial<DesiredState> = {},
): DesiredState {
  return buildDesired(services, { name, hosts: hostSpecs(transport), ...over });
}

const identities = new LocalStateStore(stateDir);

/** The identity a stack of this test process acts as (the CLI runs of cli-helpers.ts keep theirs in the same place). */
export function testOwner(stack: string): Promise<StackOwner> {
  return identities.claimIdentity(stack);
}

/** The library's planStack, as the stack's owner (testOwner) unless the test names another. */
export async function planStack(d: DesiredState, options: PipelineOptions = {}): Promise<Planned> {
  return planStackAs(d, { owner: await testOwner(d.name), ...options });
}

export interface Deployed {
  plan: Plan;
  result?: ApplyResult;
  events: ApplyEvent[];
}

export async function deploy(
  d: DesiredState,
  options: {
    refresh?: boolean;
    destroy?: boolean;
    pruneVolumes?: boolean;
    credentials?: CredentialSource;
    owner?: StackOwner;
  } = {},
): Promise<Deployed> {
  const planned = await planStack(d, options);
  const errors = planned.plan.diagnostics.filter((x) => x.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.summary).join('; '));
  const events: ApplyEvent[] = [];
  if (!planned.plan.operations.length) return { plan: planned.plan, events };
  const result = await applyPlanned(d, planned, { event: (e) => events.push(e) });
  return { plan: planned.plan, result, events };
}

/** Removes everything of the stack on every host, named volumes included. */
export function cleanup(t: ExecutionContext, d: DesiredState): void {
  t.teardown(async () => {
    await deploy(d, { destroy: true, pruneVolumes: true }).catch(() => undefined);
  });
}

export interface Found {
  host: string;
  info: Docker.ContainerInfo;
}

/** Every container of a stack on every host, by name (list calls straight on the daemons). */
export async function containersOf(stack: string): Promise<Map<string, Found>> {
  const out = new Map<string, Found>();
  await Promise.all(
    sandbox().hosts.map(async (h) => {
      const list = await docker(h.name).listContainers({ all: true, filters: { label: [`${Labels.stack}=${stack}`] } });
      for (const info of list) out.set(info.Names[0].slice(1), { host: h.name, info });
    }),
  );
  return out;
}

export async function inspect(host: string, name: string): Promise<Docker.ContainerInspectInfo> {
  return docker(host).getContainer(name).inspect();
}

/** The container's stdout+stderr so far (demultiplexed loosely: frame headers dropped). */
export async function logs(host: string, name: string): Promise<string> {
  const buf = await docker(host).getContainer(name).logs({ stdout: true, stderr: true });
  const parts: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length;) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Polls until check returns a truthy value, or throws at the deadline; explain, when given, says what was
 * seen instead (appended to the error, so a failure in CI tells why).
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  what = 'condition',
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) {
      const seen = explain ? await explain().catch((e: unknown) => `(explain failed: ${String(e)})`) : undefined;
      throw new Error(`timed out waiting for ${what}${seen ? `; seen: ${seen}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const WRITE_ACTIONS =
  /^(create|start|stop|kill|die|destroy|rename|update|connect|disconnect|pull|tag|mount|unmount|remove|restart|pause|unpause)$/;

/** A raw Engine event as the events endpoint sends it. */
export interface EngineEvent {
  Type: string;
  Action: string;
  timeNano: number | string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

let recorder: HostEventRecorder | undefined;
try {
  // Started when a test file loads these helpers, so the tests' windows are recorded live (event-recorder.ts).
  recorder = new HostEventRecorder(sandbox().hosts.map((h) => ({ name: h.name, docker: docker(h.name) })));
} catch {
  recorder = undefined; // no sandbox described: hostEvents asks the daemons (the tests themselves will say why)
}

/**
 * Now (ms), as the start of a window of events to read later with hostEvents: first waits for the event streams of
 * every host to connect (they connect in the background; a window that starts before that is asked of the daemons,
 * which keep only their last 256 events each — too few under a parallel suite's health probes).
 */
export async function eventWindowStart(): Promise<number> {
  await recorder?.covers(Infinity);
  return Date.now();
}

/** Engine events of every host from `since` (ms) to now, optionally filtered (type, label), each with its host. */
export async function hostEvents(
  since: number,
  filters: Record<string, string[]> = {},
): Promise<{ host: string; event: EngineEvent }[]> {
  if (recorder && (await recorder.covers(since))) {
    try {
      return await recorder.events(since, filters);
    } catch (err) {
      if (!recorder.incomplete) throw err; // a daemon restarted meanwhile: ask the daemons, as below
    }
  }
  const until = Math.floor(Date.now() / 1000) + 1;
  const all = await Promise.all(
    sandbox().hosts.map(async (h) => {
      const stream = await docker(h.name).getEvents({ since: Math.floor(since / 1000) - 1, until, filters });
      const text = await new Promise<string>((resolve, reject) => {
        let s = '';
        stream.on('data', (d: Buffer) => (s += d.toString()));
        stream.on('end', () => resolve(s));
        stream.on('error', reject);
      });
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as EngineEvent)
        .filter((e) => Number(e.timeNano) >= since * 1e6)
        .map((event) => ({ host: h.name, event }));
    }),
  );
  return all.flat();
}

/** Engine events on every host between since and now that concern the stack (containers, networks, volumes named after it). */
export async function stackEvents(
  stack: string,
  since: number,
): Promise<{ host: string; Type: string; Action: string; name: string }[]> {
  return (await hostEvents(since))
    .map(({ host, event: e }) => ({
      host,
      Type: e.Type,
      Action: String(e.Action).split(':')[0],
      name: String(e.Actor?.Attributes?.name ?? e.Actor?.ID ?? ''),
      labels: e.Actor?.Attributes ?? {},
    }))
    .filter(
      (e) =>
        e.labels[Labels.stack] === stack ||
        e.name.startsWith(stack) ||
        (e.Type === 'network' && String(e.labels.name ?? '').startsWith(stack)),
    )
    .filter((e) => WRITE_ACTIONS.test(e.Action));
}

/** Runs a command in a running container (tty, so the output is not multiplexed); exit code and output. */
export async function execIn(
  host: string,
  container: string,
  cmd: string[],
): Promise<{ exitCode: number; output: string }> {
  const exec = await docker(host)
    .getContainer(container)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
  const output = await new Promise<string>((resolve, reject) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString('utf8')));
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: output.replace(/\r/g, '') };
}

/**
 * What an engine overlay looks like when a name does not resolve or answer in time: the lookup from inside
 * the client container, and on each host the network's id and its local endpoints (name and address).
 */
export async function describeOverlay(
  net: string,
  from: { host: string; container: string; lookup: string },
  hosts = ['h1', 'h2', 'h3'],
): Promise<string> {
  const lookup = await execIn(from.host, from.container, ['nslookup', from.lookup]).catch((e: unknown) => ({
    exitCode: -1,
    output: String(e),
  }));
  const parts = [`nslookup ${from.lookup} on ${from.host}: ${lookup.output.replace(/\s+/g, ' ').trim()}`];
  for (const h of hosts) {
    const info = await docker(h)
      .getNetwork(net)
      .inspect()
      .catch((e: unknown) => ({ error: String(e) }));
    if ('error' in info) {
      parts.push(`${h}: ${info.error}`);
      continue;
    }
    const eps = Object.values((info.Containers ?? {}) as Record<string, { Name: string; IPv4Address: string }>).map(
      (c) => `${c.Name}=${c.IPv4Address}`,
    );
    parts.push(`${h}: ${String(info.Id).slice(0, 12)} [${eps.join(', ')}]`);
  }
  return parts.join('; ');
}
