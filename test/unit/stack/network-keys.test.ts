/**
 * The endpoint keys of a service's network (ipv6_address, link_local_ips, mac_address, driver_opts, interface_name)
 * and a network's enable_ipv6, ipam.options and aux_addresses: read, carried into the hashes and the Engine bodies,
 * and the fixed addresses the daemon would refuse refused at validate, at the key (file:line:col).
 */
import test from 'ava';
import { networkCreateBody } from '../../../src/plan/engine.js';
import { addressProblems } from '../../../src/stack/checks/addresses.js';
import { networkConfig } from '../../../src/plan/network-config.js';
import { createBodyOf, find, load, where } from './helpers.js';

const NETWORK = [
  'networks:',
  '  back:',
  '    enable_ipv6: true',
  '    driver_opts: { com.docker.network.bridge.name: br-back }',
  '    ipam:',
  '      options: { foo: bar }',
  '      config:',
  '        - { subnet: 10.30.0.0/24, aux_addresses: { router: 10.30.0.5 } }',
  '        - { subnet: "fd00:30::/64" }',
  '',
].join('\n');

const compose = (endpoint: string, network = NETWORK) =>
  `name: demo\nservices:\n  web:\n    image: busybox\n    networks:\n      back:\n${endpoint}${network}`;

async function loaded(endpoint: string, network?: string) {
  const r = await load({ 'compose.yaml': compose(endpoint, network) });
  if (!r.value) throw new Error(JSON.stringify(r.diagnostics));
  const d = r.value;
  const { hash, body } = createBodyOf(d);
  return { d, hash, endpoint: body.NetworkingConfig.EndpointsConfig.demo_back };
}

const ENDPOINT = [
  '        ipv4_address: 10.30.0.10',
  '        ipv6_address: "fd00:30::10"',
  '        link_local_ips: [169.254.10.10]',
  '        mac_address: "02:42:AC:1E:00:0A"',
  '        driver_opts: { com.docker.network.endpoint.sysctls: "net.ipv4.conf.IFNAME.log_martians=1" }',
  '        interface_name: back0',
  '',
].join('\n');

test('endpoint keys reach the endpoint config: addresses, MAC, driver options and the interface name', async (t) => {
  const { d, endpoint } = await loaded(ENDPOINT);
  t.like(d.services.web.networks.back, {
    ipv6Address: 'fd00:30::10',
    linkLocalIps: ['169.254.10.10'],
    macAddress: '02:42:ac:1e:00:0a',
    interfaceName: 'back0',
  });
  t.deepEqual(endpoint.IPAMConfig, {
    IPv4Address: '10.30.0.10',
    IPv6Address: 'fd00:30::10',
    LinkLocalIPs: ['169.254.10.10'],
  });
  t.is(endpoint.MacAddress, '02:42:ac:1e:00:0a');
  t.deepEqual(endpoint.DriverOpts, {
    'com.docker.network.endpoint.sysctls': 'net.ipv4.conf.IFNAME.log_martians=1',
    'com.docker.network.endpoint.ifname': 'back0',
  });
  t.deepEqual(addressProblems(d.networks, d.services), []);
});

test('each endpoint key changes the service hash; an endpoint without them sends none', async (t) => {
  const plain = await loaded('        aliases: [b]\n');
  t.deepEqual(Object.keys(plain.endpoint), ['Aliases']);
  const hashes = new Set([plain.hash]);
  for (const line of ENDPOINT.split('\n').filter(Boolean)) {
    const { hash } = await loaded(`        aliases: [b]\n${line}\n`);
    t.false(hashes.has(hash), line);
    hashes.add(hash);
  }
});

test('enable_ipv6, ipam.options and aux_addresses reach the network body and its hash', async (t) => {
  const { d } = await loaded('        aliases: []\n');
  const body = networkCreateBody(d.name, d.networks.back) as unknown as Record<string, any>;
  t.is(body.EnableIPv6, true);
  t.deepEqual(body.IPAM.Options, { foo: 'bar' });
  t.deepEqual(body.IPAM.Config[0], { Subnet: '10.30.0.0/24', AuxiliaryAddresses: { router: '10.30.0.5' } });
  const bare = (
    await loaded('        aliases: []\n', 'networks:\n  back:\n    ipam: { config: [{ subnet: 10.30.0.0/24 }] }\n')
  ).d.networks.back;
  const plainBody = networkCreateBody(d.name, bare) as unknown as Record<string, any>;
  t.false('EnableIPv6' in plainBody);
  t.false('Options' in plainBody.IPAM);
  t.deepEqual(networkConfig(bare).config, {
    driver: 'bridge',
    ipam: { config: [{ subnet: '10.30.0.0/24' }], driver: 'default' },
  });
  const hashes = new Set(
    [
      bare,
      { ...bare, enableIpv6: true },
      { ...bare, ipam: { ...bare.ipam!, options: { foo: 'bar' } } },
      { ...bare, ipam: { config: [{ subnet: '10.30.0.0/24', auxAddresses: { r: '10.30.0.5' } }] } },
    ].map((n) => networkConfig(n).hash),
  );
  t.is(hashes.size, 4);
});

