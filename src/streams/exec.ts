/**
 * `stack exec`: a command in one replica, its streams joined to the caller's. With a TTY the bytes pass raw both
 * ways (the caller puts its terminal in raw mode and reports size changes); without one, stdin is forwarded (its
 * end closes the command's stdin) and the Engine's frames are split back into stdout and stderr byte for byte,
 * with back-pressure on the caller's streams. Resolves with the command's exit code once its output has ended.
 */
import type { Readable, Writable, Duplex } from 'node:stream';
import type { HostClient } from '../docker/client.js';
import { startExec } from '../docker/container-io.js';
import { FrameParser } from '../docker/frames.js';

export interface ExecIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** The caller's terminal, when stdin is one: its size, and a way to hear of changes. */
  terminal?: {
    size(): { columns: number; rows: number };
    onResize(listener: () => void): () => void;
  };
}

export async function runExec(client: HostClient, container: string, cmd: string[], io: ExecIO): Promise<number> {
  const tty = io.terminal !== undefined;
  const session = await startExec(client, container, { cmd, tty, ...(tty ? { size: io.terminal!.size() } : {}) });
  const { socket } = session;
  const unlisten = io.terminal?.onResize(() => void session.resize(io.terminal!.size()));
  const forward = (chunk: Buffer): void => void socket.write(chunk);
  const endInput = (): void => halfClose(socket);
  io.stdin.on('data', forward);
  io.stdin.on('end', endInput);
  try {
    await copyOutput(socket, tty, io);
  } finally {
    unlisten?.();
    io.stdin.off('data', forward);
    io.stdin.off('end', endInput);
    io.stdin.pause();
  }
  return session.exitCode();
}

/** Ends the command's stdin, keeping the connection open for its output. */
function halfClose(socket: Duplex): void {
  if (!socket.writableEnded) socket.end();
}

/** Copies the command's output to the caller until the connection ends; waits for slow writers (back-pressure). */
function copyOutput(socket: Duplex, tty: boolean, io: ExecIO): Promise<void> {
  const parser = new FrameParser(tty);
  return new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      let blocked: Writable | undefined;
      for (const f of parser.push(chunk)) {
        const target = f.stream === 'stderr' ? io.stderr : io.stdout;
        if (!target.write(f.data)) blocked = target;
      }
      if (blocked) {
        socket.pause();
        blocked.once('drain', () => socket.resume());
      }
    });
    socket.on('end', resolve);
    socket.on('close', resolve);
    socket.on('error', reject);
  });
}
