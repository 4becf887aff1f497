/**
 * Labels under stack's prefix are stack's own marks of ownership: a stack file that sets one (on a service, a
 * network or a volume; map or list form) is refused at the label, with file:line:col.
 */
import test from 'ava';
import { describe, errors, load, where, yaml } from './helpers.js';

test("a service label under stack's prefix is refused at its key (map form)", async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        web:
          image: busybox:1.35
          labels:
            app: web
            io.github.stack-deploy.owner: 0f0f0f0f-0000-4000-8000-000000000000
    `,
  });
  const e = errors(r);
  t.is(e.length, 1, r.diagnostics.map(describe).join('\n'));
  t.is(
    e[0].summary,
    'label io.github.stack-deploy.owner is reserved: labels under io.github.stack-deploy.* are written by stack to mark what it owns',
  );
  t.is(where(e[0]), 'compose.yaml:6:7 services.web.labels["io.github.stack-deploy.owner"]');
  t.is(r.value, undefined);
});

test("list-form service labels, network and volume labels under stack's prefix are refused, each where it is written", async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        web:
          image: busybox:1.35
          labels: ["a=b", "io.github.stack-deploy.managed=true"]
          volumes: [data:/data]
      networks:
        default:
          labels: { io.github.stack-deploy.stack: other }
      volumes:
        data:
          labels:
            - io.github.stack-deploy.volume=data
    `,
  });
  t.deepEqual(
    errors(r).map((d) => `${where(d)} ${d.summary.split(':')[0]}`),
    [
      'compose.yaml:4:21 services.web.labels[1] label io.github.stack-deploy.managed is reserved',
      'compose.yaml:8:15 networks.default.labels["io.github.stack-deploy.stack"] label io.github.stack-deploy.stack is reserved',
      'compose.yaml:12:9 volumes.data.labels[0] label io.github.stack-deploy.volume is reserved',
    ],
  );
});

test("labels that only look alike are the file's own", async (t) => {
  const r = await load({
    'compose.yaml': yaml`
      services:
        web:
          image: busybox:1.35
          labels: { io.github.stack-deployer.x: "1", com.example.io.github.stack-deploy.y: "2" }
    `,
  });
  t.deepEqual(errors(r), []);
});
