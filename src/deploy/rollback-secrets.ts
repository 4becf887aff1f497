/** The secrets of a revision read again now, for a rollback to it. */
import path from 'node:path';
import { createHash } from 'node:crypto';
import { CONTENT_FILE_LIMIT, ProjectFolder } from '../stack/index.js';
import type { DesiredState, FileObjectSpec } from '../stack/types.js';

/**
 * A secret of the revision read now: from the current load when its source is the same, else from the revision's
 * source — a file only from inside the current project folder (as the stack file's own), whatever folder the
 * revision names.
 */
export function secretReader(current: DesiredState, workingDir: string, env: Record<string, string | undefined>) {
  const folder = new ProjectFolder(current.workingDir);
  return (key: string, spec: FileObjectSpec): FileObjectSpec | undefined => {
    const now = current.secrets[key];
    if (now && now.source === spec.source) return now;
    let content: Buffer | undefined;
    try {
      if (spec.source.startsWith('file:')) {
        const read = folder.read(path.resolve(workingDir, spec.source.slice(5)), CONTENT_FILE_LIMIT);
        content = read.ok ? read.bytes : undefined;
      } else if (spec.source.startsWith('environment:') && env[spec.source.slice(12)] !== undefined)
        content = Buffer.from(env[spec.source.slice(12)]!, 'utf8');
    } catch {
      content = undefined;
    }
    return content ? { ...spec, content, contentHash: createHash('sha256').update(content).digest('hex') } : undefined;
  };
}
