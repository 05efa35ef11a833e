// fwctl mlx5 cap|reg|exec|diag|fw|query-hca-cap|query-adapter <device> ...
//
// Fields are given as --field NAME=VALUE (repeatable; NAME may be a dotted
// path into nested layouts, VALUE decimal, 0x-hex, true/false, or a PPCNT
// group name), read from mlx5_ifc.h's field names.

import type { DeviceLike } from '../../device-like';
import * as mlx5 from '../../mlx5';
import { COMMON_OPTIONS, Exit, UsageError, type Command, type Io, type Values } from '../command';
import { codeText, fields, hexdump, parseHex, table } from '../format';
import { openDevice } from './open';
import { u, wrongType } from './typed';

/** JSON-safe: Buffers as hex strings, bigints as decimal strings. */
export function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) o[k] = toJson(v);
    return o;
  }
  return value;
}

const ARRAY_SHOWN = 8;

function scalarText(v: unknown): string {
  if (typeof v === 'bigint') return v > 9n ? `${v} (0x${v.toString(16)})` : String(v);
  if (typeof v === 'number') return v > 9 ? `${v} (0x${v.toString(16)})` : String(v);
  if (Buffer.isBuffer(v)) {
    const text = v.toString('latin1').replace(/\0+$/, '');
    const printable = text.length > 0 && /^[\x20-\x7e]*$/.test(text);
    const hex = v.length > 32 ? `${v.subarray(0, 32).toString('hex')}... (${v.length} bytes)` : v.toString('hex');
    return printable ? `'${text}'` : v.every((b) => b === 0) ? `0 x ${v.length} bytes` : hex;
  }
  return String(v);
}

/**
 * A decoded layout as aligned name/value lines, nested objects indented,
 * long arrays summarised (the first few, then how many more; all-zero ones
 * as one line).
 */
export function objectText(obj: Record<string, unknown>, indent = ''): string {
  const scalars: [string, string][] = [];
  let out = '';
  const flush = () => {
    if (!scalars.length) return;
    const w = Math.max(...scalars.map(([k]) => k.length));
    for (const [k, v] of scalars) out += `${indent}${k.padEnd(w)}  ${v}\n`;
    scalars.length = 0;
  };
  for (const [k, v] of Object.entries(obj)) {
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x === 'number' || typeof x === 'bigint')) {
        const zero = v.every((x) => x === 0 || x === 0n);
        const shown = v.slice(0, ARRAY_SHOWN).map(scalarText).join(', ');
        scalars.push([k, v.length === 0 ? '[]' : zero ? `[0 x ${v.length}]` : `[${shown}${v.length > ARRAY_SHOWN ? `, ... ${v.length - ARRAY_SHOWN} more` : ''}]`]);
      } else {
        flush();
        const shown = v.slice(0, ARRAY_SHOWN);
        v.forEach((x, i) => {
          if (i >= ARRAY_SHOWN) return;
          out += `${indent}${k}[${i}]:\n${objectText(x as Record<string, unknown>, `${indent}  `)}`;
        });
        if (v.length > shown.length) out += `${indent}${k}: ... ${v.length - shown.length} more\n`;
      }
    } else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
      flush();
      out += `${indent}${k}:\n${objectText(v as Record<string, unknown>, `${indent}  `)}`;
    } else {
      scalars.push([k, scalarText(v)]);
    }
  }
  flush();
  return out;
}

/** --field NAME=VALUE ... -> a fields object (dotted names nest). */
export function parseFields(list: Values[string]): Record<string, unknown> {
  const items = list === undefined ? [] : Array.isArray(list) ? list : [list];
  const out: Record<string, unknown> = {};
  for (const item of items) {
    if (typeof item !== 'string') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--field takes NAME=VALUE, got '${item}'`);
    const name = item.slice(0, eq);
    const raw = item.slice(eq + 1);
    let value: unknown;
    if (/^(0x[0-9a-f]+|\d+)$/i.test(raw)) {
      const b = BigInt(raw);
      value = b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    } else if (raw === 'true' || raw === 'false') {
      value = raw === 'true';
    } else if (/^hex:/i.test(raw)) {
      value = parseHex(raw.slice(4));
    } else {
      value = raw; // e.g. a PPCNT group name; anything else the encoder refuses, naming the field
    }
    const path = name.split('.');
    if (path.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
      throw new UsageError(`--field ${name}: not a field name`);
    }
    let o = out;
    for (const p of path.slice(0, -1)) {
      if (!Object.hasOwn(o, p)) o[p] = {};
      if (typeof o[p] !== 'object') throw new UsageError(`--field ${name}: ${p} is given a value and fields`);
      o = o[p] as Record<string, unknown>;
    }
    o[path[path.length - 1]] = value;
  }
  return out;
}

function numberArg(v: Values[string], what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} must be a number, got '${String(v)}'`);
  return n;
}

