/** The operations that are exactly one Engine call, passed on as the planner built them. */
import type { HostClient } from '../../docker/client.js';
import { tar } from '../../docker/tar.js';
import { registryOf } from '../../docker/image-ref.js';
import { unreachable, type OpKind, type Operation } from '../../plan/types.js';
import type { OperationContext } from './context.js';
import { startWithHooks, stopWithHooks } from './hooks.js';
import { revealed } from '../../sensitive.js';
import type { ContainerCreateBody } from '../../plan/types.js';
import type Docker from 'dockerode';

export const ENGINE_CALL_KINDS = [
  'image.pull',
  'network.create',
  'network.remove',
  'volume.create',
  'volume.remove',
  'container.create',
  'network.connect',
  'network.disconnect',
  'container.start',
  'container.stop',
  'container.remove',
  'container.rename',
  'container.update',
  'archive.put',
] as const satisfies readonly OpKind[];

export type EngineCallOperation = Extract<Operation, { kind: (typeof ENGINE_CALL_KINDS)[number] }>;

export async function runEngineCall(
  op: EngineCallOperation,
  client: HostClient,
  ctx: OperationContext,
): Promise<string | void> {
  switch (op.kind) {
    case 'image.pull':
      return client.pull(op.params.image, ctx.credentials?.(registryOf(op.params.image)), op.params.platform);
    case 'network.create':
      return client.createNetwork(op.params.body);
    case 'network.remove':
      return client.removeNetwork(op.params.name);
    case 'volume.create':
      return client.createVolume(op.params.body);
    case 'volume.remove':
      return client.removeVolume(op.params.name);
    case 'container.create':
      return void (await client.createContainer(op.params.name, revealedBody(op.params.body)));
    case 'network.connect':
      return client.connectNetwork(op.params.network, op.params.body);
    case 'network.disconnect':
      return client.disconnectNetwork(op.params.network, op.params.container);
    case 'container.start':
      return startWithHooks(client, op.params);
    case 'container.stop':
      return stopWithHooks(client, op.params);
    case 'container.remove':
      return client.remove(op.params.name, { force: op.params.force, volumes: op.params.volumes });
    case 'container.rename':
      return client.rename(op.params.name, op.params.newName);
    case 'container.update':
      return client.update(op.params.name, op.params.body);
    case 'archive.put': {
      const a = op.params;
      const files = a.files.map((f) => ({
        name: f.name,
        content: ctx.contents(f.ref),
        mode: f.mode,
        uid: f.uid,
        gid: f.gid,
      }));
      return client.putArchive(a.container, a.path, tar(files));
    }
    default:
      return unreachable(op, 'engine call');
  }
}

/** The one place sensitive values are revealed: into the create request sent to the Engine, never kept. */
function revealedBody(body: ContainerCreateBody): Docker.ContainerCreateOptions {
  return body.Env ? { ...body, Env: body.Env.map(revealed) } : (body as Docker.ContainerCreateOptions);
}
