// The CLI's global options, before the command name:
//   fwctl --record FILE [--redact] <command> ...   transcript of the command's calls
//   fwctl --replay FILE [--replay-mode match] <command> ...   answers from a transcript
// (FWCTL_RECORD / FWCTL_REPLAY in the environment do the same.)

import { UsageError } from './command';

export interface GlobalOptions {
  record?: string;
  redact: boolean;
  replay?: string;
  mode: 'strict' | 'match';
  rest: string[];
}

export const GLOBAL_HELP = `global options (before the command):
  --record FILE        write a transcript of every call to FILE (docs/transcripts.md)
  --redact             with --record: replace serial numbers, PSID, VSD, MAC addresses
  --replay FILE        answer from the transcript FILE instead of the kernel (no device needed)
  --replay-mode MODE   strict (calls in the recorded order, default) or match (by request bytes)
`;

export function globalOptions(argv: readonly string[]): GlobalOptions {
  const g: GlobalOptions = { redact: false, mode: 'strict', rest: [] };
  let i = 0;
  const value = (opt: string) => {
    const v = argv[++i];
    if (v === undefined || v === '') throw new UsageError(`${opt} needs a FILE`);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--record') g.record = value(a);
    else if (a === '--replay') g.replay = value(a);
    else if (a === '--redact') g.redact = true;
    else if (a === '--replay-mode') {
      const m = value(a);
      if (m !== 'strict' && m !== 'match') throw new UsageError(`--replay-mode must be strict or match, got '${m}'`);
      g.mode = m;
    } else break;
  }
  g.rest = argv.slice(i);
  return g;
}

/** Start what the options ask for; the returned function stops it (recording: closes and redacts). */
export function startSession(g: GlobalOptions): () => void {
  const stops: (() => void)[] = [];
  if (g.replay !== undefined) {
    const r = (require('../replay') as typeof import('../replay')).replay(g.replay, { mode: g.mode });
    stops.push(() => r.stop());
  }
  if (g.record !== undefined) {
    const r = (require('../record') as typeof import('../record')).record(g.record, { redact: g.redact });
    stops.unshift(() => r.stop());
  }
  return () => stops.forEach((s) => s());
}
