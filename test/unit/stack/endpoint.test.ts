/** The one endpoint parser: every form the docker CLI accepts that stack supports, and every refused one. */
import test from 'ava';
import {
  endpointHost,
  endpointIPv4,
  formatEndpoint,
  parseEndpoint,
  type EndpointAddress,
} from '../../../src/stack/endpoint.js';

const ok = (text: string): EndpointAddress => {
  const r = parseEndpoint(text);
  if (!r.ok) throw new Error(`${text}: ${r.error}`);
  return r.address;
};
const refused = (text: string): string => {
  const r = parseEndpoint(text);
  if (r.ok) throw new Error(`${text} was accepted as ${JSON.stringify(r.address)}`);
  return r.error;
};

test('unix sockets: an absolute path; unix:// alone is the default socket; a scheme-less /path is unix (docker CLI)', (t) => {
  t.deepEqual(ok('unix:///run/stack-sandbox/h1/docker.sock'), {
    kind: 'unix',
    path: '/run/stack-sandbox/h1/docker.sock',
  });
  t.deepEqual(ok('unix://'), { kind: 'unix', path: '/var/run/docker.sock' });
  t.deepEqual(ok('/var/run/docker.sock'), { kind: 'unix', path: '/var/run/docker.sock' });
  t.regex(refused('unix://relative/docker.sock'), /not absolute/);
  t.regex(refused('unix://./docker.sock'), /not absolute/);
});

test('tcp: names, IPv4, bracketed IPv6; without a port 2375 as the docker CLI; a scheme-less HOST:PORT is tcp', (t) => {
  t.deepEqual(ok('tcp://10.77.0.11:2376'), { kind: 'tcp', host: '10.77.0.11', port: 2376 });
  t.deepEqual(ok('tcp://docker-1.example.com:2376'), { kind: 'tcp', host: 'docker-1.example.com', port: 2376 });
  t.deepEqual(ok('tcp://[::1]:2376'), { kind: 'tcp', host: '::1', port: 2376 });
  t.deepEqual(ok('tcp://[fd00::11]'), { kind: 'tcp', host: 'fd00::11', port: 2375 });
  t.deepEqual(ok('tcp://10.0.0.9'), { kind: 'tcp', host: '10.0.0.9', port: 2375 });
  t.deepEqual(ok('tcp://10.0.0.9:'), { kind: 'tcp', host: '10.0.0.9', port: 2375 });
  t.deepEqual(ok('tcp://'), { kind: 'tcp', host: 'localhost', port: 2375 });
  t.deepEqual(ok('tcp://:2376'), { kind: 'tcp', host: 'localhost', port: 2376 });
  t.deepEqual(ok('10.0.0.9:2376'), { kind: 'tcp', host: '10.0.0.9', port: 2376 });
  t.deepEqual(ok('tcp://1.2.3.4:65535'), { kind: 'tcp', host: '1.2.3.4', port: 65535 });
  t.deepEqual(ok('tcp://h:1'), { kind: 'tcp', host: 'h', port: 1 });
});

test('ports outside 1..65535 and ports that are not numbers are refused', (t) => {
  for (const port of ['0', '65536', '99999', '123456', '-1', '2376x', '+80', ' 80', '0x10'])
    t.regex(refused(`tcp://10.0.0.1:${port}`), /port .* is not a number from 1 to 65535|is not a host name/, port);
});

