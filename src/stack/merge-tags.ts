/** Compose's merge tags, as found while reading: `!reset` removes a value, `!override` replaces instead of merging. */
export interface MergeTags {
  /** The marker that stands for a `!reset` value until merging removes it. */
  readonly reset: object;
  /** Maps and lists tagged `!override`. */
  readonly overrides: WeakSet<object>;
}

export function createMergeTags(): MergeTags {
  return { reset: Object.freeze({ '!reset': true }), overrides: new WeakSet() };
}
