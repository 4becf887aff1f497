/**
 * Reads one YAML file into plain data, recording the position of every entry. Refuses what Compose would not
 * read the same way: invalid UTF-8, empty files, several documents, duplicate keys, non-scalar keys.
 * `!reset` and `!override` (Compose merge tags) are kept as markers for the merge step.
 *
 * Untrusted input, so every cost is bounded (YAML_LIMITS): nesting depth and node count are checked while the text
 * is lexed, before anything is built; aliases (merge keys included) are resolved through one anchor table and the
 * nodes they expand to are counted; duplicate keys are found with one lookup per key. Each limit is an error at
 * the place it was crossed.
 */
import { scalarText } from './key-path.js';
import {
  Composer,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  visit,
  type CST,
  type Document,
  type Node,
  type YAMLError,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { Diagnostic } from '../errors.js';
import { utf8ErrorOffset } from './utf8.js';
import type { MergeTags } from './merge-tags.js';
import type { SourcePosition, SourcePositions, SourceText } from './source-positions.js';

export interface YamlFileResult {
  /** The document as plain data; absent when the file could not be read. */
  value?: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

export const YAML_LIMITS = {
  /** Collections inside collections, as written or through aliases. */
  maxDepth: 100,
  /** Nodes in the document as written, and after aliases are expanded (a large real stack file has a few thousand). */
  maxNodes: 100_000,
  /** Aliases as written (a real file uses a few per service). */
  maxAliases: 10_000,
  /** Nodes that aliases (and merge keys) expand to, over the whole document, merged entries included. */
  maxAliasNodes: 100_000,
};

/** What the lexer emits before a scalar, and at the start of a flow collection (yaml's CST). */
const SCALAR_LEXEME = '\x1f';
const FLOW_STARTS = new Set(['[', '{']);

export function readYamlFile(bytes: Buffer, file: string, positions: SourcePositions, tags: MergeTags): YamlFileResult {
  const notUtf8 = utf8Problem(bytes, file);
  if (notUtf8) return { diagnostics: [notUtf8] };
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const lineCounter = new LineCounter();
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const parsed = parseBounded(text, lineCounter);
  const refused = documentRefusal(parsed, file, at);
  if (refused) return { diagnostics: [refused] };
  const document = (parsed as { documents: Document.Parsed[] }).documents[0];
  const diagnostics = parserProblems(document, file, at);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  if (!isMap(document.contents)) {
    return {
      diagnostics: [
        {
          severity: 'error',
          summary: 'the top level of a stack file must be a mapping (services:, networks:, …)',
          where: { file, ...position(at(document.contents?.range?.[0] ?? 0)) },
        },
      ],
    };
  }
  const converter = new Converter(document, { file, lineCounter }, at, positions, tags, diagnostics);
  const value = converter.convert(document.contents) as Record<string, unknown>;
  positions.setRoot(value, { file, line: 1, column: 1 });
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { value, diagnostics };
}

/** Too big or too deep, several documents, or none: the file is refused with one diagnostic. */
function documentRefusal(
  parsed: { documents: Document.Parsed[] } | { limit: string; offset: number },
  file: string,
  at: (offset: number) => SourcePosition,
): Diagnostic | undefined {
  if ('limit' in parsed)
    return {
      severity: 'error',
      summary: parsed.limit,
      where: { file, ...position(at(parsed.offset)) },
      hint: 'this is far beyond any stack file; check where the file came from',
    };
  const list = parsed.documents;
  if (list.length > 1)
    return {
      severity: 'error',
      summary: `the file holds ${list.length} YAML documents; a stack file is one document`,
      where: { file, ...position(at(list[1].range[0])) },
      hint: 'split the documents into separate files and pass each with -f',
    };
  const document = list[0];
  if (!document || document.contents === null || (isScalar(document.contents) && document.contents.value === null))
    return {
      severity: 'error',
      summary: 'the file is empty',
      where: { file, line: 1, column: 1 },
      hint: 'a stack file needs at least `services:`',
    };
  return undefined;
}

/** The first byte that is not UTF-8, where it is (line and column of the text before it). */
function utf8Problem(bytes: Buffer, file: string): Diagnostic | undefined {
  const badByte = utf8ErrorOffset(bytes);
  if (badByte === undefined) return undefined;
  const before = bytes.subarray(0, badByte).toString('utf8');
  const lines = before.split('\n');
  return {
    severity: 'error',
    summary: `the file is not valid UTF-8 (byte 0x${bytes[badByte].toString(16).padStart(2, '0')} at offset ${badByte})`,
    where: { file, line: lines.length, column: [...lines[lines.length - 1]].length + 1 },
    hint: 'save the file as UTF-8',
  };
}

/** The YAML parser's errors and warnings (but the unknown-tag warning for !reset and !override, which are ours). */
function parserProblems(document: Document.Parsed, file: string, at: (offset: number) => SourcePosition): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const problem of document.errors) {
    const quote = unclosedQuote(document, problem);
    diagnostics.push({
      severity: 'error',
      summary: quote === undefined ? firstLine(problem.message) : 'this quote is never closed',
      where: { file, ...position(at(quote ?? problem.pos[0])) },
      ...(quote === undefined ? {} : { hint: 'close the quoted value on its line, or remove the quote' }),
    });
  }
  for (const problem of document.warnings) {
    if (problem.code === 'TAG_RESOLVE_FAILED' && /!(reset|override)\b/.test(problem.message)) continue;
    diagnostics.push({
      severity: 'warning',
      summary: firstLine(problem.message),
      where: { file, ...position(at(problem.pos[0])) },
    });
  }
  return diagnostics;
}