const NUMBER = /^(0x[0-9a-f]+|\d+)$/i;

/** A TYPE or NAME argument: a number ('0x20', '13') or a name. */
function nameOrNumber(arg: string): string | number {
  return NUMBER.test(arg) ? Number(arg) : arg;
}

function status(r: mlx5.Mlx5Result): string {
  return `${u(r.status)} (${mlx5.statusText(r.status)})`;
}

interface Output {
  json: unknown;
  text: string;
}

function capOut(dev: DeviceLike, type: string | undefined, values: Values): Output {
  const c = mlx5.capabilitiesSync(dev, nameOrNumber(type ?? 'GENERAL'), { max: values.max === true });
  const head = fields([['type', `${c.name} (${u(c.type)})`], ['values', c.max ? 'maximum' : 'current'], ['layout', c.layout ?? '(none in mlx5_ifc.h)']]);
  return {
    json: toJson({ type: c.type, name: c.name, max: c.max, layout: c.layout, caps: values.raw ? undefined : c.caps, raw: values.raw || !c.caps ? c.raw : undefined }),
    text: head + '\n' + (values.raw || !c.caps ? hexdump(c.raw) : objectText(c.caps)),
  };
}

function regOut(dev: DeviceLike, name: string, values: Values): Output {
  const f = parseFields(values.field);
  const r = mlx5.readRegisterSync(dev, nameOrNumber(name), f as mlx5.Mlx5Fields, { argument: numberArg(values.argument, '--argument') });
  const head = fields([['register', `${r.name} (${u(r.id, 4)})`], ['layout', r.layout ?? '(none in mlx5_ifc.h)']]);
  return {
    json: toJson({ name: r.name, id: r.id, layout: r.layout, data: values.raw ? undefined : r.data, raw: values.raw || !r.data ? r.raw : undefined }),
    text: head + '\n' + (values.raw || !r.data ? hexdump(r.raw) : objectText(r.data)),
  };
}

function execOut(dev: DeviceLike, arg: string, values: Values): Output {
  const n = nameOrNumber(arg);
  const name = typeof n === 'number' ? mlx5.opcodeName(n) : n;
  if (name === undefined) throw new UsageError(`opcode ${arg} is not one the driver allows (see fwctl mlx5 exec --list); fwctl rpc sends any`);
  const f = parseFields(values.field);
  const opMod = numberArg(values['op-mod'], '--op-mod');
  const body = typeof values.hex === 'string' ? parseHex(values.hex) : undefined;
  const r = mlx5.execSync(dev, name, f as mlx5.Mlx5Fields, { opMod, body, allowKernelTaint: values['allow-kernel-taint'] === true });
  const head = fields([['command', `${r.name} (${u(r.opcode, 4)})`], ['status', status(r)], ['output', r.outLayout ?? '(no layout in mlx5_ifc.h)']]);
  const show = values.raw || !r.data;
  return {
    json: toJson({ name: r.name, opcode: r.opcode, status: r.status, syndrome: r.syndrome, data: show ? undefined : r.data, body: show ? r.body : undefined }),
    text: head + '\n' + (show ? hexdump(r.body) : objectText(r.data!)),
  };
}

