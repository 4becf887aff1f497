/**
 * Subnets of stack's own overlay on the vx sandbox (no cluster store): a pool subnet avoids a network that
 * already exists on a host; a fixed `ipam` subnet is the network's on every host, claimed in Consul; a stack
 * asking for an overlapping one is refused at plan time naming both, and an allocation asking for it fails
 * naming the holder, writing nothing.
 */
import test from 'ava';
import { randomInt } from 'node:crypto';
import { Labels } from '../../src/labels.js';
import { KV_ROOT, parseKv } from '../../src/overlay/state.js';
import { cidrOverlaps, intToIp, ipToInt, networkCount, networkSubnet } from '../../src/overlay/pool.js';
import { AllocationError, ensureAllocation } from '../../src/overlay/allocate.js';
import { eventually, planStack } from './reconcile-helpers.js';
import {
  api,
  cleanupVx,
  deploy,
  docker,
  exec,
  ipOf,
  onHost,
  overlayNetwork,
  service,
  store,
  uniqueStack,
  vxDesired,
  IMAGE,
} from './vxlan-helpers.js';
import type { DesiredState } from '../../src/stack/types.js';

const subnetOn = async (host: string, network: string) =>
  (await docker(host).getNetwork(network).inspect()).IPAM!.Config![0] as {
    Subnet: string;
    IPRange: string;
    Gateway: string;
  };

function twoHosts(name: string, ipam?: { subnet: string }): DesiredState {
  return vxDesired(
    name,
    [
      service('api', api({ replicas: 1, constraints: onHost('h2') })),
      service('web', {
        image: IMAGE,
        command: ['sleep', '3600'],
        stopGracePeriodNs: 1e9,
        deploy: { constraints: onHost('h1') },
      }),
    ],
    { networks: { default: { ...overlayNetwork('default', name), ...(ipam ? { ipam: { config: [ipam] } } : {}) } } },
  );
}

/** The pool's next unclaimed subnet, or a later one when another test file's apply took it meanwhile. */
async function handmadeInNextPoolSubnet(handmade: string): Promise<{ next: string; inside: string }> {
  const tried = new Set<string>();
  for (let attempt = 0; attempt < 8; attempt++) {
    const kv = parseKv(await store().list(KV_ROOT));
    const claims = [...kv.subnets.keys()];
    const next = Array.from({ length: networkCount(kv.pool) }, (_, i) => networkSubnet(kv.pool, i)).find(
      (s) => !tried.has(s) && !claims.some((c) => cidrOverlaps(c, s)),
    )!;
    tried.add(next);
    // A hand-made network on h2 inside the subnet the pool would hand out next.
    const inside = `${intToIp(ipToInt(next.split('/')[0]) + 7 * 256)}/24`;
    try {
      await docker('h2').createNetwork({ Name: handmade, Driver: 'bridge', IPAM: { Config: [{ Subnet: inside }] } });
      return { next, inside };
    } catch (e) {
      // Tests in other files allocate from the same pool at the same time: between the read of the claims and this
      // create, one of their networks may have taken that subnet on h2. Then the pool's next is a later one.
      if ((e as { statusCode?: number }).statusCode !== 403) throw e;
    }
  }
  throw new Error('no free pool subnet for the hand-made network after 8 tries');
}

test.serial('a pool subnet avoids a network that exists on a host', async (t) => {
  const name = uniqueStack('p');
  const handmade = `${name}_hand`;
  const { next, inside } = await handmadeInNextPoolSubnet(handmade);
  t.teardown(() =>
    docker('h2')
      .getNetwork(handmade)
      .remove()
      .catch(() => undefined),
  );
  const d = twoHosts(name);
  cleanupVx(t, d);
  const first = await deploy(d);
  t.true(first.result?.ok, JSON.stringify(first.result?.failures));
  const got = (await subnetOn('h1', `${name}_default`)).Subnet;
  t.log(`pool's next was ${next}; ${inside} made by hand on h2; the network got ${got}`);
  t.false(cidrOverlaps(got, inside), `${got} overlaps ${handmade} (${inside})`);
  t.not(got, next);
  t.is((await subnetOn('h2', `${name}_default`)).Subnet, got);
});

