// fwctl completion bash|zsh|fish: a shell completion script. The scripts are
// small and call back into `fwctl completion --words -- WORDS...` (the words
// after `fwctl`, the last one the word being completed), which prints the
// candidates one per line: commands, a command's options, --scope values,
// the per-type subcommands (read from each command's usage lines, so they
// follow the commands) and device names (/dev/fwctl, and the net, InfiniBand
// and CXL memdev names sysfs ties to them). Nothing is opened and the native
// addon is never loaded.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { devRootOf, listSync } from '../../discovery';
import { SCOPE_NAMES } from '../../uapi/constants';
import { COMMON_OPTIONS, Exit, UsageError, type Command, type Options } from '../command';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

const BASH = `# fwctl completion for bash: source <(fwctl completion bash), or save it as
# /etc/bash_completion.d/fwctl (or ~/.local/share/bash-completion/completions/fwctl).
_fwctl_completion() {
  local IFS=$'\\n'
  COMPREPLY=($("\${COMP_WORDS[0]}" completion --words -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _fwctl_completion fwctl
`;

const ZSH = `#compdef fwctl
# fwctl completion for zsh: source <(fwctl completion zsh) after compinit, or
# save it as _fwctl in a directory on $fpath.
_fwctl() {
  local -a cands
  cands=("\${(@f)$("\${words[1]}" completion --words -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  cands=(\${cands:#})
  if (( \${#cands} )); then
    compadd -Q -- "\${cands[@]}"
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" = _fwctl ]]; then _fwctl "$@"; else compdef _fwctl fwctl; fi
`;

const FISH = `# fwctl completion for fish: fwctl completion fish | source, or save it as
# ~/.config/fish/completions/fwctl.fish.
function __fwctl_complete
    set -l tokens (commandline -opc)
    set -l cmd $tokens[1]
    set -e tokens[1]
    set -l out ($cmd completion --words -- $tokens (commandline -ct) 2>/dev/null)
    if test (count $out) -gt 0
        printf '%s\\n' $out
    else
        __fish_complete_path (commandline -ct)
    end
end
complete -c fwctl -f -a '(__fwctl_complete)'
`;

const SCRIPTS: Readonly<Record<(typeof SHELLS)[number], string>> = { bash: BASH, zsh: ZSH, fish: FISH };

let COMMANDS: Readonly<Record<string, () => Command>> = {};

/**
 * @internal The command list completion offers (lib/cli/command-list.ts
 * hands it over: this module does not import the list that loads it).
 */
export function useCommandList(commands: Readonly<Record<string, () => Command>>): void {
  COMMANDS = commands;
}

/** The `fwctl <command>` names, without loading any command. */
function commandNames(): string[] {
  return Object.keys(COMMANDS);
}

function loadCommand(name: string): Command | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name]() : undefined;
}

/** A command's subcommands, from its usage lines (`fwctl mlx5 cap <device> ...`). */
export function subcommandsOf(cmd: Command): string[] {
  const subs = new Set<string>();
  for (const m of cmd.help.matchAll(new RegExp(`fwctl ${cmd.name} ([a-z][a-z0-9-]*)`, 'g'))) subs.add(m[1]);
  return [...subs];
}

/** Whether `fwctl <cmd> [<sub>] <device>` takes a device there. */
function takesDevice(cmd: Command, sub: string | undefined): boolean {
  return cmd.help.includes(`fwctl ${cmd.name} ${sub === undefined ? '' : `${sub} `}<device>`);
}

