import test from 'ava';
import { Builder } from '../../../src/plan/builder.js';

const pull = (b: Builder, host: string, deps: (string | undefined)[] = [], extra = {}) =>
  b.add(
    'image.pull',
    host,
    'pull busybox',
    'image:busybox',
    'not present',
    deps,
    { image: 'busybox' },
    undefined,
    extra,
  );

test("the builder's output is what was added, and an added operation is final: mutating it, its deps or its params throws", (t) => {
  const b = new Builder();
  const first = pull(b, 'h1');
  const second = b.add(
    'container.create',
    'h1',
    'create app-web-1',
    'service:web:1',
    'new',
    [first, undefined, first],
    {
      name: 'app-web-1',
      body: { Image: 'busybox', Labels: { a: 'b' }, HostConfig: { Dns: ['10.0.0.2'] } },
    },
  );
  const ops = b.build();
  t.deepEqual(
    ops.map((o) => [o.id, o.kind, o.deps]),
    [
      ['h1 pull busybox', 'image.pull', []],
      ['h1 create app-web-1', 'container.create', ['h1 pull busybox']],
    ],
  );
  const create = ops.find((o) => o.id === second)!;
  if (create.kind !== 'container.create') return t.fail();
  t.throws(() => (create.deps = []), { instanceOf: TypeError });
  t.throws(() => create.deps.push('x'), { instanceOf: TypeError });
  t.throws(() => (create.cause = 'changed'), { instanceOf: TypeError });
  t.throws(() => (create.params.name = 'other'), { instanceOf: TypeError });
  t.throws(() => (create.params.body.Labels!.a = 'c'), { instanceOf: TypeError });
  t.throws(() => create.params.body.HostConfig!.Dns!.push('10.0.0.3'), { instanceOf: TypeError });
  t.is(pull(b, 'h1'), 'h1 pull busybox #2');
});

test('a reserved id may be named before its operation is added, which then takes it (and numbering skips it)', (t) => {
  const b = new Builder();
  const reserved = b.reserve('h1', 'pull busybox');
  t.is(reserved, 'h1 pull busybox');
  const waiting = b.add('rollout.drain', 'h1', 'settle', 'service:web:1', 'drain', [reserved], { delayMs: 1 });
  t.is(pull(b, 'h1'), 'h1 pull busybox #2');
  t.is(pull(b, 'h1', [], { reserved }), reserved);
  const ops = b.build();
  t.deepEqual(
    ops.map((o) => o.id),
    [waiting, 'h1 pull busybox #2', reserved],
  );
  t.deepEqual(ops[0].deps, [reserved]);
});

test('a reserved id never added fails build(), naming it', (t) => {
  const b = new Builder();
  const reserved = b.reserve('h2', 'deregister app-web-1 default');
  b.add('container.stop', 'h2', 'stop app-web-1', 'service:web:1', 'scaled down', [reserved], { name: 'app-web-1' });
  t.throws(() => b.build(), { message: 'plan bug: h2 deregister app-web-1 default was reserved but never added' });
});

test('a cycle through a reserved id fails build()', (t) => {
  const b = new Builder();
  const reserved = b.reserve('h1', 'pull busybox');
  const stop = b.add('container.stop', 'h1', 'stop app-web-1', 'service:web:1', 'x', [reserved], { name: 'app-web-1' });
  pull(b, 'h1', [stop], { reserved });
  t.throws(() => b.build(), { message: /^plan bug: a dependency cycle through h1 / });
});

test('adding under an id that is not reserved, or reserved for another label, is a plan bug', (t) => {
  const b = new Builder();
  t.throws(() => pull(b, 'h1', [], { reserved: 'h1 pull busybox' }), {
    message: 'plan bug: h1 pull busybox is not reserved',
  });
  const reserved = b.reserve('h1', 'pull alpine');
  t.throws(() => pull(b, 'h1', [], { reserved }), {
    message: 'plan bug: h1 pull alpine is reserved for h1 pull alpine, not h1 pull busybox',
  });
  t.throws(() => pull(b, 'h1', ['h1 nowhere']), { message: 'plan bug: h1 pull busybox depends on unknown h1 nowhere' });
});
