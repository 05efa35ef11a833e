// The mock driver's wire protocol (see PROTOCOL.md), for tests and benchmarks.
import * as fs from 'node:fs';

/**
 * Which driver speaks this protocol in this boot: the C mock (test/kernel/mock,
 * the default) or its Rust counterpart on the kernel's Rust fwctl abstraction
 * (test/kernel/rust; the rust boot of scripts/test.js sets FWCTL_MOCK_DRIVER=rust).
 * The same tests run against both; test/kernel/rust/README.md lists what differs.
 */
export const DRIVER: 'c' | 'rust' = process.env.FWCTL_MOCK_DRIVER === 'rust' ? 'rust' : 'c';
export const MODULE = DRIVER === 'rust' ? 'fwctl_rust_mock' : 'fwctl_mock';
export const CTL = `/sys/kernel/debug/${MODULE}/ctl`;
/**
 * The device type number the driver reports by default. The C mock's is unknown
 * to the UAPI on purpose; fwctl::DeviceType (Rust) has only MLX5, CXL, BNXT and
 * PDS, so the Rust driver reports CXL (2), whose device_data the package leaves raw.
 */
export const DEFAULT_TYPE = DRIVER === 'rust' ? 2 : 0xfff0;
/** The device type numbers a driver can register (the Rust abstraction's enum is closed). */
export function canRegisterType(type: number): boolean {
  return DRIVER === 'c' || (type >= 1 && type <= 4);
}
export const HEADER = 16;

/**
 * A difference between the Rust driver and the C mock, found by a test: printed
 * in the test output and appended to FWCTL_DIFFERENCES_FILE (the rust boot's
 * results dir), which scripts/test.js prints after the boot.
 */
export function difference(test: string, text: string): void {
  const line = `[rust vs C] ${test}: ${text}`;
  process.stderr.write(`${line}\n`);
  const file = process.env.FWCTL_DIFFERENCES_FILE;
  if (file) fs.appendFileSync(file, `${line}\n`);
}

export enum Op {
  Echo = 0,
  Transform = 1,
  Fail = 2,
  Fill = 3,
  Sleep = 4,
  Scope = 5,
  /** pds-like nested payloads: see nestedRequest(). */
  Nested = 6,
  /** bnxt-like DMA field: see dmaRequest(). */
  Dma = 7,
  /** Rust driver only: answer FwRpcResponse::InPlace(arg), the first arg bytes of the request buffer. */
  InPlace = 8,
}

/** NESTED request offsets: in ptr/len, out ptr/len (the driver trusts both lengths). */
export const NESTED = { inPtr: 16, inLen: 24, outPtr: 32, outLen: 40, size: 48 } as const;
/** DMA request offsets: __le64 address, __le16 length in 32-bit words (or arg 1: always 64 KiB). */
export const DMA = { addr: 16, lenWords: 24, size: 32, fixed: 65536 } as const;

/** A NESTED request whose length fields say inLen / outLen; `sleepMs` before the copy-out. */
export function nestedRequest(inLen: number, outLen: number, sleepMs = 0): Buffer {
  const b = request(Op.Nested, sleepMs, Buffer.alloc(NESTED.size - HEADER));
  b.writeUInt32LE(inLen, NESTED.inLen);
  b.writeUInt32LE(outLen, NESTED.outLen);
  return b;
}

/** A DMA request: length field in words, or the fixed 64 KiB form. */
export function dmaRequest(lenWords: number, fixed = false): Buffer {
  const b = request(Op.Dma, fixed ? 1 : 0, Buffer.alloc(DMA.size - HEADER));
  b.writeUInt16LE(lenWords, DMA.lenWords);
  return b;
}

/** A mock request: 16-byte little-endian header then the payload. */
export function request(op: Op, arg = 0, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const buf = Buffer.alloc(HEADER + payload.length);
  buf.writeUInt32LE(op, 0);
  buf.writeUInt32LE(arg, 4);
  buf.set(payload, HEADER);
  return buf;
}

/** The device_data blob the mock returns for a given length. */
export function infoPattern(len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** The FILL op's response pattern. */
export function fillPattern(len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (i * 13 + 1) & 0xff;
  return b;
}

export interface MockDevice {
  name: string;
  parent: string;
  type: number;
  datalen: number;
  mode: string;
}

/** The live mock devices, as the driver's ctl file lists them. */
export function devices(): MockDevice[] {
  return fs
    .readFileSync(CTL, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [name, ...kv] = line.trim().split(/\s+/);
      const f = Object.fromEntries(kv.map((p) => p.split('=') as [string, string]));
      return {
        name,
        parent: f.parent,
        type: Number(f.type),
        datalen: Number(f.datalen),
        mode: f.mode ?? 'generic',
      };
    });
}

function ctl(command: string): void {
  fs.writeFileSync(CTL, command);
}

/** Register a new mock device and return it (the one that was not there before). */
export function add(opts: { type?: number; datalen?: number; mode?: string; opendelay?: number } = {}): MockDevice {
  const before = new Set(devices().map((d) => d.name));
  const parts = ['add'];
  if (opts.type !== undefined) parts.push(`type=${opts.type}`);
  if (opts.datalen !== undefined) parts.push(`datalen=${opts.datalen}`);
  if (opts.mode !== undefined) parts.push(`mode=${opts.mode}`);
  if (opts.opendelay !== undefined) parts.push(`opendelay=${opts.opendelay}`);
  ctl(parts.join(' '));
  const added = devices().filter((d) => !before.has(d.name));
  if (added.length !== 1) throw new Error(`mock add: expected one new device, got ${added.length}`);
  return added[0];
}

/** Unregister a mock device (hot-unplug): open fds on it become orphaned. */
export function del(name: string): void {
  ctl(`del ${name}`);
}

export function inVm(): boolean {
  return process.env.FWCTL_IN_VM === '1';
}

/** How many of this process's fds are open on `target` (a path, e.g. /dev/null). */
export function fdsTo(target: string): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === target) n++;
    } catch {
      // closed between readdir and readlink (e.g. the fd readdir itself used)
    }
  }
  return n;
}

/** How many of this process's fds are open on /dev/fwctl/<name>. */
export function openFdsTo(name: string): number {
  return fdsTo(`/dev/fwctl/${name}`);
}
