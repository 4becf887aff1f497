/**
 * Reads one YAML file into plain data, recording the position of every entry. Refuses what Compose would not
 * read the same way: invalid UTF-8, empty files, several documents, duplicate keys, non-scalar keys.
 * `!reset` and `!override` (Compose merge tags) are kept as markers for the merge step.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../errors.js';
import { utf8ErrorOffset } from './utf8.js';
import type { MergeTags } from './merge-tags.js';
import type { SourcePosition, SourcePositions, SourceText } from './source-positions.js';

export interface YamlFileResult {
  /** The document as plain data; absent when the file could not be read. */
  value?: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

/** Upper bound on nodes produced, so an alias bomb cannot exhaust memory. */
const MAX_NODES = 1_000_000;

export function readYamlFile(
  bytes: Buffer,
  file: string,
  positions: SourcePositions,
  tags: MergeTags,
): YamlFileResult {
  const diagnostics: Diagnostic[] = [];
  const badByte = utf8ErrorOffset(bytes);
  if (badByte !== undefined) {
    const before = bytes.subarray(0, badByte).toString('utf8');
    const lines = before.split('\n');
    return {
      diagnostics: [
        {
          severity: 'error',
          summary: `the file is not valid UTF-8 (byte 0x${bytes[badByte].toString(16).padStart(2, '0')} at offset ${badByte})`,
          where: { file, line: lines.length, column: [...lines[lines.length - 1]].length + 1 },
          hint: 'save the file as UTF-8',
        },
      ],
    };
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const lineCounter = new LineCounter();
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const documents = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [];
  if (list.length > 1) {
    const second = list[1];
    return {
      diagnostics: [
        {
          severity: 'error',
          summary: `the file holds ${list.length} YAML documents; a stack file is one document`,
          where: { file, ...position(at(second.range[0])) },
          hint: 'split the documents into separate files and pass each with -f',
        },
      ],
    };
  }
  const document = list[0];
  if (!document || document.contents === null || (isScalar(document.contents) && document.contents.value === null)) {
    return {
      diagnostics: [{ severity: 'error', summary: 'the file is empty', where: { file, line: 1, column: 1 }, hint: 'a stack file needs at least `services:`' }],
    };
  }
  for (const problem of document.errors) {
    diagnostics.push({
      severity: 'error',
      summary: firstLine(problem.message),
      where: { file, ...position(at(problem.pos[0])) },
    });
  }
  for (const problem of document.warnings) {
    if (problem.code === 'TAG_RESOLVE_FAILED' && /!(reset|override)\b/.test(problem.message)) continue;
    diagnostics.push({ severity: 'warning', summary: firstLine(problem.message), where: { file, ...position(at(problem.pos[0])) } });
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  if (!isMap(document.contents)) {
    return {
      diagnostics: [{ severity: 'error', summary: 'the top level of a stack file must be a mapping (services:, networks:, …)', where: { file, ...position(at(document.contents.range?.[0] ?? 0)) } }],
    };
  }
  const converter = new Converter(document, { file, lineCounter }, at, positions, tags, diagnostics);
  const value = converter.convert(document.contents) as Record<string, unknown>;
  positions.setRoot(value, { file, line: 1, column: 1 });
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { value, diagnostics };
}

function position(p: SourcePosition): { line: number; column: number } {
  return { line: p.line, column: p.column };
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

class Converter {
  private nodes = 0;
  private readonly resolving = new Set<Node>();

  constructor(
    private readonly document: Document,
    private readonly source: SourceText,
    private readonly at: (offset: number) => SourcePosition,
    private readonly positions: SourcePositions,
    private readonly tags: MergeTags,
    private readonly diagnostics: Diagnostic[],
  ) {}

  convert(node: unknown): unknown {
    if (++this.nodes > MAX_NODES) throw new RangeError('too many nodes');
    if (isAlias(node)) {
      const target = node.resolve(this.document);
      if (!target || this.resolving.has(target as Node)) {
        this.fail(node.range?.[0] ?? 0, `alias *${node.source} does not resolve`);
        return null;
      }
      this.resolving.add(target as Node);
      try {
        return this.convert(target);
      } finally {
        this.resolving.delete(target as Node);
      }
    }
    if (isScalar(node)) {
      if (node.tag === '!reset') return this.tags.reset;
      // `0440` is octal, as in YAML 1.1 and Compose (file modes); YAML 1.2 alone would read 440.
      if (node.type === 'PLAIN' && typeof node.source === 'string' && /^0[0-7]+$/.test(node.source)) return parseInt(node.source, 8);
      return node.value;
    }
    if (isSeq(node)) {
      if (node.tag === '!reset') return this.tags.reset;
      const list: unknown[] = [];
      for (const item of node.items) {
        const offset = (item as Node)?.range?.[0] ?? node.range?.[0] ?? 0;
        this.positions.set(list, list.length, { source: this.source, key: offset, value: offset });
        list.push(this.convert(item));
      }
      if (node.tag === '!override') this.tags.overrides.add(list);
      return list;
    }
    if (isMap(node)) {
      if (node.tag === '!reset') return this.tags.reset;
      const map: Record<string, unknown> = {};
      const merged: unknown[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key;
        if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
          merged.push(pair.value);
          continue;
        }
        if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
          this.fail((keyNode as Node | null)?.range?.[0] ?? node.range?.[0] ?? 0, 'keys must be plain strings');
          continue;
        }
        const key = String(keyNode.value);
        if (key === '__proto__') {
          this.fail(keyNode.range?.[0] ?? 0, 'the key __proto__ is not allowed');
          continue;
        }
        const keyOffset = keyNode.range?.[0] ?? 0;
        const valueNode = pair.value as Node | null;
        this.positions.set(map, key, { source: this.source, key: keyOffset, value: valueNode?.range?.[0] ?? keyOffset });
        map[key] = valueNode === null ? null : this.convert(valueNode);
      }
      // YAML merge keys (`<<: *defaults`): entries written in this map win over merged ones, earlier sources win.
      for (const source of merged) {
        const sources = isSeq(source) ? source.items : [source];
        for (const one of sources) {
          const value = this.convert(one);
          if (typeof value !== 'object' || value === null || Array.isArray(value)) {
            this.fail((one as Node)?.range?.[0] ?? 0, 'the value of << must be a mapping or a list of mappings');
            continue;
          }
          for (const [key, child] of Object.entries(value)) {
            if (Object.prototype.hasOwnProperty.call(map, key)) continue;
            map[key] = child;
            this.positions.copy(value, key, map);
          }
        }
      }
      if (node.tag === '!override') this.tags.overrides.add(map);
      return map;
    }
    return node ?? null;
  }

  private fail(offset: number, summary: string): void {
    const p = this.at(offset);
    this.diagnostics.push({ severity: 'error', summary, where: { file: p.file, line: p.line, column: p.column } });
  }
}
