import test from 'ava';
import { errors, find, load, where, yaml } from './helpers.js';

test('undeclared networks, volumes, secrets and configs', async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        web:
          image: busybox
          networks: [front]
          volumes: [data:/data, { type: volume, source: logs, target: /logs }]
          secrets: [token]
          configs: [{ source: conf }]
    `,
  });
  t.is(where(find(r, 'network "front" is not declared')), 'compose.yaml:4:16 services.web.networks[0]');
  t.is(where(find(r, 'volume "data" is not declared')), 'compose.yaml:5:15 services.web.volumes[0]');
  t.is(where(find(r, 'volume "logs" is not declared')), 'compose.yaml:5:51 services.web.volumes[1].source');
  t.is(where(find(r, 'secret "token" is not declared')), 'compose.yaml:6:15 services.web.secrets[0]');
  t.is(where(find(r, 'config "conf" is not declared')), 'compose.yaml:7:25 services.web.configs[0].source');
  t.is(r.value, undefined);
});

test('depends_on: unknown service, itself, and cycles', async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        a:
          image: busybox
          depends_on: [ghost, a]
        b:
          image: busybox
          depends_on:
            c: { condition: service_started }
        c:
          image: busybox
          depends_on: [b]
    `,
  });
  t.is(where(find(r, 'depends on ghost, which is not defined')), 'compose.yaml:4:18 services.a.depends_on[0]');
  t.is(where(find(r, 'depends on itself')), 'compose.yaml:4:25 services.a.depends_on[1]');
  t.regex(
    where(find(r, 'depends_on forms a cycle')),
    /^compose\.yaml:(8:7 services\.b\.depends_on\.c|11:18 services\.c\.depends_on\[0\])$/,
  );
});

test('constraint syntax and unsatisfiable constraints', async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        a:
          image: busybox
          deploy: { placement: { constraints: ["node.labels.role = web", "engine.labels.x == y"] } }
        b:
          image: busybox
          deploy:
            placement:
              constraints: ["node.labels.role == db"]
      x-stack:
        hosts:
          h1: { endpoint: "unix:///tmp/h1.sock", labels: { role: web } }
          h2: { endpoint: "unix:///tmp/h2.sock", labels: { role: web } }
    `,
  });
  t.is(
    where(find(r, 'invalid constraint "node.labels.role = web"')),
    'compose.yaml:4:42 services.a.deploy.placement.constraints[0]',
  );
  t.regex(find(r, 'unknown constraint field "engine.labels.x"').hint ?? '', /node\.labels/);
  const none = find(r, 'no host satisfies the constraints of service b');
  t.is(where(none), 'compose.yaml:9:9 services.b.deploy.placement.constraints');
  t.regex(none.hint ?? '', /h1 \(role=web\)/);
});

test('rollback_config.failure_action rollback is refused, saying where and what to use', async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        a:
          image: busybox
          deploy:
            rollback_config: { parallelism: 2, failure_action: rollback }
    `,
  });
  const d = find(r, 'rollback_config.failure_action rollback: a rollback cannot roll itself back');
  t.is(d.severity, 'error');
  t.is(where(d), 'compose.yaml:5:58 services.a.deploy.rollback_config.failure_action');
  t.regex(d.hint ?? '', /pause .* or continue/);
  t.is(errors(r).length, 1);
});

const twoHosts = `x-stack:\n  hosts:\n    h1: { endpoint: "unix:///tmp/h1.sock", labels: { role: web } }\n    h2: { endpoint: "unix:///tmp/h2.sock", labels: { role: db } }\n`;

test('two services publishing the same port on the same (known) host', async (t) => {
  const r = await load({
    'compose.yaml':
      yaml`
      services:
        a:
          image: busybox
          ports: ["8080:80"]
          deploy: { placement: { constraints: ["node.hostname == h1"] } }
        b:
          image: busybox
          ports: ["8000-8090:80"]
          deploy: { mode: global }
        c:
          image: busybox
          ports: ["8080:80"]
          deploy: { placement: { constraints: ["node.labels.role == db"] } }
    ` + twoHosts,
  });
  const e = find(r, 'also published by service');
  t.is(where(e), 'compose.yaml:8:13 services.b.ports[0]');
  t.regex(e.summary, /host h1 .* service a/);
  t.is(errors(r).length, 2, 'b clashes with a on h1 and with c on h2');
});

