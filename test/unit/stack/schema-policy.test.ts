/** The schema and the key policy agree: ignored keys are in the schema (deprecated), refused keys are not. */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { KEY_RULES } from '../../../src/stack/key-policy.js';
import { schemaPath } from '../../../src/stack/index.js';

type Schema = {
  properties?: Record<string, Schema>;
  definitions?: Record<string, Schema>;
  $ref?: string;
  anyOf?: Schema[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  deprecated?: boolean;
};
const root = JSON.parse(readFileSync(schemaPath('stack.schema.json'), 'utf8')) as Schema;

function deref(s: Schema): Schema {
  return s.$ref ? deref(root.definitions![s.$ref.split('/').pop()!]) : s;
}

/** The schemas a key path may land on (following anyOf, items and additionalProperties for `*`). */
function resolve(path: string[]): Schema[] {
  let current = [root];
  for (const segment of path) {
    const next: Schema[] = [];
    const expand = (s: Schema) => {
      s = deref(s);
      if (s.anyOf) s.anyOf.forEach(expand);
      else next.push(s);
    };
    for (const s of current.map(deref).flatMap((s) => (s.anyOf ? s.anyOf.map(deref) : [s]))) {
      if (segment === '*') {
        if (s.items) expand(s.items);
        if (typeof s.additionalProperties === 'object') expand(s.additionalProperties);
      } else if (s.properties?.[segment]) expand(s.properties[segment]);
    }
    current = next;
  }
  return current;
}

for (const rule of KEY_RULES) {
  test(`${rule.action} ${rule.pattern}`, (t) => {
    const found = resolve(rule.pattern.split('.'));
    if (rule.action === 'ignore') {
      t.true(found.length > 0, 'ignored keys are in the schema, so editors know them');
      t.true(
        found.every((s) => s.deprecated === true),
        'and marked deprecated',
      );
    } else {
      t.is(found.length, 0, 'refused keys are not in the schema');
    }
  });
}
