// Firmware images for the mlx5 emulator (test/kernel/emu/fwctl_emu_mlx5.c) and
// for the MFA2 reader's tests, written independently of lib/ (the tests read
// what this writes with lib/mlx5/mfa2.ts):
//   - the "EMU component" of the issue 25 contract (/work/prompts/contract.md):
//     magic "FWCTLEMU", version, payload_len, PSID, a deterministic payload, CRC-32;
//   - an MFA2 archive as the kernel's mlxfw_mfa2.c reads it: fingerprint,
//     package descriptor multi-part, one device descriptor multi-part per PSID
//     (PSID TLV, component pointer TLVs), one component descriptor multi-part
//     per component (component descriptor TLV, mstflint's VERSION TLV), then
//     the component block: one XZ stream of "#BIN.COMPONENT!#" + data per
//     component. Every TLV is padded to 4 bytes (NLA_ALIGN), a multi-part's
//     total_len counts its children's padded bytes (mlxfw_mfa2_tlv_next).
// scripts/make-mlx5-fw-image.js is the command line over these.
'use strict';

const FINGERPRINT = 'MLNX.MFA2.XZ.00!';
const COMPONENT_MAGIC = '#BIN.COMPONENT!#';
const EMU_MAGIC = 'FWCTLEMU';
const EMU_HEADER = 64;
const TLV = { MULTI_PART: 0x01, PACKAGE_DESCRIPTOR: 0x02, COMPONENT_DESCRIPTOR: 0x04, VERSION: 0x21, COMPONENT_PTR: 0x22, PSID: 0x2a };

// ---- CRC-32 (IEEE 802.3, reflected 0xEDB88320: zlib's crc32, the kernel's ~crc32_le(~0, ...)) ----
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `buf` (optionally continuing from `crc`). */
function crc32(buf, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** 'X.Y.Z' -> { major, minor, subminor, raw: major << 24 | minor << 16 | subminor, text }. */
function parseVersion(text) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(String(text));
  if (!m) throw new RangeError(`version ${JSON.stringify(text)}: expected X.Y.Z`);
  const [major, minor, subminor] = m.slice(1).map(Number);
  if (major > 0xff || minor > 0xff || subminor > 0xffff) throw new RangeError(`version ${text}: major and minor are u8, subminor u16`);
  return { major, minor, subminor, raw: ((major << 24) | (minor << 16) | subminor) >>> 0, text: `${major}.${minor}.${subminor}` };
}

function checkPsid(psid) {
  if (typeof psid !== 'string' || !/^[\x21-\x7e]{1,16}$/.test(psid)) throw new RangeError(`psid ${JSON.stringify(psid)}: 1 to 16 printable ASCII characters`);
  return psid;
}

/** The payload's deterministic pattern: byte i. */
const patternByte = (i) => (i * 7 + (i >>> 8) * 13 + 0x5a) & 0xff;

/**
 * The EMU component: `size` bytes in all (default 64 KiB; at least 68). With
 * `corrupt`, one payload byte (the middle one; the CRC itself when there is no
 * payload) is flipped after the CRC is computed: the emulator's VERIFY then
 * answers REJECTED_DIGEST_ERR.
 */
function makeEmuComponent({ psid, version, size = 65536, corrupt = false }) {
  checkPsid(psid);
  const v = typeof version === 'object' ? version : parseVersion(version);
  if (!Number.isInteger(size) || size < EMU_HEADER + 4 || size > 0xffffffff) throw new RangeError(`size ${size}: at least ${EMU_HEADER + 4} bytes`);
  const payloadLen = size - EMU_HEADER - 4;
  const b = Buffer.alloc(size);
  b.write(EMU_MAGIC, 0, 'latin1');
  b.writeUInt32BE(v.raw, 8);
  b.writeUInt32BE(payloadLen, 12);
  b.write(psid, 16, 'latin1');
  for (let i = 0; i < payloadLen; i++) b[EMU_HEADER + i] = patternByte(i);
  const crc = crc32(b.subarray(0, EMU_HEADER + payloadLen));
  b.writeUInt32BE(crc, EMU_HEADER + payloadLen);
  if (corrupt) b[payloadLen ? EMU_HEADER + (payloadLen >> 1) : EMU_HEADER] ^= 0x01;
  return b;
}

// ---- XZ ----

