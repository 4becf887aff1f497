/**
 * What docs/stack-file.md explains: stack's refusals (the "Refused" lists: `KEY is not supported — …` naming a key
 * they list) and its other documented checks and deliberate differences, each tied to the sentence of the docs that
 * explains it (the conformance test checks the sentence is there, so docs and table stay in step).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const STACK_FILE_DOCS = readFileSync(path.join(here, '..', '..', 'docs', 'stack-file.md'), 'utf8');

export interface Explanation {
  /** What it matches: a stack error's summary, or a differing field's path (`services.*.depends_on`). */
  pattern: RegExp;
  /** Words of docs/stack-file.md that explain it (verbatim). */
  docs: string;
}

/** stack's errors on files Compose takes, explained in the docs (beyond the Refused lists). */
export const DOCUMENTED_REFUSALS: readonly Explanation[] = [
  {
    pattern: /the build context \S+ is (remote|outside the project folder)/,
    docs: 'remote contexts (URLs, `git@…`, `github.com/…`) are refused',
  },
  {
    pattern: /(include|secret file|config file|env_file) \S+ is outside the project folder/,
    docs: 'must resolve **inside the project',
  },
  { pattern: /(secret|config) file \S+ does not exist/, docs: 'secret/config files that do not exist' },
  {
    pattern: /(secret|config) \S+ reads variable \S+, which is not set/,
    docs: 'a variable that is not set is an error',
  },
  { pattern: /memswap_limit needs a memory limit/, docs: 'it needs a memory' },
  { pattern: /^invalid constraint /, docs: 'constraint syntax' },
  { pattern: /^service \S+ has no image/, docs: 'a service without `image`' },
  { pattern: /the mount target "([A-Za-z]:|\\\\)/, docs: 'Windows paths (`C:\\data`) are not absolute' },
  { pattern: /^the service name x-\S+ starts with x-/, docs: 'A service named `x-…` is an error' },
  { pattern: /permissions must be some of r, w and m/, docs: 'permissions are some of `r`, `w` and `m`' },
  {
    pattern: /^must be always, missing, never or if_not_present/,
    docs: '`pull_policy: build|refresh|daily|weekly|every_*`',
  },
  { pattern: /^type must be volume, bind or tmpfs/, docs: 'mount types `npipe`, `cluster`, `image`' },
  { pattern: /^must be some of r, w and m/, docs: 'permissions are some of `r`, `w` and `m`' },
  { pattern: /^volume "\S+" is not declared under the top-level volumes/, docs: 'Undeclared networks, volumes' },
  { pattern: /Windows isolation modes/, docs: '`isolation` other than `default` (Windows)' },
  { pattern: /^network_mode service:\S+ is not supported/, docs: '`service:X` is refused: across hosts' },
  { pattern: /^cpu_(period|quota) and cpus cannot both be set/, docs: 'beside `cpus` an error' },
  { pattern: /^the file holds \d+ YAML documents/, docs: 'hold one YAML document' },
  { pattern: /^sysctl \S+ is not namespaced/, docs: 'sysctls that are not namespaced' },
  { pattern: /ipv6_address on network \S+, which has no IPv6/, docs: '`ipv6_address` on a network without IPv6' },
  {
    pattern: /^external_links \S+: a container outside the stack is on one host/,
    docs: 'the service must be pinned to one host',
  },
  { pattern: /^external_links cannot be used with network_mode/, docs: '`network_mode` with `external_links`' },
  {
    pattern: /sharing another service's or container's IPC namespace/,
    docs: '`service:X` / `container:X` sharing is refused',
  },
];

/** Fields where stack's value differs from compose-go's on purpose (`services.<name>.<key>`, `*` any name). */
export const DOCUMENTED_DIFFERENCES: readonly Explanation[] = [
  { pattern: /^services\.\*\.depends_on$/, docs: '`links` add no `depends_on`' },
  { pattern: /^services\.\*\.volumes$/, docs: 'Windows paths (`C:\\data`) are not absolute' },
];

/** Files compose-go refuses and stack takes, on purpose (matched against compose-go's error). */
export const DOCUMENTED_ACCEPTS: readonly Explanation[] = [
  { pattern: /services\.\w+\.develop/, docs: '`x-develop` is an extension like any other' },
];

/** The keys of the docs' Refused lists (services' and build's): every `code` span of those paragraphs. */
export function refusedKeys(docs: string = STACK_FILE_DOCS): Set<string> {
  const section = /### Refused[^\n]*\n([\s\S]*?)\n### /.exec(docs)?.[1] ?? '';
  const build = /Refused, each with its reason: ([\s\S]*?)\n\n/.exec(docs)?.[1] ?? '';
  const keys = new Set<string>();
  for (const [, code] of `${section} ${build}`.matchAll(/`([^`]+)`/g))
    for (const key of code.split(/[\s:|]+/)) keys.add(key.split('.').pop()!);
  return keys;
}

/** The explanation of a stack error, if the docs give one: the key it names is refused, or a documented check. */
export function explainRefusal(summary: string, refused: ReadonlySet<string>): string | undefined {
  const key = /^(\S+) is not supported — /.exec(summary)?.[1];
  if (key !== undefined) return refused.has(key) ? `Refused: \`${key}\`` : undefined;
  return DOCUMENTED_REFUSALS.find((e) => e.pattern.test(summary))?.docs;
}

/** The explanation of a differing field, with the service's name made `*`. */
export function explainDifference(fieldPath: string): string | undefined {
  const general = fieldPath.replace(/^(services|networks|volumes|secrets|configs)\.[^.]+\./, '$1.*.');
  return DOCUMENTED_DIFFERENCES.find((e) => e.pattern.test(general))?.docs;
}

export function explainAccept(composeError: string): string | undefined {
  return DOCUMENTED_ACCEPTS.find((e) => e.pattern.test(composeError))?.docs;
}
