// What a CLI command is, and the I/O it is given (injectable for tests).

import type { ParseArgsConfig } from 'node:util';
import type { Bytes } from '../uapi/layout';
import { FwctlError } from '../errors';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Raw bytes to stdout (rpc --out -). */
  stdoutBytes(bytes: Bytes): void;
  readStdin(): Promise<Buffer>;
  /** Set by main() from --timeout MS: commands pass it to every call that can wait. */
  signal?: AbortSignal;
  /** Present when stdin is a terminal: asks a yes/no question there (commands that write ask first). */
  confirm?(question: string): Promise<boolean>;
}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  readonly name: string;
  /** One line for `fwctl --help`. */
  readonly summary: string;
  /** The full `fwctl <name> --help` text. */
  readonly help: string;
  readonly options: Options;
  /** Resolves to the exit code. Throws UsageError for bad arguments. */
  run(positionals: string[], values: Values, io: Io): Promise<number>;
}

/** Exit codes scripts can rely on. */
export const Exit = Object.freeze({ Ok: 0, Failure: 1, Usage: 2 } as const);

/** Bad command line: exit code 2. */
export class UsageError extends FwctlError {
  declare readonly code: 'ERR_FWCTL_USAGE';
  constructor(message: string) {
    super({ code: 'ERR_FWCTL_USAGE', detail: message });
    this.name = 'UsageError';
  }
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  /** Give up after MS milliseconds (exit 1, ABORT_ERR); the kernel call finishes in the background. */
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;