/** xz's multibyte integer (7 bits a byte, low first). */
function varint(n) {
  const out = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

function readVarint(b, at) {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 9; i++) {
    const byte = b[at + i];
    n += (byte & 0x7f) * mul;
    mul *= 128;
    if (!(byte & 0x80)) return { n, next: at + i + 1 };
  }
  throw new Error('xz: varint too long');
}

const le32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const pad4 = (n) => (4 - (n % 4)) % 4;

/**
 * An XZ stream with a CRC-32 check of every block. @napi-rs/lzma (1.4.5)
 * writes check type None, which leaves a flipped byte of a stored chunk
 * unnoticed; its blocks are kept as written and the container around them is
 * rewritten with the check (stream flags, each block's CRC-32, the index's
 * unpadded sizes, the footer), per the .xz file format 1.x.
 */
function xzCompress(data) {
  const { xz } = require('@napi-rs/lzma');
  return withCrc32Check(xz.compressSync(data), data);
}

function withCrc32Check(x, data) {
  if (x.subarray(0, 6).toString('latin1') !== '\xfd7zXZ\x00' || x.subarray(x.length - 2).toString('latin1') !== 'YZ') throw new Error('xz: not one XZ stream');
  if (x[7] === 0x01) return x; // already CRC-32
  if (x[6] !== 0 || x[7] !== 0x00) throw new Error(`xz: stream flags ${x[6]} ${x[7]}, expected check None from the compressor`);
  const backward = (x.readUInt32LE(x.length - 8) + 1) * 4;
  const indexAt = x.length - 12 - backward;
  if (x[indexAt] !== 0x00) throw new Error('xz: no index indicator where the footer says');
  let p = indexAt + 1;
  const count = readVarint(x, p);
  p = count.next;
  const records = [];
  for (let i = 0; i < count.n; i++) {
    const u = readVarint(x, p);
    const c = readVarint(x, u.next);
    records.push({ unpadded: u.n, uncompressed: c.n });
    p = c.next;
  }
  const flags = Buffer.from([0x00, 0x01]);
  const parts = [Buffer.from('\xfd7zXZ\x00', 'latin1'), flags, le32(crc32(flags))];
  let at = 12;
  let dataAt = 0;
  for (const r of records) {
    const padded = r.unpadded + pad4(r.unpadded);
    parts.push(x.subarray(at, at + padded), le32(crc32(data.subarray(dataAt, dataAt + r.uncompressed))));
    at += padded;
    dataAt += r.uncompressed;
  }
  if (at !== indexAt || dataAt !== data.length) throw new Error('xz: the blocks do not add up to the index');
  const index = [0x00, ...varint(records.length), ...records.flatMap((r) => [...varint(r.unpadded + 4), ...varint(r.uncompressed)])];
  while (index.length % 4) index.push(0);
  const indexBuf = Buffer.from(index);
  const tail = Buffer.concat([le32((indexBuf.length + 4) / 4 - 1), flags]);
  parts.push(indexBuf, le32(crc32(indexBuf)), le32(crc32(tail)), tail, Buffer.from('YZ', 'latin1'));
  return Buffer.concat(parts);
}

// ---- MFA2 ----

/** One TLV: header (version 0, type, len) and payload, padded to 4 bytes. */
function tlv(type, payload) {
  const h = Buffer.alloc(4);
  h[1] = type;
  h.writeUInt16BE(payload.length, 2);
  return Buffer.concat([h, payload, Buffer.alloc(pad4(payload.length))]);
}

/** A multi-part TLV and its children (num_extensions: children - 1, total_len: their padded bytes). */
function multi(children) {
  const body = Buffer.concat(children);
  const m = Buffer.alloc(4);
  m.writeUInt16BE(children.length - 1, 0);
  m.writeUInt16BE(body.length, 2);
  return Buffer.concat([tlv(TLV.MULTI_PART, m), body]);
}

/** mstflint's mlxarchive_version: major, minor, sub_minor BE16, year BE16, month, day, hour, minutes, seconds, 0. */
function versionPayload(v, date = { year: 2026, month: 1, day: 1, hour: 12, minutes: 0, seconds: 0 }) {
  const b = Buffer.alloc(12);
  b[0] = v.major;
  b[1] = v.minor;
  b.writeUInt16BE(v.subminor, 2);
  b.writeUInt16BE(date.year, 4);
  b[6] = date.month;
  b[7] = date.day;
  b[8] = date.hour;
  b[9] = date.minutes;
  b[10] = date.seconds;
  return b;
}

