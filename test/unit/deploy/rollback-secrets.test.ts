/** rollback reads a revision's secret files again only from inside the current project folder, whatever the revision says. */
import test from 'ava';
import { secretReader } from '../../../src/deploy/rollback-secrets.js';
import type { FileObjectSpec } from '../../../src/stack/types.js';
import { load } from '../stack/helpers.js';

const spec = (source: string): FileObjectSpec => ({
  key: 'pw',
  name: 's_pw',
  kind: 'secret',
  source,
  external: false,
  contentHash: 'x',
});

test('a file: source inside the project is read; one outside it, or a directory, is not', async (t) => {
  const r = await load({ 'compose.yaml': 'services:\n  web:\n    image: x\n', 'pw.txt': 'hunter2', 'sub/x': 'x' });
  const read = secretReader(r.value!, r.dir, {});
  t.is(read('pw', spec('file:./pw.txt'))?.content?.toString(), 'hunter2');
  t.is(read('pw', spec('file:../../../../../../etc/hostname')), undefined);
  t.is(read('pw', spec('file:/etc/hostname')), undefined);
  t.is(read('pw', spec('file:sub')), undefined);
  t.is(secretReader(r.value!, '/etc', {})('pw', spec('file:hostname')), undefined, 'a revision naming another folder');
});
