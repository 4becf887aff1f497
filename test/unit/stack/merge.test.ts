import test from 'ava';
import { errors, find, load, where, yaml } from './helpers.js';

const base = yaml`
  services:
    web:
      image: busybox:1.35
      command: ["httpd", "-f", "-p", "8080"]
      environment:
        - A=base
        - B=base
      labels: { tier: web }
      ports: ["8080:8080", "9090:9090"]
      volumes:
        - data:/data
        - ./conf:/etc/conf:ro
      dns: [1.1.1.1]
      secrets: [token]
      networks: [front]
      depends_on: [db]
      healthcheck:
        test: ["CMD", "true"]
        interval: 10s
    db:
      image: busybox:1.35
  networks:
    front: {}
    back: {}
  volumes:
    data: {}
    other: {}
  secrets:
    token: { environment: TOKEN }
`;

const override = yaml`
  services:
    web:
      image: busybox:1.36
      command: ["sleep", "1"]
      environment:
        B: override
        C: added
      labels: ["owner=ops"]
      ports: ["127.0.0.1:9091:9090", "8080:8080"]
      volumes:
        - other:/data
      dns: [1.1.1.1, 8.8.8.8]
      secrets: [{ source: token, target: /run/secrets/token, mode: 0400 }]
      networks:
        back: { aliases: [api] }
      depends_on:
        db: { condition: service_healthy }
      healthcheck:
        test: ["CMD", "false"]
`;

async function merged() {
  return load({ 'base.yaml': base, 'prod.yaml': override }, { files: ['base.yaml', 'prod.yaml'], env: { TOKEN: 't' } });
}

test('scalars: the later file wins', async (t) => {
  const r = await merged();
  t.deepEqual(errors(r), []);
  t.is(r.value?.services.web.image, 'busybox:1.36');
});

test('command, entrypoint and healthcheck.test are replaced; other healthcheck keys merge', async (t) => {
  const web = (await merged()).value!.services.web;
  t.deepEqual(web.command, ['sleep', '1']);
  t.deepEqual(web.healthcheck?.test, ['CMD', 'false']);
  t.is(web.healthcheck?.intervalNs, 10e9);
});

test('environment and labels merge as maps whatever form each file uses', async (t) => {
  const web = (await merged()).value!.services.web;
  t.deepEqual(web.environment, { A: 'base', B: 'override', C: 'added' });
  t.deepEqual(web.labels, { owner: 'ops', tier: 'web' });
});

test('ports merge by (ip, published, target, protocol); volumes and secrets by target', async (t) => {
  const web = (await merged()).value!.services.web;
  t.deepEqual(
    web.ports.map((p) => `${p.hostIp ?? ''}:${p.published}:${p.target}`),
    [':8080:8080', ':9090:9090', '127.0.0.1:9091:9090'],
  );
  t.deepEqual(
    web.mounts.map((m) => `${m.source?.replace(/^\/.*\//, './')}:${m.target}`),
    ['other:/data', './conf:/etc/conf'],
  );
  t.is(web.secrets.length, 1);
  t.is(web.secrets[0].mode, 0o400);
});

test('other lists append without repeating; networks and depends_on merge as maps', async (t) => {
  const web = (await merged()).value!.services.web;
  t.deepEqual(web.dns, ['1.1.1.1', '8.8.8.8']);
  t.deepEqual(Object.keys(web.networks), ['back', 'front']);
  t.deepEqual(web.networks.back.aliases, ['api']);
  t.is(web.dependsOn.db.condition, 'service_healthy');
});

test('positions after a merge point into the file each value came from', async (t) => {
  const r = await load(
    {
      'base.yaml': 'services:\n  web:\n    image: busybox\n    stop_grace_period: 10s\n    restart: always\n',
      'prod.yaml': 'services:\n  web:\n    restart: sometimes\n',
    },
    { files: ['base.yaml', 'prod.yaml'] },
  );
  t.is(where(find(r, 'must be no, always')), 'prod.yaml:3:14 services.web.restart');
  const r2 = await load(
    {
      'base.yaml': 'services:\n  web:\n    image: busybox\n    stop_grace_period: forever\n',
      'prod.yaml': 'services:\n  web:\n    restart: always\n',
    },
    { files: ['base.yaml', 'prod.yaml'] },
  );
  t.is(where(find(r2, 'must be a duration')), 'base.yaml:4:24 services.web.stop_grace_period');
});

