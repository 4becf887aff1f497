/** The build step's view: each event as an NDJSON line (--json), or a line of text; on stdout, before the plan. */
import pc from 'picocolors';
import type { BuildEvent, BuiltImage } from '../../build/images.js';
import { useColor } from './color.js';

export function buildReporter(
  options: { json?: boolean; stream?: NodeJS.WriteStream } = {},
): (event: BuildEvent) => void {
  const stream = options.stream ?? process.stdout;
  if (options.json) return (e) => stream.write(`${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`);
  const c = pc.createColors(useColor(stream));
  return (e) => {
    const line = buildLine(e, c);
    if (line !== undefined) stream.write(`${line}\n`);
  };
}

function buildLine(e: BuildEvent, c: ReturnType<typeof pc.createColors>): string | undefined {
  switch (e.type) {
    case 'build.found':
      return `build ${e.service}: ${e.image} (in the registry, not built again)`;
    case 'build.pending':
      return `build ${e.service}: ${e.tag} is not in the registry: built at apply`;
    case 'build.start':
      return `build ${e.service}: building ${e.tag} on ${e.host}`;
    case 'build.output':
      return c.dim(`  ${e.service} | ${e.line}`);
    case 'build.push':
      return `build ${e.service}: pushing ${e.tag}`;
    case 'build.done':
      return c.green(`build ${e.service}: ${e.image}`);
  }
}

/** `stack build`'s last word: one line per service (human), or a summary event (--json). */
export function printBuilt(images: readonly BuiltImage[], options: { json?: boolean } = {}): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ type: 'build.summary', images, time: new Date().toISOString() })}\n`);
    return;
  }
  if (!images.length) process.stdout.write('no service has build:\n');
  for (const i of images)
    process.stdout.write(`${i.service}\t${i.image ?? i.tag}\t${i.built ? 'built' : 'unchanged'}\n`);
}
