/**
 * Sensitive values (issue 14): a value that must never appear in clear in a plan, an event, an error, a label, a
 * revision or a log line. `Sensitive` holds it in a private field; every way of printing or serialising it —
 * JSON.stringify, String(), template literals, util.inspect (console.log, ava) — gives `(sensitive)` (after its
 * prefix, `DB_PASSWORD=(sensitive)`). Only `reveal()` gives the value, and only the executor calls it, when it
 * builds the Engine request (src/apply/operations/engine-calls.ts).
 *
 * `HashKey` is a stack's random key (kept in its state store): what labels and revisions carry of a sensitive
 * value is `keyedHash(key, value)`, an HMAC-SHA256 that tells equal values apart from different ones and nothing
 * else to whoever lacks the key. Leaf module: imports nothing of src/.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** What a sensitive value shows instead of itself. */
export const MASK = '(sensitive)';

export class Sensitive {
  readonly #value: string;
  readonly #prefix: string;

  private constructor(value: string, prefix: string) {
    this.#value = value;
    this.#prefix = prefix;
  }

  static of(value: string): Sensitive {
    return new Sensitive(value, '');
  }

  /** The same value behind `prefix` (shown as is): `Sensitive.of(pw).prefixed('DB_PASSWORD=')`. */
  prefixed(prefix: string): Sensitive {
    return new Sensitive(this.#value, prefix + this.#prefix);
  }

  /** The value in clear: for the Engine request only. */
  reveal(): string {
    return this.#prefix + this.#value;
  }

  /** Equal values (for tests and comparisons that print nothing). */
  equals(other: Sensitive): boolean {
    return this.reveal() === other.reveal();
  }

  toString(): string {
    return this.#prefix + MASK;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Reveals one entry of a list that may hold sensitive values (an Engine `Env`). */
export function revealed(value: string | Sensitive): string {
  return typeof value === 'string' ? value : value.reveal();
}

/** Bytes of a stack's hash key. */
export const HASH_KEY_BYTES = 32;

/** A stack's HMAC key. Printing it gives `(sensitive)`, like a Sensitive. */
export class HashKey {
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    if (bytes.length !== HASH_KEY_BYTES) throw new Error(`a hash key has ${HASH_KEY_BYTES} bytes, not ${bytes.length}`);
    this.#bytes = Buffer.from(bytes);
  }

  /** A new random key (the state store keeps it; a plan before the first apply uses one and forgets it). */
  static random(): HashKey {
    return new HashKey(randomBytes(HASH_KEY_BYTES));
  }

  /** The key as the state store writes it (base64). */
  encode(): string {
    return this.#bytes.toString('base64');
  }

  /** The key from what the state store holds; undefined when it is not 32 bytes of base64. */
  static decode(text: string): HashKey | undefined {
    if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return undefined;
    return new HashKey(Buffer.from(text, 'base64'));
  }

  hmac(value: string | Buffer): string {
    return createHmac('sha256', this.#bytes).update(value).digest('hex');
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return MASK;
  }
}

/** What labels and revisions carry of a sensitive value: `hmac:<hex>`, a keyed HMAC-SHA256. */
export function keyedHash(key: HashKey, value: string | Buffer): string {
  return `hmac:${key.hmac(value)}`;
}

/**
 * The key of plans made without one (unit tests, library callers that never write): fixed and public, so its
 * HMACs hide nothing. The deploy layer always passes the stack's own key (or a throwaway one before the first apply).
 */
export const PUBLIC_TEST_KEY = new HashKey(Buffer.alloc(HASH_KEY_BYTES, 7));
