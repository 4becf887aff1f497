/**
 * The operator's policy on the sandbox, through the built CLI (docs/policy.md): with `policy: { mode: enforce }` in
 * the inventory, `stack plan` and `stack apply` of a stack with a privileged service exit 1 naming where, the rule
 * and the allow entry, and write nothing on any host (no container, network or volume on h1..h3, no Engine
 * event); an allow entry for exactly one service lets that one through — its container runs privileged — while
 * another privileged service of the same stack is still refused. The same for cap-add, whose allowed container
 * runs with the capability.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Labels } from '../../src/labels.js';
import { containersOf, docker, eventWindowStart, IMAGE, stackEvents, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];
test.before(() => ensureBuilt());

const SLEEP = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

/** Stack `name`: `agent` (privileged, on h1) and `tool` (privileged or not, on h2), a named volume, the default network. */
function composeFile(name: string, toolPrivileged: boolean): string {
  const service = (svc: string, host: string, privileged: boolean) =>
    `  ${svc}:\n    image: ${IMAGE()}\n    command: ${SLEEP}\n    stop_grace_period: 1s\n    privileged: ${privileged}\n` +
    `    volumes: ["data:/data"]\n    deploy:\n      placement:\n        constraints: ["node.hostname == ${host}"]\n`;
  return `name: ${name}\nservices:\n${service('agent', 'h1', true)}${service('tool', 'h2', toolPrivileged)}volumes:\n  data: {}\n`;
}

function inventory(policy: string): string {
  return `${inventoryYaml(sandboxHosts(MAIN))}policy:\n${policy}`;
}

function cleanup(t: ExecutionContext, dir: string): void {
  t.teardown(async () => {
    await runStack(['destroy', '--yes', '--prune-volumes', '-i', 'inventory.yaml'], dir).catch(() => undefined);
  });
}

/** Every object with the stack's label on h1..h3: containers, networks, volumes. */
async function objectsOf(name: string): Promise<string[]> {
  const filters = { label: [`${Labels.stack}=${name}`] };
  const found: string[] = [];
  for (const host of MAIN) {
    const d = docker(host);
    for (const c of await d.listContainers({ all: true, filters })) found.push(`${host} container ${c.Names[0]}`);
    for (const n of await d.listNetworks({ filters })) found.push(`${host} network ${n.Name}`);
    for (const v of (await d.listVolumes({ filters })).Volumes ?? []) found.push(`${host} volume ${v.Name}`);
    for (const n of await d.listNetworks()) if (n.Name.startsWith(`${name}_`)) found.push(`${host} network ${n.Name}`);
    for (const v of (await d.listVolumes()).Volumes ?? [])
      if (v.Name.startsWith(`${name}_`)) found.push(`${host} volume ${v.Name}`);
  }
  return [...new Set(found)];
}

test('enforced: plan and apply of a privileged service exit 1 with where, rule and allow entry, and write nothing on any host', async (t) => {
  const name = uniqueStack('pol');
  const dir = writeDir({
    'compose.yaml': composeFile(name, true),
    'inventory.yaml': inventory('  mode: enforce\n'),
  });
  cleanup(t, dir);
  const since = await eventWindowStart();
  for (const command of [['plan'], ['apply', '--yes']]) {
    const r = await runStack([...command, '-i', 'inventory.yaml'], dir);
    t.is(r.code, 1, `${command[0]}: ${r.stdout}${r.stderr}`);
    t.regex(
      r.stderr,
      /error: compose\.yaml:7:17 services\.agent\.privileged: policy rule privileged: service agent runs privileged\n {2}policy:\n {4}allow:\n {6}- stack: \S+\n {8}service: agent\n {8}rules: \[privileged\]\n {2}hint: the policy in inventory\.yaml refuses it \(mode: enforce\)/,
    );
    t.regex(r.stderr, /error: compose\.yaml:16:17 services\.tool\.privileged: policy rule privileged: service tool/);
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  }
  t.deepEqual(await stackEvents(name, since), [], 'no Engine event of the stack on any host');
  t.deepEqual(await objectsOf(name), [], 'no container, network or volume on h1..h3');
});

test('an allow entry for exactly one service lets it through (it runs privileged); another privileged service is still refused', async (t) => {
  const name = uniqueStack('pol');
  const allow = `  mode: enforce\n  allow:\n    - { stack: ${name}, service: agent, rules: [privileged] }\n`;
  const dir = writeDir({ 'compose.yaml': composeFile(name, true), 'inventory.yaml': inventory(allow) });
  cleanup(t, dir);
  const since = await eventWindowStart();
  const refused = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(refused.code, 1, refused.stdout + refused.stderr);
  t.regex(refused.stderr, /policy rule privileged: service tool runs privileged/);
  t.notRegex(refused.stderr, /service agent/, 'agent is allowed');
  t.deepEqual(await stackEvents(name, since), [], 'still nothing written');
  t.deepEqual(await objectsOf(name), []);

  const fixed = writeDir({ 'compose.yaml': composeFile(name, false), 'inventory.yaml': inventory(allow) });
  cleanup(t, fixed);
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], fixed);
  t.notRegex(applied.stderr, /policy rule/, 'no violation left, not even a warning');
  // This machine's dockerd lacks a capability a privileged container needs (CAP_SYS_RESOURCE in this VM): the
  // policy lets agent through, the daemon creates it privileged, and only its start may fail here.
  const startRefused = /unable to apply caps: operation not permitted/.test(applied.stdout + applied.stderr);
  t.is(applied.code, startRefused ? 1 : 0, applied.stdout + applied.stderr);
  const containers = await containersOf(name);
  const byService = new Map([...containers.values()].map((c) => [c.info.Labels[Labels.service], c]));
  const agent = byService.get('agent')!;
  const tool = byService.get('tool')!;
  t.is(agent.host, 'h1');
  t.true((await docker('h1').getContainer(agent.info.Id).inspect()).HostConfig.Privileged, 'agent is privileged');
  const toolState = await docker('h2').getContainer(tool.info.Id).inspect();
  t.false(toolState.HostConfig.Privileged);
  t.true(toolState.State.Running);
});

