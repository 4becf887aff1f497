/**
 * Every stack file docs/stack-file.md shows validates (issue 19): each ```yaml block with a top-level `services:`
 * is loaded as compose.yaml in a folder of its own (the folders and files it names made empty first), with the
 * hosts and build settings of test/compat/inventory.yaml; no error may come out.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadStack, StackSchema } from '../../../src/stack/index.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const docs = readFileSync(path.join(root, 'docs', 'stack-file.md'), 'utf8');
const schema = new StackSchema();

/** The stack files among the docs' yaml blocks, with the line each starts at. */
const examples = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .filter((m) => /^services:/m.test(m[1]))
  .map((m) => ({ text: m[1], line: docs.slice(0, m.index).split('\n').length + 1 }));

/** The build contexts the Build example names, made as folders with a Dockerfile. */
function contexts(dir: string, text: string): void {
  for (const [, context] of text.matchAll(/(?:build|context): (\.\/\w+)/g)) {
    mkdirSync(path.join(dir, context), { recursive: true });
    writeFileSync(path.join(dir, context, 'Dockerfile'), 'FROM scratch\n');
  }
}

test('docs/stack-file.md shows stack files', (t) => {
  t.true(examples.length >= 2, `found ${examples.length}`);
});

for (const example of examples) {
  test(`docs/stack-file.md:${example.line} validates`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stack-docs-'));
    try {
      writeFileSync(path.join(dir, 'compose.yaml'), example.text);
      contexts(dir, example.text);
      const result = await loadStack({
        cwd: dir,
        env: { HOME: '/nonexistent', BASE_IMAGE: 'busybox:1.36' },
        schema,
        inventory: path.join(root, 'test', 'compat', 'inventory.yaml'),
      });
      t.deepEqual(
        result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary),
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
