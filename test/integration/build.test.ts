/**
 * `build:` on the sandbox (issue 22): two services built from Dockerfiles FROM the sandbox's busybox (an ARG, a
 * .dockerignore) on h1, pushed to the sandbox's registry and running on h1–h3 by digest; a second apply builds and
 * pushes nothing and makes no write on any host; a changed source file rebuilds and replaces exactly that service.
 * The error paths change no host: no registry in the inventory, a context outside the project, a failing step.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { Labels } from '../../src/labels.js';
import {
  containersOf,
  execIn,
  inspect,
  sandbox,
  stackEvents,
  uniqueStack,
  eventWindowStart,
} from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir, type CliResult } from './cli-helpers.js';

const MAIN = ['h1', 'h2', 'h3'];
test.before(() => ensureBuilt());

function inventory(build = true): string {
  const { registry } = sandbox();
  return inventoryYaml(sandboxHosts(MAIN)) + (build ? `registry: ${registry}\nbuilder: h1\n` : '');
}

const DOCKERFILE = [
  'ARG BASE',
  'FROM $BASE',
  'ARG GREETING=hello',
  'COPY . /srv/',
  'RUN echo "$GREETING" > /srv/greeting.txt',
  'CMD ["sh", "-c", "trap \'exit 0\' TERM; sleep 3600 & wait"]',
].join('\n');

function project(name: string, more: Record<string, string> = {}): string {
  const base = sandbox().images.busybox;
  const service = (dir: string, greeting: string) =>
    `    build:\n      context: ./${dir}\n      args: { BASE: "${base}", GREETING: ${greeting} }\n` +
    `    deploy: { mode: global, placement: { constraints: ["node.labels.pool == main"] } }\n`;
  return writeDir({
    'compose.yaml': `name: ${name}\nservices:\n  web:\n${service('web', 'bonjour')}  api:\n${service('api', 'hola')}`,
    'inventory.yaml': inventory(),
    'web/Dockerfile': DOCKERFILE,
    'web/index.html': '<h1>web</h1>\n',
    'web/.dockerignore': 'notes.txt\n',
    'web/notes.txt': 'not sent\n',
    'api/Dockerfile': DOCKERFILE,
    'api/main.sh': 'echo v1\n',
    'api/.dockerignore': '*.tmp\n',
    'api/scratch.tmp': 'not sent\n',
    ...more,
  });
}

function events(r: CliResult): { type: string; [key: string]: unknown }[] {
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string });
}

/** The registry's tags of a repository (the sandbox registry speaks plain HTTP). */
async function tags(repo: string): Promise<string[]> {
  const { registry } = sandbox();
  const res = await fetch(`http://${registry}/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  return (((await res.json()) as { tags?: string[] }).tags ?? []).sort();
}

/** Each running container of the stack: service, host, image, id. */
async function running(name: string) {
  const found = await containersOf(name);
  return [...found.entries()]
    .map(([container, { host, info }]) => ({
      container,
      host,
      service: info.Labels[Labels.service],
      image: info.Image,
      id: info.Id,
    }))
    .sort((a, b) => a.container.localeCompare(b.container));
}

test('two build: services built on h1, pushed, run by digest on h1–h3; a second apply writes nothing; a changed file replaces only its service', async (t) => {
  const name = uniqueStack('bld');
  const dir = project(name);
  t.teardown(async () => void (await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir)));

  const first = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(first.code, 0, first.stderr);
  const started = events(first).filter((e) => e.type === 'build.start');
  t.deepEqual(started.map((e) => [e.service, e.host]).sort(), [
    ['api', 'h1'],
    ['web', 'h1'],
  ]);
  t.true(events(first).some((e) => e.type === 'build.output' && /Step 5\/6 : RUN/.test(String(e.line))));
  const { registry } = sandbox();
  t.is((await tags(`${name}-web`)).length, 1);
  t.is((await tags(`${name}-api`)).length, 1);

  const before = await running(name);
  t.deepEqual([...new Set(before.map((c) => c.host))].sort(), MAIN);
  for (const c of before) t.regex(c.image, new RegExp(`^${registry}/${name}-${c.service}@sha256:[0-9a-f]{64}$`));
  const web = before.find((c) => c.service === 'web')!;
  t.is((await execIn(web.host, web.container, ['cat', '/srv/greeting.txt'])).output.trim(), 'bonjour');
  t.not((await execIn(web.host, web.container, ['test', '-e', '/srv/notes.txt'])).exitCode, 0, '.dockerignore');
  const api = before.find((c) => c.service === 'api')!;
  t.is((await execIn(api.host, api.container, ['cat', '/srv/greeting.txt'])).output.trim(), 'hola');
  t.not((await execIn(api.host, api.container, ['test', '-e', '/srv/scratch.tmp'])).exitCode, 0, '.dockerignore');

  // ps and status look the digests up (a read): the running containers are what the file asks for.
  const ps = await runStack(['ps', '-i', 'inventory.yaml'], dir);
  t.is(ps.code, 0, ps.stderr);
  t.notRegex(ps.stdout.split('\n').slice(1).join('\n'), /drift/);

  // Again: found in the registry, nothing built or pushed, no write on any host.
  const since = await eventWindowStart();
  const again = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, again.stderr);
  const quiet = events(again);
  t.deepEqual(quiet.filter((e) => e.type === 'build.found').length, 2);
  t.false(quiet.some((e) => e.type === 'build.start' || e.type === 'build.push'));
  const summary = quiet.at(-1)!;
  t.is(summary.type, 'summary');
  for (const h of MAIN) t.is((summary.calls as Record<string, { writes: number }>)[h].writes, 0, h);
  t.deepEqual(await stackEvents(name, since), []);
  t.is((await tags(`${name}-web`)).length, 1);

  // Ignored files change nothing either; a changed source file of api rebuilds and replaces api only.
  writeFileSync(path.join(dir, 'web/notes.txt'), 'still not sent\n');
  writeFileSync(path.join(dir, 'api/main.sh'), 'echo v2\n');
  const changed = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir);
  t.is(changed.code, 0, changed.stderr);
  t.deepEqual(
    events(changed)
      .filter((e) => e.type === 'build.start')
      .map((e) => e.service),
    ['api'],
  );
  const after = await running(name);
  for (const c of after.filter((x) => x.service === 'web'))
    t.true(
      before.some((b) => b.container === c.container && b.id === c.id),
      `${c.container} kept`,
    );
  const newApi = after.filter((x) => x.service === 'api');
  t.is(newApi.length, 3);
  for (const c of newApi) {
    t.false(
      before.some((b) => b.id === c.id),
      `${c.container} replaced`,
    );
    t.not(c.image, api.image);
    t.is((await execIn(c.host, c.container, ['cat', '/srv/main.sh'])).output.trim(), 'echo v2');
  }
  t.is((await tags(`${name}-api`)).length, 2);
  t.is((await tags(`${name}-web`)).length, 1);
  t.is((await inspect(newApi[0].host, newApi[0].container)).Config.Image, newApi[0].image);
});

test('stack build alone: builds and pushes, prints the digests (--json), changes nothing on the hosts; then a saved plan applies them as saved', async (t) => {
  const name = uniqueStack('bldc');
  const dir = project(name);
  const since = await eventWindowStart();
  const r = await runStack(['build', '--json', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 0, r.stderr);
  const summary = events(r).at(-1)!;
  t.is(summary.type, 'build.summary');
  const images = summary.images as { service: string; image: string; built: boolean }[];
  t.deepEqual(images.map((i) => [i.service, i.built]).sort(), [
    ['api', true],
    ['web', true],
  ]);
  for (const i of images) t.regex(i.image, new RegExp(`/${name}-${i.service}@sha256:[0-9a-f]{64}$`));
  t.deepEqual(await stackEvents(name, since), []);
  t.deepEqual(await running(name), []);
  // plan then knows the digests: the plan is exact (creates), and says nothing is built at apply.
  const plan = await runStack(['plan', '--json', '-i', 'inventory.yaml'], dir);
  t.is(plan.code, 0, plan.stderr);
  t.notRegex(plan.stderr, /built at apply/);
  t.regex(plan.stdout, new RegExp(images[0].image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  // CI's other job: a saved plan of the built images, applied as saved; nothing is built again.
  t.teardown(async () => void (await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir)));
  const saved = await runStack(['plan', '-o', 'saved.json', '-i', 'inventory.yaml'], dir);
  t.is(saved.code, 0, saved.stderr);
  const applied = await runStack(['apply', 'saved.json', '--json', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stderr);
  t.false(events(applied).some((e) => e.type === 'build.start'));
  const live = await running(name);
  t.deepEqual([...new Set(live.map((c) => c.host))].sort(), MAIN);
  for (const c of live) t.is(c.image, images.find((i) => i.service === c.service)?.image ?? '');
});

test('plan with a build not yet in the registry: says built at apply, --detailed-exitcode 2, refuses to save, builds and pushes nothing', async (t) => {
  const name = uniqueStack('bldp');
  const dir = project(name);
  const r = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /service api: .* is not in the registry: built at apply/);
  // A saved plan must be exact: refused until the images are built.
  const saved = await runStack(['plan', '-o', 'saved.json', '-i', 'inventory.yaml'], dir);
  t.is(saved.code, 1);
  t.regex(saved.stderr, /cannot save a plan of images not built yet: [\s\S]*run stack build first/);
  t.false(existsSync(path.join(dir, 'saved.json')));
  t.deepEqual(await tags(`${name}-api`), []);
});

test('refused before any host is touched: no registry in the inventory, a context outside the project', async (t) => {
  const name = uniqueStack('bldr');
  const since = await eventWindowStart();
  const noRegistry = project(name, { 'inventory.yaml': inventory(false) });
  const r1 = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], noRegistry);
  t.is(r1.code, 1);
  t.regex(r1.stderr, /compose\.yaml:\d+:\d+ services\.web\.build[\s\S]*the inventory names no registry: and builder:/);
  t.notRegex(r1.stderr, /\n\s+at /, 'no stack trace');
  const outside = writeDir({
    'compose.yaml': `name: ${name}\nservices:\n  web:\n    build: ../\n`,
    'inventory.yaml': inventory(),
  });
  const r2 = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], outside);
  t.is(r2.code, 1);
  t.regex(r2.stderr, /services\.web\.build[\s\S]*the build context \.\.\/ is outside the project folder/);
  t.deepEqual(await stackEvents(name, since), []);
});

test('a failing step: exit 1 naming the step and the daemon message, nothing pushed, no host changed', async (t) => {
  const name = uniqueStack('bldf');
  const dir = project(name, { 'api/Dockerfile': `${DOCKERFILE}\nRUN echo failing on purpose; exit 3\n` });
  t.teardown(async () => void (await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir)));
  const since = await eventWindowStart();
  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(r.code, 1, r.stdout);
  t.regex(
    r.stderr,
    /service api: the build failed at Step 7\/7 : RUN echo failing on purpose; exit 3: .*returned a non-zero code: 3/,
  );
  t.regex(r.stderr, /host h1/);
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  t.deepEqual(await tags(`${name}-api`), []);
  t.deepEqual(await stackEvents(name, since), []);
  t.deepEqual(await running(name), []);
});

test("a registry with credentials: pushed with the Docker config's, pulled by the other hosts with them; without them the registry lookup fails clearly and no host changes", async (t) => {
  const name = uniqueStack('blda');
  const { registryAuth, images } = sandbox();
  const compose =
    `name: ${name}\nservices:\n  app:\n    build:\n      context: ./app\n      args: { BASE: "${images.busybox}" }\n` +
    `    deploy: { replicas: 1, placement: { constraints: ["node.hostname == h2"] } }\n`;
  const dir = writeDir({
    'compose.yaml': compose,
    'inventory.yaml': inventoryYaml(sandboxHosts(MAIN)) + `registry: ${registryAuth.address}/private\nbuilder: h1\n`,
    'app/Dockerfile': DOCKERFILE,
    'app/hello.txt': 'hi\n',
    'creds/config.json': JSON.stringify({
      auths: {
        [registryAuth.address]: {
          auth: Buffer.from(`${registryAuth.username}:${registryAuth.password}`).toString('base64'),
        },
      },
    }),
    'nocreds/config.json': '{}',
  });
  t.teardown(async () => void (await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir)));
  const since = await eventWindowStart();
  const denied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, {
    DOCKER_CONFIG: path.join(dir, 'nocreds'),
  });
  t.is(denied.code, 1, denied.stdout);
  t.regex(
    denied.stderr,
    new RegExp(
      `service app: looking ${registryAuth.address}/private/${name}-app:[0-9a-f]{32} up in the registry .* failed: .*no basic auth credentials`,
    ),
  );
  t.regex(denied.stderr, /has credentials for 10\.77\.0\.2:5001; no host was changed/);
  t.notRegex(denied.stderr, /\n\s+at /, 'no stack trace');
  t.deepEqual(await stackEvents(name, since), []);

  const r = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir, { DOCKER_CONFIG: path.join(dir, 'creds') });
  t.is(r.code, 0, r.stderr);
  const [c] = await running(name);
  t.is(c.host, 'h2');
  t.regex(c.image, new RegExp(`^${registryAuth.address}/private/${name}-app@sha256:`));
});

test("the inventory's registries: credentials push too (none in the Docker config)", async (t) => {
  const name = uniqueStack('bldi');
  const { registryAuth, images } = sandbox();
  const dir = writeDir({
    'compose.yaml': `name: ${name}\nservices:\n  app:\n    build:\n      context: ./app\n      args: { BASE: "${images.busybox}" }\n`,
    'inventory.yaml':
      inventoryYaml(sandboxHosts(MAIN)) +
      `registry: ${registryAuth.address}/private\nbuilder: h1\n` +
      `registries:\n  "${registryAuth.address}": { username: ${registryAuth.username}, password_env: SANDBOX_REGISTRY_PASSWORD }\n`,
    'app/Dockerfile': DOCKERFILE,
    'app/hello.txt': 'hi\n',
    'nocreds/config.json': '{}',
  });
  const r = await runStack(['build', '--json', '-i', 'inventory.yaml'], dir, {
    DOCKER_CONFIG: path.join(dir, 'nocreds'),
    SANDBOX_REGISTRY_PASSWORD: registryAuth.password,
  });
  t.is(r.code, 0, r.stderr);
  t.notRegex(r.stdout + r.stderr, new RegExp(registryAuth.password));
  const summary = events(r).at(-1)!;
  t.like((summary.images as { built: boolean }[])[0], { built: true });
});
