/**
 * volumes_from and external_links read back from the sandbox's daemons (issue 19): each replica of a service with
 * volumes_from runs on a host of its source and mounts that host's source replica's volumes (read-only as asked); a
 * second plan finds nothing; a changed source replaces its dependents. A container outside the stack, on a pinned
 * host: its volumes mounted and its name resolved under the link's alias; a host without it is refused before any write.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { docker, execIn, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';
import { Labels } from '../../src/labels.js';

test.before(() => ensureBuilt());

const SLEEP = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;
const MAIN = ['h1', 'h2', 'h3'];

/** The stack's containers on the hosts: name → host, service, id, VolumesFrom. */
async function replicas(name: string) {
  const out: { name: string; host: string; service: string; id: string; volumesFrom: string[] }[] = [];
  for (const host of MAIN)
    for (const c of await docker(host).listContainers({ filters: { label: [`${Labels.stack}=${name}`] } })) {
      const info = await docker(host).getContainer(c.Id).inspect();
      const volumesFrom = (info.HostConfig as { VolumesFrom?: string[] | null }).VolumesFrom ?? [];
      out.push({ name: c.Names[0].slice(1), host, service: c.Labels[Labels.service], id: c.Id, volumesFrom });
    }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

test('volumes_from a service: each replica next to a source replica, its volumes mounted read-only; a changed source replaces it', async (t) => {
  const name = uniqueStack('vfr');
  const compose = (release: string) => `name: ${name}
services:
  db:
    image: ${IMAGE()}
    command: ["sh", "-c", "hostname > /data/who; trap 'exit 0' TERM; sleep 3600 & wait"]
    environment: { RELEASE: "${release}" }
    stop_grace_period: 1s
    volumes: [/data]
    deploy: { replicas: 2 }
  app:
    image: ${IMAGE()}
    command: ${SLEEP}
    stop_grace_period: 1s
    volumes_from: ["db:ro"]
    deploy: { replicas: 3 }
`;
  const dir = writeDir({ 'compose.yaml': compose('1'), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).catch(() => undefined));
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stdout + applied.stderr);

  const check = async () => {
    const all = await replicas(name);
    const dbs = all.filter((c) => c.service === 'db');
    const apps = all.filter((c) => c.service === 'app');
    t.is(apps.length, 3);
    for (const app of apps) {
      const source = dbs.filter((d) => d.host === app.host).sort((a, b) => a.name.localeCompare(b.name))[0];
      t.truthy(source, `${app.name} runs next to a db replica`);
      t.deepEqual(app.volumesFrom, [`${source.name}:ro`]);
      const who = await execIn(app.host, app.id, ['cat', '/data/who']);
      t.is(who.output.trim(), source.id.slice(0, 12), 'the source replica on its own host');
      const write = await execIn(app.host, app.id, ['sh', '-c', 'touch /data/x 2>&1; echo "exit $?"']);
      t.regex(write.output, /Read-only file system\s+exit 1/, `${app.name} read-only`);
    }
    return apps;
  };
  const before = await check();
  const again = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, again.stdout + again.stderr);

  writeFileSync(path.join(dir, 'compose.yaml'), compose('2'));
  const changed = await runStack(['plan', '-i', 'inventory.yaml'], dir);
  t.regex(changed.stdout, /volumesFromSource\.db: "[0-9a-f]{12}" → "[0-9a-f]{12}"/);
  const reapplied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(reapplied.code, 0, reapplied.stdout + reapplied.stderr);
  const after = await check();
  for (const app of after)
    t.false(
      before.some((b) => b.id === app.id),
      `${app.name} replaced with its source`,
    );
});

test('a container outside the stack on the pinned host: volumes_from container: and external_links resolve; a host without it is refused', async (t) => {
  const name = uniqueStack('xln');
  const h1 = docker('h1');
  const net = await h1.createNetwork({ Name: `${name}-shared`, Driver: 'bridge' });
  const legacy = await h1.createContainer({
    name: `${name}-legacy`,
    Image: IMAGE(),
    Cmd: ['sh', '-c', "echo legacy > /logs/marker; trap 'exit 0' TERM; sleep 3600 & wait"],
    Volumes: { '/logs': {} },
    HostConfig: { NetworkMode: `${name}-shared` },
  });
  await legacy.start();
  t.teardown(async () => {
    await legacy.remove({ force: true, v: true }).catch(() => undefined);
    await net.remove().catch(() => undefined);
  });
  const compose = (host: string) => `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ${SLEEP}
    stop_grace_period: 1s
    networks: [shared]
    volumes_from: ["container:${name}-legacy:ro"]
    external_links: ["${name}-legacy:cache"]
    deploy: { placement: { constraints: [node.hostname == ${host}] } }
networks:
  shared: { external: true, name: ${name}-shared }
`;
  const dir = writeDir({ 'compose.yaml': compose('h2'), 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).catch(() => undefined));

  const refused = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(refused.code, 1);
  t.regex(
    refused.stderr,
    new RegExp(`volumes_from container:${name}-legacy: there is no container ${name}-legacy on host h2`),
  );
  t.deepEqual(await replicas(name), [], 'no host changed');

  writeFileSync(path.join(dir, 'compose.yaml'), compose('h1'));
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  // the operator's policy sees the containers outside the stack (warn by default; enforce refuses: docs/policy.md)
  t.regex(applied.stdout + applied.stderr, new RegExp(`mounts the volumes of container ${name}-legacy`));
  t.regex(applied.stdout + applied.stderr, new RegExp(`links to container ${name}-legacy`));
  const [web] = await replicas(name);
  t.deepEqual(web.volumesFrom, [`${name}-legacy:ro`]);
  t.is((await execIn('h1', web.id, ['cat', '/logs/marker'])).output.trim(), 'legacy');
  const info = await h1.getContainer(web.id).inspect();
  t.deepEqual(info.NetworkSettings.Networks[`${name}-shared`].Links, [`${name}-legacy:cache`]);
  const legacyIp = (await legacy.inspect()).NetworkSettings.Networks[`${name}-shared`].IPAddress;
  t.regex(
    (await execIn('h1', web.id, ['nslookup', 'cache', '127.0.0.11'])).output,
    new RegExp(legacyIp.replace(/\./g, '\\.')),
  );
  const again = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, again.stdout + again.stderr);
});
