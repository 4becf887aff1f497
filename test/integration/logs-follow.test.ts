/**
 * `stack logs --follow` through the CLI on the sandbox, read from its stdout as it runs: across a start-first
 * rolling update of a 3-replica service no line of a replica that was running is lost or repeated, and the new
 * replicas' lines join from their first; with h4 (the spare host) stopped mid-follow the output names it once and
 * h1's lines go on, and when h4 is back it is named again and its replica's new lines follow.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { eventually, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { engine, sandbox } from '../helpers/sandbox.js';
import {
  ensureBuilt,
  inventoryYaml,
  runStack,
  sandboxHosts,
  startStack,
  writeDir,
  type InventoryHost,
} from './cli-helpers.js';

interface JsonLine {
  service: string;
  slot: string;
  host: string;
  stream: string;
  time: string;
  line: string;
}
const parseJson = (stdout: string): JsonLine[] =>
  stdout
    .split('\n')
    .slice(0, -1) // the last piece is a line still being written (or empty)
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonLine);

/** Prints `$GEN N` for N = 1, 2, … every 0.1 s; ends at once on SIGTERM. */
const TICKER = `trap 'exit 0' TERM; i=0; while true; do i=$$((i+1)); echo "$$GEN $$i"; sleep 0.1; done`;

function compose(name: string, gen: string, deploy: string[]): string {
  return [
    `name: ${name}`,
    'services:',
    '  ticker:',
    `    image: ${IMAGE()}`,
    `    command: ["sh", "-c", ${JSON.stringify(TICKER)}]`,
    `    environment: { GEN: ${gen} }`,
    '    deploy:',
    ...deploy.map((l) => `      ${l}`),
    '',
  ].join('\n');
}

/** The numbers of `gen`'s lines of one slot, in output order. */
const numbers = (lines: JsonLine[], slot: string, gen: string): number[] =>
  lines.filter((l) => l.slot === slot && l.line.startsWith(`${gen} `)).map((l) => Number(l.line.split(' ')[1]));

/** 1…n, or from its first: every number once, in order, none missing. */
const contiguous = (ns: number[]): boolean => ns.every((n, i) => i === 0 || n === ns[i - 1] + 1);

test.before(() => ensureBuilt());

test.serial(
  'logs --follow across a start-first rolling update: no line lost or repeated, new replicas join',
  async (t) => {
    const name = uniqueStack('follow');
    const deploy = [
      'replicas: 3',
      'placement: { constraints: ["node.labels.pool == main"] }',
      'update_config: { parallelism: 1, order: start-first }',
    ];
    const dir = writeDir({
      'inventory.yaml': inventoryYaml(sandboxHosts(['h1', 'h2', 'h3'])),
      'compose.yaml': compose(name, 'g1', deploy),
    });
    const stack = (...args: string[]) => runStack([...args, '-i', 'inventory.yaml'], dir);
    t.teardown(async () => void (await stack('destroy', '--yes')));
    t.is((await stack('apply', '--yes')).code, 0);
    const follow = startStack(['logs', '--follow', '--json', '-i', 'inventory.yaml'], dir);
    t.teardown(() => void follow.child.kill('SIGKILL'));
    const slots = ['1', '2', '3'];
    await eventually(
      async () => slots.every((s) => numbers(parseJson(follow.stdout()), s, 'g1').length >= 5) || undefined,
      30_000,
      'every replica to be followed',
    );
    writeFileSync(path.join(dir, 'compose.yaml'), compose(name, 'g2', deploy));
    const rolled = await stack('apply', '--yes');
    t.is(rolled.code, 0, rolled.stderr);
    await eventually(
      async () => slots.every((s) => numbers(parseJson(follow.stdout()), s, 'g2').length >= 10) || undefined,
      30_000,
      "the new replicas' lines",
    );
    follow.child.kill('SIGINT');
    const done = await follow.done;
    t.is(done.code, 130, done.stderr);
    const lines = parseJson(done.stdout);
    for (const s of slots) {
      const old = numbers(lines, s, 'g1');
      const fresh = numbers(lines, s, 'g2');
      t.is(old[0], 1, `replica ${s}: the old container's history from its first line`);
      t.true(contiguous(old), `replica ${s}: no line of the old container lost or repeated until it stopped`);
      t.is(fresh[0], 1, `replica ${s}: the new container joins from its first line`);
      t.true(contiguous(fresh), `replica ${s}: the new container's lines, none lost or repeated`);
    }
  },
);

const sb = sandbox();
const h4 = sb.hosts.find((h) => h.name === 'h4')!;
const sandboxCmd = (...args: string[]) =>
  execFileSync('bash', [sb.sandboxScript, ...args], {
    stdio: 'ignore',
    env: { ...process.env, STACK_SANDBOX_HOSTS: '4' },
  });
const h4Answers = () =>
  engine(h4)
    .ping()
    .then(
      () => true,
      () => false,
    );

test.serial('logs --follow with h4 stopped and started again: named once each way, the others go on', async (t) => {
  const name = uniqueStack('followh4');
  /** h4 over tcp+TLS: once its dockerd is gone, connections are refused. */
  const h4Tls: InventoryHost = { name: 'h4', endpoint: h4.tcp, tls: h4.tls, labels: h4.labels };
  const dir = writeDir({
    'inventory.yaml': inventoryYaml([...sandboxHosts(['h1']), h4Tls]),
    'compose.yaml': compose(name, 'g1', ['mode: global', 'restart_policy: { condition: any }']),
  });
  const stack = (...args: string[]) => runStack([...args, '-i', 'inventory.yaml'], dir);
  t.teardown(async () => {
    if (!(await h4Answers())) sandboxCmd('start-host', 'h4');
    await eventually(async () => (await h4Answers()) || undefined, 60_000, 'h4 to answer');
    await stack('destroy', '--yes');
  });
  const applied = await stack('apply', '--yes');
  t.is(applied.code, 0, applied.stderr);
  const follow = startStack(['logs', '--follow', '--json', '-i', 'inventory.yaml'], dir);
  t.teardown(() => void follow.child.kill('SIGKILL'));
  const count = (host: string) => parseJson(follow.stdout()).filter((l) => l.host === host).length;
  await eventually(async () => (count('h1') >= 5 && count('h4') >= 5) || undefined, 30_000, 'both replicas followed');
  sandboxCmd('stop-host', 'h4');
  let stderr = '';
  follow.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await eventually(async () => /host h4 is unreachable/.test(stderr) || undefined, 60_000, 'h4 named unreachable');
  const h1Then = count('h1');
  await eventually(async () => count('h1') >= h1Then + 10 || undefined, 30_000, "h1's lines to go on");
  sandboxCmd('start-host', 'h4');
  await eventually(async () => /host h4 is reachable again/.test(stderr) || undefined, 60_000, 'h4 named again');
  const h4Then = count('h4');
  await eventually(async () => count('h4') > h4Then + 5 || undefined, 60_000, "h4's replica's lines once it is back");
  follow.child.kill('SIGINT');
  const done = await follow.done;
  t.is(done.stderr.match(/host h4 is unreachable/g)?.length, 1, done.stderr);
  t.is(done.stderr.match(/host h4 is reachable again/g)?.length, 1, done.stderr);
  t.false(/host h1/.test(done.stderr), done.stderr);
});