function fwOut(dev: DeviceLike): Output {
  const f = mlx5.factsSync(dev);
  const rows: [string, string][] = [['psid', f.psid], ['vsd', f.vsd], ['ieee vendor id', u(f.ieeeVendorId, 6)]];
  const err = (x: unknown) => `error: ${codeText((x as mlx5.FactError).error.code, (x as mlx5.FactError).error.message)}`;
  if ('error' in f.firmware) rows.push(['firmware', err(f.firmware)]);
  else {
    const v = f.firmware.running;
    rows.push(['firmware', `${v.version}${v.versionString ? ` (${v.versionString})` : ''}`]);
    if (f.firmware.pending) rows.push(['firmware pending', f.firmware.pending.version]);
  }
  if (Array.isArray(f.temperatures)) {
    for (const t of f.temperatures) rows.push([`temperature ${t.sensor}${t.name ? ` (${t.name})` : ''}`, `${t.celsius} C (max ${t.maxCelsius} C)`]);
  } else rows.push(['temperatures', err(f.temperatures)]);
  if (Array.isArray(f.modules)) {
    for (const m of f.modules) {
      rows.push([`port ${m.localPort} module`, 'error' in m ? err(m) : [m.type, m.vendor, m.partNumber, m.serialNumber].filter(Boolean).join(' ')]);
    }
  } else rows.push(['modules', err(f.modules)]);
  return { json: toJson(f), text: fields(rows) };
}

function diagOut(dev: DeviceLike, values: Values): Output {
  // mlx5_ifc.h has no layouts for the diagnostic commands: their output is shown raw.
  const r = mlx5.execSync(dev, 'QUERY_DIAGNOSTIC_PARAMS', {}, { allowStatus: true });
  return {
    json: toJson({ status: r.status, syndrome: r.syndrome, body: r.body }),
    text: fields([['command', 'QUERY_DIAGNOSTIC_PARAMS'], ['status', status(r)]]) + (values.raw || r.ok ? hexdump(r.body) : ''),
  };
}

function listRegisters(): Output {
  const regs = mlx5.registers();
  return {
    json: regs,
    text: table(['NAME', 'ID', 'LAYOUT'], regs.map((r) => [r.name, u(r.id, 4), r.layout ?? '-'])),
  };
}

function listCommands(): Output {
  const scopes = ['configuration', 'debug-read-only', 'debug-write', 'debug-write-full'];
  const cmds = mlx5.MLX5_COMMANDS;
  return {
    json: cmds.map((c) => ({ name: c.name, opcode: c.opcode, scope: c.byOpMod ? 'by op_mod' : scopes[c.scope], in: c.in, out: c.out })),
    text: table(['NAME', 'OPCODE', 'SCOPE', 'IN', 'OUT'], cmds.map((c) => [c.name, u(c.opcode, 4),
      c.byOpMod ? 'write: configuration, read: debug-read-only' : scopes[c.scope], c.in ?? '-', c.out ?? '-'])),
  };
}

function listCaps(): Output {
  const caps = Object.entries(mlx5.MLX5_CAP).map(([name, type]) => ({ name, type, layout: (mlx5.MLX5_CAP_LAYOUT as Record<string, string>)[name] }));
  return { json: caps, text: table(['TYPE', 'NUMBER', 'LAYOUT'], caps.map((c) => [c.name, u(c.type), c.layout ?? '-'])) };
}

interface Sub {
  readonly usage: string;
  readonly summary: string;
  /** Positionals after <device>: [min, max]. */
  readonly args: readonly [number, number];
  readonly list?: () => Output;
  run(dev: DeviceLike, args: string[], values: Values): Output;
}