/** Device arguments: /dev/fwctl names and the class devices sysfs ties to them. */
export function deviceNames(): string[] {
  const names = new Set<string>();
  try {
    for (const n of fs.readdirSync(path.join(devRootOf(), 'fwctl'))) names.add(n);
  } catch {
    // no fwctl devices (or no /dev/fwctl): nothing to offer
  }
  try {
    for (const e of listSync()) {
      names.add(e.name);
      if (e.parent) for (const n of [...e.parent.net, ...e.parent.infiniband, ...(e.parent.cxlMemdev ? [e.parent.cxlMemdev] : [])]) names.add(n);
    }
  } catch {
    // sysfs unreadable: the /dev names are enough
  }
  return [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

const SCOPE_VALUES = SCOPE_NAMES.map((n) => n.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase());

function optionWords(options: Options): string[] {
  const out: string[] = [];
  for (const [name, o] of Object.entries(options)) {
    out.push(`--${name}`);
    if (o.short) out.push(`-${o.short}`);
  }
  return out;
}

/**
 * The candidates for the last of `words` (the words after `fwctl`; the last
 * one is being completed and may be empty), filtered by its prefix.
 */
export function complete(words: readonly string[], devices: () => string[] = deviceNames): string[] {
  const cur = words.length ? words[words.length - 1] : '';
  const before = words.slice(0, -1);
  const pick = (cands: Iterable<string>) => [...new Set(cands)].filter((c) => c.startsWith(cur));
  if (before.length === 0) return pick([...commandNames(), 'completion', 'help', ...(cur.startsWith('-') ? ['--help'] : [])]);
  const [name, ...rest] = before;
  if (name === 'help') return rest.length === 0 ? pick([...commandNames(), 'completion']) : [];
  if (name === 'completion') return rest.length === 0 ? pick(SHELLS) : [];
  const cmd = loadCommand(name);
  if (!cmd) return [];

  // Walk the words typed so far: options, their values, positionals.
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (w === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (w.startsWith('-') && w.length > 1) {
      const long = w.startsWith('--') ? w.slice(2) : undefined;
      const o = long !== undefined ? cmd.options[long] : Object.values(cmd.options).find((x) => x.short === w.slice(1));
      if (o && o.type === 'string' && !w.includes('=')) i++; // its value
      continue;
    }
    positionals.push(w);
  }
  const prev = before[before.length - 1];
  const prevOpt = prev.startsWith('--') ? cmd.options[prev.slice(2)] : undefined;
  if (prevOpt && prevOpt.type === 'string') {
    // An option's value: scopes by name; anything else (files, numbers) is the shell's.
    return prev === '--scope' ? pick(SCOPE_VALUES) : [];
  }
  if (cur.startsWith('-')) return pick(optionWords(cmd.options));
  const subs = subcommandsOf(cmd);
  if (subs.length) {
    if (positionals.length === 0) return pick(subs);
    if (positionals.length === 1 && takesDevice(cmd, positionals[0])) return pick(devices());
    return [];
  }
  if (positionals.length === 0 && takesDevice(cmd, undefined)) return pick(devices());
  return [];
}

export const command: Command = {
  name: 'completion',
  summary: 'shell completion script: fwctl completion bash|zsh|fish',
  help: `usage: fwctl completion bash|zsh|fish

Prints a completion script for the shell: commands, options, --scope values,
the per-type subcommands (fwctl mlx5 cap|reg|..., fwctl cxl features|...) and
device names (/dev/fwctl, and their net, InfiniBand and CXL memdev names).

  bash   source <(fwctl completion bash)      (e.g. in ~/.bashrc)
  zsh    source <(fwctl completion zsh)       (after compinit, e.g. in ~/.zshrc)
  fish   fwctl completion fish | source       (or > ~/.config/fish/completions/fwctl.fish)

The scripts call 'fwctl completion --words -- WORDS...', which prints the
candidates for the last word, one per line.
`,
  options: { ...COMMON_OPTIONS, words: { type: 'boolean' } },
  async run(positionals, values, io) {
    if (values.words) {
      const out = complete(positionals);
      if (out.length) io.stdout(`${out.join('\n')}\n`);
      return Exit.Ok;
    }
    const shell = positionals[0];
    if (positionals.length !== 1 || !(SHELLS as readonly string[]).includes(shell)) {
      throw new UsageError(`give one shell: ${SHELLS.join(', ')}`);
    }
    io.stdout(SCRIPTS[shell as (typeof SHELLS)[number]]);
    return Exit.Ok;
  },
};
