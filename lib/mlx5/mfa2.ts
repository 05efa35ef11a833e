// MFA2 firmware archives (what mlxarchive writes and devlink flash takes for
// mlx5), read as the kernel reads them: drivers/net/ethernet/mellanox/mlxfw/
// mlxfw_mfa2.c and mlxfw_mfa2_tlv_multi.c, step for step in their order
// (mlxfw_mfa2_check, mlxfw_mfa2_file_init with mlxfw_mfa2_file_validate,
// mlxfw_mfa2_file_component_count, mlxfw_mfa2_file_component_get), with the
// numbers from lib/mlx5/generated/mlxfw.ts. Where the kernel reads past what
// it checked (a payload's last 4 bytes, a component the stream ends inside,
// a component pointer equal to the component count) this reader refuses
// instead. Beyond the kernel: mstflint's VERSION extension (TLV 0x21, the
// layout of its mlxarchive_version) in a component descriptor's multi-part,
// the component's version for skip-same and downgrade checks.
//
// Parsing is synchronous; a component's data is the XZ component block
// decompressed (once per archive, on the first data() call) and cut at its
// cb_offset behind the component magic.

import { FwctlError } from '../errors';
import {
  MFA2_ALIGN, MFA2_COMPONENT_MAGIC, MFA2_FINGERPRINT, MFA2_TLV_HEADER, MFA2_TLVS, MFA2_TLV_TYPE,
} from './generated/mlxfw';
import { xzDecompress, xzErrorText } from './xz';

/** mstflint's MFA2Type_VERSION (mlxarchive_mfa2_utils.h): the version extension; the kernel knows no type 0x21. */
export const MFA2_TLV_VERSION = 0x21;
/** sizeof mlxarchive_version (mstflint tools_layouts/mlxarchive_layouts.h). */
const VERSION_SIZE = 12;

export type Mfa2ErrorCode = 'ERR_FWCTL_MLX5_MFA2_FORMAT' | 'ERR_FWCTL_MLX5_MFA2_NO_PSID' | 'ERR_FWCTL_MLX5_MFA2_XZ';

/** An archive the kernel would refuse, a PSID it holds no image for, or a component block that does not decompress. */
export class Mfa2Error extends FwctlError {
  declare readonly code: Mfa2ErrorCode;
  /** The byte offset (in the file; in the decompressed component block for the component magic) of what is wrong. */
  readonly offset?: number;
  /** What is wrong there: a TLV or struct field ('package_descriptor.cb_offset', 'device 0 PSID'). */
  readonly field?: string;
  /** ERR_FWCTL_MLX5_MFA2_NO_PSID: the PSID asked for, and those the archive has. */
  readonly psid?: string;
  readonly psids?: readonly string[];
  constructor(code: Mfa2ErrorCode, detail: string, extra: { offset?: number; field?: string; psid?: string; psids?: readonly string[]; cause?: unknown } = {}) {
    super({ code, detail: `MFA2: ${detail}`, cause: extra.cause });
    this.name = 'Mfa2Error';
    if (extra.offset !== undefined) this.offset = extra.offset;
    if (extra.field !== undefined) this.field = extra.field;
    if (extra.psid !== undefined) this.psid = extra.psid;
    if (extra.psids !== undefined) this.psids = Object.freeze([...extra.psids]);
  }
}

export interface Mfa2Version {
  /** major << 24 | minor << 16 | sub_minor: the MCQI version word (the EMU component's too). */
  readonly raw: number;
  /** 'major.minor.sub_minor' (mstflint's getVersion without padding). */
  readonly text: string;
}

