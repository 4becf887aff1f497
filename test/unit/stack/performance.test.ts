/**
 * Loading a 150-service file takes under 50 ms (schema compiled once, as the CLI does). Most of that is the `yaml`
 * parser, so the test also checks what the loader adds on top of parsing. Other test processes share the CPU, so
 * the best of up to 30 runs counts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { LineCounter, parseAllDocuments } from 'yaml';
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
  const text = readFileSync(path.join(dir, 'compose.yaml'), 'utf8');
  const first = await loadStack({ cwd: dir, env: {}, schema });
  t.deepEqual(first.diagnostics, []);
  let best = Infinity;
  let bestParse = Infinity;
  for (let run = 0; run < 30 && best >= 50; run++) {
    let start = performance.now();
    parseAllDocuments(text, { lineCounter: new LineCounter(), merge: true, uniqueKeys: true });
    bestParse = Math.min(bestParse, performance.now() - start);
    start = performance.now();
    await loadStack({ cwd: dir, env: {}, schema });
    best = Math.min(best, performance.now() - start);
  }
  t.log(`load: ${best.toFixed(1)} ms, of which parsing YAML alone: ${bestParse.toFixed(1)} ms`);
  t.true(best < 50, `took ${best.toFixed(1)} ms`);
  t.true(best - bestParse < 25, `the loader adds ${(best - bestParse).toFixed(1)} ms to parsing`);
});
