import { createHash } from 'node:crypto';
import test from 'ava';
import { errors, find, load, warnings, where, yaml } from './helpers.js';

const everything = yaml`
  services:
    app:
      image: busybox:1.35
      command: sh -c 'echo "hi there"'
      entrypoint: ["/bin/sh"]
      environment: [A=1, B]
      env_file: [app.env, { path: optional.env, required: false }]
      ports:
        - 8080
        - "8081:80"
        - "127.0.0.1:5353:53/udp"
        - { target: 443, published: "8443", protocol: tcp, mode: host, host_ip: 0.0.0.0 }
      expose: ["9000", 9001]
      volumes:
        - data:/data:nocopy
        - ./html:/www:ro
        - /anon
        - { type: tmpfs, target: /tmp, tmpfs: { size: 64m, mode: 01777 } }
        - { type: bind, source: /srv, target: /srv, bind: { propagation: rshared, create_host_path: true } }
      networks:
        front: { aliases: [app, www], ipv4_address: 172.28.0.10 }  # one container: with start-first old and new would share it
      restart: on-failure:3
      healthcheck: { test: ["CMD", "true"], interval: 1m30s, timeout: 500ms, retries: 3, start_period: 1.5s }
      labels: { tier: app }
      depends_on:
        db: { condition: service_healthy, restart: true }
      working_dir: /www
      user: "1000:1000"
      hostname: app
      container_name: the-app
      stop_signal: SIGINT
      stop_grace_period: 30s
      cap_add: [NET_ADMIN]
      cap_drop: [ALL]
      privileged: true
      read_only: true
      tmpfs: [/run, "/cache:size=10m"]
      ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 512 }
      sysctls: [net.core.somaxconn=1024]
      init: true
      shm_size: 1g
      extra_hosts: ["db.local:10.0.0.5", "cache=10.0.0.6"]
      dns: 1.1.1.1
      dns_search: [example.org]
      dns_opt: [ndots:1, "timeout:2"]
      logging: { driver: json-file, options: { max-size: 10m, max-file: 3 } }
      mem_limit: 512m
      mem_reservation: 256m
      cpus: 1.5
      pids_limit: 100
      secrets: [token, { source: token, target: tok2, uid: "1", gid: "1", mode: 0440 }]
      configs: [conf, { source: conf, target: /etc/app.conf }]
      pull_policy: always
      deploy:
        mode: replicated
        replicas: 1
        placement: { constraints: ["node.hostname == local"] }
        update_config: { parallelism: 2, delay: 10s, failure_action: rollback, monitor: 1m, max_failure_ratio: 0.5, order: stop-first }
        rollback_config: { parallelism: 0 }
        restart_policy: { condition: on-failure, delay: 5s, max_attempts: 3, window: 2m }
    db:
      image: busybox:1.35
      network_mode: none
      deploy:
        mode: global
        resources: { limits: { cpus: "0.5", memory: 1g, pids: 50 }, reservations: { memory: 512m } }
  networks:
    front:
      driver: bridge
      driver_opts: { com.docker.network.bridge.enable_icc: "true" }
      ipam: { driver: default, config: [{ subnet: 172.28.0.0/16, gateway: 172.28.0.1, ip_range: 172.28.5.0/24 }] }
      internal: false
      attachable: true
      labels: [team=web]
    shared: { external: true, name: shared-net }
  volumes:
    data: { driver: local, driver_opts: { type: tmpfs, device: tmpfs }, labels: { keep: "1" } }
    ext: { external: true }
  secrets:
    token: { file: ./token.txt }
  configs:
    conf: { content: "key=value" }
`;

async function loadEverything() {
  return load(
    {
      'compose.yaml': everything,
      'app.env': 'A=from-file\nFILE_ONLY=1\n',
      'token.txt': 's3cret',
      'html/index.html': 'hi',
    },
    { env: { B: 'from-env' } },
  );
}

