/** `stack config --json`: the data `stack config` prints as YAML, as one JSON document, sensitive values masked. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { loadStack } from '../../../src/stack/index.js';
import { formatConfig, formatConfigJson } from '../../../src/cli/views/config.js';
import { MASK } from '../../../src/sensitive.js';

test('config --json is the YAML output as JSON, with sensitive values masked', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stack-config-json-'));
  try {
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      'services:\n  app:\n    image: busybox:1.36\n    environment: { DB_PASSWORD: hunter2, MODE: prod }\n',
    );
    const result = await loadStack({ cwd: dir, env: { HOME: '/nonexistent' }, checkPolicy: false });
    const json = formatConfigJson(result.value!);
    const value = JSON.parse(json);
    t.deepEqual(value, parse(formatConfig(result.value!)));
    t.deepEqual(value.services.app.environment, { DB_PASSWORD: MASK, MODE: 'prod' });
    t.false(json.includes('hunter2'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
