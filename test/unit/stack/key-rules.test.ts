/**
 * Every rule in KEY_RULES fires: for each refused or ignored key, a minimal file that uses it (built from the
 * rule's pattern) gets that rule's message, at the key's own file:line:col and path. A refused key is the file's
 * only error; an ignored one leaves the file valid, with one warning.
 */
import test from 'ava';
import { stringify } from 'yaml';
import { KEY_RULES, type KeyRule } from '../../../src/stack/key-policy.js';
import { describe, errors, load, warnings } from './helpers.js';

type Tree = Record<string, unknown>;

/** Names a `*` takes, by the segment before it. */
function nameFor(parent: string, inService: boolean): string | number {
  if (inService && (parent === 'ports' || parent === 'volumes')) return 0;
  if (parent === 'config') return 0;
  return (
    { services: 'web', networks: inService ? 'front' : 'net1', volumes: 'vol1', secrets: 'sec1', configs: 'cfg1' }[
      parent
    ] ?? 'x'
  );
}

/** The smallest valid value for a container the path walks through, before the rule's key is added. */
function seed(path: (string | number)[], next: string | undefined): unknown {
  const [top, , key] = path;
  const last = path[path.length - 1];
  if (top === 'services' && path.length === 2) return { image: 'busybox:1.35' };
  if (top === 'services' && key === 'ports' && path.length === 4) return { target: 80 };
  if (top === 'services' && key === 'volumes' && path.length === 4) {
    return next === 'bind' ? { type: 'bind', source: '/srv', target: '/srv' } : { type: 'volume', target: '/data' };
  }
  if (top === 'secrets' && path.length === 2) return { environment: 'SECRET_VALUE' };
  if (top === 'configs' && path.length === 2) return { content: 'x' };
  if (last === 0) return { subnet: '10.99.0.0/24' };
  const list = (top === 'services' && path.length === 3 && (key === 'ports' || key === 'volumes')) || last === 'config';
  return list ? [] : {};
}

/** A stack file using the rule's key, and the key's path as diagnostics print it. */
function fileFor(rule: KeyRule): { tree: Tree; path: string } {
  const segments = rule.pattern.split('.');
  const tree: Tree = { services: { web: { image: 'busybox:1.35' } } };
  const path: (string | number)[] = [];
  let node: any = tree;
  segments.forEach((segment, i) => {
    const inService = path[0] === 'services';
    const key = segment === '*' ? nameFor(String(path[path.length - 1]), inService) : segment;
    path.push(key);
    if (i === segments.length - 1) {
      node[key] = 'x';
      return;
    }
    node[key] ??= seed(path, segments[i + 1]);
    node = node[key];
  });
  // A service network must be declared at the top level.
  if (path[0] === 'services' && path[2] === 'networks') tree.networks = { front: {} };
  const printed = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');
  return { tree, path: printed };
}

/**
 * 1-based line and column of the key in the generated YAML (block style: one key per line). The rule's key is
 * the last one added on its path, so where the name is used twice (a service's image: and a mount's image:) it is the later line.
 */
function keyPosition(text: string, key: string): { line: number; column: number } {
  const lines = text.split('\n');
  const found = lines.flatMap((l, i) => {
    const m = new RegExp(`^(\\s*)(- )?${key}:`).exec(l);
    return m ? [{ line: i + 1, column: m[1].length + (m[2] ? 2 : 0) + 1 }] : [];
  });
  if (!found.length) throw new Error(`${key} is not in\n${text}`);
  return found[found.length - 1];
}

for (const rule of KEY_RULES) {
  test(`${rule.action === 'refuse' ? 'refused' : 'ignored with a warning'}: ${rule.pattern}`, async (t) => {
    const { tree, path } = fileFor(rule);
    const text = stringify(tree);
    const r = await load({ 'compose.yaml': text }, { env: { SECRET_VALUE: 's' } });
    const key = rule.pattern.split('.').pop()!;
    const expected = {
      severity: rule.action === 'refuse' ? 'error' : 'warning',
      summary: `${key} is ${rule.action === 'refuse' ? 'not supported' : 'ignored'} — ${rule.reason}`,
      where: { file: 'compose.yaml', ...keyPosition(text, key), path },
      ...((rule.action === 'refuse' ? (rule.hint ?? `remove ${key}`) : rule.hint) !== undefined
        ? { hint: rule.action === 'refuse' ? (rule.hint ?? `remove ${key}`) : rule.hint }
        : {}),
    };
    if (rule.action === 'refuse') {
      t.deepEqual(errors(r), [expected], `${text}\n${r.diagnostics.map(describe).join('\n')}`);
      t.is(r.value, undefined);
    } else {
      t.deepEqual(errors(r), [], text);
      t.deepEqual(warnings(r), [expected], `${text}\n${r.diagnostics.map(describe).join('\n')}`);
      t.truthy(r.value, 'the file is accepted');
    }
  });
}
