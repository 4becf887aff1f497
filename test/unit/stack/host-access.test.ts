/**
 * pid, ipc, uts, userns_mode, devices, security_opt and platform: read as compose reads them, refused with where
 * and why where stack cannot do what they ask, carried into the config hash and the Engine's create body.
 */
import test from 'ava';
import { createBodyOf, errors, find, load, where } from './helpers.js';

const compose = (keys: string) => `services:\n  web:\n    image: busybox\n${keys}`;

async function bodyOf(keys: string, files: Record<string, string> = {}) {
  const r = await load({ 'compose.yaml': compose(keys), ...files });
  if (!r.value) throw new Error(JSON.stringify(r.diagnostics));
  return createBodyOf(r.value);
}

test('namespace modes reach HostConfig; none of them leaves the hash of a service as it was', async (t) => {
  const plain = await bodyOf('');
  const shared = await bodyOf('    pid: host\n    ipc: shareable\n    uts: host\n    userns_mode: host\n');
  t.like(shared.host, { PidMode: 'host', IpcMode: 'shareable', UTSMode: 'host', UsernsMode: 'host' });
  for (const k of ['PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'Devices', 'SecurityOpt'])
    t.false(k in plain.host, k);
  t.not(shared.hash, plain.hash);
  t.is((await bodyOf('    ipc: host\n')).host.IpcMode, 'host');
});

test("sharing another service's namespace is refused at the key, saying why", async (t) => {
  const r = await load({
    'compose.yaml': compose('    pid: "service:db"\n    ipc: "container:x"\n    uts: private\n'),
  });
  t.is(r.value, undefined);
  const pid = find(r, /must be host/);
  t.is(where(pid), 'compose.yaml:4:10 services.web.pid');
  t.regex(pid.summary, /replicas may be on other hosts/);
  t.regex(where(find(r, /must be host, private, shareable or none/)), /services\.web\.ipc$/);
});

test('devices: short syntax as compose-go reads it, the long form, default permissions rwm', async (t) => {
  const { spec, host } = await bodyOf(
    '    devices:\n      - /dev/fuse\n      - /dev/null:/dev/mynull\n      - /dev/zero:r\n      - /dev/random:/dev/r2:rw\n      - { source: /dev/urandom, target: /dev/u, permissions: r }\n      - { source: /dev/full }\n',
  );
  t.deepEqual(spec.devices, [
    { source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' },
    { source: '/dev/null', target: '/dev/mynull', permissions: 'rwm' },
    { source: '/dev/zero', target: '/dev/zero', permissions: 'r' },
    { source: '/dev/random', target: '/dev/r2', permissions: 'rw' },
    { source: '/dev/urandom', target: '/dev/u', permissions: 'r' },
    { source: '/dev/full', target: '/dev/full', permissions: 'rwm' },
  ]);
  t.deepEqual((host.Devices as unknown[])[1], {
    PathOnHost: '/dev/null',
    PathInContainer: '/dev/mynull',
    CgroupPermissions: 'rwm',
  });
});

test('devices: a relative path, bad permissions and a CDI name are errors with where and what to write', async (t) => {
  const r = await load({
    'compose.yaml': compose('    devices:\n      - dev/fuse\n      - /dev/a:/dev/b:rwx\n      - nvidia.com/gpu=all\n'),
  });
  t.is(r.value, undefined);
  t.is(where(find(r, /must map an absolute host path/)), 'compose.yaml:5:9 services.web.devices[0]');
  t.is(where(find(r, /permissions rwx must be some of r, w and m/)), 'compose.yaml:6:9 services.web.devices[1]');
  const cdi = find(r, /CDI device name/);
  t.is(where(cdi), 'compose.yaml:7:9 services.web.devices[2]');
  t.regex(cdi.hint ?? '', /\/dev\/NAME/);
});

test('security_opt: key:value becomes key=value; systempaths=unconfined empties the masked paths', async (t) => {
  const { spec, host } = await bodyOf(
    '    security_opt:\n      - no-new-privileges:true\n      - apparmor=unconfined\n      - label:disable\n      - seccomp:unconfined\n      - systempaths=unconfined\n      - no-new-privileges\n',
  );
  t.deepEqual(spec.securityOpt, [
    'no-new-privileges=true',
    'apparmor=unconfined',
    'label=disable',
    'seccomp=unconfined',
    'systempaths=unconfined',
    'no-new-privileges',
  ]);
  t.deepEqual(host.SecurityOpt, [
    'no-new-privileges=true',
    'apparmor=unconfined',
    'label=disable',
    'seccomp=unconfined',
    'no-new-privileges',
  ]);
  t.deepEqual(host.MaskedPaths, []);
  t.deepEqual(host.ReadonlyPaths, []);
});

test('security_opt: a seccomp profile is read from the project folder and sent as its JSON', async (t) => {
  const profile = '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": []\n}\n';
  const { spec } = await bodyOf('    security_opt: ["seccomp=./seccomp.json"]\n', { 'seccomp.json': profile });
  t.deepEqual(spec.securityOpt, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}']);
});

test('security_opt: a profile outside the project, one that is not JSON, and a bare word are refused', async (t) => {
  const r = await load({
    'compose.yaml': compose(
      '    security_opt:\n      - seccomp=/etc/passwd\n      - seccomp=bad.json\n      - nonsense\n',
    ),
    'bad.json': 'not json',
  });
  t.is(r.value, undefined);
  t.is(errors(r).length, 3);
  const outside = find(r, /seccomp profile \/etc\/passwd is outside the project folder/);
  t.is(where(outside), 'compose.yaml:5:9 services.web.security_opt[0]');
  t.regex(find(r, /seccomp profile bad.json is not JSON/).hint ?? '', /JSON document/);
  t.regex(find(r, /security_opt nonsense is not KEY=VALUE/).hint ?? '', /no-new-privileges/);
});

test('platform goes to the create query (body key `platform`) and the hash; a malformed one is refused', async (t) => {
  const plain = await bodyOf('');
  const arm = await bodyOf('    platform: linux/arm64/v8\n');
  t.is(arm.body.platform, 'linux/arm64/v8');
  t.false('platform' in plain.body);
  t.not(arm.hash, plain.hash);
  const r = await load({ 'compose.yaml': compose('    platform: Linux\n') });
  t.regex(find(r, /must be os\/arch/).summary, /linux\/amd64/);
});