test('every supported service key is normalised', async (t) => {
  const r = await loadEverything();
  t.deepEqual(errors(r), []);
  const app = r.value!.services.app;
  t.deepEqual(app.command, ['sh', '-c', 'echo "hi there"']);
  t.deepEqual(app.entrypoint, ['/bin/sh']);
  t.deepEqual(app.environment, { A: '1', B: 'from-env', FILE_ONLY: '1' });
  t.deepEqual(app.ports, [
    { target: 8080, protocol: 'tcp', mode: 'ingress' },
    { target: 80, published: '8081', protocol: 'tcp', mode: 'ingress' },
    { target: 53, published: '5353', hostIp: '127.0.0.1', protocol: 'udp', mode: 'ingress' },
    { target: 443, published: '8443', hostIp: '0.0.0.0', protocol: 'tcp', mode: 'host' },
  ]);
  t.deepEqual(app.expose, ['9000', '9001']);
  t.deepEqual(app.mounts[0], {
    type: 'volume',
    source: 'data',
    target: '/data',
    readOnly: false,
    volume: { nocopy: true },
  });
  t.like(app.mounts[1], { type: 'bind', target: '/www', readOnly: true, bind: { createHostPath: true } });
  t.deepEqual(app.mounts[2], { type: 'volume', target: '/anon', readOnly: false, volume: { nocopy: false } });
  t.deepEqual(app.mounts[3], {
    type: 'tmpfs',
    target: '/tmp',
    readOnly: false,
    tmpfs: { size: 64 * 1024 ** 2, mode: 0o1777 },
  });
  t.deepEqual(app.mounts[4], {
    type: 'bind',
    source: '/srv',
    target: '/srv',
    readOnly: false,
    bind: { createHostPath: true, propagation: 'rshared' },
  });
  t.deepEqual(app.networks, { front: { aliases: ['app', 'www'], ipv4Address: '172.28.0.10' } });
  t.deepEqual(app.restart, { name: 'on-failure', maximumRetryCount: 3 });
  t.deepEqual(app.healthcheck, {
    test: ['CMD', 'true'],
    intervalNs: 90e9,
    timeoutNs: 500e6,
    retries: 3,
    startPeriodNs: 1.5e9,
  });
  t.deepEqual(app.dependsOn, { db: { condition: 'service_healthy', required: true, restart: true } });
  t.like(app, {
    workingDir: '/www',
    user: '1000:1000',
    hostname: 'app',
    containerName: 'the-app',
    stopSignal: 'SIGINT',
    stopGracePeriodNs: 30e9,
  });
  t.like(app, { privileged: true, readOnly: true, init: true, shmSize: 1024 ** 3, pullPolicy: 'always' });
  t.deepEqual([app.capAdd, app.capDrop], [['NET_ADMIN'], ['ALL']]);
  t.deepEqual(app.tmpfs, { '/cache': 'size=10m', '/run': '' });
  t.deepEqual(app.ulimits, { nofile: { soft: 1024, hard: 2048 }, nproc: { soft: 512, hard: 512 } });
  t.deepEqual(app.sysctls, { 'net.core.somaxconn': '1024' });
  t.deepEqual(app.extraHosts, ['db.local:10.0.0.5', 'cache:10.0.0.6']);
  t.deepEqual([app.dns, app.dnsSearch, app.dnsOpt], [['1.1.1.1'], ['example.org'], ['ndots:1', 'timeout:2']]);
  t.deepEqual(app.logging, { driver: 'json-file', options: { 'max-file': '3', 'max-size': '10m' } });
  t.deepEqual(app.resources, {
    memoryLimit: 512 * 1024 ** 2,
    memoryReservation: 256 * 1024 ** 2,
    nanoCpus: 1.5e9,
    pidsLimit: 100,
  });
  t.deepEqual(app.secrets, [
    { source: 'token', target: '/run/secrets/token' },
    { source: 'token', target: '/run/secrets/tok2', uid: '1', gid: '1', mode: 0o440 },
  ]);
  t.deepEqual(app.configs, [
    { source: 'conf', target: '/conf' },
    { source: 'conf', target: '/etc/app.conf' },
  ]);
  t.deepEqual(app.deploy.constraints, [
    { field: 'node.hostname', op: '==', value: 'local', text: 'node.hostname == local' },
  ]);
  t.deepEqual(app.deploy.updateConfig, {
    parallelism: 2,
    delayNs: 10e9,
    failureAction: 'rollback',
    monitorNs: 60e9,
    maxFailureRatio: 0.5,
    order: 'stop-first',
  });
  t.deepEqual(app.deploy.rollbackConfig, {
    parallelism: 0,
    delayNs: 0,
    failureAction: 'pause',
    monitorNs: 5e9,
    maxFailureRatio: 0,
    order: 'stop-first',
  });
  t.deepEqual(app.deploy.restartPolicy, { condition: 'on-failure', delayNs: 5e9, maxAttempts: 3, windowNs: 120e9 });
});

