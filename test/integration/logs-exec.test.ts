/**
 * `stack logs` and `stack exec` through the CLI on the sandbox: a 3-replica service on h1–h3 writing numbered lines
 * to stdout and stderr. logs shows every line once, in the daemons' timestamp order, with the right prefixes;
 * --json keeps the streams apart; --tail and --since narrow. exec passes the exit code, stdout and stderr byte for
 * byte (all 256 byte values), stdin, and works as an interactive shell under a pseudo-terminal (script(1)).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { Labels } from '../../src/labels.js';
import { eventually, docker, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { bin, ensureBuilt, inventoryYaml, runStack, sandboxHosts, stateDir, writeDir } from './cli-helpers.js';

const HOSTS = ['h1', 'h2', 'h3'];
const LINES = 30;
const name = uniqueStack('logs');
let dir = '';

const env = { NO_COLOR: '1' };
const stack = (...args: string[]) => runStack([...args, '-i', 'inventory.yaml'], dir, env);

interface JsonLine {
  service: string;
  slot: string;
  host: string;
  stream: 'stdout' | 'stderr';
  time: string;
  line: string;
}
const parseJson = (stdout: string): JsonLine[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonLine);
/** The daemon's time as a key that sorts as time does. */
const key = (time: string) =>
  time.replace(/(\.(\d+))?Z$/, (_m, _f, d: string | undefined) => `.${(d ?? '').padEnd(9, '0')}Z`);

test.before(async () => {
  ensureBuilt();
  const script = `i=1; while [ $$i -le ${LINES} ]; do echo "out $$i"; echo "err $$i" >&2; i=$$((i+1)); done; exec sleep 100000`;
  dir = writeDir({
    'inventory.yaml': inventoryYaml(sandboxHosts(HOSTS)),
    // The same hosts and one whose daemon is not there.
    'with-h9.yaml': inventoryYaml([
      ...sandboxHosts(HOSTS),
      { name: 'h9', endpoint: 'unix:///run/stack-sandbox/no-such-h9/docker.sock' },
    ]),
    'compose.yaml': [
      `name: ${name}`,
      'services:',
      '  counter:',
      `    image: ${IMAGE()}`,
      `    command: ["sh", "-c", ${JSON.stringify(script)}]`,
      '    deploy:',
      '      replicas: 3',
      '      placement: { constraints: ["node.labels.pool == main"] }',
      '',
    ].join('\n'),
  });
  const applied = await stack('apply', '--yes');
  if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
  // Every replica has written all its lines.
  await eventually(
    async () => {
      const r = await stack('logs', '--json');
      return parseJson(r.stdout).length === 3 * 2 * LINES || undefined;
    },
    30_000,
    'every replica to write its lines',
  );
});

test.after.always(async () => {
  if (dir) await stack('destroy', '--yes');
});

/** Where Docker says each slot runs. */
async function slotsByHost(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const h of HOSTS)
    for (const c of await docker(h).listContainers({ filters: { label: [`${Labels.stack}=${name}`] } }))
      out.set(c.Labels[Labels.slot], h);
  return out;
}

test('logs: every line of every replica exactly once, in timestamp order, with service.N@host prefixes', async (t) => {
  const json = await stack('logs', '--json');
  t.is(json.code, 0, json.stderr);
  const lines = parseJson(json.stdout);
  const keys = lines.map((l) => key(l.time));
  t.deepEqual(keys, [...keys].sort(), 'in the daemons’ timestamp order');
  const where = await slotsByHost();
  t.is(where.size, 3);
  for (const [slot, host] of where)
    for (const stream of ['stdout', 'stderr'] as const) {
      const mine = lines.filter((l) => l.slot === slot && l.stream === stream);
      t.true(mine.every((l) => l.host === host && l.service === 'counter'));
      const word = stream === 'stdout' ? 'out' : 'err';
      t.deepEqual(
        mine.map((l) => l.line),
        Array.from({ length: LINES }, (_, i) => `${word} ${i + 1}`),
        `${slot} ${stream}: every line once, in order, on its own stream`,
      );
    }
  const text = await stack('logs');
  t.is(text.code, 0);
  const rows = text.stdout.split('\n').filter(Boolean);
  t.is(rows.length, lines.length);
  // The same lines in the same order, each with its replica's prefix (padded to one width).
  rows.forEach((row, i) => t.is(row, `counter.${lines[i].slot}@${lines[i].host} | ${lines[i].line}`));
  const stamped = await stack('logs', '--timestamps', 'counter.2');
  const first = stamped.stdout.split('\n')[0];
  t.regex(first, new RegExp(`^counter\\.2@${where.get('2')} \\| \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z (out|err) 1$`));
});

