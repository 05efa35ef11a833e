// fwctl bnxt ver-get|nvm|coredump|stats|exec <device> ...
//
// NVM directory and reads, coredumps, port statistics and any command the
// driver allows by name (hsi.h's field names), all with --json. The DMA
// commands need Linux 7.3 (uctx_caps bit 3): an older kernel is an error
// naming it (ERR_FWCTL_BNXT_NO_DMA).

import * as fs from 'node:fs';
import type { DeviceLike } from '../../device-like';
import * as bnxt from '../../bnxt';
import { COMMON_OPTIONS, Exit, UsageError, type Command, type Io, type Values } from '../command';
import { fields, hexdump, table } from '../format';
import { objectText, parseFields, toJson } from './mlx5';
import { openDeviceAsync } from './open';
import { u, wrongType } from './typed';

interface Output {
  json: unknown;
  text: string;
  /** Raw bytes for stdout instead of text (nvm read without --out). */
  bytes?: Buffer;
}

interface Sub {
  readonly usage: string;
  readonly summary: string;
  /** Positionals after <device>: [min, max]. */
  readonly args: readonly [number, number];
  readonly list?: () => Output;
  run(dev: DeviceLike, args: string[], values: Values, io: Io): Promise<Output>;
}

function num(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} must be a number, got '${String(v)}'`);
  return n;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

async function verGet(dev: DeviceLike, signal?: AbortSignal): Promise<Output> {
  const v = await bnxt.verGet(dev, { signal });
  const { response: _r, ...rest } = v;
  void _r;
  const ver = (x: number[]) => x.join('.');
  return {
    json: toJson(rest),
    text: fields([
      ['hwrm interface', ver(v.interfaceVersion)],
      ['firmware', `${ver(v.firmwareVersion)} (${v.firmwareName})`],
      ['management', `${ver(v.managementVersion)} (${v.managementName})`],
      ['netctrl', `${ver(v.netctrlVersion)} (${v.netctrlName})`],
      ['roce', `${ver(v.roceVersion)} (${v.roceName})`],
      ['active package', v.activePackage],
      ['chip', `${u(v.chipNum, 4)} rev ${v.chipRev} metal ${v.chipMetal}`],
      ['dev_caps_cfg', u(v.devCapsCfg, 8)],
      ['max request', `${v.maxReqWinLen} bytes (ext ${v.maxExtReqLen})`],
      ['max response', `${v.maxRespLen} bytes`],
      ['timeouts', `default ${v.defReqTimeout} ms, max ${v.maxReqTimeout} s`],
    ]),
  };
}

const entryJson = (e: bnxt.NvmDirEntry) => ({ ...e, raw: e.raw.toString('hex') });

async function nvm(dev: DeviceLike, args: string[], values: Values, io: Io): Promise<Output> {
  const [what, item] = args;
  const signal = io.signal;
  const dir = await bnxt.nvmDirectory(dev, { signal });
  if (what === 'list') {
    if (item !== undefined) throw new UsageError('usage: fwctl bnxt nvm <device> list');
    const version = await bnxt.packageVersion(dev, { signal, directory: dir }).catch(() => undefined);
    return {
      json: { count: dir.count, entryLength: dir.entryLength, packageVersion: version ?? null, entries: dir.entries.map(entryJson) },
      text: table(['index', 'type', 'ordinal', 'ext', 'attr', 'item bytes', 'data bytes', 'version'],
        dir.entries.map((e) => [String(e.index), e.typeName ?? u(e.type, 4), String(e.ordinal), u(e.ext), u(e.attr), String(e.itemLength), String(e.dataLength), e.version]))
        + (version ? `package version ${version}\n` : ''),
    };
  }
  if (what !== 'read' || item === undefined) throw new UsageError('usage: fwctl bnxt nvm <device> list | read INDEX|TYPE [--offset N] [--length N] [--out FILE]');
  const entry = /^(0x[0-9a-f]+|\d+)$/i.test(item) ? dir.entries.find((e) => e.index === Number(item))
    : dir.entries.find((e) => e.typeName === item.toUpperCase().replace(/^BNX_DIR_TYPE_/, ''));
  if (!entry) throw new UsageError(`nvm read: no directory entry ${item} (fwctl bnxt nvm <device> list)`);
  const offset = num(values.offset, '--offset') ?? 0;
  const length = num(values.length, '--length');
  const out = str(values.out);
  const t0 = Date.now();
  let bytes = 0;
  if (out && out !== '-') {
    const fh = await fs.promises.open(out, 'w');
    try {
      for await (const c of bnxt.nvmReadStream(dev, entry, { offset, length, signal })) {
        await fh.write(c);
        bytes += c.length;
      }
    } finally {
      await fh.close();
    }
    const json = { index: entry.index, type: entry.typeName ?? entry.type, offset, bytes, file: out, ms: Date.now() - t0 };
    return { json, text: `${bytes} bytes of ${entry.typeName ?? u(entry.type)} (index ${entry.index}) from offset ${offset} -> ${out}\n` };
  }
  const data = await bnxt.nvmRead(dev, entry, { offset, length, signal });
  return {
    json: { index: entry.index, type: entry.typeName ?? entry.type, offset, bytes: data.length, data: data.toString('hex') },
    text: hexdump(data),
    ...(out === '-' ? { bytes: data } : {}),
  };
}

function progressBar(io: Io, enabled: boolean): ((p: bnxt.CoredumpProgress) => void) | undefined {
  if (!enabled) return undefined;
  return (p) => {
    const w = 30;
    const done = p.total ? Math.min(w, Math.round((p.bytes / p.total) * w)) : w;
    io.stderr(`\r[${'#'.repeat(done)}${' '.repeat(w - done)}] ${p.bytes}/${p.total} bytes, segment ${p.segment + 1}/${p.segments}${p.bytes >= p.total ? '\n' : ''}`);
  };
}

async function coredump(dev: DeviceLike, _args: string[], values: Values, io: Io): Promise<Output> {
  const crashed = values.crashed === true;
  const segs = await bnxt.coredumpList(dev, { crashed, signal: io.signal });
  const segJson = segs.map((s) => ({ ...s }));
  const segText = table(['component', 'segment', 'version', 'bytes'], segs.map((s) => [String(s.componentId), String(s.segmentId), s.version, String(s.length)]));
  const out = str(values.out);
  if (!out) {
    if (values.list !== true) throw new UsageError('usage: fwctl bnxt coredump <device> --out FILE [--crashed] [--chunk N] | --list');
    return { json: { crashed, segments: segJson }, text: segText };
  }
  // A progress bar on a terminal, nothing otherwise (and never with --json).
  const bar = progressBar(io, process.stderr.isTTY === true && values.json !== true);
  const r = await bnxt.coredump(dev, out, { crashed, segments: segs, chunkSize: num(values.chunk, '--chunk'), onProgress: bar, signal: io.signal });
  const rate = r.ms > 0 ? r.bytes / 1048576 / (r.ms / 1000) : undefined;
  return {
    json: { crashed, file: out, bytes: r.bytes, ms: r.ms, segments: segJson },
    text: `${segText}${r.bytes} bytes -> ${out} in ${r.ms} ms${rate ? ` (${rate.toFixed(1)} MiB/s)` : ''}\n`,
  };
}

async function stats(dev: DeviceLike, _args: string[], values: Values, io: Io): Promise<Output> {
  const port = num(values.port, '--port') ?? 0;
  const s = values.ext === true ? await bnxt.portStatsExt(dev, { port, signal: io.signal }) : await bnxt.portStats(dev, { port, signal: io.signal });
  const body = { tx: s.tx, rx: s.rx, ...(values.ext === true ? { txSize: (s as bnxt.PortStatsExt).txSize, rxSize: (s as bnxt.PortStatsExt).rxSize } : {}) };
  const totals = values.ext === true ? undefined : bnxt.portTotals(s);
  return {
    json: toJson({ port, ...(totals ? { totals } : {}), ...body }),
    text: (totals ? fields(Object.entries(totals).map(([k, v]) => [k, String(v)])) + '\n' : '') + objectText({ tx: s.tx, rx: s.rx } as Record<string, unknown>),
  };
}

async function execOut(dev: DeviceLike, args: string[], values: Values, io: Io): Promise<Output> {
  const cmd = bnxt.command(args[0]);
  const f = parseFields(values.field);
  const r = await bnxt.exec(dev, cmd.name, f as never, {
    signal: io.signal, allowKernelTaint: values['allow-kernel-taint'] === true,
    ...(values.hex !== undefined ? { body: Buffer.from(String(values.hex).replace(/[\s:]/g, ''), 'hex') } : {}),
  });
  const dma = Object.fromEntries(Object.entries(r.dma).filter(([k]) => cmd.dma?.find((d) => d.addr === k)?.dir === 'out'));
  return {
    json: toJson({ name: r.name, errorCode: r.errorCode, seqId: r.seqId, respLen: r.respLen, ...(r.data ? { data: r.data } : { response: r.response }), dma }),
    text: (r.data ? objectText(r.data as Record<string, unknown>) : hexdump(r.response))
      + Object.entries(dma).map(([k, b]) => `${k} (${b.length} bytes):\n${hexdump(b.length > 512 ? b.subarray(0, 512) : b)}${b.length > 512 ? `... ${b.length - 512} more bytes (--json has them all)\n` : ''}`).join(''),
  };
}

function listCommands(): Output {
  const rows = bnxt.commands().map((c) => [c.name, u(c.reqType, 4), ['configuration', 'debug-read-only', 'debug-write', 'debug-write-full'][c.scope],
    c.dma ? c.dma.map((d) => `${d.addr} ${d.dir} ${d.fixed !== undefined ? `${d.fixed} bytes` : `${d.len}${d.unit !== 1 ? ` x${d.unit}` : ''}`}`).join('; ') : '',
    c.input ? '' : 'no layout in hsi.h']);
  return { json: bnxt.commands(), text: table(['command', 'req_type', 'least scope', 'DMA (address field, direction, length)', ''], rows) };
}

const SUBS: Readonly<Record<string, Sub>> = {
  'ver-get': {
    usage: '<device>', args: [0, 0],
    summary: 'HWRM_VER_GET: interface and firmware versions, names, chip (scope debug-read-only)',
    run: (dev, _a, _v, io) => verGet(dev, io.signal),
  },
  nvm: {
    usage: '<device> list | read INDEX|TYPE [--offset N] [--length N] [--out FILE|-]', args: [1, 2],
    summary: 'the NVM directory (type, ordinal, ext, attr, sizes, version; package version), or an item read in 64 KiB pieces',
    run: nvm,
  },
  coredump: {
    usage: '<device> --out FILE [--crashed] [--chunk N] | <device> --list [--crashed]', args: [0, 0],
    summary: 'save the coredump (DBG_COREDUMP_LIST/RETRIEVE, every segment in order) to FILE; a progress bar on a terminal',
    run: coredump,
  },
  stats: {
    usage: '<device> [--port N] [--ext]', args: [0, 0],
    summary: 'port statistics by name (PORT_QSTATS: tx/rx_port_stats; --ext: PORT_QSTATS_EXT)',
    run: stats,
  },
  exec: {
    usage: '<device> COMMAND [--field NAME=VALUE ...] [--hex BODY] [--allow-kernel-taint] | --list', args: [1, 1], list: listCommands,
    summary: 'any command the driver allows, by name: input from hsi.h fields, output decoded, DMA buffers allocated',
    run: execOut,
  },
};

export const command: Command = {
  name: 'bnxt',
  summary: `bnxt HWRM commands: ${Object.keys(SUBS).join(', ')}`,
  help: `usage:\n${Object.entries(SUBS).map(([n, s]) => `  fwctl bnxt ${n} ${s.usage} [--json]\n      ${s.summary}`).join('\n')}