test('network_mode, deploy.mode global and deploy.resources', async (t) => {
  const db = (await loadEverything()).value!.services.db;
  t.is(db.networkMode, 'none');
  t.deepEqual(db.networks, {});
  t.is(db.deploy.mode, 'global');
  t.deepEqual(db.resources, {
    nanoCpus: 0.5e9,
    memoryLimit: 1024 ** 3,
    memoryReservation: 512 * 1024 ** 2,
    pidsLimit: 50,
  });
});

test('top-level networks, volumes, secrets and configs', async (t) => {
  const v = (await loadEverything()).value!;
  t.like(v.networks.front, {
    name: `${v.name}_front`,
    driver: 'bridge',
    attachable: true,
    internal: false,
    external: false,
    labels: { team: 'web' },
  });
  t.deepEqual(v.networks.front.ipam, {
    driver: 'default',
    config: [{ subnet: '172.28.0.0/16', gateway: '172.28.0.1', ipRange: '172.28.5.0/24' }],
  });
  t.like(v.networks.shared, { name: 'shared-net', external: true });
  t.false('default' in v.networks, 'no service uses the default network');
  t.like(v.volumes.data, {
    name: `${v.name}_data`,
    driver: 'local',
    driverOpts: { type: 'tmpfs', device: 'tmpfs' },
    labels: { keep: '1' },
  });
  t.like(v.volumes.ext, { name: 'ext', external: true });
  t.like(v.secrets.token, { kind: 'secret', source: 'file:./token.txt', name: `${v.name}_token` });
  t.is(v.secrets.token.content?.toString(), 's3cret');
  t.regex(v.secrets.token.contentHash ?? '', /^[0-9a-f]{64}$/);
  t.like(v.configs.conf, { kind: 'config', source: 'content' });
});

test('defaults: default network, restart no, replicated × 1, pull missing, update/rollback config', async (t) => {
  const r = await load({ 'compose.yaml': 'name: shop\nservices:\n  web:\n    image: busybox\n' });
  const web = r.value!.services.web;
  t.deepEqual(web.networks, { default: { aliases: [] } });
  t.like(r.value!.networks.default, { name: 'shop_default', driver: 'bridge', external: false });
  t.deepEqual(web.restart, { name: 'no', maximumRetryCount: 0 });
  t.like(web.deploy, { mode: 'replicated', replicas: 1, constraints: [] });
  t.deepEqual(web.deploy.updateConfig, {
    parallelism: 1,
    delayNs: 0,
    failureAction: 'pause',
    monitorNs: 5e9,
    maxFailureRatio: 0,
    order: 'stop-first',
  });
  t.is(web.pullPolicy, 'missing');
});

test('x-stack.defaults.network_driver applies to the default network and networks without a driver', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web: { image: busybox, networks: [default, back] }\nnetworks:\n  back: {}\nx-stack:\n  defaults: { network_driver: overlay }\n',
  });
  t.is(r.value!.networks.default.driver, 'overlay');
  t.is(r.value!.networks.back.driver, 'overlay');
});

