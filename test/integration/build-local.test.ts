/**
 * `builder: local` on a real daemon (issue 22): the inventory's builder is the operator's own daemon, found as the
 * docker CLI finds it. Here the operator's environment points DOCKER_HOST (tcp with DOCKER_TLS_VERIFY and
 * DOCKER_CERT_PATH) at the sandbox's h3, which is not a host of the inventory: the image is built there, pushed to
 * the sandbox registry, and runs by digest on h1 and h2, which never built it.
 */
import path from 'node:path';
import test from 'ava';
import { Labels } from '../../src/labels.js';
import { containersOf, docker, execIn, sandbox, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

test.before(() => ensureBuilt());

test('builder: local follows DOCKER_HOST: built on that daemon, pushed, deployed by digest on the hosts', async (t) => {
  const name = uniqueStack('bloc');
  const { registry, images, hosts } = sandbox();
  const h3 = hosts.find((h) => h.name === 'h3')!;
  const dir = writeDir({
    'compose.yaml':
      `name: ${name}\nservices:\n  web:\n    build:\n      context: ./web\n      args: { BASE: "${images.busybox}" }\n` +
      '    deploy: { replicas: 2 }\n',
    'inventory.yaml': `${inventoryYaml(sandboxHosts(['h1', 'h2']))}registry: ${registry}\nbuilder: local\n`,
    'web/Dockerfile': [
      'ARG BASE',
      'FROM $BASE',
      'COPY greeting.txt /srv/',
      'CMD ["sh", "-c", "trap \'exit 0\' TERM; sleep 3600 & wait"]',
    ].join('\n'),
    'web/greeting.txt': 'built locally\n',
  });
  const operator = {
    DOCKER_HOST: h3.tcp,
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: path.dirname(h3.tls.ca),
  };
  t.teardown(async () => void (await runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir, operator)));

  const applied = await runStack(['apply', '--yes', '--json', '-i', 'inventory.yaml'], dir, operator);
  t.is(applied.code, 0, applied.stderr);
  const events = applied.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; host?: string; tag?: string });
  const started = events.find((e) => e.type === 'build.start');
  t.is(started?.host, 'local');

  // The tag is on h3's daemon (built there), not on h1 or h2, which pulled the digest only.
  const repo = `${registry}/${name}-web`;
  const onH3 = await docker('h3').listImages({ filters: { reference: [repo] } });
  t.true(
    onH3.some((i) => (i.RepoTags ?? []).some((tag) => tag.startsWith(`${repo}:`))),
    'built on h3',
  );
  const running = [...(await containersOf(name)).values()];
  t.deepEqual([...new Set(running.map((c) => c.host))].sort(), ['h1', 'h2']);
  for (const { host, info } of running) {
    t.is(info.Labels[Labels.service], 'web');
    t.regex(info.Image, new RegExp(`^${repo}@sha256:[0-9a-f]{64}$`));
    const local = await docker(host).listImages({ filters: { reference: [repo] } });
    t.false(
      local.some((i) => (i.RepoTags ?? []).length > 0),
      `${host} has the image by digest only`,
    );
    const name = info.Names[0].replace(/^\//, '');
    t.is((await execIn(host, name, ['cat', '/srv/greeting.txt'])).output.trim(), 'built locally');
  }
});
