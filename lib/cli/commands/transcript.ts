// fwctl transcript show|diff|redact: read transcripts (docs/transcripts.md)
// without any device: a readable listing with each call named by its
// device type's tables, what changed between two recordings (two firmware
// versions' answers to the same calls), and redaction after the fact.

import { redactFile } from '../../record';
import { commandOf, readTranscript, typeName, unhex, type CallLine, type Transcript } from '../../transcript';
import { deviceTypeModule } from '../../registry';
import { SCOPE_NAMES } from '../../uapi/constants';
import { COMMON_OPTIONS, Exit, UsageError, type Command } from '../command';
import { table } from '../format';

/** The device type of each handle (from its open/info lines). */
function handleTypes(t: Transcript): Map<number, number> {
  const m = new Map<number, number>();
  for (const c of t.calls) if ((c.t === 'open' || c.t === 'info') && c.typeId !== undefined && c.h > 0) m.set(c.h, c.typeId);
  return m;
}

const name = (p: string) => p.replace(/^.*\//, '');

/** The firmware's own status in a response, where the type has one (its module decodes it). */
function firmwareStatus(typeId: number | undefined, response: Buffer): string {
  try {
    return deviceTypeModule(typeId)?.firmwareStatus?.(response) ?? '';
  } catch {
    return ''; // not decodable: no status
  }
}

/** One call as a line of text. */
export function describeCall(c: CallLine, types: Map<number, number>): string {
  const head = `#${c.seq} ${name(c.path)}${c.h ? ` h${c.h}` : ''} ${c.sync ? 'sync ' : ''}${c.t}`;
  const fail = c.threw ? ` -> threw ${c.threw.name}: ${c.threw.message}` : c.errno ? ` -> ${c.errno}` : '';
  switch (c.t) {
    case 'open':
      return `${head}${fail || ` -> ${typeName(c.typeId)}`}`;
    case 'info':
      return `${head} (${c.length} bytes)${fail || ` -> ${c.result} bytes of device_data ${c.data}`}`;
    case 'close':
      return `${head}${fail || ` -> ${c.rc}`}`;
    case 'rpc': {
      const typeId = c.typeId ?? types.get(c.h);
      const cmd = commandOf(typeId, unhex(c.request));
      const att = c.attach?.length ? `, ${c.attach.length} attachment(s)` : '';
      const args = `${cmd.name} scope ${SCOPE_NAMES[c.scope] ?? c.scope}, ${c.request.length / 2} bytes in, ${c.responseLength} out${att}`;
      if (fail) return `${head} ${args}${fail}`;
      const st = firmwareStatus(typeId, unhex(c.response ?? ''));
      const trunc = (c.length ?? 0) > c.responseLength ? ' (truncated)' : '';
      return `${head} ${args} -> ${c.length} bytes${trunc}${st ? `, ${st}` : ''}`;
    }
  }
}

export function showText(t: Transcript): string {
  const h = t.header;
  let out = `transcript v${h.version}, ${h.created}: ${h.package.name} ${h.package.version}, Linux ${h.host.kernel} ${h.host.arch}, node ${h.host.node}\n`;
  out += `program: ${h.argv.join(' ')}\n`;
  if (h.redacted) out += `redacted: ${Object.entries(h.redacted).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing found'}\n`;
  const types = handleTypes(t);
  const opened = new Map<string, number>();
  for (const c of t.calls) if (c.t === 'open' && c.typeId !== undefined) opened.set(c.path, c.typeId);
  if (t.devices.length) {
    out += '\n' + table(['DEVICE', 'TYPE', 'PARENT', 'PCI', 'DRIVER'], t.devices.map((d) => [
      d.name, d.typeId !== undefined ? typeName(d.typeId) : opened.has(d.path) ? typeName(opened.get(d.path)) : '-',
      d.parent?.name ?? '-', d.parent?.pciAddress ?? '-', d.parent?.driver ?? '-',
    ]));
  }
  out += `\n${t.calls.length} call(s), ${t.sys.length} sysfs read(s)\n`;
  for (const c of t.calls) out += `${describeCall(c, types)}\n`;
  return out;
}

/** A key that pairs the same call in two transcripts: device name, op and arguments. */
function keyOf(c: CallLine): string {
  const base = `${name(c.path)} ${c.t}`;
  if (c.t === 'rpc') return `${base} ${c.scope} ${c.request} ${c.responseLength}`;
  if (c.t === 'info') return `${base} ${c.length}`;
  return base;
}

function outcome(c: CallLine): string {
  if (c.threw) return `threw ${c.threw.name}`;
  if (c.errno) return c.errno;
  return 'ok';
}

function firstByteDiff(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** What changed between two transcripts' answers, call by call. Empty when nothing did. */
export function diffText(a: Transcript, b: Transcript, an = 'A', bn = 'B'): string {
  const lines: string[] = [];
  if (a.header.host.kernel !== b.header.host.kernel) lines.push(`kernel: ${a.header.host.kernel} -> ${b.header.host.kernel}`);
  const typesA = handleTypes(a), typesB = handleTypes(b);
  const pool = new Map<string, CallLine[]>();
  for (const c of b.calls) {
    const k = keyOf(c);
    pool.set(k, [...(pool.get(k) ?? []), c]);
  }
  for (const ca of a.calls) {
    const list = pool.get(keyOf(ca));
    const cb = list?.shift();
    const what = describeCall(ca, typesA).replace(/ ->.*$/, '');
    if (!cb) {
      lines.push(`only in ${an}: ${what}`);
      continue;
    }
    if (outcome(ca) !== outcome(cb)) {
      lines.push(`${what}: ${outcome(ca)} -> ${outcome(cb)}`);
      continue;
    }
    if (ca.t === 'rpc' && cb.t === 'rpc') {
      const ra = unhex(ca.response ?? ''), rb = unhex(cb.response ?? '');
      if (ca.length !== cb.length) lines.push(`${what}: length ${ca.length} -> ${cb.length}`);
      const i = firstByteDiff(ra, rb);
      if (i >= 0) {
        let n = 0;
        for (let j = 0; j < Math.max(ra.length, rb.length); j++) if (ra[j] !== rb[j]) n++;
        const st = (t: number | undefined, r: Buffer) => firmwareStatus(t, r);
        const sa = st(ca.typeId ?? typesA.get(ca.h), ra), sb = st(cb.typeId ?? typesB.get(cb.h), rb);
        lines.push(`${what}: response differs in ${n} byte(s), first at byte ${i} (0x${(ra[i] ?? 0).toString(16)} -> 0x${(rb[i] ?? 0).toString(16)})` +
          (sa !== sb ? `; ${sa} -> ${sb}` : ''));
      }
      ca.attach?.forEach((x, k) => {
        const y = cb.attach?.[k];
        if (x.out !== undefined && y?.out !== undefined && x.out !== y.out) {
          lines.push(`${what}: attachment ${k} output differs, first at byte ${firstByteDiff(unhex(x.out), unhex(y.out))}`);
        }
      });
    }
    if (ca.t === 'info' && cb.t === 'info' && ca.data !== cb.data) lines.push(`${what}: device_data ${ca.data} -> ${cb.data}`);
    if (ca.t === 'open' && cb.t === 'open' && ca.typeId !== cb.typeId) lines.push(`${what}: type ${typeName(ca.typeId)} -> ${typeName(cb.typeId)}`);
  }
  for (const rest of pool.values()) for (const cb of rest) lines.push(`only in ${bn}: ${describeCall(cb, typesB).replace(/ ->.*$/, '')}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export const command: Command = {
  name: 'transcript',
  summary: 'read transcripts of recorded sessions (show, diff, redact); no device needed',
  help: `usage: fwctl transcript show FILE [--json]
       fwctl transcript diff A B
       fwctl transcript redact FILE [--out OUT] [--value TEXT]...

A transcript is what FWCTL_RECORD=FILE, fwctl.record(FILE) or
'fwctl --record FILE <command>' wrote (docs/transcripts.md).

  show     the header, the devices and every call, named by its device type
           (mlx5 opcodes and registers, bnxt HWRM commands, CXL opcodes), with
           the kernel's answer and the firmware's status; --json: the parsed lines
  diff     what changed between two transcripts of the same program (e.g. two
           firmware versions): calls are paired by device, operation and request
           bytes; exit 0 when the answers are the same, 1 when they differ
  redact   replace serial numbers, PSID, VSD and MAC addresses (and each --value)
           consistently everywhere, in place or into --out

Replay a transcript with 'fwctl --replay FILE <command>' or FWCTL_REPLAY=FILE.
`,
  options: { ...COMMON_OPTIONS, out: { type: 'string', short: 'o' }, value: { type: 'string', multiple: true } },
  async run(positionals, values, io) {
    const [sub, ...files] = positionals;
    switch (sub) {
      case 'show': {
        if (files.length !== 1) throw new UsageError('transcript show takes one FILE');
        const t = readTranscript(files[0]);
        io.stdout(values.json ? JSON.stringify(t, null, 2) + '\n' : showText(t));
        return Exit.Ok;
      }
      case 'diff': {
        if (files.length !== 2) throw new UsageError('transcript diff takes two files, A and B');
        const d = diffText(readTranscript(files[0]), readTranscript(files[1]), files[0], files[1]);
        io.stdout(d || 'no differences in the answers\n');
        return d ? Exit.Failure : Exit.Ok;
      }
      case 'redact': {
        if (files.length !== 1) throw new UsageError('transcript redact takes one FILE');
        const extra = (values.value as string[] | undefined) ?? [];
        const counts = redactFile(files[0], extra, (values.out as string | undefined) ?? files[0]);
        io.stderr(`redacted: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing found'}\n`);
        return Exit.Ok;
      }
      default:
        throw new UsageError(`transcript: unknown subcommand '${sub ?? ''}' (show, diff, redact)`);
    }
  },
};