test('deploy.restart_policy becomes the engine restart policy when restart: is absent', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  a: { image: busybox, deploy: { restart_policy: { condition: any } } }\n  b: { image: busybox, deploy: { restart_policy: { condition: none } } }\n',
  });
  t.is(r.value!.services.a.restart.name, 'always');
  t.is(r.value!.services.b.restart.name, 'no');
});

test('refused keys are errors naming the key and why, at the key', async (t) => {
  const r = await load({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    cpu_count: 2\n    scale: 3\n',
  });
  const cpuCount = find(r, 'cpu_count is not supported');
  t.is(where(cpuCount), 'compose.yaml:4:5 services.web.cpu_count');
  t.regex(cpuCount.summary, /Windows daemons only/);
  t.is(cpuCount.hint, 'use cpus or deploy.resources.limits.cpus');
  t.is(find(r, 'scale is not supported').hint, 'use deploy.replicas');
});

test('harmless keys are accepted with a warning', async (t) => {
  const r = await load({
    'compose.yaml':
      'version: "3.8"\nservices:\n  web:\n    image: busybox\n    tty: true\n    develop: { watch: [] }\n',
  });
  t.deepEqual(errors(r), []);
  t.deepEqual(warnings(r).map(where), [
    'compose.yaml:1:1 version',
    'compose.yaml:5:5 services.web.tty',
    'compose.yaml:6:5 services.web.develop',
  ]);
});

test('build without a registry and builder in the inventory is an error saying so; build next to image is a warning', async (t) => {
  const r = await load({
    'compose.yaml': 'services:\n  a:\n    build: .\n  b:\n    image: busybox\n    build: { context: . }\n',
  });
  const e = find(r, 'has build: but the inventory names no registry: and builder:');
  t.is(where(e), 'compose.yaml:3:5 services.a.build');
  t.regex(e.hint ?? '', /registry: HOST\[:PORT\] and builder: HOST[\s\S]*CI/);
  t.is(find(r, 'build is ignored').severity, 'warning');
  t.is(errors(r).length, 1);
});