test('fixed addresses the daemon would refuse are errors at validate, at the key', async (t) => {
  const network = [
    'networks:',
    '  back:',
    '    ipam:',
    '      config:',
    '        - { subnet: 10.30.0.0/24, aux_addresses: { router: 10.31.0.5 } }',
    '',
  ].join('\n');
  const r = await load({
    'compose.yaml': compose('        ipv4_address: 10.40.0.10\n        ipv6_address: "fd00:30::10"\n', network),
  });
  t.is(r.value, undefined);
  const aux = find(r, /aux_addresses router 10\.31\.0\.5 is not an address in subnet 10\.30\.0\.0\/24/);
  t.regex(where(aux), /compose\.yaml:13:\d+ networks\.back\.ipam\.config\[0\]\.aux_addresses\.router$/);
  const v6 = find(r, /service web: ipv6_address on network back, which has no IPv6/);
  t.regex(where(v6), /compose\.yaml:8:\d+ services\.web\.networks\.back\.ipv6_address$/);
  t.regex(v6.hint ?? '', /enable_ipv6: true/);
  const v4 = find(r, /service web: fixed address 10\.40\.0\.10 is in no subnet of network back/);
  t.regex(where(v4), /compose\.yaml:7:\d+ services\.web\.networks\.back\.ipv4_address$/);
});

test('subnets the daemon would refuse are errors at validate: not a CIDR, gateway or ip_range outside, overlapping', async (t) => {
  const network = [
    'networks:',
    '  back:',
    '    ipam:',
    '      config:',
    '        - { subnet: 10.30.0.0/33 }',
    '  front:',
    '    ipam:',
    '      config:',
    '        - { subnet: 10.50.0.0/16, gateway: 10.60.0.1, ip_range: 10.50.0.0/8 }',
    '  side:',
    '    ipam:',
    '      config:',
    '        - { subnet: 10.50.128.0/24 }',
    '',
  ].join('\n');
  const r = await load({ 'compose.yaml': compose('        aliases: [b]\n', network) });
  t.is(r.value, undefined);
  t.regex(
    where(find(r, /subnet "10\.30\.0\.0\/33" is not a CIDR block/)),
    /networks\.back\.ipam\.config\[0\]\.subnet$/,
  );
  t.regex(
    where(find(r, /gateway "10\.60\.0\.1" is not an address in subnet/)),
    /networks\.front\.ipam\.config\[0\]\.gateway$/,
  );
  t.regex(
    where(find(r, /ip_range "10\.50\.0\.0\/8" is not a CIDR block inside/)),
    /networks\.front\.ipam\.config\[0\]\.ip_range$/,
  );
  t.regex(
    where(find(r, /networks front \(10\.50\.0\.0\/16\) and side \(10\.50\.128\.0\/24\) have overlapping subnets/)),
    /:\d+:\d+ networks\.side\.ipam$/,
  );
});

test('endpoint keys in the wrong form are schema errors; mac_address on the service and a network is refused', async (t) => {
  const r = await load({
    'compose.yaml': compose(
      '        ipv6_address: 10.0.0.1\n        link_local_ips: [nonsense]\n        interface_name: a-name-far-too-long\n        mac_address: "02:42:ac:1e:00:0a"\n',
    ).replace('    image: busybox\n', '    image: busybox\n    mac_address: "02:42:ac:1e:00:0b"\n'),
  });
  t.is(r.value, undefined);
  t.regex(where(find(r, /must be an ipv6 address/)), /networks\.back\.ipv6_address$/);
  t.regex(where(find(r, /IPv4 or IPv6 address/)), /networks\.back\.link_local_ips\[0\]$/);
  t.regex(where(find(r, /at most 15 letters/)), /networks\.back\.interface_name$/);
  t.regex(where(find(r, /set both on the service and on one of its networks/)), /networks\.back\.mac_address$/);
});