/**
 * Where the quote opens that a "missing closing quote" error is about: yaml reports it where the stream ends, but
 * the place to fix is the quoted value that runs on to there.
 */
function unclosedQuote(document: Document.Parsed, problem: YAMLError): number | undefined {
  if (problem.code !== 'MISSING_CHAR' || !/closing .?quote/.test(problem.message)) return undefined;
  let opening: number | undefined;
  visit(document, {
    Scalar: (_key, node) => {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      if (quoted && node.range && node.range[0] < problem.pos[0] && node.range[1] >= problem.pos[0])
        opening = node.range[0];
    },
  });
  return opening;
}

/**
 * Lexes, parses and composes `text` as parseAllDocuments does, but stops as soon as the nesting depth or the
 * number of nodes passes its limit (the parser's cost grows with the square of the depth), so no hostile text
 * is built into nodes. Keys are not checked for uniqueness here: yaml does that in quadratic time; the
 * converter does it with one lookup per key.
 */
function parseBounded(
  text: string,
  lineCounter: LineCounter,
): { documents: Document.Parsed[] } | { limit: string; offset: number } {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  let offset = 0;
  let nodes = 0;
  let aliases = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (lexeme === SCALAR_LEXEME || FLOW_STARTS.has(lexeme)) nodes++;
    else if (lexeme.startsWith('*') && ++aliases > YAML_LIMITS.maxAliases)
      return { limit: `the document uses more than ${YAML_LIMITS.maxAliases} aliases`, offset };
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (parser.stack.length > YAML_LIMITS.maxDepth + 2)
      return { limit: `the document is nested deeper than ${YAML_LIMITS.maxDepth} levels`, offset };
    if (nodes > YAML_LIMITS.maxNodes)
      return { limit: `the document has more than ${YAML_LIMITS.maxNodes} nodes`, offset };
    offset += lexeme.length;
  }
  for (const token of parser.end()) tokens.push(token);
  const composer = new Composer({ merge: true, uniqueKeys: false });
  return { documents: Array.from(composer.compose(tokens)) };
}