export interface Mfa2Component {
  /** The component pointer's component_index: which component descriptor of the archive (0 first). */
  readonly index: number;
  /**
   * The component descriptor's identifier. The kernel flashes it as the MCC/MCQI
   * component index (mlxfw_mfa2_file_component_get: comp->index = identifier).
   */
  readonly identifier: number;
  /** Bytes of the component (component descriptor size). */
  readonly size: number;
  /** From mstflint's VERSION extension, when the descriptor's multi-part has one. */
  readonly version?: Mfa2Version;
  /** The component's bytes: the component block decompressed once (shared, cached), this one copied out once. */
  data(): Promise<Buffer>;
}

export interface Mfa2Archive {
  /** The PSID of each device descriptor, in order (ASCII, as the PSID TLV holds it, no NUL). */
  readonly psids: readonly string[];
  /**
   * The components for a PSID, in the device descriptor's component pointer
   * order (mlxfw_mfa2_file_component_count / _get). The PSID matches as the
   * kernel's: same length, same bytes. Throws ERR_FWCTL_MLX5_MFA2_NO_PSID.
   */
  components(psid: string): Mfa2Component[];
}

const T = MFA2_TLVS;
const HDR = MFA2_TLV_HEADER.size;
const TYPE_NAME = new Map<number, string>([...Object.entries(MFA2_TLV_TYPE).map(([k, v]) => [v, k] as [number, string]), [MFA2_TLV_VERSION, 'VERSION']]);
const typeName = (t: number) => TYPE_NAME.get(t) ?? `0x${t.toString(16)}`;
/** NLA_ALIGN, in the kernel's unsigned arithmetic (u32). */
const align = (n: number) => ((n + MFA2_ALIGN - 1) & ~(MFA2_ALIGN - 1)) >>> 0;
const hex = (n: number) => `0x${n.toString(16)}`;

/** mlxfw_mfa2_check: the fingerprint (the kernel wants one byte more than it compares). */
export function isMfa2(buf: Uint8Array): boolean {
  if (buf.length < MFA2_FINGERPRINT.length + 1) return false;
  return Buffer.from(buf.buffer, buf.byteOffset, MFA2_FINGERPRINT.length).toString('latin1') === MFA2_FINGERPRINT;
}

type PayloadName = keyof typeof T;

/** The file as mlxfw_mfa2_file.h and mlxfw_mfa2_tlv.h see it. */
class File {
  constructor(readonly buf: Buffer) {}

  fail(detail: string, offset?: number, field?: string): never {
    throw new Mfa2Error('ERR_FWCTL_MLX5_MFA2_FORMAT', offset === undefined ? detail : `${detail} (offset ${offset})`, { offset, field });
  }

  /** mlxfw_mfa2_valid_ptr: strictly after the first byte, before the end. */
  valid(p: number): boolean {
    return p > 0 && p < this.buf.length;
  }

  /** mlxfw_mfa2_tlv_get: a header at p, and a byte after it. */
  tlv(p: number, what: string): number {
    if (!this.valid(p) || !this.valid(p + HDR)) this.fail(`${what}: no TLV header here, the file has ${this.buf.length} bytes`, p, what);
    return p;
  }

  type(tlv: number): number { return this.buf[tlv + MFA2_TLV_HEADER.fields.type[0]]; }
  len(tlv: number): number { return this.buf.readUInt16BE(tlv + MFA2_TLV_HEADER.fields.len[0]); }

  /**
   * mlxfw_mfa2_tlv_payload_get (the MLXFW_MFA2_TLV(name) getters): the type,
   * len == sizeof the payload (>= for VARSIZE). The kernel checks tlv + len - 1
   * is in the file; here the whole payload must be.
   */
  payload(tlv: number, name: PayloadName, what: string): number {
    const p = T[name];
    const len = this.len(tlv);
    if (!this.valid(tlv) || !this.valid(tlv + len - 1) || tlv + HDR + len > this.buf.length) {
      this.fail(`${what}: TLV len ${len} runs past the end of the file (${this.buf.length} bytes)`, tlv, `${what}.len`);
    }
    if (this.type(tlv) !== p.type) this.fail(`${what}: TLV type ${typeName(this.type(tlv))}, expected ${p.typeName}`, tlv, `${what}.type`);
    if (p.varsize ? len < p.size : len !== p.size) this.fail(`${what}: ${p.typeName} TLV len ${len}, expected ${p.varsize ? 'at least ' : ''}${p.size}`, tlv, `${what}.len`);
    return tlv + HDR;
  }

