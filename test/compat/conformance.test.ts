/**
 * Conformance with compose-go over many files (issue 19): compose-go's own fixtures (its testdata and the inline
 * files of its Go tests, read from the Go module cache) and test/compat/keys/ (a file per key family stack
 * implements). Each file is loaded by both loaders and classified (classify.ts); the counts and every difference
 * are written to test/compat/REPORT.md, README states the counts, and a difference docs/stack-file.md does not
 * explain fails the test. Without Go the test is skipped, saying so.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadStack, StackSchema } from '../../src/stack/index.js';
import { classify, type Verdict } from './classify.js';
import {
  COMPOSE_GO_VERSION,
  composeBinary,
  composeGoSourceDir,
  composeLoad,
  hasGo,
  PLAIN_ENV,
} from './compose-load.js';
import { STACK_FILE_DOCS, DOCUMENTED_ACCEPTS, DOCUMENTED_DIFFERENCES, DOCUMENTED_REFUSALS } from './explained.js';
import { countsLine, renderReport, type CaseVerdict } from './report.js';
import { inlineCases, keyCases, testdataCases } from './sources.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const go = hasGo();
const compat = go ? test.serial : test.skip;
if (!go) test('conformance skipped: Go is not installed (install golang to run test/compat)', (t) => t.pass());

compat('every explanation quotes docs/stack-file.md', (t) => {
  const flat = (s: string) => s.replace(/\s+/g, ' ');
  for (const e of [...DOCUMENTED_REFUSALS, ...DOCUMENTED_DIFFERENCES, ...DOCUMENTED_ACCEPTS])
    t.true(flat(STACK_FILE_DOCS).includes(flat(e.docs)), `docs/stack-file.md does not say: ${e.docs}`);
});

compat('compose-go and stack agree on every file, or the docs say why (test/compat/REPORT.md)', async (t) => {
  t.timeout(10 * 60_000); // ~550 files, each through compose-go's program and stack's loader
  const binary = composeBinary();
  const moduleDir = composeGoSourceDir();
  const scratch = mkdtempSync(path.join(tmpdir(), 'stack-compat-'));
  const schema = new StackSchema();
  const inventory = path.join(here, 'inventory.yaml');
  try {
    const cases = [...testdataCases(moduleDir), ...inlineCases(moduleDir, scratch), ...keyCases()];
    const verdicts: CaseVerdict[] = [];
    for (const c of cases) {
      const compose = composeLoad(binary, c.dir, [c.file]);
      const stack = await loadStack({
        cwd: c.dir,
        files: [c.file],
        env: PLAIN_ENV,
        schema,
        checkPolicy: false,
        inventory,
      });
      verdicts.push({ ...c, verdict: classify(compose, stack) });
    }
    // The report names no folder of this machine: the scratch folder, the module cache and the checkout are redacted.
    const redact = (text: string) =>
      text
        .replaceAll(scratch, '<tmp>')
        .replaceAll(moduleDir, '<compose-go>')
        .replaceAll(path.join(here, '..', '..'), '.');
    const redacted = verdicts.map((v) => ({ ...v, verdict: { ...v.verdict, details: v.verdict.details.map(redact) } }));
    writeFileSync(path.join(here, 'REPORT.md'), renderReport(redacted, COMPOSE_GO_VERSION));
    const line = countsLine(verdicts);
    t.log(line);
    const readme = readFileSync(path.join(here, '..', '..', 'README.md'), 'utf8');
    t.true(readme.includes(line), `README.md does not state the counts: ${line}`);
    const unexplained = verdicts.filter((v) => !v.verdict.explained);
    t.deepEqual(
      unexplained.map((v) => `${v.id}: ${v.verdict.details.join('; ')}`),
      [],
      'differences docs/stack-file.md does not explain (see test/compat/REPORT.md)',
    );
    t.true(
      verdicts.filter((v) => v.source === 'keys').every((v) => v.verdict.kind === 'agree'),
      'a keys/ file does not agree',
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

export type { Verdict };
