// A CLI Io that records what a command writes and feeds it a chosen stdin.
import type { Io } from '../../../lib/cli/command';

export class CaptureIo implements Io {
  out = '';
  err = '';
  bytes: Uint8Array[] = [];
  constructor(public stdin: Buffer = Buffer.alloc(0)) {}
  stdout = (t: string) => void (this.out += t);
  stderr = (t: string) => void (this.err += t);
  stdoutBytes = (b: Uint8Array) => void this.bytes.push(Uint8Array.from(b));
  readStdin = async () => this.stdin;
}
