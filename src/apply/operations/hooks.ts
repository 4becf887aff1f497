/**
 * `container.start` with its `post_start` hooks and `container.stop` with its `pre_stop` hooks. A post_start
 * hook that fails (exits non-zero, or cannot run) fails the start, so the replica never counts as started: its
 * dependents do not start and a rollout treats it as a failed replica. A pre_stop hook that fails is a warning
 * (the op's detail) and the stop goes on, as in Compose.
 */
import type { HostClient } from '../../docker/client.js';
import { errorMessage } from '../../docker/faults.js';
import { runExec, type ExecBody } from '../../docker/exec-run.js';
import type { ExecHook, StartParams, StopParams } from '../../plan/types.js';
import { revealed } from '../../sensitive.js';

export async function startWithHooks(client: HostClient, params: StartParams): Promise<void> {
  await client.start(params.name);
  for (const [i, hook] of (params.postStart ?? []).entries()) {
    const what = hookText('post_start', i, hook);
    const r = await runExec(client, params.name, execBody(hook)).catch((err: unknown) => {
      throw new Error(`${what} could not run: ${errorMessage(err)}`);
    });
    if (r.exitCode !== 0) throw new Error(`${what} exited with ${r.exitCode}${r.tail ? `: ${r.tail}` : ''}`);
  }
}

/** Stops the container after its pre_stop hooks; returns the hooks' failures as a warning, if any. */
export async function stopWithHooks(client: HostClient, params: StopParams): Promise<string | void> {
  const failures: string[] = [];
  for (const [i, hook] of (params.preStop ?? []).entries()) {
    const what = hookText('pre_stop', i, hook);
    try {
      const r = await runExec(client, params.name, execBody(hook));
      if (r.exitCode !== 0) failures.push(`${what} exited with ${r.exitCode}${r.tail ? `: ${r.tail}` : ''}`);
    } catch (err) {
      failures.push(`${what} could not run: ${errorMessage(err)}`);
    }
  }
  await client.stop(params.name, params.timeoutSeconds);
  if (failures.length) return `warning: ${failures.join('; ')} (stopped anyway)`;
}

function hookText(key: string, i: number, hook: ExecHook): string {
  return `${key} hook ${i + 1} (${hook.Cmd.join(' ')})`;
}

/** The one place a hook's sensitive environment values are revealed: into the exec request. */
function execBody(hook: ExecHook): ExecBody {
  return hook.Env ? { ...hook, Env: hook.Env.map(revealed) } : { ...hook, Env: undefined };
}
