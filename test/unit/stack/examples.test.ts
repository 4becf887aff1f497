/** Every examples/<name>/compose.yaml validates. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadStack } from '../../../src/stack/index.js';
import { describe, schema } from './helpers.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const examples = path.join(repo, 'examples');

const names = readdirSync(examples).filter((name) => existsSync(path.join(examples, name, 'compose.yaml')));

test('there are examples', (t) => {
  t.true(names.length >= 3);
});

for (const name of names) {
  test(`examples/${name}/compose.yaml validates`, async (t) => {
    const result = await loadStack({ cwd: repo, files: [`examples/${name}/compose.yaml`], env: {}, schema });
    t.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map(describe), []);
    t.truthy(result.value);
  });
}