  /** A big-endian field of a payload (the layouts' [offset, bytes]). */
  field<N extends PayloadName>(payload: number, name: N, f: keyof (typeof T)[N]['fields'] & string): number {
    const [off, bytes] = (T[name].fields as Record<string, readonly number[]>)[f];
    return bytes === 1 ? this.buf[payload + off] : bytes === 2 ? this.buf.readUInt16BE(payload + off) : this.buf.readUInt32BE(payload + off);
  }

  /** mlxfw_mfa2_tlv_next: past the TLV, and past a multi-part's children (its total_len); u16 arithmetic as the kernel's. */
  next(tlv: number, what: string): number {
    let len = align(HDR + this.len(tlv)) & 0xffff;
    if (this.type(tlv) === T.multi.type) {
      const multi = this.payload(tlv, 'multi', what);
      len = align(len + this.field(multi, 'multi', 'total_len')) & 0xffff;
    }
    return this.tlv(tlv + len, `the TLV after ${what} (its end by total_len)`);
  }

  /** The children of a multi-part (mlxfw_mfa2_tlv_multi_foreach): num_extensions + 1 TLVs from after its payload. */
  children(multiTlv: number, what: string): number[] {
    const multi = this.payload(multiTlv, 'multi', what);
    const n = this.field(multi, 'multi', 'num_extensions') + 1;
    const out: number[] = [];
    // mlxfw_mfa2_tlv_multi_child: NLA_ALIGN(sizeof(struct mlxfw_mfa2_tlv_multi)) after the payload start.
    let tlv = this.tlv(multi + align(T.multi.size), `${what} child 0`);
    for (let i = 0; i < n; i++) {
      if (i > 0) tlv = this.next(tlv, `${what} child ${i - 1}`);
      out.push(tlv);
    }
    return out;
  }

  /** mlxfw_mfa2_tlv_multi_child_find: the index-th child of a type, or undefined. */
  find(children: readonly number[], type: number, index = 0): number | undefined {
    return children.filter((c) => this.type(c) === type)[index];
  }

  /**
   * mlxfw_mfa2_tlv_foreach from `first`, `count` TLVs, each visited before the
   * next is looked for (as mlxfw_mfa2_file_validate checks each in turn).
   */
  sequence<R>(first: number | undefined, count: number, what: string, visit: (tlv: number, i: number) => R): R[] {
    const out: R[] = [];
    let tlv = first;
    for (let i = 0; i < count; i++) {
      if (tlv === undefined) this.fail(`${what} ${i}: not reachable (the TLVs before it end the file)`, undefined, `${what} ${i}`);
      out.push(visit(tlv, i));
      if (i + 1 < count) tlv = this.next(tlv, `${what} ${i}`);
    }
    return out;
  }
}

interface Device { psid: string; psidBytes: Buffer; pointers: number[] }
interface Descriptor { at: number; identifier: number; cbOffset: number; size: number; version?: Mfa2Version }

/** mstflint's mlxarchive_version: major u8 @0, minor u8 @1, sub_minor BE16 @2 (then year, month, day, hour, minutes, seconds). */
function readVersion(f: File, tlv: number, what: string): Mfa2Version {
  const len = f.len(tlv);
  if (len < VERSION_SIZE || tlv + HDR + len > f.buf.length) f.fail(`${what}: VERSION TLV len ${len}, expected ${VERSION_SIZE} within the file`, tlv, `${what}.version`);
  const p = tlv + HDR;
  const major = f.buf[p], minor = f.buf[p + 1], subMinor = f.buf.readUInt16BE(p + 2);
  return Object.freeze({ raw: ((major << 24) | (minor << 16) | subMinor) >>> 0, text: `${major}.${minor}.${subMinor}` });
}

