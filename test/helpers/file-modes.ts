/** File modes of a tree, for tests of private state: `700/` for a folder, `600` for a file. */
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Every folder and file under `root`, root included (as `.`), by path relative to it. */
export function modes(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string) => {
    const st = lstatSync(p);
    out.set(path.relative(root, p) || '.', (st.mode & 0o7777).toString(8) + (st.isDirectory() ? '/' : ''));
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  walk(root);
  return out;
}
