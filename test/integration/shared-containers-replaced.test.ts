/**
 * volumes_from and external_links when the container they name is replaced (issue 19 follow-up), on the sandbox's
 * daemons (Engine 20.10). The Engine copies a volumes_from source's mounts once, at create: a source removed by hand
 * is created by this plan by the next apply, its dependent replaced in the same plan after it; a source created again
 * outside stack leaves its dependent mounting the earlier container's volume, which the next plan sees and replaces —
 * each time a file written in the source's volume is read in the dependent. external_links on a user network are
 * names the embedded DNS resolves at each lookup: a linked container created again under its name is reached without
 * touching the dependent, and the plan stays empty.
 */
import test from 'ava';
import type Docker from 'dockerode';
import { docker, execIn, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';
import { Labels } from '../../src/labels.js';

test.before(() => ensureBuilt());

const SLEEP = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;
const MAIN = ['h1', 'h2', 'h3'];

/** The stack's running container of a service on h1: its name and id. */
async function replica(stack: string, service: string): Promise<{ name: string; id: string }> {
  const [c] = await docker('h1').listContainers({
    filters: { label: [`${Labels.stack}=${stack}`, `${Labels.service}=${service}`] },
  });
  return { name: c.Names[0].slice(1), id: c.Id };
}

const sh = (id: string, script: string) => execIn('h1', id, ['sh', '-c', script]);

/** Writes `text` in the source's volume and reads it back in the dependent. */
async function shared(stack: string, text: string): Promise<string> {
  const db = await replica(stack, 'db');
  const app = await replica(stack, 'app');
  await sh(db.id, `echo ${text} > /data/marker`);
  return (await sh(app.id, 'cat /data/marker 2>&1')).output.trim();
}

/** The container created again by hand from its own inspect (same name, labels and config), with a new anonymous volume. */
async function recreateByHand(id: string): Promise<void> {
  const h1 = docker('h1');
  const info = await h1.getContainer(id).inspect();
  await h1.getContainer(id).remove({ force: true, v: false });
  const networks = Object.fromEntries(
    Object.entries(info.NetworkSettings.Networks).map(([net, e]) => [net, { Aliases: e.Aliases ?? [] }]),
  );
  const again = await h1.createContainer({
    ...(info.Config as Docker.ContainerCreateOptions),
    name: info.Name.slice(1),
    HostConfig: info.HostConfig,
    NetworkingConfig: { EndpointsConfig: networks },
  });
  await again.start();
}

test('volumes_from: a source removed by hand replaces its dependent in the same apply; one created again outside stack is drift', async (t) => {
  const name = uniqueStack('vfa');
  const pinned = `deploy: { placement: { constraints: [node.hostname == h1] } }`;
  const compose = `name: ${name}
services:
  db:
    image: ${IMAGE()}
    command: ${SLEEP}
    stop_grace_period: 1s
    volumes: [/data]
    ${pinned}
  app:
    image: ${IMAGE()}
    command: ${SLEEP}
    stop_grace_period: 1s
    volumes_from: [db]
    ${pinned}
`;
  const dir = writeDir({ 'compose.yaml': compose, 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).catch(() => undefined));
  const apply = async () => {
    const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
    t.is(r.code, 0, r.stdout + r.stderr);
  };
  const plan = () => runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  await apply();
  t.is(await shared(name, 'one'), 'one');

  const first = await replica(name, 'app');
  await docker('h1')
    .getContainer((await replica(name, 'db')).id)
    .remove({ force: true, v: false });
  const removed = await plan();
  t.is(removed.code, 2, removed.stdout + removed.stderr);
  t.regex(removed.stdout, new RegExp(`± ${name}-app-1  volumes_from db: ${name}-db-1 is created by this plan`));
  await apply();
  t.not((await replica(name, 'app')).id, first.id, 'the dependent is replaced');
  t.is(await shared(name, 'two'), 'two', "the new dependent mounts the new source's volume");
  t.is((await plan()).code, 0, 'a second plan is empty');

  const second = await replica(name, 'app');
  await recreateByHand((await replica(name, 'db')).id);
  t.is(await shared(name, 'three'), 'two', "the Engine kept the earlier source's volume in the dependent");
  const drift = await plan();
  t.is(drift.code, 2, drift.stdout + drift.stderr);
  t.regex(drift.stdout, new RegExp(`± ${name}-app-1  volumes_from db: mounts the volumes of an earlier ${name}-db-1`));
  t.regex(drift.stdout, /volumes_from\.db:\/data: "[0-9a-f]{12}" → "[0-9a-f]{12}"/);
  t.notRegex(drift.stdout, new RegExp(`${name}-db-1 `), 'the source itself is kept');
  await apply();
  t.not((await replica(name, 'app')).id, second.id);
  t.is(await shared(name, 'four'), 'four');
  t.is((await plan()).code, 0, 'a second plan is empty');
});

test('external_links: a linked container created again under its name is resolved by the dependent as it is; the plan stays empty', async (t) => {
  const name = uniqueStack('xlr');
  const h1 = docker('h1');
  const net = await h1.createNetwork({ Name: `${name}-shared`, Driver: 'bridge' });
  const startLegacy = async () => {
    const c = await h1.createContainer({
      name: `${name}-legacy`,
      Image: IMAGE(),
      Cmd: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"],
      HostConfig: { NetworkMode: `${name}-shared` },
    });
    await c.start();
    return (await c.inspect()).NetworkSettings.Networks[`${name}-shared`].IPAddress;
  };
  // another container on the network first, so the legacy container created again gets another address
  const filler = await h1.createContainer({ name: `${name}-filler`, Image: IMAGE(), Cmd: ['sleep', '3600'] });
  await filler.start();
  t.teardown(async () => {
    for (const c of [`${name}-legacy`, `${name}-filler`])
      await h1
        .getContainer(c)
        .remove({ force: true })
        .catch(() => undefined);
    await net.remove().catch(() => undefined);
  });
  const firstIp = await startLegacy();
  const compose = `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ${SLEEP}
    stop_grace_period: 1s
    networks: [shared]
    external_links: ["${name}-legacy:cache"]
    deploy: { placement: { constraints: [node.hostname == h1] } }
networks:
  shared: { external: true, name: ${name}-shared }
`;
  const dir = writeDir({ 'compose.yaml': compose, 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).catch(() => undefined));
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  const web = await replica(name, 'web');
  const lookup = async () => (await execIn('h1', web.id, ['nslookup', 'cache', '127.0.0.11'])).output;
  t.regex(await lookup(), new RegExp(`Address: ${firstIp.replace(/\./g, '\\.')}`));

  await h1.getContainer(`${name}-legacy`).remove({ force: true });
  await h1.getNetwork(`${name}-shared`).connect({ Container: filler.id });
  const gone = await runStack(['plan', '-i', 'inventory.yaml'], dir);
  t.is(gone.code, 1, 'a missing linked container is a plan error');
  t.regex(gone.stderr, new RegExp(`external_links ${name}-legacy: there is no container ${name}-legacy on host h1`));
  t.notRegex(await lookup(), /Address: 172\./, 'the alias resolves to nothing meanwhile');
  await h1.getContainer(web.id).restart({ t: 1 });
  t.true(
    (await h1.getContainer(web.id).inspect()).State.Running,
    'the dependent restarts without its linked container',
  );

  const secondIp = await startLegacy();
  t.not(secondIp, firstIp);
  t.regex(
    await lookup(),
    new RegExp(`Address: ${secondIp.replace(/\./g, '\\.')}`),
    'the same dependent reaches the new one',
  );
  const again = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, again.stdout + again.stderr);
  t.is((await replica(name, 'web')).id, web.id);
});

test("external_links: a container that shares only the Engine's default bridge with the service is a plan error, not a dropped link", async (t) => {
  const name = uniqueStack('xlb');
  const h1 = docker('h1');
  const legacy = await h1.createContainer({ name: `${name}-legacy`, Image: IMAGE(), Cmd: ['sleep', '3600'] });
  await legacy.start();
  t.teardown(() => legacy.remove({ force: true }).catch(() => undefined));
  const compose = `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ${SLEEP}
    networks: [default]
    external_links: ["${name}-legacy:cache"]
    deploy: { placement: { constraints: [node.hostname == h1] } }
networks:
  default: { external: true, name: bridge }
`;
  const dir = writeDir({ 'compose.yaml': compose, 'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) });
  const plan = await runStack(['plan', '-i', 'inventory.yaml'], dir);
  t.is(plan.code, 1, plan.stdout + plan.stderr);
  t.regex(
    plan.stderr,
    new RegExp(
      `external_links ${name}-legacy: container ${name}-legacy on host h1 shares only the Engine's network bridge with web`,
    ),
  );
  t.deepEqual(
    await h1.listContainers({ all: true, filters: { label: [`${Labels.stack}=${name}`] } }),
    [],
    'nothing created',
  );
});