test('an unknown key is an error with a suggestion', async (t) => {
  const r = await load({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    enviroment: { A: "1" }\n' });
  const e = find(r, 'unknown key enviroment');
  t.is(where(e), 'compose.yaml:4:5 services.web.enviroment');
  t.is(e.hint, 'did you mean environment?');
});

test('x- keys are allowed at the top level and in services', async (t) => {
  const r = await load({ 'compose.yaml': 'x-note: hi\nservices:\n  web:\n    image: busybox\n    x-owner: ops\n' });
  t.deepEqual(errors(r), []);
});

test('dns_opt: a list of unique strings, empty by default', async (t) => {
  const none = await load({ 'compose.yaml': 'services:\n  web: { image: busybox }\n' });
  t.deepEqual(none.value!.services.web.dnsOpt, []);
  const bad = await load({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    dns_opt: ndots:1\n' });
  t.is(where(find(bad, 'must be a list')), 'compose.yaml:4:14 services.web.dns_opt');
  const twice = await load({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    dns_opt: [ndots:1, ndots:1]\n',
  });
  t.is(where(find(twice, 'has the same item twice')), 'compose.yaml:4:5 services.web.dns_opt');
});

test('external: { name } (the older form) is read as name: with external: true, with a warning; a different name: beside it is an error', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web: { image: busybox, networks: [shared], volumes: ["data:/data"], secrets: [tok], configs: [conf] }\nnetworks:\n  shared:\n    external: { name: corp-net }\nvolumes:\n  data:\n    external: {}\nsecrets:\n  tok:\n    external:\n      name: vault-token\nconfigs:\n  conf:\n    name: app-conf\n    external: { name: app-conf }\n',
  });
  t.deepEqual(errors(r), []);
  t.deepEqual(
    warnings(r).map((d) => `${where(d)}: ${d.summary}`),
    [
      "compose.yaml:5:17 networks.shared.external.name: external.name is Compose's older form — read as name: corp-net with external: true",
      "compose.yaml:12:7 secrets.tok.external.name: external.name is Compose's older form — read as name: vault-token with external: true",
      "compose.yaml:16:17 configs.conf.external.name: external.name is Compose's older form — read as name: app-conf with external: true",
    ],
  );
  const v = r.value!;
  t.like(v.networks.shared, { name: 'corp-net', external: true });
  t.like(v.volumes.data, { name: 'data', external: true });
  t.like(v.secrets.tok, { name: 'vault-token', external: true });
  t.like(v.configs.conf, { name: 'app-conf', external: true });
  const clash = await load({
    'compose.yaml':
      'services:\n  web: { image: busybox }\nvolumes:\n  data:\n    name: one\n    external: { name: two }\n',
  });
  t.is(where(find(clash, 'external.name two and name one disagree')), 'compose.yaml:6:17 volumes.data.external.name');
  const bad = await load({
    'compose.yaml': 'services:\n  web: { image: busybox }\nvolumes:\n  data:\n    external: { nme: two }\n',
  });
  t.is(
    where(find(bad, 'must be true or false (or the older form { name: NAME })')),
    'compose.yaml:5:5 volumes.data.external',
  );
});

test('pull_policy values stack does not implement (refresh, daily, build) say so', async (t) => {
  for (const policy of ['refresh', 'daily', 'build', 'every_12h']) {
    const r = await load({ 'compose.yaml': `services:\n  web:\n    image: busybox\n    pull_policy: ${policy}\n` });
    const e = find(r, 'must be always, missing, never or if_not_present');
    t.is(where(e), 'compose.yaml:4:18 services.web.pull_policy', policy);
    t.regex(e.summary, /refresh, daily, weekly and every_<duration> are not supported/);
  }
});

test('configs from file: and environment: are read at load time and hashed; stack config shows only the source', async (t) => {
  const r = await load(
    {
      'compose.yaml':
        'services:\n  web: { image: busybox, configs: [fromfile, fromenv] }\nconfigs:\n  fromfile: { file: ./conf/app.ini }\n  fromenv: { environment: APP_CONF }\n',
      'conf/app.ini': '[app]\nx=1\n',
    },
    { env: { APP_CONF: 'debug=true' } },
  );
  t.deepEqual(errors(r), []);
  const { fromfile, fromenv } = r.value!.configs;
  t.like(fromfile, {
    kind: 'config',
    source: 'file:./conf/app.ini',
    external: false,
    contentHash: createHash('sha256').update('[app]\nx=1\n').digest('hex'),
  });
  t.is(fromfile.content?.toString(), '[app]\nx=1\n');
  t.like(fromenv, {
    kind: 'config',
    source: 'environment:APP_CONF',
    contentHash: createHash('sha256').update('debug=true').digest('hex'),
  });
  t.is(fromenv.content?.toString(), 'debug=true');
  const missing = await load({
    'compose.yaml':
      'services:\n  web: { image: busybox }\nconfigs:\n  c: { file: ./nope.ini }\n  d: { file: ./conf }\n',
    'conf/x': '',
  });
  t.is(where(find(missing, 'config file ./nope.ini does not exist')), 'compose.yaml:4:14 configs.c.file');
  t.is(
    where(find(missing, 'config file ./conf is not a regular file (it is a directory)')),
    'compose.yaml:5:14 configs.d.file',
  );
  const two = await load({
    'compose.yaml': 'services:\n  web: { image: busybox }\nconfigs:\n  c: { file: ./a, content: x }\n',
    a: '',
  });
  t.is(where(find(two, 'config c sets file and content; set exactly one')), 'compose.yaml:4:3 configs.c');
});

test('name: on networks, volumes, secrets and configs stack creates replaces <stack>_<key>', async (t) => {
  const r = await load(
    {
      'compose.yaml':
        'name: shop\nservices:\n  web: { image: busybox, networks: [front], volumes: ["data:/data"], secrets: [tok], configs: [conf] }\n' +
        'networks:\n  front: { name: shop-front-net }\nvolumes:\n  data: { name: shop-data }\nsecrets:\n  tok: { environment: TOK, name: shop-token }\nconfigs:\n  conf: { content: x, name: shop-conf }\n',
    },
    { env: { TOK: 't' } },
  );
  t.deepEqual(errors(r), []);
  const v = r.value!;
  t.like(v.networks.front, { key: 'front', name: 'shop-front-net', external: false, driver: 'bridge' });
  t.like(v.volumes.data, { key: 'data', name: 'shop-data', external: false, driver: 'local' });
  t.like(v.secrets.tok, { key: 'tok', name: 'shop-token', external: false });
  t.like(v.configs.conf, { key: 'conf', name: 'shop-conf', external: false });
  // without name: the stack's prefix
  const plain = await load({
    'compose.yaml': 'name: shop\nservices:\n  web: { image: busybox, networks: [front] }\nnetworks:\n  front: {}\n',
  });
  t.is(plain.value!.networks.front.name, 'shop_front');
});

test('network_mode container:X: no networks of its own; service:X is refused with the reason (not built across hosts), after checking it names a defined service other than itself', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  db: { image: busybox }\n  probe: { image: busybox, network_mode: "container:legacy-db" }\n',
  });
  t.deepEqual(errors(r), []);
  const { probe, db } = r.value!.services;
  t.is(probe.networkMode, 'container:legacy-db');
  t.deepEqual(probe.networks, {});
  t.deepEqual(db.networks, { default: { aliases: [] } });
  const side = await load({
    'compose.yaml':
      'services:\n  db: { image: busybox }\n  side:\n    image: busybox\n    network_mode: "service:db"\n',
  });
  t.is(errors(side).length, 1);
  const refused = find(side, 'network_mode service:db is not supported');
  t.is(where(refused), 'compose.yaml:5:19 services.side.network_mode');
  t.regex(refused.hint ?? '', /one network and reach db by name/);
  const ghost = await load({
    'compose.yaml': 'services:\n  side:\n    image: busybox\n    network_mode: "service:ghost"\n',
  });
  t.is(
    where(find(ghost, 'network_mode names service ghost, which is not defined')),
    'compose.yaml:4:19 services.side.network_mode',
  );
  const self = await load({
    'compose.yaml': 'services:\n  side:\n    image: busybox\n    network_mode: "service:side"\n',
  });
  t.is(
    where(find(self, 'service side cannot share its own network namespace')),
    'compose.yaml:4:19 services.side.network_mode',
  );
  const empty = await load({
    'compose.yaml': 'services:\n  side:\n    image: busybox\n    network_mode: "container:"\n',
  });
  t.is(
    where(find(empty, 'must be none, host, bridge, service:NAME or container:NAME')),
    'compose.yaml:4:19 services.side.network_mode',
  );
});

test("healthcheck.disable: true turns off the image's check (test NONE), whatever else is set", async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    healthcheck: { disable: true, test: ["CMD", "true"], interval: 5s }\n  api:\n    image: busybox\n    healthcheck: { disable: false, test: ["CMD", "true"] }\n',
  });
  t.deepEqual(errors(r), []);
  t.deepEqual(r.value!.services.web.healthcheck, { test: ['NONE'] });
  t.deepEqual(r.value!.services.api.healthcheck, { test: ['CMD', 'true'] });
  const bad = await load({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    healthcheck: { disable: yes please }\n',
  });
  t.is(where(find(bad, 'must be a boolean')), 'compose.yaml:4:29 services.web.healthcheck.disable');
});
