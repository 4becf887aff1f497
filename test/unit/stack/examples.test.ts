/** Every examples/<name>/compose.yaml validates. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadStack } from '../../../src/stack/index.js';
import { describe, schema, writeTree } from './helpers.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const examples = path.join(repo, 'examples');

const names = readdirSync(examples).filter((name) => existsSync(path.join(examples, name, 'compose.yaml')));

test('there are examples', (t) => {
  t.true(names.length >= 3);
});

// The sandbox's hosts and labels, as `sandbox up` writes them (the examples are placed by these labels).
const inventory = writeTree({
  'inventory.yaml': [
    'hosts:',
    '  h1: { endpoint: "unix:///run/stack-sandbox/h1/docker.sock", labels: { role: web, pool: main, zone: a } }',
    '  h2: { endpoint: "unix:///run/stack-sandbox/h2/docker.sock", labels: { role: web, pool: main, zone: b } }',
    '  h3: { endpoint: "unix:///run/stack-sandbox/h3/docker.sock", labels: { role: db, pool: main, zone: c } }',
    // examples/build builds on h1 and pushes to the sandbox's registry.
    'registry: 10.77.0.2:5000',
    'builder: h1',
    '',
  ].join('\n'),
});

for (const name of names) {
  test(`examples/${name}/compose.yaml validates against the sandbox's hosts`, async (t) => {
    const result = await loadStack({
      cwd: repo,
      files: [`examples/${name}/compose.yaml`],
      inventory: path.join(inventory, 'inventory.yaml'),
      env: {},
      schema,
    });
    t.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map(describe), []);
    t.truthy(result.value);
  });
}
