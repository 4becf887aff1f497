/**
 * A network's enable_ipv6, ipam.options and aux_addresses, and a service's endpoint keys, read back from the daemons:
 * on Engine 20.10 (default sandbox h1, through the built CLI) the fixed IPv4 and IPv6 addresses, link-local address
 * and endpoint driver options hold, and a second plan finds nothing to do; on Engine 28 (the vx instance's h1, API
 * 1.51) a network's mac_address and interface_name name the container's interface as written.
 */
import test from 'ava';
import Docker from 'dockerode';
import type { HostSpec } from '../../src/stack/types.js';
import { engine, sandboxInstanceUp, VX_UP_ARGS } from '../helpers/sandbox.js';
import { endpointOf } from '../helpers/endpoint.js';
import { desired, network, service } from '../unit/plan/helpers.js';
import { deploy, docker, execIn, IMAGE, uniqueStack } from './reconcile-helpers.js';
import { ensureBuilt, inventoryYaml, runStack, sandboxHosts, writeDir } from './cli-helpers.js';

test.before(() => ensureBuilt());

test('Engine 20.10: IPv6, aux_addresses, ipam options and the endpoint keys reach the daemon and hold', async (t) => {
  const name = uniqueStack('nek');
  const compose = `name: ${name}
services:
  web:
    image: ${IMAGE()}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    stop_grace_period: 1s
    networks:
      back:
        ipv4_address: 10.61.0.10
        ipv6_address: "fd00:61::10"
        link_local_ips: [169.254.61.10]
        driver_opts: { io.github.stack-test.endpoint: "1" }
networks:
  back:
    enable_ipv6: true
    ipam:
      options: { io.github.stack-test.ipam: "yes" }
      config:
        - { subnet: 10.61.0.0/24, aux_addresses: { router: 10.61.0.5 } }
        - { subnet: "fd00:61::/64" }
`;
  const dir = writeDir({ 'compose.yaml': compose, 'inventory.yaml': inventoryYaml(sandboxHosts(['h1'])) });
  t.teardown(() => runStack(['destroy', '--yes', '-i', 'inventory.yaml'], dir).catch(() => undefined));
  const applied = await runStack(['apply', '--yes', '-i', 'inventory.yaml'], dir);
  t.is(applied.code, 0, applied.stdout + applied.stderr);

  const net = (await docker('h1').getNetwork(`${name}_back`).inspect()) as Record<string, any>;
  t.is(net.EnableIPv6, true);
  t.deepEqual(net.IPAM.Options, { 'io.github.stack-test.ipam': 'yes' });
  t.deepEqual(net.IPAM.Config[0].AuxiliaryAddresses, { router: '10.61.0.5' });
  const info = await docker('h1').getContainer(`${name}-web-1`).inspect();
  const endpoint = info.NetworkSettings.Networks[`${name}_back`] as Docker.EndpointSettings & Record<string, any>;
  t.deepEqual(endpoint.IPAMConfig, {
    IPv4Address: '10.61.0.10',
    IPv6Address: 'fd00:61::10',
    LinkLocalIPs: ['169.254.61.10'],
  });
  t.is(endpoint.IPAddress, '10.61.0.10');
  t.is(endpoint.GlobalIPv6Address, 'fd00:61::10');
  t.deepEqual(endpoint.DriverOpts, { 'io.github.stack-test.endpoint': '1' });
  const addresses = (await execIn('h1', info.Id, ['ip', 'addr'])).output;
  for (const a of ['10.61.0.10/24', 'fd00:61::10/64', '169.254.61.10/16']) t.true(addresses.includes(a), a);

  const again = await runStack(['plan', '--detailed-exitcode', '-i', 'inventory.yaml'], dir);
  t.is(again.code, 0, `nothing to do on a second plan: ${again.stdout}${again.stderr}`);
});

test('Engine 28: a network mac_address and interface_name name the container interface', async (t) => {
  const box = sandboxInstanceUp('vx', VX_UP_ARGS);
  const h1 = box.hosts.find((h) => h.name === 'h1')!;
  const hosts: HostSpec[] = [{ name: 'new', endpoint: endpointOf(h1.tcp, h1.tls), labels: {} }];
  const name = uniqueStack('nek28');
  const web = service('web', {
    image: box.images.busybox,
    command: ['sleep', '3600'],
    networks: {
      default: { aliases: [] },
      back: { aliases: [], macAddress: '02:42:ac:3e:00:0a', interfaceName: 'back0' },
    },
  });
  const d = desired([web], {
    name,
    hosts,
    networks: { default: network('default', name), back: network('back', name) },
  });
  t.teardown(async () => {
    await deploy(d, { destroy: true }).catch(() => undefined);
  });
  const { result } = await deploy(d);
  t.deepEqual(result?.failures, []);
  const client: Docker = engine(h1);
  const info = await client.getContainer(`${name}-web-1`).inspect();
  t.is(info.NetworkSettings.Networks[`${name}_back`].MacAddress, '02:42:ac:3e:00:0a');
  const exec = await client
    .getContainer(info.Id)
    .exec({ Cmd: ['cat', '/sys/class/net/back0/address'], AttachStdout: true, Tty: true });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
  const out = await new Promise<string>((resolve) => {
    let s = '';
    stream.on('data', (b: Buffer) => (s += b.toString()));
    stream.on('end', () => resolve(s.trim()));
  });
  t.is(out, '02:42:ac:3e:00:0a');
});
