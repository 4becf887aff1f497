/**
 * Reads one replica's log stream into LogLines: the stream's format is sniffed from its first bytes (frames for a
 * container without a TTY, raw for one with), each of stdout and stderr cut into lines apart, the daemon's timestamp
 * parsed off every line. Resolves when the stream ends, rejects when it breaks.
 */
import type { Readable } from 'node:stream';
import { FrameParser, LineSplitter, sniffMultiplexed, type Frame, type StreamName } from '../docker/frames.js';
import { parseStamped, type LogLine, type ReplicaRef } from './log-line.js';

export function readReplicaLog(stream: Readable, replica: ReplicaRef, onLine: (line: LogLine) => void): Promise<void> {
  let parser: FrameParser | undefined;
  let head = Buffer.alloc(0);
  const splitters: Record<StreamName, LineSplitter> = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  const emit = (name: StreamName, lines: string[]): void => {
    for (const raw of lines) onLine({ replica, stream: name, ...parseStamped(raw) });
  };
  const take = (frames: Frame[]): void => {
    for (const f of frames) emit(f.stream, splitters[f.stream].push(f.data));
  };
  return new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      if (parser) return take(parser.push(chunk));
      head = Buffer.concat([head, chunk]);
      const framed = sniffMultiplexed(head);
      if (framed === undefined) return;
      parser = new FrameParser(!framed);
      take(parser.push(head));
    });
    stream.on('end', () => {
      if (!parser && head.length) take(new FrameParser(true).push(head));
      emit('stdout', splitters.stdout.flush());
      emit('stderr', splitters.stderr.flush());
      resolve();
    });
    stream.on('error', reject);
    stream.on('close', () => resolve()); // destroyed (stopped by the caller) without an end
  });
}
