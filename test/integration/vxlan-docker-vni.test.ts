/**
 * Stack's own overlay beside Docker's on one host: Docker's overlay drivers (Swarm's, the cluster store's) take
 * VNIs from 4096 up, and the kernel takes a VNI once per network namespace. With a VXLAN device holding 4096 in the
 * host's namespace, as a Swarm overlay leaves one, a stack's own overlay still programs every host (its VNIs are
 * below 4096) and its containers reach each other by name.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { Labels } from '../../src/labels.js';
import { deviceName } from '../../src/overlay/names.js';
import { eventually } from './reconcile-helpers.js';
import { cleanupVx, deploy, devicesOn, docker, exec, ipOf, uniqueStack, vx, webApi } from './vxlan-helpers.js';

const DOCKER_FIRST_VNI = 4096;
const DEVICE = 'dkvx4096';

/** Runs `ip` in a vx host's network namespace. */
function ipOn(host: string, args: string[]): void {
  const netns = vx.hosts.find((h) => h.name === host)!.netns;
  execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, 'ip', ...args], { stdio: 'ignore' });
}

test("a host whose namespace holds Docker's first VNI: the stack's overlay takes one below it and works", async (t) => {
  ipOn('h1', ['link', 'add', DEVICE, 'type', 'vxlan', 'id', `${DOCKER_FIRST_VNI}`, 'dstport', '4789']);
  t.teardown(() => ipOn('h1', ['link', 'del', DEVICE]));
  const name = uniqueStack('dv');
  const hosts = ['h1', 'h2', 'h3'];
  const desired = webApi(name, { hostNames: hosts });
  cleanupVx(t, desired);
  const run = await deploy(desired);
  t.true(run.result?.ok, JSON.stringify(run.result?.failures));
  const vni = Number((await docker('h1').getNetwork(`${name}_default`).inspect()).Labels![Labels.overlayVni]);
  t.true(vni >= 1 && vni < DOCKER_FIRST_VNI, `VNI ${vni}`);
  for (const h of hosts)
    t.deepEqual(
      devicesOn(h)[deviceName(vni)],
      hosts
        .filter((x) => x !== h)
        .map(ipOf)
        .sort(),
      `peers on ${h}`,
    );
  // web (on h1, beside Docker's device) reaches an api replica on another host by name.
  const answer = await eventually(
    async () => {
      const r = await exec('h1', `${name}-web-1`, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/']);
      return r.exitCode === 0 && r.output.trim();
    },
    20_000,
    'api by name from h1',
  );
  t.regex(answer, /^[0-9a-f]{12}$/);
});
