/**
 * compose-go's inline fixtures: the compose files its Go tests load from raw string literals (`load(t, \`…\`)`,
 * `loadYAML(\`…\`)`). Comments are dropped first (a comment may quote a key in backticks); each remaining raw
 * string that is a YAML mapping with `services:` is one fixture, in the order of its file, duplicates once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseDocument } from 'yaml';

export interface InlineFixture {
  /** `loader/tests/cgroup_test.go#1`: the Go file, relative to the module, and the literal's rank among its fixtures. */
  id: string;
  text: string;
}

/** The Go source without its comments (line and block), string literals kept. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function isComposeFile(text: string): boolean {
  try {
    const value: unknown = parse(text, { uniqueKeys: false, maxAliasCount: 100, logLevel: 'silent' });
    return typeof value === 'object' && value !== null && !Array.isArray(value) && 'services' in value;
  } catch {
    return false;
  }
}

/** The compose files among the raw strings of one Go test file. */
export function inlineFixtures(moduleDir: string, relative: string): InlineFixture[] {
  const source = withoutComments(readFileSync(path.join(moduleDir, relative), 'utf8'));
  const texts = [...source.matchAll(/`([^`]*)`/g)].map((m) => m[1]).filter(isComposeFile);
  return texts.map((text, i) => ({ id: `${relative}#${i + 1}`, text }));
}

/**
 * The fixture without its top-level `jobs:` (compose-go 2.16's run-to-completion containers, which stack refuses), or
 * undefined when it has none. Most of compose-go's per-key fixtures declare the same name as a service and as a job
 * (its tests skip the check that refuses that), so only this variant lets both loaders compare the service.
 */
export function withoutJobs(fixture: InlineFixture): InlineFixture | undefined {
  const document = parseDocument(fixture.text, { uniqueKeys: false, logLevel: 'silent' });
  if (document.errors.length || !document.has('jobs')) return undefined;
  document.delete('jobs');
  return { id: `${fixture.id} (jobs: removed)`, text: document.toString() };
}

/** Every inline fixture of the Go test files in the given folders of the module, each text once. */
export function allInlineFixtures(moduleDir: string, folders: readonly string[]): InlineFixture[] {
  const seen = new Set<string>();
  const result: InlineFixture[] = [];
  for (const folder of folders) {
    const files = readdirSync(path.join(moduleDir, folder)).filter((f) => f.endsWith('_test.go'));
    for (const file of files.sort()) {
      for (const fixture of inlineFixtures(moduleDir, path.join(folder, file))) {
        if (seen.has(fixture.text)) continue;
        seen.add(fixture.text);
        result.push(fixture);
      }
    }
  }
  return result;
}
