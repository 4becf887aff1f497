/**
 * Stack's own Consul-backed overlay on the vx sandbox (daemons without a cluster store): a web replica
 * on h1 fetches by service name from api replicas on h2 and h3, over VXLAN, with names from Consul.
 */
import test from 'ava';
import { Labels } from '../../src/labels.js';
import { catalogService } from '../../src/overlay/names.js';
import { addressesIn, api, cleanupVx, configureOverlay, deploy, docker, exec, onHost, service, store, uniqueStack, vxDesired } from './vxlan-helpers.js';
import { eventually } from './reconcile-helpers.js';

test.before(configureOverlay);

test('web on h1 reaches the api replicas on h2 and h3 by name; one address per replica; the plan says why consul', async (t) => {
  const name = uniqueStack('a');
  const d = vxDesired(name, [service('api', api()), service('web', { image: api().image, command: ['sleep', '3600'], stopGracePeriodNs: 1e9, deploy: { constraints: onHost('h1') } })]);
  cleanupVx(t, d);
  const first = await deploy(d);
  t.true(first.result?.ok, JSON.stringify(first.result?.failures));
  t.deepEqual(first.plan.overlay, [{ network: 'default', mode: 'consul', why: 'no cluster store on h1, h2, h3 (x-stack.overlay auto)' }]);

  // On every host: the bridge network, labelled, with the host's own range and MTU 1450.
  const ranges = new Set<string>();
  for (const h of ['h1', 'h2', 'h3']) {
    const net = await docker(h).getNetwork(`${name}_default`).inspect();
    t.is(net.Driver, 'bridge');
    t.regex(net.Labels[Labels.overlayVni], /^\d+$/);
    t.is(net.Options['com.docker.network.driver.mtu'], '1450');
    ranges.add(net.IPAM.Config[0].IPRange);
  }
  t.is(ranges.size, 3, 'each host has its own lease');

  const apis = await Promise.all(['h2', 'h3'].map(async (h) => {
    const list = await docker(h).listContainers({ filters: { label: [`${Labels.stack}=${name}`, `${Labels.service}=api`] } });
    t.is(list.length, 1, `one api replica on ${h}`);
    return { host: h, ip: list[0].NetworkSettings.Networks[`${name}_default`].IPAddress, hostname: list[0].Id.slice(0, 12) };
  }));
  const web = `${name}-web-1`;
  const looked = await eventually(async () => {
    const r = await exec('h1', web, ['nslookup', 'api']);
    const found = addressesIn(r.output);
    return found.length === 2 && found;
  }, 20_000, 'api to resolve to two addresses');
  t.deepEqual(looked, apis.map((a) => a.ip).sort());

  // HTTP by name reaches both replicas across hosts.
  const seen = new Set<string>();
  await eventually(async () => {
    const r = await exec('h1', web, ['sh', '-c', 'timeout 5 wget -qO- http://api:8080/']);
    if (r.exitCode === 0) seen.add(r.output.trim());
    return seen.size === 2;
  }, 30_000, 'both api replicas to answer');
  t.deepEqual([...seen].sort(), apis.map((a) => a.hostname).sort());

  // Consul's catalog has one instance per replica; a re-apply changes nothing.
  t.is((await store().service(catalogService(name, 'default'))).length, 3);
  const again = await deploy(d);
  t.deepEqual(again.plan.operations.map((o) => o.id), []);
});
