/**
 * What the daemon would refuse, caught at validate with file:line:col: unknown capability names, unknown ulimits and a
 * soft limit above its hard one, sysctls that are not namespaced, and namespaced ones that would change the host's.
 */
import test from 'ava';
import { errors, find, load, where } from './helpers.js';

const stack = (keys: string) => ({ 'compose.yaml': `services:\n  web:\n    image: busybox\n${keys}` });

test('capability names: any case, with or without CAP_, and ALL pass; an unknown one is refused at its entry', async (t) => {
  const good = await load(stack('    cap_add: [ALL, net_admin, CAP_SYS_TIME, BPF]\n    cap_drop: [cap_chown]\n'));
  t.deepEqual(errors(good), []);
  const bad = await load(stack('    cap_add: [NET_ADMIN, NET_ADMINN]\n    cap_drop: [CAP_FOO]\n'));
  const e = find(bad, 'unknown capability NET_ADMINN');
  t.is(where(e), 'compose.yaml:4:26 services.web.cap_add[1]');
  t.regex(e.hint!, /capabilities\(7\)/);
  t.truthy(find(bad, 'unknown capability CAP_FOO: the Engine refuses it'));
});

test('ulimits: an unknown name and a soft limit above the hard one are refused at the key', async (t) => {
  const good = await load(stack('    ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 512 }\n'));
  t.deepEqual(errors(good), []);
  const bad = await load(stack('    ulimits:\n      nofiles: 10\n      nofile: { soft: 4096, hard: 1024 }\n'));
  t.is(where(find(bad, 'unknown ulimit nofiles')), 'compose.yaml:5:7 services.web.ulimits.nofiles');
  const pair = find(bad, 'ulimit nofile: soft limit 4096 is above hard limit 1024');
  t.regex(where(pair), /^compose\.yaml:6:\d+ services\.web\.ulimits\.nofile/);
});

test('sysctls: only namespaced ones, and not those of a namespace shared with the host', async (t) => {
  const good = await load(
    stack('    sysctls: [net.core.somaxconn=1024, kernel.shmmax=1000000, fs.mqueue.msg_max=20]\n'),
  );
  t.deepEqual(errors(good), []);
  const bad = await load(stack('    sysctls: [net.core.somaxconn=1024, vm.swappiness=10]\n'));
  t.is(where(find(bad, 'sysctl vm.swappiness is not namespaced')), 'compose.yaml:4:40 services.web.sysctls[1]');
  const host = await load(
    stack(
      '    network_mode: host\n    ipc: host\n    sysctls: { net.ipv4.ip_forward: 1, kernel.sem: "250 32000 32 128" }\n',
    ),
  );
  t.truthy(find(host, 'sysctl net.ipv4.ip_forward cannot be set with network_mode host'));
  t.truthy(find(host, 'sysctl kernel.sem cannot be set with ipc host'));
});
