/**
 * The build context as stack sends and hashes it: .dockerignore honoured (a change to an ignored file keeps the
 * hash, to a sent file changes it), the Dockerfile and .dockerignore always sent, symlinks sent as links and never
 * followed, a context whose real path leaves the project refused, the caps, the build's options in the hash, and
 * the tar holding exactly the entries hashed.
 */
import { mkdirSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { extract } from 'tar-stream';
import { ContextError, INLINE_DOCKERFILE, readContext } from '../../../src/build/context.js';
import { packContext } from '../../../src/build/pack.js';
import type { BuildSpec } from '../../../src/stack/types.js';
import { writeTree } from '../stack/helpers.js';

function project(extra: Record<string, string> = {}): string {
  return writeTree({
    'app/Dockerfile': 'FROM base\nCOPY . /app\n',
    'app/.dockerignore': '# comment\nnode_modules\n*.log\n!keep.log\nDockerfile\n',
    'app/src/main.sh': 'echo hi\n',
    'app/debug.log': 'noise\n',
    'app/keep.log': 'kept\n',
    'app/node_modules/x/index.js': 'x\n',
    'app/sub/deep.log': 'a .dockerignore pattern is rooted: kept\n',
    ...extra,
  });
}

const spec = (dir: string, more: Partial<BuildSpec> = {}): BuildSpec => ({
  context: path.join(dir, 'app'),
  dockerfile: 'Dockerfile',
  args: {},
  labels: {},
  ...more,
});

test('.dockerignore decides what is sent; the Dockerfile and .dockerignore always are', (t) => {
  const dir = project();
  const names = readContext(spec(dir), dir).entries.map((e) => e.name);
  t.deepEqual(names, ['.dockerignore', 'Dockerfile', 'keep.log', 'src', 'src/main.sh', 'sub', 'sub/deep.log']);
});

test('the hash: unchanged by an ignored file, changed by a sent file, its mode, the args, target, labels, Dockerfile', (t) => {
  const dir = project();
  const base = readContext(spec(dir), dir).hash;
  t.regex(base, /^[0-9a-f]{64}$/);
  t.is(readContext(spec(dir), dir).hash, base, 'equal inputs, equal hash');
  writeFileSync(path.join(dir, 'app/debug.log'), 'other noise\n');
  writeFileSync(path.join(dir, 'app/node_modules/x/index.js'), 'y\n');
  t.is(readContext(spec(dir), dir).hash, base, 'ignored files do not count');
  const variants = [
    readContext(spec(dir, { args: { A: '1' } }), dir).hash,
    readContext(spec(dir, { target: 'prod' }), dir).hash,
    readContext(spec(dir, { labels: { a: 'b' } }), dir).hash,
  ];
  writeFileSync(path.join(dir, 'app/src/main.sh'), 'echo changed\n');
  const changed = readContext(spec(dir), dir).hash;
  chmodSync(path.join(dir, 'app/src/main.sh'), 0o755);
  const executable = readContext(spec(dir), dir).hash;
  t.is(new Set([base, ...variants, changed, executable]).size, 6);
});

test('a symlink is sent as a link, not followed; a context whose real path leaves the project is refused', (t) => {
  const dir = project();
  const outside = writeTree({ 'secret.txt': 'do not send' });
  symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'app/link'));
  const link = readContext(spec(dir), dir).entries.find((e) => e.name === 'link')!;
  t.is(link.type, 'symlink');
  t.is(link.content, undefined);
  t.is(link.linkname, path.join(outside, 'secret.txt'));
  symlinkSync(outside, path.join(dir, 'escape'));
  const e = t.throws(() => readContext(spec(dir, { context: path.join(dir, 'escape') }), dir), {
    instanceOf: ContextError,
  });
  t.regex(e.message, /leads outside the project folder/);
});

test('a missing context or Dockerfile, and a context over the caps, are refused with what to do', (t) => {
  const dir = project();
  t.throws(() => readContext(spec(dir, { context: path.join(dir, 'nope') }), dir), { message: /does not exist/ });
  const noFile = t.throws(() => readContext(spec(dir, { dockerfile: 'Other.Dockerfile' }), dir), {
    instanceOf: ContextError,
  });
  t.regex(noFile.hint, /dockerfile:/);
  const big = t.throws(() => readContext(spec(dir), dir, { maxFiles: 3, maxBytes: 1 << 20 }), {
    instanceOf: ContextError,
  });
  t.regex(big.hint, /\.dockerignore/);
});

test('dockerfile_inline is sent under its own name and hashed', (t) => {
  const dir = project();
  const inline = readContext(spec(dir, { dockerfileInline: 'FROM base\n' }), dir);
  t.is(inline.dockerfile, INLINE_DOCKERFILE);
  t.is(inline.entries.find((e) => e.name === INLINE_DOCKERFILE)?.content?.toString(), 'FROM base\n');
  t.not(inline.hash, readContext(spec(dir, { dockerfileInline: 'FROM other\n' }), dir).hash);
});

test('the tar holds exactly the entries read, with their types and modes', async (t) => {
  const dir = project();
  mkdirSync(path.join(dir, 'app/empty'));
  symlinkSync('src/main.sh', path.join(dir, 'app/alias'));
  const context = readContext(spec(dir), dir);
  const tar = await packContext(context.entries);
  const seen: { name: string; type: string; mode: number; body: string; linkname?: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    const x = extract();
    x.on('entry', (header, stream, next) => {
      let body = '';
      stream.on('data', (d: Buffer) => (body += d.toString()));
      stream.on('end', () => {
        seen.push({ name: header.name, type: header.type, mode: header.mode, body, linkname: header.linkname });
        next();
      });
    });
    x.on('finish', resolve);
    x.on('error', reject);
    x.end(tar);
  });
  t.deepEqual(
    seen.map((s) => s.name),
    context.entries.map((e) => e.name),
  );
  t.like(
    seen.find((s) => s.name === 'alias'),
    { type: 'symlink', linkname: 'src/main.sh' },
  );
  t.like(
    seen.find((s) => s.name === 'empty'),
    { type: 'directory', mode: 0o755 },
  );
  t.like(
    seen.find((s) => s.name === 'src/main.sh'),
    { type: 'file', mode: 0o644, body: 'echo hi\n' },
  );
});
