/**
 * The Engine's attach/logs/exec stream format, parsed: a container without a TTY sends frames (an 8-byte header —
 * stream 0 stdin, 1 stdout, 2 stderr; 3 zero bytes; a big-endian 32-bit length — then the payload), a container with
 * a TTY sends raw bytes (one stream, stdout). Pure: bytes in, frames out, partial headers and payloads kept for the
 * next chunk.
 */

export type StreamName = 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  data: Buffer;
}

const HEADER = 8;

/** Splits a multiplexed stream into frames; `raw` passes every byte through as stdout (TTY containers). */
export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly raw: boolean) {}

  push(chunk: Buffer): Frame[] {
    if (this.raw) return chunk.length ? [{ stream: 'stdout', data: chunk }] : [];
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.pending.length >= HEADER) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER + size) break;
      const kind = this.pending[0];
      const data = this.pending.subarray(HEADER, HEADER + size);
      this.pending = this.pending.subarray(HEADER + size);
      // stdin (0) is never sent back; a stream number the Engine does not define is treated as stdout.
      frames.push({ stream: kind === 2 ? 'stderr' : 'stdout', data });
    }
    return frames;
  }

  /** Bytes of an incomplete frame left at the end of the stream. */
  get leftover(): number {
    return this.pending.length;
  }
}

/**
 * Does a logs stream asked with timestamps=true carry frame headers? A frame starts with 0, 1 or 2 and three zero
 * bytes; a raw (TTY) stream starts with the timestamp's first digit. Undefined until 4 bytes are there.
 */
export function sniffMultiplexed(start: Buffer): boolean | undefined {
  if (start.length < 4) return undefined;
  return start[0] <= 2 && start[1] === 0 && start[2] === 0 && start[3] === 0;
}

/** Cuts a stream's bytes into lines (without the newline, UTF-8 decoded whole); the last partial line waits. */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(data: Buffer): string[] {
    let rest = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    const lines: string[] = [];
    for (let nl = rest.indexOf(10); nl >= 0; nl = rest.indexOf(10)) {
      lines.push(text(rest.subarray(0, nl)));
      rest = rest.subarray(nl + 1);
    }
    this.pending = rest;
    return lines;
  }

  /** The last line when the stream ended without a newline. */
  flush(): string[] {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest.length ? [text(rest)] : [];
  }
}

function text(line: Buffer): string {
  const s = line.toString('utf8');
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
