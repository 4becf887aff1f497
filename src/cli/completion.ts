/**
 * Shell completion scripts (`stack completion bash|zsh|fish`), generated from the commander program itself: its
 * commands, subcommands and options (with their choices) are walked at run time, so a new command or option
 * completes without a list to keep. Pure: program in, script out.
 *
 * bash: one function over a table of command paths; an option that takes a value completes its choices, else file
 * names. zsh: the same function through zsh's bashcompinit. fish: one `complete` line per command and option.
 */
import type { Command, Option } from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** One command of the program: its path (`hosts check`), subcommands and options. */
interface Node {
  path: string;
  description: string;
  subcommands: string[];
  /** The choices of its first argument (`completion` bash zsh fish), completed like subcommands. */
  words: string[];
  options: Option[];
}

/** Names that go into a script unquoted-safe: letters, digits, - _ . : only (all of commander's here). */
const SAFE = /^[A-Za-z0-9][\w.:-]*$/;

function safe(word: string): string {
  if (!SAFE.test(word.replace(/^--?/, ''))) throw new Error(`cannot put ${JSON.stringify(word)} into a completion`);
  return word;
}

function walk(cmd: Command, prefix = ''): Node[] {
  const path = prefix;
  const options = cmd.createHelp().visibleOptions(cmd);
  const node: Node = {
    path,
    description: cmd.description(),
    subcommands: cmd.commands.map((c) => safe(c.name())),
    words: (cmd.registeredArguments[0]?.argChoices ?? []).map(safe),
    options,
  };
  return [node, ...cmd.commands.flatMap((c) => walk(c, prefix ? `${prefix} ${c.name()}` : c.name()))];
}

const flagsOf = (o: Option) => [o.short, o.long].filter((f): f is string => !!f).map(safe);
const takesValue = (o: Option) => o.required || o.optional;

function bashCase(node: Node): string {
  const opts = node.options.flatMap(flagsOf).join(' ');
  const values = node.options.filter(takesValue).flatMap(flagsOf).join(' ');
  return `    '${node.path}') subs='${[...node.subcommands, ...node.words].join(' ')}'; opts='${opts}'; values='${values}' ;;`;
}

function bashChoices(node: Node): string[] {
  return node.options
    .filter((o) => takesValue(o) && o.argChoices?.length)
    .flatMap((o) =>
      flagsOf(o).map((f) => `      '${node.path} ${f}') words='${o.argChoices!.map(safe).join(' ')}' ;;`),
    );
}

export function bashScript(program: Command): string {
  const name = safe(program.name());
  const nodes = walk(program);
  const paths = nodes.filter((n) => n.path).map((n) => `'${n.path}'`);
  return `# ${name} completion for bash, generated from the program: source <(${name} completion bash)
_${name}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "\${cmd:+$cmd }$w" in
      ${paths.join('|')}) cmd="\${cmd:+$cmd }$w" ;;
    esac
  done
  local subs="" opts="" values="" words=""
  case "$cmd" in
${nodes.map(bashCase).join('\n')}
  esac
  if [[ " $values " == *" $prev "* ]]; then
    case "$cmd $prev" in
${nodes.flatMap(bashChoices).join('\n')}
      *) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ -n "$subs" ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _${name}_complete ${name}
`;
}

export function zshScript(program: Command): string {
  const name = safe(program.name());
  return `#compdef ${name}
# ${name} completion for zsh (the bash completion through bashcompinit): source <(${name} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(program).split('\n').slice(1).join('\n')}`;
}

/** A description for fish: its first sentence, one line, quotes escaped. */
function fishText(text: string): string {
  const first = text
    .split(/[:;(]|\.\s/)[0]
    .trim()
    .slice(0, 80);
  return first.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

function fishCondition(node: Node, all: Node[]): string {
  if (!node.path) return '__fish_use_subcommand';
  const words = node.path.split(' ');
  const children = all.filter((n) => n.path.startsWith(`${node.path} `)).map((n) => n.path.split(' ').pop()!);
  const seen = words.map((w) => `__fish_seen_subcommand_from ${w}`).join('; and ');
  return children.length ? `${seen}; and not __fish_seen_subcommand_from ${children.join(' ')}` : seen;
}

function fishLines(name: string, node: Node, all: Node[]): string[] {
  const when = `-n '${fishCondition(node, all)}'`;
  const lines = node.subcommands.map((sub) => {
    const child = all.find((n) => n.path === (node.path ? `${node.path} ${sub}` : sub))!;
    return `complete -c ${name} -f ${when} -a ${sub} -d '${fishText(child.description)}'`;
  });
  if (node.words.length) lines.push(`complete -c ${name} -f ${when} -a '${node.words.join(' ')}'`);
  for (const o of node.options) {
    const flags = [o.short && `-s ${safe(o.short).slice(1)}`, o.long && `-l ${safe(o.long).slice(2)}`].filter(Boolean);
    const value = takesValue(o) ? (o.argChoices?.length ? ` -x -a '${o.argChoices.map(safe).join(' ')}'` : ' -r') : '';
    lines.push(`complete -c ${name} ${when} ${flags.join(' ')}${value} -d '${fishText(o.description)}'`);
  }
  return lines;
}

export function fishScript(program: Command): string {
  const name = safe(program.name());
  const nodes = walk(program);
  const lines = nodes.flatMap((n) => fishLines(name, n, nodes));
  return `# ${name} completion for fish, generated from the program: ${name} completion fish | source\n${lines.join('\n')}\n`;
}

export function completionScript(program: Command, shell: Shell): string {
  switch (shell) {
    case 'bash':
      return bashScript(program);
    case 'zsh':
      return zshScript(program);
    case 'fish':
      return fishScript(program);
  }
}
