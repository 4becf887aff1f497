/** A build context as the tar `POST /build` takes, from the entries read (and hashed) once: what is hashed is sent. */
import { pack } from 'tar-stream';
import type { ContextEntry } from './context.js';

const EPOCH = new Date(0);

export async function packContext(entries: readonly ContextEntry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    tar.on('data', (chunk: Buffer) => chunks.push(chunk));
    tar.on('end', () => resolve(Buffer.concat(chunks)));
    tar.on('error', reject);
  });
  for (const e of entries) {
    const header = { name: e.name, mode: e.mode, mtime: EPOCH, uid: 0, gid: 0, type: e.type };
    if (e.type === 'symlink') tar.entry({ ...header, linkname: e.linkname });
    else if (e.type === 'directory') tar.entry(header);
    else tar.entry(header, e.content);
  }
  tar.finalize();
  return done;
}
