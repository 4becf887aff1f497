/**
 * Keys that need a newer Engine API than 20.10's (healthcheck.start_interval, volume.subpath,
 * networks.<net>.gw_priority): the loader reads them into the service (the planner refuses them on hosts that speak
 * an older API: test/unit/plan/api-features.test.ts); a subpath that would leave its volume is refused here.
 */
import test from 'ava';
import { errors, find, load, where, yaml } from './helpers.js';

const stack = (volume: string) => yaml`
  services:
    web:
      image: busybox:1.35
      healthcheck: { test: ["CMD", "true"], start_period: 30s, start_interval: 500ms }
      volumes:
        - { type: volume, source: data, target: /data, volume: { subpath: ${volume} } }
      networks:
        front: { gw_priority: 10 }
        back: { gw_priority: "\${PRIO}" }
  networks: { front: {}, back: {} }
  volumes: { data: {} }
`;

test('start_interval, volume.subpath and gw_priority are read into the service', async (t) => {
  const r = await load({ 'compose.yaml': stack('web/static') }, { env: { PRIO: '-5' } });
  t.deepEqual(errors(r), []);
  const web = r.value!.services.web;
  t.is(web.healthcheck?.startIntervalNs, 5e8);
  t.deepEqual(web.mounts[0].volume, { nocopy: false, subpath: 'web/static' });
  t.is(web.networks.front.gwPriority, 10);
  t.is(web.networks.back.gwPriority, -5);
});

for (const bad of ['/etc', '../other', 'a/../../b'])
  test(`a volume.subpath outside its volume (${bad}) is refused where it is written`, async (t) => {
    const r = await load({ 'compose.yaml': stack(bad) });
    const d = find(r, 'must be a relative path inside the volume');
    t.is(d.severity, 'error');
    t.regex(where(d), /compose\.yaml:\d+:\d+ services\.web\.volumes\[0\]\.volume\.subpath/);
  });

test('a gw_priority that is not a whole number is a schema error', async (t) => {
  const r = await load({ 'compose.yaml': stack('x') }, { env: { PRIO: 'high' } });
  t.true(errors(r).some((d) => d.where?.path?.includes('networks.back.gw_priority')));
});
