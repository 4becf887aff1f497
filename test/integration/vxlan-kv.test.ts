/**
 * Overlay allocation against the vx sandbox's real Consul: racing allocations never share a VNI, a
 * subnet or a lease; release gives everything back; an unreachable Consul is an error before any write.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { ConsulOverlayStore } from '../../src/overlay/store.js';
import { ConsulClient, ConsulUnreachableError } from '../../src/consul/client.js';
import { ensureAllocation, releaseAllocation } from '../../src/overlay/allocate.js';
import { KV_ROOT } from '../../src/overlay/state.js';
import { sandboxInstanceUp, VX_UP_ARGS } from '../helpers/sandbox.js';
import { endpointOf } from '../helpers/endpoint.js';

const vx = sandboxInstanceUp('vx', VX_UP_ARGS);
const store = () => new ConsulOverlayStore(new ConsulClient({ address: vx.consul.http, source: 'inventory' }));
const stackName = () => `tkv${randomBytes(3).toString('hex')}`;

test('eight applies allocating new networks at once get eight distinct VNIs and subnets', async (t) => {
  const stacks = Array.from({ length: 8 }, stackName);
  t.teardown(() => Promise.all(stacks.map((s) => releaseAllocation(store(), s, 'net'))));
  const results = await Promise.all(
    stacks.map((s) =>
      ensureAllocation(store(), { stack: s, key: 'net', name: `${s}_net`, hosts: { h1: '10.77.25.11' } }),
    ),
  );
  t.is(new Set(results.map((r) => r.allocation.vni)).size, 8);
  t.is(new Set(results.map((r) => r.allocation.subnet)).size, 8);
  // What Consul holds agrees: each claim names its own network.
  const kv = await store().list(KV_ROOT);
  for (const [i, r] of results.entries()) {
    t.is(kv.find((e) => e.key === `${KV_ROOT}vni/${r.allocation.vni}`)?.value, `${stacks[i]}/net`);
    t.is(
      kv.find((e) => e.key === `${KV_ROOT}subnet/${r.allocation.subnet.replace('/', '_')}`)?.value,
      `${stacks[i]}/net`,
    );
  }
});

test('hosts leasing in one network at once get distinct slots; a repeated request changes nothing', async (t) => {
  const s = stackName();
  t.teardown(() => releaseAllocation(store(), s, 'net'));
  const hosts = ['h1', 'h2', 'h3', 'h4'];
  const results = await Promise.all(
    hosts.map((h, i) =>
      ensureAllocation(store(), { stack: s, key: 'net', name: `${s}_net`, hosts: { [h]: `10.77.25.${11 + i}` } }),
    ),
  );
  t.is(new Set(results.map((r) => r.allocation.vni)).size, 1, 'one network, one VNI');
  const leases = results.map((r, i) => r.leases[hosts[i]]);
  t.is(new Set(leases.map((l) => l.slot)).size, 4);
  t.is(new Set(leases.map((l) => l.range)).size, 4);
  const before = await store().list(`${KV_ROOT}networks/${s}/`);
  const again = await ensureAllocation(store(), {
    stack: s,
    key: 'net',
    name: `${s}_net`,
    hosts: Object.fromEntries(hosts.map((h, i) => [h, `10.77.25.${11 + i}`])),
  });
  t.is(again.attempts, 1);
  t.deepEqual(await store().list(`${KV_ROOT}networks/${s}/`), before, 'no write when everything is held');
});

test('release removes the claims and the leases', async (t) => {
  const s = stackName();
  const r = await ensureAllocation(store(), {
    stack: s,
    key: 'net',
    name: `${s}_net`,
    hosts: { h1: '10.77.25.11', h2: '10.77.25.12' },
  });
  await releaseAllocation(store(), s, 'net');
  const kv = await store().list(KV_ROOT);
  t.false(kv.some((e) => e.key.startsWith(`${KV_ROOT}networks/${s}/`)));
  t.false(kv.some((e) => e.key === `${KV_ROOT}vni/${r.allocation.vni}` && e.value === `${s}/net`));
  t.false(kv.some((e) => e.value === `${s}/net`));
});

test('an unreachable Consul is an error that names it, and nothing is written', async (t) => {
  const s = stackName();
  const down = new ConsulOverlayStore(
    new ConsulClient(
      { address: `http://${vx.infra.ip}:1`, source: 'inventory' },
      { timeoutMs: 2_000, leaderWaitMs: 0 },
    ),
  );
  const err = await t.throwsAsync(
    ensureAllocation(down, { stack: s, key: 'net', name: `${s}_net`, hosts: { h1: '10.77.25.11' } }),
    { instanceOf: ConsulUnreachableError },
  );
  t.regex(err.message, new RegExp(`Consul at http://${vx.infra.ip.replace(/\./g, '\\.')}:1 is unreachable`));
  t.deepEqual(await store().list(`${KV_ROOT}networks/${s}/`), []);
});

test('a host step whose allocation is missing in Consul fails naming it, and creates nothing', async (t) => {
  const s = stackName();
  const { runOverlayOperation } = await import('../../src/apply/operations/overlay.js');
  const { HostClient } = await import('../../src/docker/client.js');
  const h1 = vx.hosts[0];
  const client = HostClient.fromSpec({ name: 'h1', endpoint: endpointOf(h1.tcp, h1.tls), labels: {} });
  const op = {
    id: 'h1 create network x',
    kind: 'overlay.bridge' as const,
    host: 'h1',
    resource: 'network:net',
    cause: '',
    deps: [],
    params: { stack: s, key: 'net', name: `${s}_net`, host: 'h1' },
    write: true,
  };
  await t.throwsAsync(runOverlayOperation(op, client, store()), {
    message: `overlay ${s}/net: no allocation or lease for h1 in Consul (run apply again)`,
  });
  t.false((await client.docker.listNetworks()).some((n) => n.Name === `${s}_net`));
});

test('a helper whose program fails: the error carries the host, the purpose, the exit code and the output', async (t) => {
  const { runHelper, programTask, unprogramTask } = await import('../../src/overlay/helper.js');
  const { HostClient } = await import('../../src/docker/client.js');
  const h2 = vx.hosts[1];
  const client = HostClient.fromSpec({ name: 'h2', endpoint: endpointOf(h2.tcp, h2.tls), labels: {} });
  // VNI 16777201 has no bridge stbr16777201 on h2, so the program stops at `ip link set … master`.
  t.teardown(() => runHelper(client, vx.images.helper, unprogramTask(16777201, 'test'), 'test cleanup', 'tkv'));
  const task = programTask({ vni: 16777201, local: h2.ip, mtu: 1450, peers: [] }, 'test');
  await t.throwsAsync(runHelper(client, vx.images.helper, task, 'test', 'tkv'), {
    message: /^host h2: overlay helper \(test\) exited 255: .*"stbr16777201" is wrong: Device does not exist/,
  });
});
