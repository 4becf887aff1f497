/** The part of tar-stream 2 (MIT) that src/build/pack.ts uses; the package ships no types. */
declare module 'tar-stream' {
  import type { Readable } from 'node:stream';

  export interface Headers {
    name: string;
    size?: number;
    mode?: number;
    mtime?: Date;
    type?: 'file' | 'directory' | 'symlink';
    linkname?: string;
    uid?: number;
    gid?: number;
  }

  export interface Pack extends Readable {
    entry(header: Headers, buffer?: Buffer | string, callback?: (err?: Error | null) => void): unknown;
    finalize(): void;
  }

  export function pack(): Pack;

  /** Reading a tar back (the tests check what was packed). */
  export interface Extract extends NodeJS.WritableStream {
    on(
      event: 'entry',
      listener: (header: Headers & { type: string; mode: number }, stream: Readable, next: () => void) => void,
    ): this;
    on(event: string, listener: (...args: never[]) => void): this;
  }

  export function extract(): Extract;
}