test('unknown placement is not a clash; more replicas than hosts with a fixed port is', async (t) => {
  const ok = await load({
    'compose.yaml':
      'services:\n  a: { image: busybox, ports: ["80:80"] }\n  b: { image: busybox, ports: ["80:80"] }\n' + twoHosts,
  });
  t.deepEqual(errors(ok), []);
  const r = await load({
    'compose.yaml':
      'services:\n  a:\n    image: busybox\n    ports: ["80:80"]\n    deploy: { replicas: 3 }\n' + twoHosts,
  });
  t.is(
    where(find(r, '3 replicas of a publish host port 80 but only 2 hosts')),
    'compose.yaml:4:13 services.a.ports[0]',
  );
  const udp = await load({
    'compose.yaml':
      'services:\n  a: { image: busybox, ports: ["53:53/udp"] }\n  b: { image: busybox, ports: ["53:53/tcp"] }\n  c: { image: busybox, ports: ["127.0.0.1:53:53/udp"] }\n',
  });
  t.is(errors(udp).length, 1, 'single host: a/udp clashes with c (0.0.0.0 covers 127.0.0.1); tcp does not');
});

test('container_name with replicas > 1', async (t) => {
  const r = await load({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    container_name: web\n    deploy: { replicas: 2 }\n',
  });
  t.is(where(find(r, 'container_name cannot be used with 2 replicas')), 'compose.yaml:4:5 services.web.container_name');
});

test('network_mode together with networks', async (t) => {
  const r = await load({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    network_mode: host\n    networks: [default]\n',
  });
  t.is(
    where(find(r, 'network_mode cannot be used together with networks')),
    'compose.yaml:4:5 services.web.network_mode',
  );
});

test('external together with driver options', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web: { image: busybox }\nnetworks:\n  ext:\n    external: true\n    driver: overlay\nvolumes:\n  v:\n    external: true\n    driver_opts: { type: nfs }\n',
  });
  t.is(where(find(r, 'driver cannot be set on an external network')), 'compose.yaml:6:5 networks.ext.driver');
  t.is(where(find(r, 'driver_opts cannot be set on an external volume')), 'compose.yaml:10:5 volumes.v.driver_opts');
});

test('unit and duration syntax', async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        web:
          image: busybox
          mem_limit: 512 megs
          cpus: lots
          stop_grace_period: 1m30
          shm_size: 64m
          healthcheck: { interval: 1m30s, timeout: 1.5s }
    `,
  });
  t.is(where(find(r, 'must be a size')), 'compose.yaml:4:16 services.web.mem_limit');
  t.is(where(find(r, 'must be a number of CPUs')), 'compose.yaml:5:11 services.web.cpus');
  t.is(where(find(r, 'must be a duration')), 'compose.yaml:6:24 services.web.stop_grace_period');
  t.is(errors(r).length, 3);
});

test('memory reservation above the limit', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    deploy:\n      resources:\n        limits: { memory: 256m }\n        reservations: { memory: 1g }\n',
  });
  t.is(
    where(find(r, 'memory reservation (1073741824 bytes) is above the memory limit (268435456 bytes)')),
    'compose.yaml:7:33 services.web.deploy.resources.reservations.memory',
  );
});

test('env_file and secret files that do not exist', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    env_file: [missing.env, { path: opt.env, required: false }]\nsecrets:\n  s: { file: ./nope.txt }\nconfigs:\n  c: { environment: UNSET_VAR }\n',
  });
  t.is(where(find(r, 'env_file missing.env does not exist')), 'compose.yaml:4:16 services.web.env_file[0]');
  t.is(where(find(r, 'secret file ./nope.txt does not exist')), 'compose.yaml:6:14 secrets.s.file');
  t.is(where(find(r, 'reads variable UNSET_VAR, which is not set')), 'compose.yaml:8:21 configs.c.environment');
  t.is(errors(r).length, 3);
});

test('a secret needs exactly one source', async (t) => {
  const r = await load({
    'compose.yaml': 'services:\n  web: { image: busybox }\nsecrets:\n  s: { file: a.txt, environment: A }\n  t: {}\n',
  });
  t.truthy(find(r, 'secret s sets file and environment'));
  t.truthy(find(r, 'secret t has no source'));
});

test('a service without image, and a stack without services', async (t) => {
  const r = await load({ 'compose.yaml': 'services:\n  web:\n    command: ["true"]\n' });
  t.is(where(find(r, 'service web has no image')), 'compose.yaml:2:3 services.web');
  const empty = await load({ 'compose.yaml': 'name: x\nservices: {}\n' });
  t.truthy(find(empty, 'defines no services'));
});

test('all problems are reported at once, ordered by position', async (t) => {
  const r = await load({
    'compose.yaml':
      'services:\n  a:\n    image: busybox\n    restart: sometimes\n    ports: ["x"]\n    depends_on: [ghost]\n    networks: [nope]\n',
  });
  const lines = errors(r).map((d) => d.where?.line);
  t.deepEqual(lines, [4, 5, 6, 7]);
});