function position(p: SourcePosition): { line: number; column: number } {
  return { line: p.line, column: p.column };
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/** Where each alias points: the last node before it with that anchor, found in one walk of the document. */
function aliasTargets(document: Document): Map<Node, Node> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Node, Node>();
  visit(document, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target) targets.set(node, target);
      } else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

class Converter {
  private nodes = 0;
  private aliasNodes = 0;
  private depth = 0;
  /** Set once a limit is crossed: nothing more is converted (one error, no further cost). */
  private stopped = false;
  private readonly resolving = new Set<Node>();
  private readonly targets: Map<Node, Node>;

  constructor(
    document: Document,
    private readonly source: SourceText,
    private readonly at: (offset: number) => SourcePosition,
    private readonly positions: SourcePositions,
    private readonly tags: MergeTags,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.targets = aliasTargets(document);
  }

  convert(node: unknown): unknown {
    if (this.stopped || !this.withinLimits(node)) return null;
    if (isAlias(node)) return this.convertAlias(node);
    if (isScalar(node)) {
      if (node.tag === '!reset') return this.tags.reset;
      // `0440` is octal, as in YAML 1.1 and Compose (file modes); YAML 1.2 alone would read 440.
      if (node.type === 'PLAIN' && typeof node.source === 'string' && /^0[0-7]+$/.test(node.source))
        return parseInt(node.source, 8);
      return unrounded(node);
    }
    if (isSeq(node) || isMap(node)) {
      if (node.tag === '!reset') return this.tags.reset;
      this.depth++;
      try {
        return isSeq(node) ? this.convertSeq(node) : this.convertMap(node);
      } finally {
        this.depth--;
      }
    }
    return node ?? null;
  }

  /** Counts the node; false (after one error) once the document, its aliases or its depth pass their limits. */
  private withinLimits(node: unknown): boolean {
    const offset = (node as Node | null)?.range?.[0] ?? 0;
    if (this.resolving.size && ++this.aliasNodes > YAML_LIMITS.maxAliasNodes)
      return this.stop(offset, `aliases expand to more than ${YAML_LIMITS.maxAliasNodes} nodes`);
    if (++this.nodes > YAML_LIMITS.maxNodes)
      return this.stop(
        offset,
        `the document has more than ${YAML_LIMITS.maxNodes} nodes once its aliases are expanded`,
      );
    if (this.depth > YAML_LIMITS.maxDepth)
      return this.stop(offset, `aliases and merge keys nest deeper than ${YAML_LIMITS.maxDepth} levels`);
    return true;
  }

  /** Entries a merge key copies count as nodes the aliases expand to. */
  private countMerged(entries: number, offset: number): boolean {
    this.aliasNodes += entries;
    if (this.aliasNodes > YAML_LIMITS.maxAliasNodes)
      return this.stop(offset, `aliases expand to more than ${YAML_LIMITS.maxAliasNodes} nodes`);
    return true;
  }

  private stop(offset: number, summary: string): false {
    this.stopped = true;
    this.fail(
      offset,
      summary,
      'an alias bomb? aliases (*name) and merge keys (<<) copy what their anchor holds each time they are used',
    );
    return false;
  }

  private convertAlias(node: Node & { source: string }): unknown {
    const target = this.targets.get(node);
    if (!target || this.resolving.has(target)) {
      this.fail(node.range?.[0] ?? 0, `alias *${node.source} does not resolve`);
      return null;
    }
    this.resolving.add(target);
    try {
      return this.convert(target);
    } finally {
      this.resolving.delete(target);
    }
  }

  private convertSeq(node: YAMLSeq): unknown[] {
    const list: unknown[] = [];
    for (const item of node.items) {
      const offset = (item as Node)?.range?.[0] ?? node.range?.[0] ?? 0;
      this.positions.set(list, list.length, { source: this.source, key: offset, value: offset });
      list.push(this.convert(item));
    }
    if (node.tag === '!override') this.tags.overrides.add(list);
    return list;
  }