test.serial(
  "a fixed subnet is the network's on every host; an overlapping one is refused at plan time and at allocation, naming the holder",
  async (t) => {
    const [b, c] = [uniqueStack('x'), uniqueStack('y')];
    const third = randomInt(63) * 4;
    const fixed = `10.250.${third}.0/22`;
    const d = twoHosts(b, { subnet: fixed });
    cleanupVx(t, d);
    const first = await deploy(d);
    t.true(first.result?.ok, JSON.stringify(first.result?.failures));
    t.regex(
      first.plan.operations.find((o) => o.kind === 'overlay.allocate')!.cause,
      new RegExp(`subnet ${fixed.replace(/\./g, '\\.')} \\(from the stack file\\)`),
    );
    const ranges = new Set<string>();
    for (const h of ['h1', 'h2', 'h3']) {
      const cfg = await subnetOn(h, `${b}_default`);
      t.is(cfg.Subnet, fixed, `subnet on ${h}`);
      t.true(cidrOverlaps(cfg.IPRange, fixed));
      ranges.add(cfg.IPRange);
    }
    t.is(ranges.size, 3, 'each host its own lease of the fixed subnet');
    t.is(
      (await store().list(`${KV_ROOT}subnet/${fixed.replace('/', '_')}`))[0]?.value,
      `${b}/default`,
      'claimed in Consul',
    );
    // The network carries traffic: web on h1 reaches api on h2 by name, at an address of the fixed subnet.
    const apiIp = (await docker('h2').getContainer(`${b}-api-1`).inspect()).NetworkSettings.Networks[`${b}_default`]
      .IPAddress;
    t.true(cidrOverlaps(`${apiIp}/32`, fixed));
    t.is(
      (
        await eventually(
          async () => {
            const r = await exec('h1', `${b}-web-1`, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/']);
            return r.exitCode === 0 && r;
          },
          20_000,
          'api by name',
        )
      ).output.trim().length,
      12,
    );

    // Another stack asking for a subnet inside it: refused before any write, naming both.
    const inside = `10.250.${third - (third % 8)}.0/21`;
    const planned = await planStack(twoHosts(c, { subnet: inside }));
    const errors = planned.plan.diagnostics.filter((x) => x.severity === 'error').map((x) => x.summary);
    t.true(
      errors.includes(
        `network default: subnet ${inside} overlaps ${fixed} of overlay network ${b}/default (claimed in Consul)`,
      ),
      errors.join('\n'),
    );
    t.true(
      errors.some((e) =>
        e.startsWith(
          `network default: subnet ${inside} overlaps existing network ${b}_default (${fixed}) on h1, h2, h3`,
        ),
      ),
      errors.join('\n'),
    );
    await t.throwsAsync(deploy(twoHosts(c, { subnet: inside })), { message: /claimed in Consul/ });
    for (const h of ['h1', 'h2', 'h3'])
      t.false(
        (await docker(h).listNetworks()).some((n) => n.Name === `${c}_default`),
        `nothing created on ${h}`,
      );
    // The allocation itself refuses it too (an apply that planned before the other's claim), writing nothing.
    await t.throwsAsync(
      ensureAllocation(store(), {
        stack: c,
        key: 'default',
        name: `${c}_default`,
        hosts: { h1: ipOf('h1') },
        subnet: inside,
      }),
      {
        instanceOf: AllocationError,
        message: `network ${c}_default: subnet ${inside} overlaps ${fixed} of overlay network ${b}/default (claimed in Consul)`,
      },
    );
    t.deepEqual(await store().list(`${KV_ROOT}networks/${c}/`), []);
    t.false((await store().list(`${KV_ROOT}subnet/`)).some((e) => e.value === `${c}/default`));
    t.is((await docker('h1').getNetwork(`${b}_default`).inspect()).Labels![Labels.stack], b);
  },
);