test('cap-add allowed for one service: it runs with the capability; the same capability on another service is refused', async (t) => {
  const name = uniqueStack('pol');
  const file = (toolCaps: string) =>
    composeFile(name, false)
      .replace(/ {4}privileged: (true|false)\n/g, '')
      .replace('  agent:\n', '  agent:\n    cap_add: [CAP_SYS_ADMIN]\n')
      .replace('  tool:\n', `  tool:\n    cap_add: ${toolCaps}\n`);
  const allow = `  mode: enforce\n  allow:\n    - { stack: ${name}, service: agent, rules: [cap-add] }\n`;
  const dir = writeDir({ 'compose.yaml': file('[sys_admin]'), 'inventory.yaml': inventory(allow) });
  cleanup(t, dir);
  const since = await eventWindowStart();
  const refused = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(refused.code, 1, refused.stdout + refused.stderr);
  t.regex(refused.stderr, /services\.tool\.cap_add\[0\]: policy rule cap-add: service tool adds capability sys_admin/);
  t.deepEqual(await stackEvents(name, since), []);
  t.deepEqual(await objectsOf(name), []);

  const fixed = writeDir({ 'compose.yaml': file('[CHOWN]'), 'inventory.yaml': inventory(allow) });
  cleanup(t, fixed);
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], fixed);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  const agent = [...(await containersOf(name)).values()].find((c) => c.info.Labels[Labels.service] === 'agent')!;
  const info = await docker('h1').getContainer(agent.info.Id).inspect();
  t.true(info.State.Running);
  t.deepEqual(info.HostConfig.CapAdd, ['CAP_SYS_ADMIN']);
});

test("rollback checks the revision against today's policy: refused with zero writes when enforced, applied once allowed; destroy is never refused", async (t) => {
  const name = uniqueStack('pol');
  const file = (caps: string) =>
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n    command: ${SLEEP}\n    stop_grace_period: 1s\n    cap_add: ${caps}\n    deploy:\n      placement:\n        constraints: ["node.hostname == h1"]\n`;
  const hosts = inventoryYaml(sandboxHosts(MAIN));
  const dir = writeDir({ 'compose.yaml': file('[SYS_ADMIN]'), 'inventory.yaml': hosts });
  cleanup(t, dir);
  // Revision 1 under no policy (a warning), revision 2 without the capability.
  const first = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stdout + first.stderr);
  t.regex(first.stderr, /warning: compose\.yaml:7:15 services\.app\.cap_add\[0\]: policy rule cap-add/);
  writeFileSync(path.join(dir, 'compose.yaml'), file('[]'));
  const second = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(second.code, 0, second.stdout + second.stderr);

  // Today the operator enforces: revision 1 is refused before anything is planned.
  writeFileSync(path.join(dir, 'inventory.yaml'), `${hosts}policy: { mode: enforce }\n`);
  const since = await eventWindowStart();
  const refused = await runStack(['rollback', '--to', '1', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(refused.code, 1, refused.stdout + refused.stderr);
  t.regex(
    refused.stderr,
    new RegExp(
      `error: revision 1 of stack ${name} in .* services\\.app\\.cap_add\\[0\\]: policy rule cap-add: service app adds capability SYS_ADMIN`,
    ),
  );
  t.deepEqual(await stackEvents(name, since), [], 'nothing written on any host');

  writeFileSync(
    path.join(dir, 'inventory.yaml'),
    `${hosts}policy: { mode: enforce, allow: [{ stack: ${name}, service: app, rules: [cap-add] }] }\n`,
  );
  const allowed = await runStack(['rollback', '--to', '1', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(allowed.code, 0, allowed.stdout + allowed.stderr);
  const [app] = [...(await containersOf(name)).values()];
  t.deepEqual((await docker('h1').getContainer(app.info.Id).inspect()).HostConfig.CapAdd, ['SYS_ADMIN']);

  // A stack file that breaks the enforced policy can still be destroyed.
  writeFileSync(path.join(dir, 'compose.yaml'), file('[SYS_ADMIN, NET_ADMIN]'));
  writeFileSync(path.join(dir, 'inventory.yaml'), `${hosts}policy: { mode: enforce }\n`);
  const destroyed = await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(destroyed.code, 0, destroyed.stdout + destroyed.stderr);
  t.deepEqual(await objectsOf(name), []);
});