/**
 * Reads and validates an archive as mlxfw_mfa2_file_init does; throws
 * Mfa2Error (ERR_FWCTL_MLX5_MFA2_FORMAT) naming the offset and field of the
 * first thing the kernel would refuse. Does not decompress.
 */
export function parseMfa2(input: Uint8Array): Mfa2Archive {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const f: File = new File(buf); // typed: its fail() narrows (never)
  if (!isMfa2(buf)) f.fail(`not an MFA2 archive: the file does not start with the fingerprint "${MFA2_FINGERPRINT}"`, 0, 'fingerprint');

  // ---- mlxfw_mfa2_file_init ----
  const first = f.tlv(align(MFA2_FINGERPRINT.length), 'package descriptor multi-part');
  if (f.type(first) !== T.multi.type) f.fail(`the first TLV is of type ${typeName(f.type(first))}, not MULTI_PART`, first, 'package descriptor multi-part.type');
  f.payload(first, 'multi', 'package descriptor multi-part');
  const pdTlv = f.tlv(first + HDR + align(T.multi.size), 'package descriptor');
  const pd = f.payload(pdTlv, 'package_descriptor', 'package descriptor');
  const firstDev = f.next(first, 'the package descriptor multi-part');
  const devCount = f.field(pd, 'package_descriptor', 'num_devices');
  const componentCount = f.field(pd, 'package_descriptor', 'num_components');
  const cbOffset = f.field(pd, 'package_descriptor', 'cb_offset');
  const cb = align(cbOffset);
  if (!f.valid(cb)) f.fail(`component block outside the file: cb_offset ${cbOffset} (aligned ${cb}), file ${buf.length} bytes`, pd + T.package_descriptor.fields.cb_offset[0], 'package_descriptor.cb_offset');
  const cbSize = f.field(pd, 'package_descriptor', 'cb_archive_size');
  if (!f.valid(cb + cbSize - 1)) f.fail(`component block too big: cb_archive_size ${cbSize} from offset ${cb} passes the end of the file (${buf.length} bytes)`, pd + T.package_descriptor.fields.cb_archive_size[0], 'package_descriptor.cb_archive_size');

  // ---- mlxfw_mfa2_file_validate: the devices, then the components ----
  let lastDev: number | undefined;
  const devices: Device[] = f.sequence(firstDev, devCount, 'device descriptor', (tlv, i) => {
    const what = `device descriptor ${i}`;
    lastDev = tlv;
    const children = f.children(tlv, what);
    const psidTlv = f.find(children, T.psid.type);
    if (psidTlv === undefined) f.fail(`${what} has no PSID TLV`, tlv, `${what} PSID`);
    const psidAt = f.payload(psidTlv, 'psid', `${what} PSID`);
    const psidBytes = Buffer.from(buf.subarray(psidAt, psidAt + f.len(psidTlv)));
    const ptrs = children.filter((c) => f.type(c) === T.component_ptr.type);
    if (ptrs.length === 0) f.fail(`${what} has no COMPONENT_PTR TLV`, tlv, `${what} component_ptr`);
    const pointers = ptrs.map((c, k) => f.field(f.payload(c, 'component_ptr', `${what} component pointer ${k}`), 'component_ptr', 'component_index'));
    return { psid: psidBytes.toString('latin1'), psidBytes, pointers };
  });
  // mlxfw_mfa2_tlv_advance(first_dev, dev_count): the first component descriptor follows the last device.
  const firstComponent = componentCount === 0 ? undefined : lastDev === undefined ? firstDev : f.next(lastDev, `device descriptor ${devCount - 1}`);
  const descriptors: Descriptor[] = f.sequence(firstComponent, componentCount, 'component descriptor', (tlv, i) => {
    const what = `component descriptor ${i}`;
    const children = f.children(tlv, what);
    const cd = f.payload(children[0], 'component_descriptor', what);
    const h = f.field(cd, 'component_descriptor', 'cb_offset_h');
    if (h >= 2 ** 21) f.fail(`${what}: cb_offset_h ${hex(h)} puts the component beyond 2^53 bytes`, cd + T.component_descriptor.fields.cb_offset_h[0], `${what}.cb_offset_h`);
    const d: Descriptor = {
      at: cd,
      identifier: f.field(cd, 'component_descriptor', 'identifier'),
      cbOffset: h * 2 ** 32 + f.field(cd, 'component_descriptor', 'cb_offset_l'),
      size: f.field(cd, 'component_descriptor', 'size'),
    };
    const v = f.find(children, MFA2_TLV_VERSION);
    if (v !== undefined) d.version = readVersion(f, v, what);
    return d;
  });

  // ---- the component block, decompressed once ----
  let block: Promise<Buffer> | undefined;
  const decompressed = () => (block ??= xzDecompress(buf.subarray(cb, cb + cbSize)).catch((e: unknown) => {
    throw new Mfa2Error('ERR_FWCTL_MLX5_MFA2_XZ', `the component block (${cbSize} bytes at offset ${cb}) does not decompress: ${xzErrorText(e)}`,
      { offset: cb, field: 'component block', cause: e });
  }));
  const magic = Buffer.from(MFA2_COMPONENT_MAGIC, 'latin1');

  const component = (dev: Device, k: number): Mfa2Component => {
    const index = dev.pointers[k];
    const what = `PSID ${dev.psid} component pointer ${k}`;
    // The kernel tests comp_index > component_count; an index equal to it would read past the last descriptor.
    if (index >= componentCount) f.fail(`${what}: component_index ${index}, the archive has ${componentCount} component descriptor(s)`, undefined, `${what}.component_index`);
    const d = descriptors[index];
    let data: Promise<Buffer> | undefined;
    return Object.freeze({
      index, identifier: d.identifier, size: d.size, ...(d.version ? { version: d.version } : {}),
      data: () => (data ??= decompressed().then((all) => {
        const end = d.cbOffset + magic.length + d.size;
        const field = `component descriptor ${index}.cb_offset`;
        if (end > all.length) {
          throw new Mfa2Error('ERR_FWCTL_MLX5_MFA2_FORMAT', `component descriptor ${index}: cb_offset ${d.cbOffset} + magic + size ${d.size} = ${end} passes the end of the decompressed component block (${all.length} bytes)`,
            { offset: d.at + T.component_descriptor.fields.cb_offset_h[0], field });
        }
        if (!all.subarray(d.cbOffset, d.cbOffset + magic.length).equals(magic)) {
          throw new Mfa2Error('ERR_FWCTL_MLX5_MFA2_FORMAT', `component descriptor ${index}: no "${MFA2_COMPONENT_MAGIC}" at cb_offset ${d.cbOffset} of the decompressed component block`,
            { offset: d.cbOffset, field: 'component magic' });
        }
        return Buffer.from(all.subarray(d.cbOffset + magic.length, end));
      })),
    });
  };

  const psids = Object.freeze(devices.map((d) => d.psid));
  return Object.freeze({
    psids,
    components(psid: string): Mfa2Component[] {
      // mlxfw_mfa2_tlv_dev_get: the first device whose PSID TLV has the same length and bytes.
      const want = Buffer.from(psid, 'latin1');
      const dev = devices.find((d) => d.psidBytes.equals(want));
      if (!dev) throw new Mfa2Error('ERR_FWCTL_MLX5_MFA2_NO_PSID', `no device descriptor for PSID ${psid} (the archive has ${psids.join(', ') || 'none'})`, { psid, psids });
      return dev.pointers.map((_, k) => component(dev, k));
    },
  });
}