test('hosts that are not names or addresses are refused: shell characters, spaces, bad IPv4, IPv6 without brackets', (t) => {
  for (const host of ['10.0.0.1;id', 'a b', 'a$(id)', '-lead', 'x_y', '10.0.0.256', '10.0.0', 'é.example', 'a..b'])
    t.regex(refused(`tcp://${host}:2376`), /is not a host name|has a path, query or fragment/, host);
  t.regex(refused('tcp://::1:2376'), /IPv6 address needs brackets/);
  t.regex(refused('tcp://[not-v6]:2376'), /is not a host name/);
  t.regex(refused('tcp://[::1'), /unclosed \[/);
  t.regex(refused('tcp://[::1]x'), /expected :PORT/);
});

test('user info, a path, a query or a fragment after the port are refused', (t) => {
  t.regex(refused('tcp://me@10.0.0.1:2376'), /user info/);
  t.regex(refused('tcp://10.0.0.1:2376/v1.41'), /has a path, query or fragment/);
  t.regex(refused('tcp://10.0.0.1:2376?x=1'), /has a path, query or fragment/);
  t.regex(refused('tcp://10.0.0.1:2376#f'), /has a path, query or fragment/);
});

test('http:// and https:// are refused as the docker CLI does, with the tcp:// to write; fd, npipe are not supported', (t) => {
  const http = parseEndpoint('https://10.0.0.1:2376');
  t.false(http.ok);
  if (!http.ok) {
    t.regex(http.error, /https:\/\/ is not a Docker endpoint/);
    t.regex(http.hint, /tcp:\/\/10\.0\.0\.1:2376/);
  }
  t.regex(refused('http://10.0.0.1:2375'), /http:\/\/ is not a Docker endpoint/);
  t.regex(refused('fd://'), /fd:\/\/ endpoints are not supported/);
  t.regex(refused('npipe:////./pipe/docker_engine'), /npipe:\/\/ endpoints are not supported/);
  t.regex(refused(''), /empty/);
});

test('the canonical text brackets IPv6; the underlay default is an IPv4 tcp host only; the catalog takes any tcp host', (t) => {
  t.is(formatEndpoint(ok('tcp://[::1]:2376')), 'tcp://[::1]:2376');
  t.is(formatEndpoint(ok('10.0.0.9')), 'tcp://10.0.0.9:2375');
  t.is(formatEndpoint(ok('unix://')), 'unix:///var/run/docker.sock');
  t.is(endpointIPv4(ok('tcp://10.0.0.9:2376')), '10.0.0.9');
  t.is(endpointIPv4(ok('tcp://box:2376')), undefined);
  t.is(endpointIPv4(ok('unix:///s')), undefined);
  t.is(endpointHost(ok('tcp://box:2376')), 'box');
  t.is(endpointHost(ok('unix:///s')), undefined);
});

test('ssh: [USER@]HOST[:PORT], port 22 by default, names, IPv4 and bracketed IPv6; the user is left to the operator when absent', (t) => {
  t.deepEqual(ok('ssh://me@box'), { kind: 'ssh', user: 'me', host: 'box', port: 22 });
  t.deepEqual(ok('ssh://deploy@10.77.0.11:2222'), { kind: 'ssh', user: 'deploy', host: '10.77.0.11', port: 2222 });
  t.deepEqual(ok('ssh://box.example.com'), { kind: 'ssh', host: 'box.example.com', port: 22 });
  t.deepEqual(ok('ssh://root@[fd00::11]:22'), { kind: 'ssh', user: 'root', host: 'fd00::11', port: 22 });
  t.deepEqual(ok('ssh://a.b_c-d@box:'), { kind: 'ssh', user: 'a.b_c-d', host: 'box', port: 22 });
  t.is(formatEndpoint(ok('ssh://me@box:22')), 'ssh://me@box');
  t.is(formatEndpoint(ok('ssh://me@[::1]:2222')), 'ssh://me@[::1]:2222');
  t.is(endpointHost(ok('ssh://me@box')), 'box');
  t.is(endpointIPv4(ok('ssh://me@10.0.0.9')), '10.0.0.9');
});

test('ssh: nothing that ssh could read as an option or a shell could read as code; no password, path or query', (t) => {
  // A host or user starting with - would be an ssh option (-oProxyCommand=…) for a tool that passes it on.
  t.regex(refused('ssh://-oProxyCommand=id'), /cannot start with -/);
  t.regex(refused('ssh://-oProxyCommand=id@box'), /is not a login name/);
  t.regex(refused('ssh://me@-box'), /cannot start with -/);
  for (const user of ['a b', 'a;id', '$(id)', 'me\n', '', 'x'.repeat(33)])
    t.regex(refused(`ssh://${user}@box`), /is not a login name/, user);
  for (const host of ['box;id', 'a b', 'a$(id)', 'x_y', '10.0.0.256', 'é.example'])
    t.regex(refused(`ssh://me@${host}`), /is not a host name/, host);
  t.regex(refused('ssh://me:secret@box'), /a password in an ssh:\/\/ endpoint/);
  t.regex(refused('ssh://me@box/var/run/docker.sock'), /has a path, query or fragment/);
  t.regex(refused('ssh://me@box?x=1'), /has a path, query or fragment/);
  t.regex(refused('ssh://me@'), /the host is missing/);
  t.regex(refused('ssh://'), /the host is missing/);
  t.regex(refused('ssh://me@box:0'), /port 0 is not a number from 1 to 65535/);
  t.regex(refused('ssh://me@box:22x'), /port 22x is not a number/);
  t.regex(refused('ssh://me@::1'), /IPv6 address needs brackets, as in ssh:\/\/\[::1\]:22/);
});
