/**
 * The files the conformance comparison loads (conformance.test.ts): compose-go's own fixtures, read from the Go
 * module cache at test time (Apache-2.0; none is copied into this repository) — its testdata files and the inline
 * files of its Go tests, written to a temporary folder — and stack's per-key examples in test/compat/keys/.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allInlineFixtures, withoutJobs } from './go-fixtures.js';

export type CaseSource = 'compose-go testdata' | 'compose-go inline' | 'keys';

export interface CompatCase {
  /** Stable name: the file's path in compose-go's module or in test/compat/keys, or an inline fixture's id. */
  id: string;
  source: CaseSource;
  /** The project folder (its .env is read by both loaders). */
  dir: string;
  /** The file, relative to dir. */
  file: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const TESTDATA = ['loader/testdata', 'cli/testdata'];
const INLINE = ['loader', 'loader/tests'];

function yamlFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(entry) && !entry.includes('.golden.')) found.push(full);
  }
  return found;
}

/** compose-go's testdata compose files (not its golden outputs), each loaded from its own folder. */
export function testdataCases(moduleDir: string): CompatCase[] {
  return TESTDATA.flatMap((folder) => yamlFiles(path.join(moduleDir, folder))).map((full) => ({
    id: path.relative(moduleDir, full),
    source: 'compose-go testdata' as const,
    dir: path.dirname(full),
    file: path.basename(full),
  }));
}

/**
 * compose-go's inline fixtures, each written as compose.yaml into a folder of its own under `scratch`; one with
 * top-level `jobs:` also without them (withoutJobs).
 */
export function inlineCases(moduleDir: string, scratch: string): CompatCase[] {
  const fixtures = allInlineFixtures(moduleDir, INLINE).flatMap((f) =>
    [f, withoutJobs(f)].filter((x) => x !== undefined),
  );
  return fixtures.map((fixture, i) => {
    const dir = path.join(scratch, `inline-${String(i + 1).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'compose.yaml'), fixture.text);
    return { id: fixture.id, source: 'compose-go inline' as const, dir, file: 'compose.yaml' };
  });
}

/** stack's per-key examples: test/compat/keys/*.yaml, all in one project folder. */
export function keyCases(): CompatCase[] {
  const dir = path.join(here, 'keys');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({ id: `keys/${file}`, source: 'keys' as const, dir, file }));
}
