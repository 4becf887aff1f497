/** The inventory's registries: — the operator's registry credentials: read once, Sensitive, never printed. */
import test from 'ava';
import { formatConfig } from '../../../src/cli/views/config.js';
import { Sensitive } from '../../../src/sensitive.js';
import { errors, load, where } from './helpers.js';

const compose = 'services:\n  web: { image: "10.77.0.2:5001/private/busybox:1.35" }\n';

test('registries: password as written or from password_env; passwords are Sensitive and stack config shows none', async (t) => {
  const r = await load(
    {
      'compose.yaml': compose,
      'inv.yaml':
        'hosts:\n  h1: { endpoint: "unix:///run/h1.sock" }\nregistries:\n  "10.77.0.2:5001": { username: stack, password_env: REG_PW }\n  ghcr.io: { username: me, password: written-pw }\n',
    },
    { inventory: 'inv.yaml', env: { REG_PW: 'env-pw' } },
  );
  t.deepEqual(errors(r), []);
  const auth = r.value!.registryAuth!;
  t.deepEqual(Object.keys(auth), ['10.77.0.2:5001', 'ghcr.io']);
  t.true(auth['10.77.0.2:5001'].password instanceof Sensitive);
  t.is(auth['10.77.0.2:5001'].password.reveal(), 'env-pw');
  t.is(auth['ghcr.io'].password.reveal(), 'written-pw');
  const printed = formatConfig(r.value!) + JSON.stringify(r.value);
  t.false(printed.includes('env-pw'));
  t.false(printed.includes('written-pw'));
});

test('registries: an unset password_env, both or neither of password and password_env, a URL as key: errors with where', async (t) => {
  const r = await load(
    {
      'compose.yaml': compose,
      'inv.yaml':
        'hosts:\n  h1: { endpoint: "unix:///run/h1.sock" }\nregistries:\n  a.example: { username: u, password_env: UNSET_PW }\n  b.example: { username: u, password: p, password_env: P }\n  c.example: { username: u }\n',
    },
    { inventory: 'inv.yaml', env: {} },
  );
  t.deepEqual(
    errors(r).map((d) => `${where(d)}: ${d.summary}`),
    [
      'inv.yaml:4:43 registries["a.example"].password_env: registry a.example: the environment variable UNSET_PW is not set',
      'inv.yaml:5:3 registries["b.example"]: registry b.example: give exactly one of password: and password_env:',
      'inv.yaml:6:3 registries["c.example"]: registry c.example: give exactly one of password: and password_env:',
    ],
  );
  const url = await load(
    {
      'compose.yaml': compose,
      'inv.yaml':
        'hosts:\n  h1: { endpoint: "unix:///run/h1.sock" }\nregistries:\n  "https://a.example/v2": { username: u, password: p }\n',
    },
    { inventory: 'inv.yaml', env: {} },
  );
  t.regex(errors(url)[0].summary, /must be a registry host/);
});