/**
 * An MFA2 archive and where its parts are:
 *   devices:    [{ psid, components: [component index, ...] }] (component pointer order)
 *   components: [{ identifier, data: Buffer, version?: 'X.Y.Z' | parsed }]
 * Returns { buffer, layout: { packageMulti, packageDescriptor, devices: [{ multi, psid, pointers: [] }],
 * components: [{ multi, descriptor, version?, cbOffset }], cb: { offset, size }, block } }: every offset
 * the one of a TLV header in the file, but cbOffset (in the decompressed block) and block (the
 * decompressed component block).
 */
function buildMfa2({ devices, components, compress = xzCompress }) {
  const layout = { devices: [], components: [] };
  const pieces = [];
  let at = 0;
  const put = (b) => { const o = at; pieces.push(b); at += b.length; return o; };
  put(Buffer.from(FINGERPRINT, 'latin1'));

  // The component block first (its size goes in the package descriptor).
  let cbOffset = 0;
  const blockParts = [];
  const cbOffsets = components.map((c) => {
    const o = cbOffset;
    blockParts.push(Buffer.from(COMPONENT_MAGIC, 'latin1'), c.data);
    cbOffset += COMPONENT_MAGIC.length + c.data.length;
    return o;
  });
  const block = Buffer.concat(blockParts);
  const cb = compress(block);

  const pd = Buffer.alloc(28);
  pd.writeUInt16BE(components.length, 0);
  pd.writeUInt16BE(devices.length, 2);
  // cb_offset (4) filled below, once the descriptors' length is known
  pd.writeUInt32BE(cb.length, 8);
  pd.writeUInt32BE(Math.floor(block.length / 2 ** 32), 12);
  pd.writeUInt32BE(block.length >>> 0, 16);
  pd[23] = 1; // cv_compression: MLXFW_MFA2_COMPRESSION_TYPE_XZ
  layout.packageMulti = put(multi([tlv(TLV.PACKAGE_DESCRIPTOR, pd)]));
  layout.packageDescriptor = layout.packageMulti + 8;

  for (const d of devices) {
    checkPsid(d.psid);
    const psid = tlv(TLV.PSID, Buffer.from(d.psid, 'latin1'));
    const ptrs = d.components.map((index) => {
      const p = Buffer.alloc(8);
      p.writeUInt16BE(1, 0); // storage_id, as mstflint writes
      p.writeUInt16BE(index, 2);
      return tlv(TLV.COMPONENT_PTR, p);
    });
    const o = put(multi([psid, ...ptrs]));
    let c = o + 8 + psid.length;
    layout.devices.push({ multi: o, psid: o + 8, pointers: ptrs.map((p) => { const x = c; c += p.length; return x; }) });
  }

  components.forEach((c, i) => {
    const d = Buffer.alloc(16);
    d.writeUInt16BE(c.identifier, 2);
    d.writeUInt32BE(Math.floor(cbOffsets[i] / 2 ** 32), 4);
    d.writeUInt32BE(cbOffsets[i] >>> 0, 8);
    d.writeUInt32BE(c.data.length, 12);
    const children = [tlv(TLV.COMPONENT_DESCRIPTOR, d)];
    if (c.version !== undefined) children.push(tlv(TLV.VERSION, versionPayload(typeof c.version === 'object' ? c.version : parseVersion(c.version))));
    const o = put(multi(children));
    layout.components.push({ multi: o, descriptor: o + 8, ...(c.version !== undefined ? { version: o + 8 + children[0].length } : {}), cbOffset: cbOffsets[i] });
  });

  put(Buffer.alloc(pad4(at)));
  const cbAt = put(cb);
  const buffer = Buffer.concat(pieces);
  buffer.writeUInt32BE(cbAt, layout.packageDescriptor + 4 + 4);
  layout.cb = { offset: cbAt, size: cb.length };
  layout.block = block;
  return { buffer, layout };
}

/**
 * The command line's archive: one device (psid), one component holding
 * `component`, with identifier 0: the kernel flashes a component to the MCC
 * component index its identifier names (mlxfw_mfa2.c: comp.index =
 * identifier), and the emulated firmware's boot image is MCQS index 0.
 */
function makeMfa2Image({ psid, version, component }) {
  return buildMfa2({ devices: [{ psid, components: [0] }], components: [{ identifier: 0, data: component, version }] }).buffer;
}

module.exports = {
  crc32, parseVersion, makeEmuComponent, xzCompress, withCrc32Check, buildMfa2, makeMfa2Image, patternByte,
  FINGERPRINT, COMPONENT_MAGIC, EMU_MAGIC, EMU_HEADER, TLV,
};
