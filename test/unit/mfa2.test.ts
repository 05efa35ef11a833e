// lib/mlx5/mfa2.ts against archives written by scripts/lib/mlx5-fw-image.js
// (an independent writer): the round trip, several PSIDs and components in
// pointer order, mstflint's VERSION extension, and each refusal of the
// kernel's mlxfw_mfa2.c as its typed error naming offset and field.

import * as path from 'node:path';
import { FwctlError } from '../../lib/errors';
import { isMfa2, Mfa2Error, parseMfa2 } from '../../lib/mlx5/mfa2';
import { MFA2_FINGERPRINT, MFA2_TLVS } from '../../lib/mlx5/generated/mlxfw';
import { caught } from './helpers/errors';

const repo = path.resolve(__dirname, '../../..');
/* eslint-disable @typescript-eslint/no-require-imports */
interface Layout {
  packageMulti: number; packageDescriptor: number;
  devices: { multi: number; psid: number; pointers: number[] }[];
  components: { multi: number; descriptor: number; version?: number; cbOffset: number }[];
  cb: { offset: number; size: number }; block: Buffer;
}
const img = require(path.join(repo, 'scripts/lib/mlx5-fw-image.js')) as {
  buildMfa2(o: { devices: { psid: string; components: number[] }[]; components: { identifier: number; data: Buffer; version?: string }[] }): { buffer: Buffer; layout: Layout };
  makeEmuComponent(o: { psid: string; version: string; size?: number }): Buffer;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const emu = img.makeEmuComponent({ psid: 'MT_0000000EMU', version: '28.41.1000', size: 4096 });
const other = Buffer.from('a second component, no version extension');
const third = Buffer.alloc(3000, 0xa5);
const build = () => img.buildMfa2({
  devices: [{ psid: 'MT_0000000EMU', components: [0] }, { psid: 'MT_0000000ABC', components: [2, 1, 0] }],
  components: [{ identifier: 1, data: emu, version: '28.41.1000' }, { identifier: 2, data: other }, { identifier: 5, data: third, version: '1.2.65535' }],
});

function expectMfa2(e: unknown, code: string, field?: string | RegExp): Mfa2Error {
  expect(e).toBeInstanceOf(Mfa2Error);
  expect(e).toBeInstanceOf(FwctlError);
  expect((e as Mfa2Error).code).toBe(code);
  if (field !== undefined) expect((e as Mfa2Error).field).toMatch(field);
  return e as Mfa2Error;
}
const format = (buf: Buffer, field?: string | RegExp) => expectMfa2(caught(() => parseMfa2(buf)), 'ERR_FWCTL_MLX5_MFA2_FORMAT', field);
async function rejected(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('round trip', () => {
  test('PSIDs in device order, components in pointer order, identifiers, sizes, versions and data', async () => {
    const { buffer } = build();
    expect(isMfa2(buffer)).toBe(true);
    const a = parseMfa2(buffer);
    expect(a.psids).toEqual(['MT_0000000EMU', 'MT_0000000ABC']);
    const abc = a.components('MT_0000000ABC');
    expect(abc.map((c) => [c.index, c.identifier, c.size])).toEqual([[2, 5, third.length], [1, 2, other.length], [0, 1, emu.length]]);
    expect(abc.map((c) => c.version)).toEqual([{ raw: 0x0102ffff, text: '1.2.65535' }, undefined, { raw: 0x1c2903e8, text: '28.41.1000' }]);
    expect(await abc[0].data()).toEqual(third);
    expect(await abc[1].data()).toEqual(other);
    expect(await abc[2].data()).toEqual(emu);
    const [mine] = a.components('MT_0000000EMU');
    expect(mine.index).toBe(0);
    expect(await mine.data()).toEqual(emu);
  });

  test('data() is decompressed once and cached; the copy is the component\'s own', async () => {
    const [c] = parseMfa2(build().buffer).components('MT_0000000EMU');
    const p = c.data();
    expect(c.data()).toBe(p);
    const d = await p;
    d[0] ^= 0xff;
    const [again] = parseMfa2(build().buffer).components('MT_0000000EMU');
    expect((await again.data())[0]).toBe(emu[0]);
  });

  test('isMfa2 as mlxfw_mfa2_check: the fingerprint and at least one byte more', () => {
    expect(isMfa2(Buffer.from(MFA2_FINGERPRINT, 'latin1'))).toBe(false);
    expect(isMfa2(Buffer.from(`${MFA2_FINGERPRINT}x`, 'latin1'))).toBe(true);
    expect(isMfa2(emu)).toBe(false);
  });

  test('a PSID matches by length and bytes (no prefix match); an absent one is ERR_FWCTL_MLX5_MFA2_NO_PSID', () => {
    const a = parseMfa2(build().buffer);
    for (const p of ['MT_0000000EM', 'MT_0000000EMU\0', 'mt_0000000emu', 'MT_OTHER']) {
      const e = expectMfa2(caught(() => a.components(p)), 'ERR_FWCTL_MLX5_MFA2_NO_PSID');
      expect(e.psid).toBe(p);
      expect(e.psids).toEqual(['MT_0000000EMU', 'MT_0000000ABC']);
    }
  });
});

describe('every refusal of mlxfw_mfa2.c is a typed error naming where', () => {
  test('bad fingerprint', () => {
    const { buffer } = build();
    buffer[3] ^= 1;
    expect(isMfa2(buffer)).toBe(false);
    expect(format(buffer, 'fingerprint').offset).toBe(0);
  });

  test('a truncated file: the first TLV, a device descriptor, a payload past the end', () => {
    const { buffer, layout } = build();
    expect(format(buffer.subarray(0, 18)).offset).toBe(16);
    // the first device's header is there but nothing after it (mlxfw_mfa2_tlv_get wants a byte more)
    const e = format(buffer.subarray(0, layout.devices[0].multi + 4));
    expect(e.offset).toBe(layout.devices[0].multi);
    // the package descriptor's payload cut
    expect(format(buffer.subarray(0, layout.packageDescriptor + 10), 'package descriptor.len').offset).toBe(layout.packageDescriptor);
  });

  test('a multi-part TLV whose len is not sizeof(struct mlxfw_mfa2_tlv_multi)', () => {
    const { buffer, layout } = build();
    buffer.writeUInt16BE(MFA2_TLVS.multi.size + 4, layout.devices[1].multi + 2);
    const e = format(buffer, 'device descriptor 1.len');
    expect(e.offset).toBe(layout.devices[1].multi);
    expect(e.message).toMatch(/MULTI_PART TLV len 8, expected 4/);
  });

  test('a multi-part total_len past the end, or landing inside the next TLV', () => {
    const a = build();
    a.buffer.writeUInt16BE(0xfff0, a.layout.packageMulti + 4 + 2);
    expect(format(a.buffer).message).toMatch(/the TLV after the package descriptor multi-part/);
    const b = build();
    // device 0's children end 4 bytes early: device 1 is read from inside device 0's component pointer
    b.buffer.writeUInt16BE(b.buffer.readUInt16BE(b.layout.devices[0].multi + 6) - 4, b.layout.devices[0].multi + 6);
    expect(format(b.buffer, /^device descriptor 1/).offset).toBe(b.layout.devices[1].multi - 4);
  });

  test('the first TLV not a multi-part; the package descriptor of the wrong type or length', () => {
    const a = build();
    a.buffer[a.layout.packageMulti + 1] = MFA2_TLVS.psid.type;
    format(a.buffer, 'package descriptor multi-part.type');
    const b = build();
    b.buffer[b.layout.packageDescriptor + 1] = MFA2_TLVS.component_descriptor.type;
    format(b.buffer, 'package descriptor.type');
    const c = build();
    c.buffer.writeUInt16BE(MFA2_TLVS.package_descriptor.size - 4, c.layout.packageDescriptor + 2);
    format(c.buffer, 'package descriptor.len');
  });

  test('a device without PSID, without component pointers, with a component pointer of the wrong length', () => {
    const a = build();
    a.buffer[a.layout.devices[1].psid + 1] = 0x2b; // PSID_BRANCH, not PSID
    expect(format(a.buffer, 'device descriptor 1 PSID').message).toMatch(/device descriptor 1 has no PSID TLV/);
    const b = build();
    b.buffer[b.layout.devices[0].pointers[0] + 1] = 0x20; // COMMENTS
    format(b.buffer, 'device descriptor 0 component_ptr');
    const c = build();
    c.buffer.writeUInt16BE(4, c.layout.devices[1].pointers[2] + 2);
    format(c.buffer, 'device descriptor 1 component pointer 2.len');
  });

  test('a component multi-part whose first child is not a component descriptor, or a VERSION TLV too short', () => {
    const a = build();
    a.buffer[a.layout.components[2].descriptor + 1] = MFA2_TLVS.component_ptr.type;
    format(a.buffer, 'component descriptor 2.type');
    const b = build();
    b.buffer.writeUInt16BE(8, b.layout.components[0].version! + 2);
    format(b.buffer, 'component descriptor 0.version');
  });

  test('num_devices or num_components larger than the TLVs there', () => {
    const a = build();
    a.buffer.writeUInt16BE(3, a.layout.packageDescriptor + 4 + 2);
    expect(format(a.buffer).message).toMatch(/device descriptor 2: TLV type|device descriptor 2/);
    const b = build();
    b.buffer.writeUInt16BE(9, b.layout.packageDescriptor + 4);
    expect(format(b.buffer).message).toMatch(/component descriptor 3/);
  });

  test('the component block outside the file, or too big for it', () => {
    const a = build();
    a.buffer.writeUInt32BE(a.buffer.length + 8, a.layout.packageDescriptor + 4 + 4);
    expect(format(a.buffer, 'package_descriptor.cb_offset').offset).toBe(a.layout.packageDescriptor + 8);
    const b = build();
    b.buffer.writeUInt32BE(b.layout.cb.size + 1, b.layout.packageDescriptor + 4 + 8);
    format(b.buffer, 'package_descriptor.cb_archive_size');
  });

  test('a component pointer to a descriptor the archive does not have', () => {
    const { buffer, layout } = build();
    buffer.writeUInt16BE(3, layout.devices[1].pointers[1] + 4 + 2);
    const a = parseMfa2(buffer);
    expect(a.components('MT_0000000EMU')).toHaveLength(1);
    expectMfa2(caught(() => a.components('MT_0000000ABC')), 'ERR_FWCTL_MLX5_MFA2_FORMAT', /component pointer 1\.component_index$/);
  });

  test('a cb_offset past the decompressed block; a cb_offset without the component magic', async () => {
    const a = build();
    a.buffer.writeUInt32BE(a.layout.block.length - 10, a.layout.components[1].descriptor + 4 + 8);
    const [, bad, good] = parseMfa2(a.buffer).components('MT_0000000ABC');
    expectMfa2(await rejected(bad.data()), 'ERR_FWCTL_MLX5_MFA2_FORMAT', 'component descriptor 1.cb_offset');
    expect(await good.data()).toEqual(emu); // the others still read
    const b = build();
    b.buffer.writeUInt32BE(b.layout.components[1].cbOffset + 1, b.layout.components[1].descriptor + 4 + 8);
    const e = expectMfa2(await rejected(parseMfa2(b.buffer).components('MT_0000000ABC')[1].data()), 'ERR_FWCTL_MLX5_MFA2_FORMAT', 'component magic');
    expect(e.offset).toBe(b.layout.components[1].cbOffset + 1);
  });

  test('a corrupt XZ stream: a flipped data byte (the CRC-32 check), a flipped header byte', async () => {
    for (const at of [Math.floor(build().layout.cb.size / 2), 2]) {
      const { buffer, layout } = build();
      buffer[layout.cb.offset + at] ^= 0x10;
      const [c] = parseMfa2(buffer).components('MT_0000000EMU');
      const e = expectMfa2(await rejected(c.data()), 'ERR_FWCTL_MLX5_MFA2_XZ', 'component block');
      expect(e.offset).toBe(layout.cb.offset);
      expect(e.message).toMatch(/does not decompress: xz (file corrupted|format not found)/);
    }
  });
});
