/**
 * group_add, domainname, mac_address, label_file, device_cgroup_rules, gpus and deploy.resources.reservations.devices:
 * read as compose-go reads them, refused where and why the daemon (or Compose) would refuse them, each in the config
 * hash and the create body.
 */
import test from 'ava';
import { createBodyOf, errors, find, load, where } from './helpers.js';

/** Named, so that hashes of different folders compare. */
const compose = (keys: string) => `name: demo\nservices:\n  web:\n    image: busybox\n${keys}`;

async function bodyOf(keys: string, files: Record<string, string> = {}) {
  const r = await load({ 'compose.yaml': compose(keys), ...files });
  if (!r.value) throw new Error(JSON.stringify(r.diagnostics));
  return createBodyOf(r.value);
}

test('group_add, domainname, mac_address and device_cgroup_rules reach the body; without them nothing is sent', async (t) => {
  const { spec, body, host } = await bodyOf(
    '    group_add: [audio, 1001]\n    domainname: example.internal\n    mac_address: "02:42:AC:11:00:02"\n    device_cgroup_rules: ["c 1:3 mr", "b 8:* rw"]\n',
  );
  t.like(spec, { groupAdd: ['audio', '1001'], domainname: 'example.internal', macAddress: '02:42:ac:11:00:02' });
  t.is(body.Domainname, 'example.internal');
  t.is(body.MacAddress, '02:42:ac:11:00:02');
  t.deepEqual(host.GroupAdd, ['audio', '1001']);
  t.deepEqual(host.DeviceCgroupRules, ['c 1:3 mr', 'b 8:* rw']);
  const plain = await bodyOf('');
  for (const k of ['Domainname', 'MacAddress']) t.false(k in plain.body, k);
  for (const k of ['GroupAdd', 'DeviceCgroupRules', 'DeviceRequests']) t.false(k in plain.host, k);
});

test('each key, set alone, changes the hash', async (t) => {
  const hashes = new Set([(await bodyOf('')).hash]);
  for (const keys of [
    '    group_add: [audio]\n',
    '    domainname: example.internal\n',
    '    mac_address: "02:42:ac:11:00:02"\n',
    '    device_cgroup_rules: ["c 1:3 mr"]\n',
    '    gpus: all\n',
    '    deploy: { resources: { reservations: { devices: [{ capabilities: [gpu] }] } } }\n',
    '    label_file: ./labels\n',
  ]) {
    const { hash } = await bodyOf(keys, { labels: 'tier=web\n' });
    t.false(hashes.has(hash), keys);
    hashes.add(hash);
  }
});

test('gpus and device reservations become DeviceRequests as docker compose sends them', async (t) => {
  const all = await bodyOf('    gpus: all\n');
  t.deepEqual(all.host.DeviceRequests, [
    { Driver: '', Count: -1, DeviceIDs: [], Capabilities: [['gpu']], Options: {} },
  ]);
  const { host } = await bodyOf(
    [
      '    gpus:',
      '      - { driver: nvidia, count: 2, capabilities: [compute] }',
      '      - { device_ids: ["0", "GPU-abc"] }',
      '    deploy:',
      '      resources:',
      '        reservations:',
      '          devices:',
      '            - { driver: nvidia, capabilities: [gpu, utility], options: { virtualization: "false" } }',
      '',
    ].join('\n'),
  );
  t.deepEqual(host.DeviceRequests, [
    { Driver: 'nvidia', Count: 2, DeviceIDs: [], Capabilities: [['compute', 'gpu']], Options: {} },
    { Driver: '', Count: 0, DeviceIDs: ['0', 'GPU-abc'], Capabilities: [['gpu']], Options: {} },
    {
      Driver: 'nvidia',
      Count: -1,
      DeviceIDs: [],
      Capabilities: [['gpu', 'utility']],
      Options: { virtualization: 'false' },
    },
  ]);
});

test('device requests: count with device_ids, and a reservation without capabilities, are refused at the entry', async (t) => {
  const r = await load({
    'compose.yaml': compose(
      '    gpus: [{ count: 1, device_ids: ["0"] }]\n    deploy: { resources: { reservations: { devices: [{ driver: nvidia }] } } }\n',
    ),
  });
  t.is(r.value, undefined);
  t.is(where(find(r, /count and device_ids cannot both be set/)), 'compose.yaml:5:12 services.web.gpus[0]');
  t.regex(
    where(find(r, /missing required key capabilities/)),
    /services\.web\.deploy\.resources\.reservations\.devices\[0\]$/,
  );
});

