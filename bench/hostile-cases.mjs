/**
 * Hostile stack inputs (issue #13): each case is a small project — files, symlinks, FIFOs — and the arguments of
 * `stack validate` that read it, with the message it must end in. bench/hostile.mjs runs them through the CLI for
 * time and peak memory; test/unit/stack/hostile-input.test.ts loads them in process and checks the diagnostics.
 * Every case must end in an error with where; none may contact a host.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * @typedef {string | Buffer | { symlink: string } | { fifo: true }} Entry
 * @typedef {{ name: string, attack: string, files: () => Record<string, Entry>, args?: string[], expect: RegExp, where: RegExp }} HostileCase
 */

const SERVICE = 'services:\n  web:\n    image: busybox:1.35\n';

/** A YAML "billion laughs": 9 levels of 9 aliases, about 600 bytes, 387 million nodes if expanded. */
function aliasBomb() {
  const lines = ['x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    const prev = `*${names[i - 1]}`;
    lines.push(`x-${names[i]}: &${names[i]} [${Array(9).fill(prev).join(',')}]`);
  }
  return `${lines.join('\n')}\n${SERVICE}`;
}

/** A chain of mappings, each merging (`<<`) the one before: quadratic in the chain's length when expanded. */
function mergeChain(length) {
  const lines = ['x-m0: &m0 { k0: 0 }'];
  for (let i = 1; i < length; i++) lines.push(`x-m${i}: &m${i} { <<: *m${i - 1}, k${i}: ${i} }`);
  return `${lines.join('\n')}\n${SERVICE}`;
}

/** Each mapping merges every earlier one: cubic when expanded. */
function mergeFan(length) {
  const lines = ['x-m0: &m0 { k0: 0 }'];
  for (let i = 1; i < length; i++) {
    const sources = Array.from({ length: i }, (_, k) => `*m${k}`).join(', ');
    lines.push(`x-m${i}: &m${i} { <<: [${sources}], k${i}: ${i} }`);
  }
  return `${lines.join('\n')}\n${SERVICE}`;
}

/** Lists each holding the one before: 150 small nodes that expand 150 levels deep. */
function aliasDepth(length) {
  const lines = ['x-l0: &l0 [0]'];
  for (let i = 1; i < length; i++) lines.push(`x-l${i}: &l${i} [*l${i - 1}]`);
  return `${lines.join('\n')}\n${SERVICE}`;
}

/** A mapping of `keys` distinct keys (about 13 bytes each), optionally with the first key repeated at the end. */
function wideMap(keys, duplicate) {
  const lines = ['x-wide:'];
  for (let i = 0; i < keys; i++) lines.push(`  k${i}: ${i}`);
  if (duplicate) lines.push('  k0: again');
  return `${SERVICE}${lines.join('\n')}\n`;
}

/** `${A:-${A:-…}}` nested `depth` deep. */
function deepInterpolation(depth) {
  return `${SERVICE}    environment:\n      X: "${'${A:-'.repeat(depth)}x${'}'.repeat(depth)}"\n`;
}