  private convertMap(node: YAMLMap): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    const merged: unknown[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        merged.push(pair.value);
        continue;
      }
      const key = this.keyOf(keyNode, node, map);
      if (key === undefined) continue;
      const keyOffset = (keyNode as Node).range?.[0] ?? 0;
      const valueNode = pair.value as Node | null;
      this.positions.set(map, key, { source: this.source, key: keyOffset, value: valueNode?.range?.[0] ?? keyOffset });
      map[key] = valueNode === null ? null : this.convert(valueNode);
    }
    for (const source of merged) this.mergeInto(map, source);
    if (node.tag === '!override') this.tags.overrides.add(map);
    return map;
  }

  /** The key of a pair as a string, or undefined after an error (not a plain scalar, __proto__, a duplicate). */
  private keyOf(keyNode: unknown, node: YAMLMap, map: Record<string, unknown>): string | undefined {
    if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
      this.fail((keyNode as Node | null)?.range?.[0] ?? node.range?.[0] ?? 0, 'keys must be plain strings');
      return undefined;
    }
    if (typeof keyNode.value === 'number' || typeof keyNode.value === 'boolean') {
      const text = String(keyNode.source ?? keyNode.value);
      const summary = `keys must be strings: ${text} is read as a ${typeof keyNode.value}`;
      this.fail(keyNode.range?.[0] ?? 0, summary, `quote it: "${text}" (Compose refuses it too)`);
      return undefined;
    }
    const key = scalarText(keyNode.value);
    const offset = keyNode.range?.[0] ?? 0;
    if (key === '__proto__') {
      this.fail(offset, 'the key __proto__ is not allowed');
      return undefined;
    }
    if (Object.prototype.hasOwnProperty.call(map, key)) {
      this.fail(
        offset,
        `duplicate key ${key.length > 80 ? `${key.slice(0, 80)}…` : key}: keys must be unique in a mapping`,
      );
      return undefined;
    }
    return key;
  }

  /**
   * YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`, or an alias to such a list): entries written in the map win
   * over merged ones, earlier sources win.
   */
  private mergeInto(map: Record<string, unknown>, source: unknown): void {
    const target = isAlias(source) ? this.targets.get(source) : undefined;
    if (target && isSeq(target) && !this.resolving.has(target)) {
      this.resolving.add(target);
      try {
        this.mergeEach(map, target.items);
      } finally {
        this.resolving.delete(target);
      }
    } else this.mergeEach(map, isSeq(source) ? source.items : [source]);
  }

  private mergeEach(map: Record<string, unknown>, sources: unknown[]): void {
    for (const one of sources) {
      const value = this.convert(one);
      if (this.stopped) return;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        this.fail((one as Node)?.range?.[0] ?? 0, 'the value of << must be a mapping or a list of mappings');
        continue;
      }
      const entries = Object.entries(value);
      if (!this.countMerged(entries.length, (one as Node)?.range?.[0] ?? 0)) return;
      for (const [key, child] of entries) {
        if (Object.prototype.hasOwnProperty.call(map, key)) continue;
        map[key] = child;
        this.positions.copy(value, key, map);
      }
    }
  }

  private fail(offset: number, summary: string, hint?: string): void {
    const p = this.at(offset);
    this.diagnostics.push({
      severity: 'error',
      summary,
      where: { file: p.file, line: p.line, column: p.column },
      ...(hint ? { hint } : {}),
    });
  }
}

/**
 * A scalar's value, but an integer beyond 2^53 (which a JavaScript number would round) as its literal text: Compose
 * keeps such a value exact where it is text (environment, labels, …), and no number stack reads is that large.
 */
function unrounded(node: { value: unknown; source?: unknown; type?: string }): unknown {
  const { value, source } = node;
  if (node.type !== 'PLAIN' || typeof value !== 'number' || typeof source !== 'string') return value;
  if (Number.isSafeInteger(value) || !/^[-+]?[0-9]+$/.test(source)) return value;
  return source.replace(/^\+/, '');
}
