/**
 * Sixteen hosts (the `s16` sandbox instance: 16 dockerd, brought up here when it is not running): the ordinary
 * cycle — apply, no-op, one service changed, no-op — converges on every host, and a no-op reads per host what it
 * reads at three hosts (observing costs per host: neither the other hosts nor their containers add reads).
 * Not timings: counts of containers, Engine calls (the apply's --json summary) and what the daemons run.
 */
import test from 'ava';
import Docker from 'dockerode';
import { Labels } from '../../src/labels.js';
import { S16_UP_ARGS, sandboxInstanceUp, type Sandbox, type SandboxHost } from '../helpers/sandbox.js';
import { ensureBuilt, runStack, writeDir } from './cli-helpers.js';
import { uniqueStack } from './reconcile-helpers.js';

const s16: Sandbox = sandboxInstanceUp('s16', S16_UP_ARGS);
const ALL = s16.hosts;
test.before(() => {
  if (ALL.length !== 16) throw new Error(`the s16 sandbox runs ${ALL.length} hosts, not 16`);
  ensureBuilt();
});

/** The hosts over their unix sockets, with the instance's Consul as the state store. */
function inventory(hosts: SandboxHost[]): string {
  return `hosts:\n${hosts.map((h) => `  ${h.name}: { endpoint: "${h.socket}" }`).join('\n')}\nconsul: ${s16.consul.http}\n`;
}

/** Two services of one replica per host; `rev` is web's environment (worker never changes). */
function stackFile(name: string, replicas: number, rev = '1'): string {
  const service = (env: string) => `
    image: ${s16.images.busybox}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    environment: { REV: "${env}" }
    stop_grace_period: 1s
    deploy:
      replicas: ${replicas}
      update_config: { parallelism: 0, monitor: 1s }`;
  return `name: ${name}\nservices:\n  web:${service(rev)}\n  worker:${service('1')}\n`;
}

interface Summary {
  type: 'summary';
  ok: boolean;
  calls: Record<string, { reads: number; writes: number }>;
}
interface Applied {
  summary: Summary;
  created: number;
}

async function apply(dir: string): Promise<Applied> {
  const r = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  if (r.code !== 0) throw new Error(`stack apply exited ${r.code}: ${r.stderr}`);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; op?: { kind: string } });
  const summary = events.at(-1) as unknown as Summary;
  const created = events.filter((e) => e.type === 'op-done' && e.op?.kind === 'container.create').length;
  return { summary, created };
}

const engineOf = (h: SandboxHost) => new Docker({ socketPath: h.socket.replace(/^unix:\/\//, '') });

/** Per host: its running containers of the stack, as `service:REV` (REV from the container's environment), sorted. */
async function running(stack: string, hosts: SandboxHost[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  await Promise.all(
    hosts.map(async (h) => {
      const e = engineOf(h);
      const list = await e.listContainers({ filters: { label: [`${Labels.stack}=${stack}`] } });
      const seen = await Promise.all(
        list.map(async (c) => {
          const env = (await e.getContainer(c.Id).inspect()).Config.Env ?? [];
          return `${c.Labels[Labels.service]}:${env.find((v) => v.startsWith('REV='))?.slice(4)}`;
        }),
      );
      out[h.name] = seen.sort();
    }),
  );
  return out;
}

const everyHost = (hosts: SandboxHost[], value: string[]) => Object.fromEntries(hosts.map((h) => [h.name, value]));
const reads = (s: Summary) => Object.fromEntries(Object.entries(s.calls).map(([h, c]) => [h, c.reads]));

function cleanup(t: { teardown: (f: () => Promise<void>) => void }, dir: string): void {
  t.teardown(async () => {
    await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).catch(() => undefined);
  });
}

test.serial('16 hosts: apply, a no-op without writes, one changed service replaced on every host, no-op', async (t) => {
  const name = uniqueStack('s16');
  const dir = writeDir({ 'compose.yaml': stackFile(name, 16), 'inventory.yaml': inventory(ALL) });
  cleanup(t, dir);

  const cold = await apply(dir);
  t.true(cold.summary.ok);
  t.is(cold.created, 32, 'a web and a worker on each of 16 hosts');
  t.deepEqual(Object.keys(cold.summary.calls).sort(), ALL.map((h) => h.name).sort());
  t.deepEqual(await running(name, ALL), everyHost(ALL, ['web:1', 'worker:1']));

  const noop = await apply(dir);
  for (const h of ALL) t.is(noop.summary.calls[h.name].writes, 0, `${h.name} wrote in a no-op`);
  t.is(noop.created, 0);

  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${dir}/compose.yaml`, stackFile(name, 16, '2'));
  const change = await apply(dir);
  t.true(change.summary.ok);
  t.is(change.created, 16, "web's 16 replicas replaced, worker's left");
  t.deepEqual(await running(name, ALL), everyHost(ALL, ['web:2', 'worker:1']));

  const after = await apply(dir);
  for (const h of ALL) t.is(after.summary.calls[h.name].writes, 0, `${h.name} wrote in the no-op after the change`);
});

test.serial("a no-op's reads per host are the same at 3 and at 16 hosts", async (t) => {
  const few = ALL.slice(0, 3);
  const small = uniqueStack('s3');
  const big = uniqueStack('s16r');
  const smallDir = writeDir({ 'compose.yaml': stackFile(small, 3), 'inventory.yaml': inventory(few) });
  const bigDir = writeDir({ 'compose.yaml': stackFile(big, 16), 'inventory.yaml': inventory(ALL) });
  cleanup(t, smallDir);
  cleanup(t, bigDir);
  await apply(smallDir);
  await apply(bigDir);
  const at3 = reads((await apply(smallDir)).summary);
  const at16 = reads((await apply(bigDir)).summary);
  // Every host reads the same, and one of them (the first whose ping answered) also asks for the image's digest.
  const perHost = (byHost: Record<string, number>, hosts: number) => {
    const counts = Object.values(byHost);
    const least = Math.min(...counts);
    t.is(counts.length, hosts);
    t.deepEqual(
      counts.filter((c) => c !== least),
      [least + 1],
      `one host asked the digest: ${JSON.stringify(byHost)}`,
    );
    return least;
  };
  t.is(perHost(at16, 16), perHost(at3, 3), 'a host reads as much at 16 hosts as at 3');
});
