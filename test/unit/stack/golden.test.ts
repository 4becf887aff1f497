/**
 * Golden files: `stack config` output for realistic stacks in test/fixtures/stacks/<name>/compose.yaml, compared with
 * config.golden.yaml next to it. UPDATE_GOLDEN=1 rewrites the goldens.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { formatConfig } from '../../../src/cli/views/config.js';
import { loadStack } from '../../../src/stack/index.js';
import { describe, schema } from './helpers.js';

const root = fileURLToPath(new URL('../../fixtures/stacks/', import.meta.url));
const env = { GRAFANA_ADMIN_PASSWORD: 'admin-pw', HOME: '/home/test' };

for (const name of readdirSync(root).sort()) {
  const dir = path.join(root, name);
  if (!existsSync(path.join(dir, 'compose.yaml'))) continue;
  test(`stack config golden: ${name}`, async (t) => {
    const result = await loadStack({ cwd: dir, env, schema });
    // Only the policy's warnings (the baseline warns of host access: monitoring's agents have plenty).
    t.deepEqual(result.diagnostics.filter((d) => d.severity === 'error' || !d.rule).map(describe), []);
    t.truthy(result.value);
    const text = formatConfig(result.value!).split(dir).join('<fixture>');
    const golden = path.join(dir, 'config.golden.yaml');
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, text);
    t.is(text, readFileSync(golden, 'utf8'));
    t.false(text.includes('hunter2') || text.includes('admin-pw'), 'secret content is never printed');
  });
}