const SUBS: Readonly<Record<string, Sub>> = {
  cap: {
    usage: '<device> [TYPE] [--max] [--raw] | --list', args: [0, 1], list: listCaps,
    summary: 'QUERY_HCA_CAP of one capability type (default GENERAL), decoded; --max for the maximum',
    run: (dev, args, values) => capOut(dev, args[0], values),
  },
  reg: {
    usage: '<device> NAME [--field NAME=VALUE ...] [--argument N] [--raw] | --list', args: [1, 1], list: listRegisters,
    summary: 'read a register (ACCESS_REG, debug-read-only), its index fields as --field (e.g. MTMP --field sensor_index=0)',
    run: (dev, args, values) => regOut(dev, args[0], values),
  },
  exec: {
    usage: '<device> COMMAND [--field NAME=VALUE ...] [--op-mod N] [--hex BODY] [--allow-kernel-taint] [--raw] | --list', args: [1, 1],
    list: listCommands,
    summary: 'run a command the driver allows by name, input from --field, output decoded',
    run: (dev, args, values) => execOut(dev, args[0], values),
  },
  diag: {
    usage: '<device> [--raw]', args: [0, 0],
    summary: 'QUERY_DIAGNOSTIC_PARAMS (raw: mlx5_ifc.h has no layout for it)',
    run: (dev, _args, values) => diagOut(dev, values),
  },
  fw: {
    usage: '<device>', args: [0, 0],
    summary: 'firmware version (MCQS/MCQI), identity (PSID, VSD), temperatures (MTCAP/MTMP), transceiver per port (PMLP/MCIA)',
    run: (dev) => fwOut(dev),
  },
  'query-hca-cap': {
    usage: '<device> [--cap-type N] [--max]', args: [0, 0],
    summary: 'QUERY_HCA_CAP: the 4096-byte capability, raw (see cap for decoded)',
    run(dev, _args, values) {
      const capType = numberArg(values['cap-type'], '--cap-type') ?? 0;
      const r = mlx5.queryHcaCapSync(dev, { capType, current: values.max !== true });
      return {
        json: toJson({ opcode: r.opcode, status: r.status, syndrome: r.syndrome, ok: r.ok, length: r.length, truncated: r.truncated, capability: r.capability }),
        text: fields([['status', status(r)], ['capability', `${r.capability.length} bytes`]]) + hexdump(r.capability),
      };
    },
  },
  'query-adapter': {
    usage: '<device>', args: [0, 0],
    summary: 'QUERY_ADAPTER: vendor ids, VSD and PSID',
    run(dev) {
      const a = mlx5.queryAdapterSync(dev);
      return {
        json: toJson({ opcode: a.opcode, status: a.status, syndrome: a.syndrome, ok: a.ok, length: a.length, truncated: a.truncated,
          ieeeVendorId: a.ieeeVendorId, vsdVendorId: a.vsdVendorId, vsd: a.vsd, psid: a.psid }),
        text: fields([['ieee vendor id', u(a.ieeeVendorId, 6)], ['vsd vendor id', u(a.vsdVendorId, 4)], ['vsd', a.vsd], ['psid', a.psid]]),
      };
    },
  },
};

/** One subcommand on an open device (for tests: any DeviceLike, a fake too). */
export function runSub(name: string, dev: DeviceLike, args: string[], values: Values): Output {
  return SUBS[name].run(dev, args, values);
}

export const command: Command = {
  name: 'mlx5',
  summary: `mlx5 PRM commands: ${Object.keys(SUBS).join(', ')}`,
  help: `usage:\n${Object.entries(SUBS).map(([n, s]) => `  fwctl mlx5 ${n} ${s.usage} [--json]\n      ${s.summary}`).join('\n')}

<device> is fwctlN, a path, or a PCI address / parent / net or InfiniBand name.
Field names are mlx5_ifc.h's; --field NAME=VALUE takes decimal, 0x-hex,
true/false or hex:BYTES, dotted names for nested layouts. --raw shows bytes.
A firmware status other than 0 is an error (exit 1, code ERR_FWCTL_MLX5_STATUS).
Scopes are the least the kernel allows (register reads: debug-read-only;
SET_DIAGNOSTIC_PARAMS needs --allow-kernel-taint).
`,
  options: {
    ...COMMON_OPTIONS,
    'cap-type': { type: 'string' },
    max: { type: 'boolean' },
    raw: { type: 'boolean' },
    list: { type: 'boolean' },
    field: { type: 'string', multiple: true, short: 'f' },
    argument: { type: 'string' },
    'op-mod': { type: 'string' },
    hex: { type: 'string' },
    'allow-kernel-taint': { type: 'boolean' },
  },
  async run(positionals: string[], values: Values, io: Io) {
    const [name, device, ...args] = positionals;
    const sub = name !== undefined && Object.hasOwn(SUBS, name) ? SUBS[name] : undefined;
    if (!sub) throw new UsageError(`mlx5: give one of ${Object.keys(SUBS).join(', ')}`);
    let out: Output;
    if (values.list) {
      if (!sub.list || device !== undefined) throw new UsageError(`usage: fwctl mlx5 ${name} ${sub.usage}`);
      out = sub.list();
    } else {
      if (device === undefined || args.length < sub.args[0] || args.length > sub.args[1]) throw new UsageError(`usage: fwctl mlx5 ${name} ${sub.usage}`);
      const dev = openDevice(device);
      try {
        const info = dev.infoSync();
        if (info.type !== 'mlx5') throw wrongType(dev.path, info, 'mlx5');
        out = sub.run(dev, args, values);
      } finally {
        dev.closeSync();
      }
    }
    io.stdout(values.json ? JSON.stringify(out.json, null, 2) + '\n' : out.text);
    return Exit.Ok;
  },
};

