/** A secret or config grant's uid, gid and mode: numeric ids and a file mode, else an error at the key. */
import test from 'ava';
import { errors, find, load, yaml } from './helpers.js';

const withGrant = (grant: string) => ({
  'compose.yaml': yaml`
    services:
      app:
        image: busybox:1.35
        secrets:
          - ${grant}
    secrets:
      db: { file: ./db.txt }
  `,
  'db.txt': 'x',
});

test('a numeric uid, gid and mode are taken; the secret defaults to 0400 only when no mode is given', async (t) => {
  const result = await load(withGrant('{ source: db, uid: "1000", gid: "1000", mode: 0440 }'));
  t.deepEqual(errors(result), []);
  const grant = result.value!.services.app.secrets[0];
  t.is(grant.uid, '1000');
  t.is(grant.mode, 0o440);
});

for (const key of ['uid', 'gid'] as const)
  test(`a ${key} that is a name is refused at its key, not silently root`, async (t) => {
    const result = await load(withGrant(`{ source: db, ${key}: nobody }`));
    const d = find(result, `${key} nobody is not a numeric`);
    t.is(d.severity, 'error');
    t.regex(d.where?.path ?? '', new RegExp(`services\\.app\\.secrets\\[0\\]\\.${key}$`));
    t.is(d.where?.line, 5);
  });

test('a mode above 0777 is refused at its key with an example of one', async (t) => {
  const result = await load(withGrant('{ source: db, mode: 4095 }'));
  const d = find(result, 'is not a file mode from 0 to 0777');
  t.regex(d.where?.path ?? '', /services\.app\.secrets\[0\]\.mode$/);
  t.regex(d.hint ?? '', /0400/);
});
