/**
 * SELinux relabelling of bind mounts (`:z`, `:Z`, `bind.selinux`): loaded into the mount, in the config hash (a
 * changed mode recreates; binds without one keep their hash: the plan goldens pin it), sent as HostConfig.Binds (the Mounts API has no relabel option); refused where the Engine
 * cannot relabel (a named volume, create_host_path: false), at the key.
 */
import test from 'ava';
import { createBodyOf, errors, find, load, where } from './helpers.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

async function loaded(volumes: string) {
  return load({ 'compose.yaml': `services:\n  web:\n    image: busybox\n    volumes:\n${volumes}` });
}

async function bindsOf(volumes: string): Promise<{ hash: string; binds: unknown; mounts: unknown }> {
  const r = await loaded(volumes);
  if (!r.value) throw new Error(JSON.stringify(errors(r)));
  const { hash, host } = createBodyOf(r.value, 'web', DIGEST);
  return { hash, binds: host.Binds, mounts: host.Mounts };
}

test('short :z / :Z and long bind.selinux reach Binds with the mode; the mode is in the hash', async (t) => {
  const plain = await bindsOf('      - ./html:/www:ro\n');
  const z = await bindsOf('      - ./html:/www:ro,z\n');
  const Z = await bindsOf(
    '      - { type: bind, source: ./html, target: /www, read_only: true, bind: { selinux: Z } }\n',
  );
  t.regex(String((plain.binds as string[])[0]), /:\/www:ro$/);
  t.regex(String((z.binds as string[])[0]), /:\/www:ro,z$/);
  t.regex(String((Z.binds as string[])[0]), /:\/www:ro,Z$/);
  t.not(z.hash, plain.hash, 'adding :z recreates the container');
  t.not(z.hash, Z.hash);
  const prop = await bindsOf('      - ./html:/www:rslave,z\n');
  t.regex(String((prop.binds as string[])[0]), /:\/www:rw,rslave,z$/);
});

test('z on a named volume, and selinux with create_host_path: false, are refused at the key with what to do', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    volumes:\n      - data:/data:z\n      - { type: bind, source: ./x, target: /x, bind: { selinux: z, create_host_path: false } }\nvolumes:\n  data: {}\n',
  });
  const named = find(r, /the mode z \(SELinux relabelling\) applies to bind mounts only/);
  t.is(where(named), 'compose.yaml:5:9 services.web.volumes[0]');
  const noCreate = find(r, /bind.selinux needs create_host_path/);
  t.is(where(noCreate), 'compose.yaml:6:65 services.web.volumes[1].bind.selinux');
  const bad = await load({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    volumes:\n      - { type: bind, source: ./x, target: /x, bind: { selinux: q } }\n',
  });
  t.regex(errors(bad)[0].summary, /selinux must be z \(shared label\) or Z \(private label\)/);
});
