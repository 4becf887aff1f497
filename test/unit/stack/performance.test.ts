/** Loading a 150-service file takes well under 50 ms (schema compiled once, as the CLI does). */
import test from 'ava';
import { loadStack } from '../../../src/stack/index.js';
import { schema, writeTree } from './helpers.js';

function bigStack(count: number): string {
  let text = 'name: big\nservices:\n';
  for (let i = 0; i < count; i++) {
    text += `  svc${i}:\n    image: busybox:1.35\n    command: ["sleep", "3600"]\n    environment: { INDEX: "${i}", URL: "http://svc${(i + 1) % count}:8080" }\n`;
    text += `    ports: ["${10000 + i}:8080"]\n    volumes: ["data${i % 10}:/data"]\n    networks: [front, back]\n`;
    text += `    depends_on: [${i > 0 ? `svc${i - 1}` : ''}]\n    healthcheck: { test: ["CMD", "true"], interval: 10s }\n`;
    text += `    deploy: { replicas: 2, resources: { limits: { memory: 128m, cpus: "0.25" } } }\n`;
  }
  text += 'networks:\n  front: {}\n  back: {}\nvolumes:\n';
  for (let i = 0; i < 10; i++) text += `  data${i}: {}\n`;
  text += 'x-stack:\n  hosts:\n';
  for (let h = 1; h <= 3; h++) text += `    h${h}: { endpoint: "unix:///run/h${h}.sock", labels: { role: web } }\n`;
  return text;
}

test('150 services load in < 50 ms', async (t) => {
  const dir = writeTree({ 'compose.yaml': bigStack(150) });
  const first = await loadStack({ cwd: dir, env: {}, schema });
  t.deepEqual(first.diagnostics, []);
  const times: number[] = [];
  for (let run = 0; run < 10; run++) {
    const start = performance.now();
    await loadStack({ cwd: dir, env: {}, schema });
    times.push(performance.now() - start);
  }
  const best = Math.min(...times);
  t.log(`best of 10: ${best.toFixed(1)} ms`);
  t.true(best < 50, `took ${best.toFixed(1)} ms`);
});