test('label_file: files in order, then labels: over them; ${VAR} sees the labels read before', async (t) => {
  const { spec, body } = await bodyOf('    labels: { tier: api }\n    label_file: [./a.labels, ./b.labels]\n', {
    'a.labels': '# comment\ntier=web\nteam=core\n',
    'b.labels': 'owner=${team}-ops\n',
  });
  t.deepEqual(spec.labels, { owner: 'core-ops', team: 'core', tier: 'api' });
  t.like(body.Labels, { owner: 'core-ops', team: 'core', tier: 'api' });
});

test('label_file: a missing file, one outside the project and a label under stack prefix are errors', async (t) => {
  const r = await load({
    'compose.yaml': compose('    label_file: [./missing.labels, /etc/hostname, ./own.labels]\n'),
    'own.labels': 'io.github.stack-deploy.stack=other\n',
  });
  t.is(r.value, undefined);
  t.is(errors(r).length, 3, JSON.stringify(errors(r)));
  t.regex(where(find(r, /missing\.labels/)), /services\.web\.label_file\[0\]$/);
  t.regex(where(find(r, /outside the project folder/)), /services\.web\.label_file\[1\]$/);
  const own = find(r, /a label under stack's own prefix/);
  t.is(where(own), 'compose.yaml:5:51 services.web.label_file[2]');
});

test('mac_address: not a MAC, with network_mode, with replicas; device_cgroup_rules not a rule', async (t) => {
  const r = await load({
    'compose.yaml': [
      'name: demo',
      'services:',
      '  a: { image: busybox, mac_address: "02:42:ac:11:00" }',
      '  b: { image: busybox, mac_address: "02:42:ac:11:00:02", network_mode: host }',
      '  c: { image: busybox, mac_address: "02:42:ac:11:00:03", deploy: { replicas: 2 } }',
      '  d: { image: busybox, device_cgroup_rules: ["c 1:3 rwx"] }',
      '  e: { image: busybox, mac_address: "02:42:ac:11:00:05", deploy: { update_config: { order: start-first } } }',
      '',
    ].join('\n'),
  });
  t.is(r.value, undefined);
  t.regex(where(find(r, /must be a MAC address/)), /services\.a\.mac_address$/);
  t.regex(find(r, /mac_address cannot be used with network_mode/).hint ?? '', /remove one/);
  t.regex(where(find(r, /mac_address cannot be used with 2 replicas/)), /services\.c\.mac_address$/);
  t.regex(where(find(r, /must be a device cgroup rule/)), /services\.d\.device_cgroup_rules\[0\]$/);
  t.regex(where(find(r, /start-first: old and new container would share it/)), /services\.e\.mac_address$/);
});

test("a fixed ipv4_address or ipv6_address is one container's (one per host on a bridge): refused with replicas, global mode on an overlay, and start-first", async (t) => {
  const net = (name: string, key: string, value: string) =>
    `    networks:\n      ${name}:\n        ${key}: "${value}"\n`;
  const r = await load({
    'compose.yaml': [
      'services:',
      '  a:',
      '    image: busybox',
      '    deploy: { replicas: 3 }',
      net('back', 'ipv4_address', '10.5.0.10'),
      '  b:',
      '    image: busybox',
      '    deploy: { mode: global }',
      net('ovl', 'ipv6_address', 'fd00::10'),
      '  c:',
      '    image: busybox',
      '    deploy: { update_config: { order: start-first } }',
      net('back', 'ipv4_address', '10.5.0.11'),
      '  d:',
      '    image: busybox',
      net('back', 'ipv4_address', '10.5.0.12'),
      '  e:',
      '    image: busybox',
      '    deploy: { replicas: 3, placement: { max_replicas_per_node: 1 } }',
      net('back', 'ipv4_address', '10.5.0.13'),
      '  f:',
      '    image: busybox',
      '    deploy: { mode: global }',
      net('back', 'ipv6_address', 'fd00::13'),
      'networks:',
      '  back:',
      '    enable_ipv6: true',
      '    ipam: { config: [{ subnet: 10.5.0.0/24 }, { subnet: "fd00::/64" }] }',
      '  ovl:',
      '    driver: overlay',
      '    enable_ipv6: true',
      '',
    ].join('\n'),
  });
  const three = find(r, 'ipv4_address cannot be used with 3 replicas: each container needs its own on a host');
  t.is(where(three), 'compose.yaml:7:9 services.a.networks.back.ipv4_address');
  t.regex(three.hint!, /max_replicas_per_node: 1/);
  const overlay = find(r, 'ipv6_address cannot be used with deploy.mode global: each container needs its own');
  t.regex(where(overlay), /services\.b\.networks\.ovl\.ipv6_address$/);
  t.regex(where(find(r, 'ipv4_address cannot be used with update_config.order start-first')), /:21:9 services\.c\./);
  t.is(errors(r).length, 3, 'one replica, one per host on a bridge, and global on a bridge are fine');
});
