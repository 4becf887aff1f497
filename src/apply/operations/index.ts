/**
 * Runs one operation: exactly one Engine call (waits poll with reads; overlay steps are a Consul write, one Engine
 * call or one helper run). The switch over kinds is exhaustive: a new kind does not compile until it has its case.
 */
import type { HostClient } from '../../docker/client.js';
import { unreachable, type Operation } from '../../plan/types.js';
import type { OperationContext } from './context.js';
import { runEngineCall } from './engine-calls.js';
import { runWait } from './waits.js';
import { runOverlayOperation } from './overlay.js';

export type { OperationContext } from './context.js';

export async function runOperation(op: Operation, client: HostClient, ctx: OperationContext): Promise<string | void> {
  switch (op.kind) {
    case 'image.pull':
    case 'network.create':
    case 'network.remove':
    case 'volume.create':
    case 'volume.remove':
    case 'container.create':
    case 'network.connect':
    case 'network.disconnect':
    case 'container.start':
    case 'container.stop':
    case 'container.remove':
    case 'container.rename':
    case 'container.update':
    case 'archive.put':
      return runEngineCall(op, client, ctx);
    case 'container.wait-healthy':
    case 'container.wait-running':
    case 'container.wait-ready':
    case 'container.wait-exit':
    case 'rollout.barrier':
    case 'rollout.drain':
      return runWait(op, client, ctx);
    case 'overlay.allocate':
    case 'overlay.bridge':
    case 'overlay.program':
    case 'overlay.unprogram':
    case 'overlay.release':
    case 'overlay.register':
    case 'overlay.deregister':
      return runOverlayOperation(op, client, ctx.overlayStore);
    default:
      return unreachable(op, 'operation');
  }
}