test('!reset removes a value and !override replaces instead of merging', async (t) => {
  const r = await load(
    {
      'base.yaml':
        'services:\n  web:\n    image: busybox\n    ports: ["8080:80"]\n    environment: { A: "1", B: "2" }\n    user: nobody\n',
      'prod.yaml':
        'services:\n  web:\n    ports: !reset []\n    environment: !override { C: "3" }\n    user: !reset null\n',
    },
    { files: ['base.yaml', 'prod.yaml'] },
  );
  t.deepEqual(errors(r), []);
  const web = r.value!.services.web;
  t.deepEqual(web.ports, []);
  t.deepEqual(web.environment, { C: '3' });
  t.is(web.user, undefined);
});

test('top-level networks, volumes and x-stack merge key by key', async (t) => {
  const r = await load(
    {
      'base.yaml':
        'services:\n  web: { image: busybox }\nvolumes:\n  data: { driver: local }\nx-stack:\n  concurrency: { host: 2 }\n',
      'prod.yaml': 'volumes:\n  data: { labels: { keep: "yes" } }\nx-stack:\n  concurrency: { global: 4 }\n',
    },
    { files: ['base.yaml', 'prod.yaml'] },
  );
  t.deepEqual(r.value?.volumes.data.labels, { keep: 'yes' });
  t.is(r.value?.volumes.data.driver, 'local');
  t.deepEqual([r.value?.settings.hostConcurrency, r.value?.settings.globalConcurrency], [2, 4]);
});

test('entrypoint is replaced; sysctls and logging.options merge as maps whatever form each file uses', async (t) => {
  const r = await load(
    {
      'base.yaml': yaml`
        services:
          web:
            image: busybox
            entrypoint: ["/bin/sh", "-c"]
            sysctls: [net.core.somaxconn=1024, net.ipv4.tcp_syncookies=0]
            logging: { driver: json-file, options: { max-size: 10m, max-file: "3" } }
      `,
      'prod.yaml': yaml`
        services:
          web:
            entrypoint: /entry.sh --prod
            sysctls: { net.ipv4.tcp_syncookies: 1, net.ipv4.ip_forward: 1 }
            logging: { options: { max-file: "5", compress: "true" } }
      `,
    },
    { files: ['base.yaml', 'prod.yaml'] },
  );
  t.deepEqual(errors(r), []);
  const web = r.value!.services.web;
  t.deepEqual(web.entrypoint, ['/entry.sh', '--prod']);
  t.deepEqual(web.sysctls, {
    'net.core.somaxconn': '1024',
    'net.ipv4.ip_forward': '1',
    'net.ipv4.tcp_syncookies': '1',
  });
  t.deepEqual(web.logging, { driver: 'json-file', options: { compress: 'true', 'max-file': '5', 'max-size': '10m' } });
});

test('configs merge by target: the same target is replaced, others appended', async (t) => {
  const r = await load(
    {
      'base.yaml': yaml`
        services:
          web:
            image: busybox
            configs: [app, { source: app, target: /etc/app.conf }]
        configs:
          app: { content: "a" }
          other: { content: "b" }
      `,
      'prod.yaml': yaml`
        services:
          web:
            configs: [{ source: other, target: /etc/app.conf, mode: 0400 }, { source: other, target: /etc/extra.conf }]
      `,
    },
    { files: ['base.yaml', 'prod.yaml'] },
  );
  t.deepEqual(errors(r), []);
  t.deepEqual(r.value!.services.web.configs, [
    { source: 'app', target: '/app' },
    { source: 'other', target: '/etc/app.conf', mode: 0o400 },
    { source: 'other', target: '/etc/extra.conf' },
  ]);
});
