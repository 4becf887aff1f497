/** The operator's context from the environment: credentials from DOCKER_CONFIG, and the warnings printed before a run. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { operatorContext, operatorWarnings } from '../../../src/cli/operator.js';
import { loadStack } from '../../../src/stack/index.js';
import { schema, writeTree } from '../stack/helpers.js';

const image = '10.77.0.2:5001/private/busybox:1.35';

async function desiredWith(xStack: string, options: { inventory?: string } = {}) {
  const dir = writeTree({
    'compose.yaml': `services:\n  web: { image: "${image}" }\n  other: { image: busybox }\n${xStack}`,
    'inv.yaml': 'hosts:\n  h1: { endpoint: "unix:///run/h1.sock" }\n',
  });
  const r = await loadStack({ cwd: dir, env: {}, schema, ...options });
  return { desired: r.value!, dir };
}

test("credentials come from DOCKER_CONFIG/config.json; the stack file's hosts get a warning naming each registry withheld", async (t) => {
  const { desired, dir } = await desiredWith('x-stack:\n  hosts:\n    x1: { endpoint: "unix:///run/x1.sock" }\n');
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ auths: { '10.77.0.2:5001': { auth: Buffer.from('u:p').toString('base64') } } }),
  );
  const env = { DOCKER_CONFIG: dir };
  t.deepEqual(await operatorContext(desired, undefined, env).credentials.get('10.77.0.2:5001'), {
    username: 'u',
    password: 'p',
    serveraddress: '10.77.0.2:5001',
  });
  t.is(await operatorContext(desired, undefined, env).credentials.get('docker.io'), undefined);
  t.deepEqual(
    operatorWarnings(desired, undefined, env).map((d) => d.summary),
    ['registry credentials for 10.77.0.2:5001 are not sent: the hosts come from the stack file (x-stack.hosts)'],
  );
  t.deepEqual(operatorWarnings(desired, undefined, {}), [], 'no credentials, nothing withheld');
  const operator = await loadStack({ cwd: dir, env: {}, schema, inventory: 'inv.yaml' });
  t.deepEqual(operatorWarnings(operator.value!, undefined, env), []);
});

test("the Consul the run uses: --consul over CONSUL_HTTP_ADDR over x-stack.consul, the token withheld from the file's address", async (t) => {
  const { desired } = await desiredWith('x-stack:\n  consul: "http://10.0.0.9:8500"\n');
  t.deepEqual(operatorContext(desired, undefined, { CONSUL_HTTP_TOKEN: 'tok' }).consul, {
    address: 'http://10.0.0.9:8500',
    source: 'x-stack.consul',
  });
  t.deepEqual(operatorContext(desired, 'http://127.0.0.1:8500', { CONSUL_HTTP_TOKEN: 'tok' }).consul, {
    address: 'http://127.0.0.1:8500',
    source: '--consul',
    token: 'tok',
  });
  t.deepEqual(
    operatorWarnings(desired, undefined, { CONSUL_HTTP_TOKEN: 'tok' }).map((d) => d.summary),
    ['CONSUL_HTTP_TOKEN is not sent to http://10.0.0.9:8500: that address comes from the stack file (x-stack.consul)'],
  );
});
