import type { Argument, Command, Option } from 'commander';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/**
 * A completion script for `shell`, derived from the program's declared commands, options,
 * choices and value names: a `<dir>` completes directories, a `<path>`, `<spec>` or `<idx>`
 * files, choices their words, anything else nothing. A new option completes without edits here.
 */
export function completionScript(shell: Shell, program: Command): string {
  const commands = program.commands.map((c) => ({
    name: c.name(),
    summary: c.description(),
    options: c.options.filter((o) => !o.hidden),
    args: c.registeredArguments,
  }));
  return shell === 'bash' ? bash(program, commands) : zsh(program, commands);
}

type Described = { name: string; summary: string; options: Option[]; args: readonly Argument[] };
type Kind = { words: readonly string[] } | 'files' | 'dirs' | 'none';

/** What a value named `name` (with these choices) completes to. */
function kindOf(name: string | undefined, choices: readonly string[] | undefined): Kind {
  if (choices?.length) return { words: choices };
  if (name === undefined) return 'none';
  if (/^dir$/.test(name)) return 'dirs';
  if (/^(path|spec|idx)$/.test(name)) return 'files';
  return 'none';
}

const valueName = (o: Option) => o.flags.match(/<([^>]+)>/)?.[1];
const takesValue = (o: Option) => o.required || o.optional;

function bash(program: Command, commands: Described[]): string {
  const reply = (k: Kind) => typeof k === 'object' ? `COMPREPLY=( $(compgen -W "${k.words.join(' ')}" -- "$cur") )`
    : k === 'files' ? 'COMPREPLY=( $(compgen -f -- "$cur") )' : k === 'dirs' ? 'COMPREPLY=( $(compgen -d -- "$cur") )' : 'COMPREPLY=()';
  const cases = commands.map((c) => {
    const valued = c.options.filter(takesValue).map((o) => `        ${o.long}) ${reply(kindOf(valueName(o), o.argChoices))}; return ;;`);
    const flags = [...c.options.flatMap((o) => [o.long, o.short]), '--help', '-h'].filter(Boolean).join(' ');
    const first = c.args[0];
    const positional = first ? reply(kindOf(first.name().split('|')[0], first.argChoices)) : 'COMPREPLY=()';
    return [
      `    ${c.name})`,
      ...(valued.length ? ['      case "$prev" in', ...valued, '      esac'] : []),
      `      if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "${flags}" -- "$cur") ); else ${positional}; fi`,
      '      ;;',
    ].join('\n');
  });
  const top = [...commands.map((c) => c.name), ...program.options.flatMap((o) => [o.long, o.short]).filter(Boolean), '--help', '-h'];
  return `# sweep completion for bash. Load it with: source <(sweep completion bash)
_sweep() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "${top.join(' ')}" -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
  esac
}
complete -o filenames -o bashdefault -F _sweep sweep`;
}

function zsh(program: Command, commands: Described[]): string {
  // In _arguments specs ':' and brackets separate fields; in a single-quoted word, "'" ends it.
  const text = (s: string) => s.replace(/\\/g, '\\\\').replace(/[[\]:]/g, (c) => `\\${c}`).replace(/'/g, `'\\''`);
  const action = (k: Kind) => typeof k === 'object' ? `(${k.words.join(' ')})` : k === 'files' ? '_files' : k === 'dirs' ? '_files -/' : ' ';
  const cases = commands.map((c) => {
    const specs = [
      ...c.options.map((o) => {
        const names = [o.short, o.long].filter(Boolean) as string[];
        const head = names.length > 1 ? `(${names.join(' ')})'{${names.join(',')}}'` : names[0];
        const value = takesValue(o) ? `:${text(valueName(o) ?? 'value')}:${action(kindOf(valueName(o), o.argChoices))}` : '';
        return `'${head}[${text(o.description)}]${value}'`;
      }),
      ...c.args.map((a, i) => `'${i + 1}:${text(a.name())}:${action(kindOf(a.name().split('|')[0], a.argChoices))}'`),
      `'(- *)'{-h,--help}'[show help]'`,
    ];
    return `    ${c.name}) _arguments -s ${specs.join(' \\\n        ')} ;;`;
  });
  return `#compdef sweep
# sweep completion for zsh. Load it with: source <(sweep completion zsh)
# or install it: sweep completion zsh > "\${fpath[1]}/_sweep"
_sweep() {
  local -a commands
  commands=(
${commands.map((c) => `    '${c.name}:${text(c.summary)}'`).join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'sweep command' commands
    _arguments '(- *)'{-V,--version}'[${text(program.options.find((o) => o.long === '--version')?.description ?? 'print the version')}]' '(- *)'{-h,--help}'[show help]'
    return
  fi
  local command=$words[2]
  shift words
  (( CURRENT-- ))
  case $command in
${cases.join('\n')}
  esac
}
if [[ "\${funcstack[1]}" == "_sweep" ]]; then
  _sweep "$@"
else
  compdef _sweep sweep
fi`;
}
