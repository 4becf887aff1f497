/**
 * The keys that reach past a container's confinement, on the sandbox through the built CLI: `pid: host`,
 * `ipc: shareable`, `uts: host`, `userns_mode: host`, `devices`, `security_opt` and `platform` reach the Engine and
 * hold inside the running container (the host's processes and hostname, the device node, no new privileges); a
 * second plan finds nothing to do. Under an enforced policy each is refused (exit 1, no write) until an allow entry
 * names its rule; a platform the registry does not have fails the apply naming the host.
 */
import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { Labels } from '../../src/labels.js';
import {
  containersOf,
  docker,
  eventWindowStart,
  execIn,
  IMAGE,
  stackEvents,
  uniqueStack,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

test.before(() => ensureBuilt());

const RULES = 'host-pid, host-uts, host-userns, devices, security-opt';

function composeFile(name: string, platform = 'linux/amd64'): string {
  return [
    `name: ${name}`,
    'services:',
    '  probe:',
    `    image: ${IMAGE()}`,
    `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
    '    stop_grace_period: 1s',
    '    pid: host',
    '    ipc: shareable',
    '    uts: host',
    '    userns_mode: host',
    '    devices: ["/dev/null:/dev/mynull:rw"]',
    '    security_opt: ["no-new-privileges:true", "apparmor:unconfined"]',
    `    platform: ${platform}`,
    '    deploy: { placement: { constraints: ["node.hostname == h1"] } }',
    '',
  ].join('\n');
}

function project(t: ExecutionContext, name: string, policy: string, platform?: string): string {
  const inventory = `${inventoryYaml(sandboxHosts(['h1', 'h2', 'h3']))}policy:\n${policy}`;
  const dir = writeDir({ 'compose.yaml': composeFile(name, platform), 'inventory.yaml': inventory });
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).catch(() => undefined));
  return dir;
}

test('enforced: each of these keys is refused by its rule, with no write; allowed, they hold in the running container', async (t) => {
  const name = uniqueStack('hax');
  const since = await eventWindowStart();
  const refused = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], project(t, name, '  mode: enforce\n'));
  t.is(refused.code, 1, refused.stdout + refused.stderr);
  for (const rule of RULES.split(', ')) t.regex(refused.stderr, new RegExp(`policy rule ${rule}: service probe`));
  t.deepEqual(await stackEvents(name, since), [], 'no Engine event of the stack');

  const allow = `  mode: enforce\n  allow:\n    - { stack: ${name}, service: probe, rules: [${RULES}] }\n`;
  const dir = project(t, name, allow);
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  const [probe] = [...(await containersOf(name)).values()];
  t.is(probe.host, 'h1');
  t.is(probe.info.Labels[Labels.service], 'probe');
  const info = await docker('h1').getContainer(probe.info.Id).inspect();
  t.like(info.HostConfig, { PidMode: 'host', IpcMode: 'shareable', UTSMode: 'host', UsernsMode: 'host' });
  t.deepEqual(info.HostConfig.Devices, [
    { PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' },
  ]);
  // with userns_mode: host the daemon adds label=disable itself
  for (const opt of ['no-new-privileges=true', 'apparmor=unconfined'])
    t.true(info.HostConfig.SecurityOpt?.includes(opt));
  t.is(info.Platform, 'linux');

  const sh = async (script: string) => (await execIn('h1', probe.info.Id, ['sh', '-c', script])).output.trim();
  t.is(
    await sh('cat /proc/1/comm'),
    readFileSync('/proc/1/comm', 'utf8').trim(),
    "the host's PID 1 is the container's",
  );
  // each sandbox daemon runs in a UTS namespace of its own, named after its host
  t.is(await sh('hostname'), 'h1', "the host's hostname");
  t.is(await sh('test -c /dev/mynull && echo device'), 'device');
  t.is(await sh('grep NoNewPrivs /proc/self/status'), 'NoNewPrivs:\t1');

  const again = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, `nothing to do on a second plan: ${again.stdout}${again.stderr}`);
});

test('a platform the image does not exist for fails the apply naming the host, and nothing runs', async (t) => {
  const name = uniqueStack('hax');
  const allow = `  mode: enforce\n  allow:\n    - { stack: ${name}, rules: [${RULES}] }\n`;
  const dir = project(t, name, allow, 'linux/s390x');
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 1, applied.stdout + applied.stderr);
  t.regex(applied.stdout + applied.stderr, /h1/);
  t.regex(applied.stdout + applied.stderr, /s390x/);
  t.log(
    applied.stderr
      .split('\n')
      .filter((l) => /s390x/.test(l))
      .join('\n'),
  );
  t.notRegex(applied.stderr, /\n\s+at /, 'no stack trace');
  const running = [...(await containersOf(name)).values()].filter((c) => c.info.State === 'running');
  t.deepEqual(running, []);
});