test('logs --tail and --since narrow each replica; SERVICE.N narrows to one replica', async (t) => {
  const all = parseJson((await stack('logs', '--json')).stdout);
  const tail = parseJson((await stack('logs', '--json', '--tail', '4')).stdout);
  t.is(tail.length, 12, 'the last 4 lines of each of 3 replicas');
  for (const slot of ['1', '2', '3']) {
    const last = (lines: JsonLine[]) =>
      lines
        .filter((l) => l.slot === slot)
        .slice(-4)
        .map((l) => `${l.time} ${l.line}`);
    t.deepEqual(last(tail), last(all), `replica ${slot}: its last 4 lines (both streams)`);
  }
  const one = parseJson((await stack('logs', '--json', 'counter.3')).stdout);
  t.is(one.length, 2 * LINES);
  t.true(one.every((l) => l.slot === '3'));
  const cut = all[Math.floor(all.length / 2)].time;
  const since = parseJson((await stack('logs', '--json', '--since', cut)).stdout);
  t.true(since.length > 0 && since.length < all.length);
  t.true(since.every((l) => key(l.time) >= key(cut)));
  const until = parseJson((await stack('logs', '--json', '--until', cut)).stdout);
  t.true(until.length > 0 && until.length < all.length);
  t.true(until.every((l) => key(l.time) <= key(cut)));
  t.is(parseJson((await stack('logs', '--json', '--since', '1h')).stdout).length, all.length);
});

test('logs of an unknown service: one clear error, exit 1', async (t) => {
  const r = await stack('logs', 'nope');
  t.is(r.code, 1);
  t.regex(r.stderr, /no service "nope"/);
  t.regex(r.stderr, /hint: name a service \(counter\)/);
  t.notRegex(r.stderr, /at .*\.js/);
});

test('a host that cannot be reached is named once, the others are shown, exit 1; exec goes on elsewhere', async (t) => {
  const r = await runStack(['logs', '--json', '-i', 'with-h9.yaml'], dir, env);
  t.is(r.code, 1);
  t.is(parseJson(r.stdout).length, 3 * 2 * LINES, 'every line of the hosts that answered');
  t.is(r.stderr.match(/host h9 is unreachable/g)?.length, 1, r.stderr);
  const ran = await execStack(['counter', '--', 'echo', 'ok'], '', 'with-h9.yaml');
  t.is(ran.code, 0, ran.stderr);
  t.is(ran.stdout.toString(), 'ok\n');
  t.regex(ran.stderr, /warning: host h9 is unreachable/);
});

test('a state store that cannot be read: a warning, then every container with the stack labels', async (t) => {
  const r = await runStack(['logs', '--json', '-i', 'inventory.yaml', '--consul', 'http://127.0.0.1:9'], dir, env);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /warning: could not read the identity of stack/);
  t.is(parseJson(r.stdout).length, 3 * 2 * LINES);
});

/** Runs `stack exec …` with `input` on its stdin; stdout as bytes. */
function execStack(args: string[], input: string | Buffer = '', inventory = 'inventory.yaml') {
  const child = spawn(process.execPath, [bin, 'exec', '-i', inventory, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', STACK_STATE_DIR: stateDir, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  child.stdin.end(input);
  return new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() })),
  );
}

test('exec: the exit code, stdout and stderr apart, all 256 byte values byte for byte, stdin piped through', async (t) => {
  const printAll =
    'i=0; while [ $i -lt 256 ]; do printf "\\\\$(printf %o $i)"; i=$((i+1)); done; echo oops >&2; exit 7';
  const r = await execStack(['counter', '--', 'sh', '-c', printAll]);
  t.is(r.code, 7);
  t.deepEqual(r.stdout, Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  t.is(r.stderr, 'oops\n');
  const input = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
  const cat = await execStack(['counter.2', '--', 'cat'], input);
  t.is(cat.code, 0, cat.stderr);
  t.deepEqual(cat.stdout, input, 'stdin reaches the command and comes back unchanged');
  const where = await slotsByHost();
  const host = await execStack(['counter', '--host', where.get('3')!, '--', 'hostname']);
  const c3 = (await docker(where.get('3')!).listContainers({ filters: { label: [`${Labels.stack}=${name}`] } }))[0];
  t.is(host.stdout.toString().trim(), c3.Id.slice(0, 12), '--host picks the replica on that host');
  t.is((await execStack(['counter', '--', 'sh', '-c', 'exit 0'])).code, 0);
});

test('exec: no such command passes the Engine’s 126/127 through; no such service or replica is exit 1 with a message', async (t) => {
  const missing = await execStack(['counter', '--', 'no-such-command']);
  t.true(missing.code === 126 || missing.code === 127, `exit ${missing.code}`);
  const badSlot = await execStack(['counter.9', '--', 'true']);
  t.is(badSlot.code, 1);
  t.regex(badSlot.stderr, /no running replica of counter\.9/);
  const badHost = await execStack(['counter', '--host', 'h9', '--', 'true']);
  t.is(badHost.code, 1);
  t.regex(badHost.stderr, /--host h9: no such host/);
});

test('exec under a pseudo-terminal: an interactive shell runs, its exit code is stack’s', async (t) => {
  const command = `${process.execPath} -- ${bin} exec -i inventory.yaml counter -- sh`;
  writeFileSync(path.join(dir, 'typed'), 'echo hi-$((40+2)); exit 3\n');
  const child = spawn('sh', ['-c', `sleep 1 | cat typed - | script -qec ${JSON.stringify(command)} /dev/null`], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', STACK_STATE_DIR: stateDir, NO_COLOR: '1', TERM: 'dumb' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.regex(out, /hi-42/, 'the shell ran the typed line (the TTY echoes it, the shell prints the result)');
  t.is(code, 3);
});