/** @type {HostileCase[]} */
export const HOSTILE_CASES = [
  {
    name: 'alias-bomb',
    attack: '600-byte YAML alias bomb',
    files: () => ({ 'compose.yaml': aliasBomb() }),
    expect: /aliases expand to more than|more than 100000 nodes once its aliases are expanded/,
    where: /^compose\.yaml:\d+:\d+/,
  },
  {
    name: 'merge-chain',
    attack: '3000 mappings each merging the one before',
    files: () => ({ 'compose.yaml': mergeChain(3000) }),
    expect: /aliases expand to more than 100000 nodes/,
    where: /^compose\.yaml:\d+:\d+/,
  },
  {
    name: 'merge-fan',
    attack: '130 mappings each merging every earlier one',
    files: () => ({ 'compose.yaml': mergeFan(130) }),
    expect: /aliases expand to more than 100000 nodes/,
    where: /^compose\.yaml:\d+:\d+/,
  },
  {
    name: 'many-aliases',
    attack: '400 mappings each merging every earlier one (80000 aliases)',
    files: () => ({ 'compose.yaml': mergeFan(400) }),
    expect: /more than 10000 aliases/,
    where: /^compose\.yaml:\d+:\d+/,
  },
  {
    name: 'alias-depth',
    attack: '150 lists each holding the one before',
    files: () => ({ 'compose.yaml': aliasDepth(150) }),
    expect: /aliases and merge keys nest deeper than 100 levels/,
    where: /^compose\.yaml:\d+:\d+/,
  },
  {
    name: 'big-file',
    attack: 'a 5 MB stack file',
    files: () => ({ 'compose.yaml': wideMap(400_000, false) }),
    expect: /larger than 4 MiB/,
    where: /^compose\.yaml$/,
  },
  {
    name: 'duplicate-key-late',
    attack: 'a 500 KB mapping of 40000 keys whose last key repeats the first',
    files: () => ({ 'compose.yaml': wideMap(40_000, true) }),
    expect: /duplicate key k0/,
    where: /^compose\.yaml:\d+:3/,
  },
  {
    name: 'many-nodes',
    attack: 'a flow list of 1.5 million numbers (3 MB)',
    files: () => ({ 'compose.yaml': `${SERVICE}x-list: [${Array(1_500_000).fill('0').join(',')}]\n` }),
    expect: /more than 100000 nodes/,
    where: /^compose\.yaml:\d+:\d+/,
  },
  {
    name: 'deep-nesting',
    attack: '100000 nested flow lists',
    files: () => ({ 'compose.yaml': `${SERVICE}x-deep: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n` }),
    expect: /nested deeper than/,
    where: /^compose\.yaml:\d+:\d+/,
  },
  {
    name: 'deep-interpolation',
    attack: '${A:-${A:-…}} nested 20000 deep',
    files: () => ({ 'compose.yaml': deepInterpolation(20_000) }),
    expect: /nested more than \d+ deep/,
    where: /^compose\.yaml:5:10 services\.web\.environment\.X/,
  },
  {
    name: 'replicas',
    attack: 'replicas: 100000000',
    files: () => ({ 'compose.yaml': `${SERVICE}    deploy: { replicas: 100000000 }\n` }),
    expect: /service web asks for 100000000 replicas/,
    where: /^compose\.yaml:4:25 services\.web\.deploy\.replicas/,
  },
  {
    name: 'total-containers',
    attack: '20 services of 1000 replicas',
    files: () => ({
      'compose.yaml': `services:\n${Array.from({ length: 20 }, (_, i) => `  s${i}: { image: busybox:1.35, deploy: { replicas: 1000 } }\n`).join('')}`,
    }),
    expect: /more than 10000 containers/,
    where: /^compose\.yaml:20:51 services\.s18\.deploy\.replicas/,
  },
  {
    name: 'port-range-bomb',
    attack: '200 entries of ports "1-65535"',
    files: () => ({ 'compose.yaml': `${SERVICE}    ports: [${Array(200).fill('"1-65535"').join(', ')}]\n` }),
    expect: /more than 65535 port mappings/,
    where: /^compose\.yaml:\d+:\d+ services\.web\.ports/,
  },
  {
    name: 'env-file-shadow',
    attack: 'env_file: ../../etc/shadow',
    files: () => ({ 'compose.yaml': `${SERVICE}    env_file: ../../../../../../etc/shadow\n` }),
    expect: /outside the project folder/,
    where: /^compose\.yaml:4:15 services\.web\.env_file/,
  },
  {
    name: 'env-file-proc',
    attack: 'env_file: /proc/self/environ',
    files: () => ({ 'compose.yaml': `${SERVICE}    env_file: [/proc/self/environ]\n` }),
    expect: /outside the project folder/,
    where: /^compose\.yaml:4:16 services\.web\.env_file\[0\]/,
  },
  {
    name: 'env-file-symlink-out',
    attack: 'env_file: a symlink to /etc/passwd',
    files: () => ({ 'compose.yaml': `${SERVICE}    env_file: app.env\n`, 'app.env': { symlink: '/etc/passwd' } }),
    expect: /outside the project folder/,
    where: /^compose\.yaml:4:15 services\.web\.env_file/,
  },
  {
    name: 'env-file-fifo',
    attack: 'env_file: a FIFO nobody writes',
    files: () => ({ 'compose.yaml': `${SERVICE}    env_file: app.env\n`, 'app.env': { fifo: true } }),
    expect: /not a regular file/,
    where: /^compose\.yaml:4:15 services\.web\.env_file/,
  },
  {
    name: 'env-file-dev-zero',
    attack: 'env_file: a symlink to /dev/zero, project folder /',
    files: () => ({ 'compose.yaml': `${SERVICE}    env_file: dev/zero\n` }),
    args: ['--project-directory', '/', '-p', 'x'],
    expect: /not a regular file/,
    where: /^compose\.yaml:4:15 services\.web\.env_file/,
  },
  {
    name: 'env-file-large',
    attack: 'a 2 MiB env file',
    files: () => ({
      'compose.yaml': `${SERVICE}    env_file: big.env\n`,
      'big.env': `A=${'x'.repeat(2 * 1024 * 1024)}\n`,
    }),
    expect: /larger than 1 MiB/,
    where: /^compose\.yaml:4:15 services\.web\.env_file/,
  },
  {
    name: 'dot-env-symlink-out',
    attack: '.env: a symlink to /etc/passwd',
    files: () => ({ 'compose.yaml': SERVICE, '.env': { symlink: '/etc/passwd' } }),
    expect: /outside the project folder/,
    where: /^\.env$/,
  },
  {
    name: 'secret-shadow',
    attack: 'secrets.x.file: ../../etc/shadow',
    files: () => ({ 'compose.yaml': `${SERVICE}secrets:\n  x: { file: ../../../../../../etc/shadow }\n` }),
    expect: /outside the project folder/,
    where: /^compose\.yaml:5:14 secrets\.x\.file/,
  },
  {
    name: 'config-dev-zero',
    attack: 'configs.x.file: /dev/zero',
    files: () => ({ 'compose.yaml': `${SERVICE}configs:\n  x: { file: /dev/zero }\n` }),
    expect: /outside the project folder/,
    where: /^compose\.yaml:5:14 configs\.x\.file/,
  },
  {
    name: 'secret-directory',
    attack: 'secrets.x.file: a directory',
    files: () => ({ 'compose.yaml': `${SERVICE}secrets:\n  x: { file: sub }\n`, 'sub/a': 'a' }),
    expect: /not a regular file/,
    where: /^compose\.yaml:5:14 secrets\.x\.file/,
  },
  {
    name: 'extends-outside',
    attack: 'extends.file: /etc/passwd',
    files: () => ({ 'compose.yaml': `services:\n  web:\n    extends: { file: /etc/passwd, service: x }\n` }),
    expect: /outside the project folder/,
    where: /^compose\.yaml:3:22 services\.web\.extends\.file/,
  },
  {
    name: 'extends-fifo',
    attack: 'extends.file: a FIFO',
    files: () => ({
      'compose.yaml': `services:\n  web:\n    extends: { file: base.yaml, service: x }\n`,
      'base.yaml': { fifo: true },
    }),
    expect: /not a regular file/,
    where: /^compose\.yaml:3:22 services\.web\.extends\.file/,
  },
  {
    name: 'operator-env-file-fifo',
    attack: '--env-file a FIFO',
    files: () => ({ 'compose.yaml': SERVICE, 'vars.env': { fifo: true } }),
    args: ['--env-file', 'vars.env'],
    expect: /not a regular file/,
    where: /^vars\.env$/,
  },
  {
    name: 'stack-file-dev-zero',
    attack: '-f /dev/zero',
    files: () => ({}),
    args: ['-f', '/dev/zero'],
    expect: /not a regular file/,
    where: /^\/dev\/zero$/,
  },
];

/** Writes a case's files into a fresh folder (symlinks and FIFOs included) and returns the folder. */
export function materialise(hostile) {
  const dir = mkdtempSync(join(tmpdir(), `stack-hostile-${hostile.name}-`));
  for (const [name, entry] of Object.entries(hostile.files())) {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    if (typeof entry === 'string' || Buffer.isBuffer(entry)) writeFileSync(file, entry);
    else if ('symlink' in entry) symlinkSync(entry.symlink, file);
    else execFileSync('mkfifo', [file]);
  }
  return dir;
}
