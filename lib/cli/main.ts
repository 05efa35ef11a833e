#!/usr/bin/env node
// The `fwctl` command. Start-up is kept cheap: only the command being run is
// loaded, and `list` never loads the native addon.

import { parseArgs } from 'node:util';
// The entry: the built-in device types and the environment's backends.
import '../types/builtin';
import '../environment';
import { Exit, UsageError, type Io } from './command';
import { COMMANDS } from './command-list';
import { FwctlAbortError } from '../errors';
import { codeText } from './format';

export { COMMANDS };

/**
 * `fwctl --help`: each command's line is its own `summary` (lib/cli/commands/*),
 * the one place it is written. Built on demand: help loads every command, a
 * normal run only the one it runs.
 */
export function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return HELP_HEAD + Object.keys(COMMANDS).map((c) => `  ${c.padEnd(width)}  ${COMMANDS[c]().summary}\n`).join('') + HELP_TAIL;
}

const HELP_HEAD = `usage: fwctl <command> [options]
       fwctl --record FILE [--redact] | --replay FILE <command> [options]

commands:
`;

const HELP_TAIL = `
Run 'fwctl <command> --help' for its options. Every command takes --json, and
--timeout MS: give up after MS milliseconds (exit 1, code ABORT_ERR; a kernel
call already made finishes in the background).

--record FILE writes a transcript of the command's calls, --replay FILE answers
them from one, with no device (docs/transcripts.md; fwctl transcript --help).

exit codes: 0 success, 1 runtime or device error, 2 usage error (code
ERR_FWCTL_USAGE). stderr says 'fwctl <command>: <code>: <message>', the code
an errno name (ENODEV) or ERR_FWCTL_* (docs/api.md lists them all); --json
writes {"error":{code, errno, syscall, path, message}} instead.
`;

export const processIo: Io = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  stdoutBytes: (b) => void process.stdout.write(b as Uint8Array),
  readStdin: async () => {
    const chunks: Uint8Array[] = [];
    for await (const c of process.stdin) chunks.push(c as Uint8Array);
    return Buffer.concat(chunks);
  },
  ...(process.stdin.isTTY ? { confirm: askOnTerminal } : {}),
};

/** A y/N question on the terminal (stderr), for commands that write. */
async function askOnTerminal(question: string): Promise<boolean> {
  const rl = (require('node:readline') as typeof import('node:readline')).createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Run the CLI with argv (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  // --record FILE / --replay FILE before the command (lib/cli/session.ts).
  if (!argv[0]?.startsWith('--re')) return runCommand(argv, io);
  const { globalOptions, startSession } = require('./session') as typeof import('./session');
  let stop: () => void;
  let rest: string[];
  try {
    const g = globalOptions(argv);
    rest = g.rest;
    stop = startSession(g);
  } catch (e) {
    return reportError('fwctl', e, argv.includes('--json'), io);
  }
  try {
    return await runCommand(rest, io);
  } finally {
    stop();
  }
}

async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic]) {
      io.stdout(COMMANDS[topic]().help);
      return Exit.Ok;
    }
    (name === undefined ? io.stderr : io.stdout)(help());
    return name === undefined ? Exit.Usage : Exit.Ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const status = reportError('fwctl', new UsageError(`unknown command '${name}'`), rest.includes('--json'), io, false);
    io.stderr(help());
    return status;
  }
  const cmd = load();
  const json = rest.includes('--json');
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...rest], options: cmd.options, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (parsed.values.help) {
      io.stdout(cmd.help);
      return Exit.Ok;
    }
    const ms = timeoutArg(parsed.values.timeout);
    if (ms === undefined) return await cmd.run(parsed.positionals, parsed.values, io);
    const signal = AbortSignal.timeout(ms);
    const cio: Io = {
      stdout: (t) => io.stdout(t), stderr: (t) => io.stderr(t), stdoutBytes: (b) => io.stdoutBytes(b),
      readStdin: () => io.readStdin(), signal, ...(io.confirm ? { confirm: (q: string) => io.confirm!(q) } : {}),
    };
    const timedOut = () => new FwctlAbortError(signal.reason, undefined,
      `no answer within ${ms} ms (--timeout); a kernel call already made finishes in the background`);
    const running = cmd.run(parsed.positionals, parsed.values, cio);
    running.catch(() => undefined); // settled later (or never) once the race is lost
    try {
      return await Promise.race([running, new Promise<never>((_, reject) => {
        signal.addEventListener('abort', () => reject(timedOut()), { once: true });
      })]);
    } catch (e) {
      throw signal.aborted && (e as { code?: unknown })?.code === 'ABORT_ERR' ? timedOut() : e;
    }
  } catch (e) {
    return reportError(cmd.name, e, json, io);
  }
}

function timeoutArg(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 0x7fffffff) {
    throw new UsageError(`--timeout must be a number of milliseconds (1 to ${0x7fffffff}), got '${String(v)}'`);
  }
  return Number(v);
}

/** The exit status of a failure with this code: 2 for a usage error, 1 for everything else. */
export function exitStatus(code: string): number {
  return code === 'ERR_FWCTL_USAGE' ? Exit.Usage : Exit.Failure;
}

/**
 * Errors go to stderr as 'fwctl <command>: <code>: <message>' (as JSON with
 * --json: code, errno, syscall, path, message); the exit status follows
 * from the code. An error without a code is a bug of the package
 * (ERR_FWCTL_INTERNAL): every error it throws has one.
 */
export function reportError(command: string, e: unknown, json: boolean, io: Io, hint = true): number {
  const err = e as Partial<NodeJS.ErrnoException> & { message?: string };
  const code = typeof err?.code === 'string' ? err.code : 'ERR_FWCTL_INTERNAL';
  const message = err?.message ?? String(e);
  const who = command === 'fwctl' ? 'fwctl' : `fwctl ${command}`;
  if (json) {
    io.stderr(JSON.stringify({ error: { code, errno: err?.errno, syscall: err?.syscall, path: err?.path, message } }) + '\n');
  } else {
    io.stderr(`${who}: ${codeText(code, message)}\n`);
    if (hint && code === 'ERR_FWCTL_USAGE') io.stderr(`Run '${who} --help' for usage.\n`);
  }
  return exitStatus(code);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
