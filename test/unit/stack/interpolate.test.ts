import test from 'ava';
import { interpolate } from '../../../src/stack/index.js';
import { errors, find, load, where, yaml } from './helpers.js';

const env: Record<string, string> = { A: 'a', EMPTY: '', PORT: '8080' };
const lookup = (name: string) => env[name];

const cases: [string, string][] = [
  ['$A', 'a'],
  ['${A}', 'a'],
  ['x${A}y', 'xay'],
  ['$A-b', 'a-b'],
  ['${MISSING:-d}', 'd'],
  ['${EMPTY:-d}', 'd'],
  ['${A:-d}', 'a'],
  ['${MISSING-d}', 'd'],
  ['${EMPTY-d}', ''],
  ['${A:+v}', 'v'],
  ['${EMPTY:+v}', ''],
  ['${MISSING:+v}', ''],
  ['${A+v}', 'v'],
  ['${EMPTY+v}', 'v'],
  ['${MISSING+v}', ''],
  ['${A:?boom}', 'a'],
  ['${EMPTY?boom}', ''],
  ['$$', '$'],
  ['$${A}', '${A}'],
  ['cost: $$5', 'cost: $5'],
  ['${MISSING:-${A}}', 'a'],
  ['${MISSING:-${OTHER:-deep}}', 'deep'],
  ['${PORT}:80', '8080:80'],
  ['trailing $', 'trailing $'],
  ['no vars', 'no vars'],
];

for (const [input, expected] of cases) {
  test(`interpolate ${input}`, (t) => {
    const result = interpolate(input, lookup);
    t.is(result.error, undefined);
    t.is(result.value, expected);
  });
}

test('unset variable without default is empty and reported', (t) => {
  const result = interpolate('x$MISSING${ALSO}', lookup);
  t.is(result.value, 'x');
  t.deepEqual(result.unset, ['MISSING', 'ALSO']);
});

test('${A:?msg} and ${A?msg} fail with the message', (t) => {
  t.is(interpolate('${EMPTY:?must be set}', lookup).error, 'EMPTY: must be set');
  t.is(interpolate('${MISSING?is required}', lookup).error, 'MISSING: is required');
  t.is(interpolate('${EMPTY?is required}', lookup).error, undefined);
  t.regex(interpolate('${MISSING:?}', lookup).error ?? '', /required variable MISSING/);
});

test('malformed expressions are errors', (t) => {
  t.regex(interpolate('${A', lookup).error ?? '', /no closing brace/);
  t.regex(interpolate('${}', lookup).error ?? '', /needs a variable name/);
  t.regex(interpolate('${A B}', lookup).error ?? '', /invalid interpolation/);
});

test('interpolation in a file: values converted where a number is expected, errors with line:col', async (t) => {
  const result = await load(
    {
      'compose.yaml': yaml`
        services:
          web:
            image: "busybox:\${TAG:-1.35}"
            deploy:
              replicas: \${REPLICAS}
            environment:
              PRICE: "$$5"
            command: ["sh", "-c", "echo \${GREETING:?set GREETING}"]
      `,
    },
    { env: { REPLICAS: '3' } },
  );
  const e = find(result, 'GREETING: set GREETING');
  t.is(where(e), 'compose.yaml:8:27 services.web.command[2]');
  t.is(errors(result).length, 1);

  const ok = await load(
    {
      'compose.yaml':
        'services:\n  web:\n    image: "busybox:${TAG:-1.35}"\n    deploy: { replicas: "${REPLICAS}" }\n    environment: { PRICE: "$$5" }\n',
    },
    { env: { REPLICAS: '3' } },
  );
  t.deepEqual(errors(ok), []);
  t.is(ok.value?.services.web.image, 'busybox:1.35');
  t.is(ok.value?.services.web.deploy.replicas, 3);
  t.is(ok.value?.services.web.environment.PRICE, '$5');
});

test('an unset variable is a warning at its position, once per variable', async (t) => {
  const result = await load({ 'compose.yaml': 'services:\n  web:\n    image: "busybox:$TAG"\n    hostname: "$TAG"\n' });
  const w = find(result, 'variable TAG is not set');
  t.is(w.severity, 'warning');
  t.is(where(w), 'compose.yaml:3:12 services.web.image');
  t.is(result.diagnostics.filter((d) => d.summary.includes('TAG')).length, 1);
});

test('.env in the stack folder supplies variables; the environment wins; --env-file replaces .env', async (t) => {
  const files = {
    'compose.yaml': 'services:\n  web:\n    image: "busybox:${TAG}"\n    hostname: "${HOST}"\n',
    '.env': 'TAG=from-dotenv\nHOST=h-${TAG}\n',
    'prod.env': 'TAG=from-prod\n',
  };
  const plain = await load(files);
  t.is(plain.value?.services.web.image, 'busybox:from-dotenv');
  t.is(plain.value?.services.web.hostname, 'h-from-dotenv');
  const overridden = await load(files, { env: { TAG: 'from-env' } });
  t.is(overridden.value?.services.web.image, 'busybox:from-env');
  const envFile = await load(files, { envFiles: ['prod.env'] });
  t.is(envFile.value?.services.web.image, 'busybox:from-prod');
  t.is(envFile.value?.services.web.hostname, '');
  const missing = await load(files, { envFiles: ['nope.env'] });
  t.truthy(find(missing, 'env file nope.env does not exist'));
});
