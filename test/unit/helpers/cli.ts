// The fwctl CLI as the tests run it, unit and kernel suite alike: in this
// process (main() over a CaptureIo: exit code and what it wrote), or as a
// program (node dist/lib/cli/main.js, as the package's bin runs it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as CliMain from '../../../lib/cli/main';
import { CaptureIo } from './capture-io';

// Loaded on first use: a suite that only spawns the CLI (CLI_MAIN) does not
// load it in its own process.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const main: typeof CliMain.main = (argv, io) => (require('../../../lib/cli/main') as typeof CliMain).main(argv, io);

/** The compiled CLI: what the `fwctl` bin runs. */
export const CLI_MAIN = path.resolve(__dirname, '../../../lib/cli/main.js');

export interface CliRun {
  code: number;
  io: CaptureIo;
  /** io.out and io.err, once main() has returned */
  out: string;
  err: string;
}

/** `fwctl ...argv` in this process, reading `stdin` (default: empty) for `--in -`. */
export async function runCli(argv: string[], stdin?: Buffer): Promise<CliRun> {
  const io = new CaptureIo(stdin);
  const code = await main(argv, io);
  return { code, io, out: io.out, err: io.err };
}

/** `fwctl ...argv` in this process, with an empty stdin. */
export const cli = (...argv: string[]): Promise<CliRun> => runCli(argv);

/** A runner like `cli` whose commands read `stdin`. */
export const cliWithStdin = (stdin: Buffer) => (...argv: string[]): Promise<CliRun> => runCli(argv, stdin);

/** Writes DIR/fwctl, a shell script that runs this checkout's CLI with `node`; returns its path. */
export function writeCliBin(dir: string, node: string = process.execPath): string {
  const bin = path.join(dir, 'fwctl');
  fs.writeFileSync(bin, `#!/bin/sh\nexec ${JSON.stringify(node)} ${JSON.stringify(CLI_MAIN)} "$@"\n`, { mode: 0o755 });
  return bin;
}
