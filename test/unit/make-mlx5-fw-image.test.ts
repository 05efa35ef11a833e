// scripts/make-mlx5-fw-image.js and scripts/lib/mlx5-fw-image.js: the EMU
// component of the issue 25 contract byte for byte, its CRC-32 against an
// independent one, --corrupt, and the MFA2 archive the CLI writes read back
// with lib/mlx5/mfa2.ts.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseMfa2 } from '../../lib/mlx5/mfa2';

const repo = path.resolve(__dirname, '../../..');
/* eslint-disable @typescript-eslint/no-require-imports */
const img = require(path.join(repo, 'scripts/lib/mlx5-fw-image.js')) as {
  crc32(b: Uint8Array): number;
  makeEmuComponent(o: { psid: string; version: string; size?: number; corrupt?: boolean }): Buffer;
  parseVersion(v: string): { raw: number };
};
/* eslint-enable @typescript-eslint/no-require-imports */
const zcrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
const script = path.join(repo, 'scripts/make-mlx5-fw-image.js');

test('crc32: the standard check value, and zlib\'s where Node has it', () => {
  expect(img.crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  expect(img.crc32(Buffer.alloc(0))).toBe(0);
  const b = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff));
  if (zcrc) expect(img.crc32(b)).toBe(zcrc(b));
});

test('the EMU component, byte for byte', () => {
  const c = img.makeEmuComponent({ psid: 'MT_0000000EMU', version: '28.41.1000', size: 200 });
  expect(c.length).toBe(200);
  expect(c.subarray(0, 8).toString('latin1')).toBe('FWCTLEMU');
  expect(c.readUInt32BE(8)).toBe(0x1c2903e8);
  expect(c.readUInt32BE(12)).toBe(200 - 68);
  expect(c.subarray(16, 32)).toEqual(Buffer.concat([Buffer.from('MT_0000000EMU', 'latin1'), Buffer.alloc(3)]));
  expect(c.subarray(32, 64)).toEqual(Buffer.alloc(32));
  const body = c.subarray(0, 64 + 132);
  expect(c.readUInt32BE(64 + 132)).toBe(img.crc32(body));
  if (zcrc) expect(c.readUInt32BE(64 + 132)).toBe(zcrc(body));
  // deterministic
  expect(img.makeEmuComponent({ psid: 'MT_0000000EMU', version: '28.41.1000', size: 200 })).toEqual(c);
});

test('--corrupt flips one payload byte after the crc; bad arguments are refused', () => {
  const c = img.makeEmuComponent({ psid: 'P', version: '1.2.3', size: 100 });
  const k = img.makeEmuComponent({ psid: 'P', version: '1.2.3', size: 100, corrupt: true });
  const diff = [...c.keys()].filter((i) => c[i] !== k[i]);
  expect(diff).toEqual([64 + 16]);
  expect(img.crc32(k.subarray(0, 96))).not.toBe(k.readUInt32BE(96));
  expect(() => img.makeEmuComponent({ psid: 'P', version: '1.2', size: 100 })).toThrow(/X\.Y\.Z/);
  expect(() => img.makeEmuComponent({ psid: 'P', version: '256.0.0' })).toThrow(/u8/);
  expect(() => img.makeEmuComponent({ psid: 'P'.repeat(17), version: '1.0.0' })).toThrow(/psid/);
  expect(() => img.makeEmuComponent({ psid: 'P', version: '1.0.0', size: 67 })).toThrow(/at least 68/);
});

test('the CLI: a plain image and an MFA2 archive of the same component, --json', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-fwimg-'));
  try {
    const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
    const plain = path.join(dir, 'fw.bin');
    const r1 = run('--psid', 'MT_0000000EMU', '--version', '28.41.1000', '--size', '4096', '--out', plain);
    expect(r1.status).toBe(0);
    expect(r1.stdout).toMatch(/wrote .*fw\.bin: 4096 bytes, EMU component .*version 28\.41\.1000 \(0x1c2903e8\), crc32 0x[0-9a-f]{8}/);
    const bin = fs.readFileSync(plain);
    expect(bin).toEqual(img.makeEmuComponent({ psid: 'MT_0000000EMU', version: '28.41.1000', size: 4096 }));
    const arc = path.join(dir, 'fw.mfa2');
    const r2 = run('--psid', 'MT_0000000EMU', '--version', '28.41.1000', '--size', '4096', '--out', arc, '--mfa2', '--json');
    expect(r2.status).toBe(0);
    const j = JSON.parse(r2.stdout) as { format: string; bytes: number; component: { crc: string; crcMatches: boolean } };
    expect(j).toMatchObject({ format: 'mfa2', bytes: fs.statSync(arc).size, component: { crc: `0x${bin.readUInt32BE(4092).toString(16).padStart(8, '0')}`, crcMatches: true } });
    const [c, ...rest] = parseMfa2(fs.readFileSync(arc)).components('MT_0000000EMU');
    expect(rest).toEqual([]);
    // identifier 0: the MCC index the kernel flashes it to (comp.index = identifier), the emulated boot image's
    expect([c.index, c.identifier, c.size, c.version?.text]).toEqual([0, 0, 4096, '28.41.1000']);
    expect(await c.data()).toEqual(bin);
    const r3 = run('--psid', 'X', '--out', path.join(dir, 'x'));
    expect(r3.status).toBe(2);
    expect(r3.stderr).toMatch(/--version is required/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