<device> is fwctlN, a path, or a PCI address / parent / net name. Field names
are include/linux/bnxt/hsi.h's (hwrm_<command>_input); --field NAME=VALUE takes
decimal, 0x-hex, true/false or hex:BYTES. DMA commands (nvm, coredump, stats,
many exec commands) need Linux 7.3 (uctx_caps bit 3; ERR_FWCTL_BNXT_NO_DMA otherwise).
A non-zero error_code is an error (exit 1, code ERR_FWCTL_BNXT_HWRM): a firmware
HWRM_ERR_CODE_*, or a send the driver could not complete (a negative errno).
`,
  options: {
    ...COMMON_OPTIONS,
    list: { type: 'boolean' },
    field: { type: 'string', multiple: true, short: 'f' },
    hex: { type: 'string' },
    'allow-kernel-taint': { type: 'boolean' },
    out: { type: 'string', short: 'o' },
    offset: { type: 'string' },
    length: { type: 'string' },
    crashed: { type: 'boolean' },
    chunk: { type: 'string' },
    port: { type: 'string' },
    ext: { type: 'boolean' },
  },
  async run(positionals: string[], values: Values, io: Io) {
    const [name, device, ...args] = positionals;
    const sub = name !== undefined && Object.hasOwn(SUBS, name) ? SUBS[name] : undefined;
    if (!sub) throw new UsageError(`bnxt: give one of ${Object.keys(SUBS).join(', ')}`);
    let out: Output;
    if (values.list && sub.list) {
      if (device !== undefined) throw new UsageError(`usage: fwctl bnxt ${name} ${sub.usage}`);
      out = sub.list();
    } else {
      if (device === undefined || args.length < sub.args[0] || args.length > sub.args[1]) throw new UsageError(`usage: fwctl bnxt ${name} ${sub.usage}`);
      const dev = await openDeviceAsync(device, io.signal);
      try {
        const info = await dev.info({ signal: io.signal });
        if (info.type !== 'bnxt') throw wrongType(dev.path, info, 'bnxt');
        out = await sub.run(dev, args, values, io);
      } finally {
        await dev.close();
      }
    }
    if (out.bytes && !values.json) io.stdoutBytes(out.bytes);
    else io.stdout(values.json ? JSON.stringify(out.json, null, 2) + '\n' : out.text);
    return Exit.Ok;
  },
};
