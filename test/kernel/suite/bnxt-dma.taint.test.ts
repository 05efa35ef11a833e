// fwctl.bnxt's DMA writes through the kernel's own bnxt fwctl driver: the
// library's buffer bounced to the device (DMA_TO_DEVICE, copy_from_user into
// the driver's dma_alloc_coherent buffer) at DebugWrite, which taints the
// kernel: this file runs in a boot of its own. The emulated firmware keeps
// what NVM_MODIFY and NVM_WRITE wrote and NVM_READ returns it; it keeps
// FW_LIVEPATCH's patch and DBG_TOKEN_CFG's token (fwctl_emu_bnxt.c).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';
import { FwctlRangeError } from '../../../lib/errors';

const { bnxt } = fwctl;
const tainted = () => (Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8')) >> 19) & 1;

test('NVM_MODIFY: refused without the opt-in (nothing sent); with it, the bytes written read back through NVM_READ', async () => {
  await using dev = await fwctl.open(emu.device('bnxt').name);
  const sent = emu.commands('bnxt');
  await expect(bnxt.nvmModify(dev, 3, 100, Buffer.from('x'), {} as never)).rejects.toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED', message: expect.stringMatching(/allowKernelTaint/) });
  await expect(bnxt.exec(dev, 'NVM_MODIFY', { dir_idx: 3, offset: 100 }, { dma: { host_src_addr: Buffer.from('x') } })).rejects.toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED' });
  expect(emu.commands('bnxt')).toBe(sent);
  expect(tainted()).toBe(0);

  const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 5 + 1) & 0xff));
  const r = await bnxt.nvmModify(dev, 3, 100, data, { allowKernelTaint: true });
  expect(r).toMatchObject({ ok: true, name: 'NVM_MODIFY' });
  expect(tainted()).toBe(1);
  const back = await bnxt.nvmRead(dev, 3, { offset: 0, length: 4096 });
  expect(back.subarray(100, 3100).equals(data)).toBe(true);
  expect([...back.subarray(0, 100)]).toEqual(Array.from({ length: 100 }, (_, i) => emu.BNXT.nvmByte(3, i)));
  expect([...back.subarray(3100)]).toEqual(Array.from({ length: 996 }, (_, i) => emu.BNXT.nvmByte(3, 3100 + i)));
  // over the driver's 64 KiB: refused before the syscall
  await expect(bnxt.nvmModify(dev, 3, 0, Buffer.alloc(65537), { allowKernelTaint: true })).rejects.toThrow(FwctlRangeError);
});

// The other writes (lib/bnxt/dma.ts: nvmWrite at DebugWrite; fwLivepatch and
// dbgTokenCfg at DebugWriteFull, which also needs CAP_SYS_RAWIO): each refused
// without the opt-in before any syscall, then its bytes through the driver's
// bounce buffer into what the emulated firmware keeps, read back through
// NVM_READ, FW_LIVEPATCH_QUERY or the emulator's read-only parameters
// (dbg_token, livepatch1/2: "<flags> <len> <fnv1a32> <first 1024 bytes hex>").
const fnv1a = (b: Uint8Array) => b.reduce((h, x) => Math.imul(h ^ x, 0x01000193) >>> 0, 0x811c9dc5);
const kept = (name: string) => {
  const [flags, len, sum, hex] = emu.param('bnxt', name).split(' ');
  return { flags: Number(flags), len: Number(len), sum, head: Buffer.from(hex ?? '', 'hex') };
};
const pattern = (n: number, k: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * k + (i >> 8) + 3) & 0xff));

test('NVM_WRITE: refused without the opt-in (nothing sent); with it, the whole item reads back through NVM_READ', async () => {
  await using dev = await fwctl.open(emu.device('bnxt').name);
  const sent = emu.commands('bnxt');
  await expect(bnxt.nvmWrite(dev, { dir_type: 4 }, Buffer.from('x'), {} as never)).rejects.toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED', message: expect.stringMatching(/allowKernelTaint/) });
  await expect(bnxt.exec(dev, 'NVM_WRITE', { dir_type: 4 }, { dma: { host_src_addr: Buffer.from('x') } })).rejects.toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED' });
  expect(emu.commands('bnxt')).toBe(sent);

  const data = pattern(2500, 11);
  const r = await bnxt.nvmWrite(dev, { dir_type: 4 }, data, { allowKernelTaint: true }); // BOOTCODE, item 2
  expect(r).toMatchObject({ ok: true, name: 'NVM_WRITE', data: { dir_idx: 2, dir_item_length: emu.BNXT.NVM_ITEM_LEN } });
  expect(emu.commands('bnxt')).toBeGreaterThan(sent);
  const back = await bnxt.nvmRead(dev, 2, { length: emu.BNXT.NVM_ITEM_LEN });
  expect(back.subarray(0, 2500).equals(data)).toBe(true);
  expect(back.subarray(2500).every((b) => b === 0)).toBe(true); // the whole item was replaced
  // a type the directory does not hold: the firmware's INVALID_PARAMS
  await expect(bnxt.nvmWrite(dev, { dir_type: 0x77 }, data, { allowKernelTaint: true })).rejects.toMatchObject({ errorCode: bnxt.HwrmError.INVALID_PARAMS });
  await expect(bnxt.nvmWrite(dev, { dir_type: 4 }, Buffer.alloc(65537), { allowKernelTaint: true })).rejects.toThrow(FwctlRangeError);
});

test('FW_LIVEPATCH (DebugWriteFull): refused without the opt-in; with it the patch reaches the firmware, FW_LIVEPATCH_QUERY reports it', async () => {
  await using dev = await fwctl.open(emu.device('bnxt').name);
  const sent = emu.commands('bnxt');
  await expect(bnxt.fwLivepatch(dev, { opcode: 1, fw_target: 1 }, Buffer.from('p'), {} as never)).rejects.toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED', message: expect.stringMatching(/allowKernelTaint/) });
  expect(emu.commands('bnxt')).toBe(sent);
  // below DebugWriteFull the driver refuses it
  await expect(bnxt.exec(dev, 'FW_LIVEPATCH', { opcode: 1, fw_target: 1 }, { scope: fwctl.Scope.DebugWrite, allowKernelTaint: true, dma: { host_addr: Buffer.from('p') } }))
    .rejects.toMatchObject({ code: 'EPERM' });
  expect(emu.commands('bnxt')).toBe(sent);
  expect(kept('livepatch1').flags).toBeNaN(); // "none"

  const patch = pattern(40000, 7);
  const r = await bnxt.fwLivepatch(dev, { opcode: 1, fw_target: 1, loadtype: 2 }, patch, { allowKernelTaint: true });
  expect(r).toMatchObject({ ok: true, name: 'FW_LIVEPATCH' });
  const ver = `emu-${patch.length}-${fnv1a(patch).toString(16).padStart(8, '0')}`;
  const q = await bnxt.exec(dev, 'FW_LIVEPATCH_QUERY', { fw_target: 1 });
  expect(q.data).toMatchObject({ install_ver: ver, active_ver: ver, status_flags: 3 });
  expect(kept('livepatch1')).toMatchObject({ flags: 3, len: patch.length, sum: fnv1a(patch).toString(16).padStart(8, '0') });
  expect(kept('livepatch1').head.equals(patch.subarray(0, 1024))).toBe(true);
  expect((await bnxt.exec(dev, 'FW_LIVEPATCH_QUERY', { fw_target: 2 })).data).toMatchObject({ install_ver: '', status_flags: 0 });
  // DEACTIVATE: installed, no longer active
  await bnxt.fwLivepatch(dev, { opcode: 2, fw_target: 1 }, Buffer.alloc(1), { allowKernelTaint: true });
  expect((await bnxt.exec(dev, 'FW_LIVEPATCH_QUERY', { fw_target: 1 })).data).toMatchObject({ install_ver: ver, active_ver: '', status_flags: 1 });
});

test('DBG_TOKEN_CFG (DebugWriteFull): refused without the opt-in; with it the token reaches the firmware byte for byte', async () => {
  await using dev = await fwctl.open(emu.device('bnxt').name);
  const sent = emu.commands('bnxt');
  await expect(bnxt.dbgTokenCfg(dev, Buffer.from('t'), {} as never)).rejects.toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED', message: expect.stringMatching(/allowKernelTaint/) });
  expect(emu.commands('bnxt')).toBe(sent);
  expect(emu.param('bnxt', 'dbg_token')).toBe('none');

  const token = pattern(700, 13);
  const r = await bnxt.dbgTokenCfg(dev, token, { allowKernelTaint: true, flags: 1 });
  expect(r).toMatchObject({ ok: true, name: 'DBG_TOKEN_CFG' });
  const k = kept('dbg_token');
  expect(k).toMatchObject({ flags: 1, len: 700, sum: fnv1a(token).toString(16).padStart(8, '0') });
  expect(k.head.equals(token)).toBe(true);
  // at the driver's 64 KiB, all of it bounced (checksum over every byte)
  const big = pattern(65536, 5);
  await bnxt.dbgTokenCfg(dev, big, { allowKernelTaint: true });
  expect(kept('dbg_token')).toMatchObject({ flags: 0, len: 65536, sum: fnv1a(big).toString(16).padStart(8, '0') });
});

test('FW_LIVEPATCH and DBG_TOKEN_CFG without CAP_SYS_RAWIO: EPERM, nothing reaches the firmware', () => {
  const libPath = require.resolve('../../../lib');
  const name = emu.device('bnxt').name;
  const sent = emu.commands('bnxt');
  const code = `
    const fwctl = require(${JSON.stringify(libPath)});
    (async () => {
      const d = await fwctl.open(${JSON.stringify(name)});
      const out = [];
      for (const f of [() => fwctl.bnxt.fwLivepatch(d, { opcode: 1, fw_target: 2 }, Buffer.alloc(16), { allowKernelTaint: true }),
                       () => fwctl.bnxt.dbgTokenCfg(d, Buffer.alloc(16), { allowKernelTaint: true })]) {
        out.push(await f().then(() => ({ ok: true }), (e) => ({ name: e.name, code: e.code, message: e.message })));
      }
      return out;
    })().then((o) => console.log(JSON.stringify(o)), (e) => console.log(JSON.stringify([{ fatal: String(e) }])));`;
  const r = spawnSync('setpriv', ['--inh-caps=-sys_rawio', '--bounding-set=-sys_rawio', '--', process.execPath, '-e', code], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  expect(out).toEqual([0, 1].map(() => expect.objectContaining({ name: 'FwctlError', code: 'EPERM', message: expect.stringMatching(/CAP_SYS_RAWIO/) })));
  expect(emu.commands('bnxt')).toBe(sent);
  expect(emu.param('bnxt', 'livepatch2')).toBe('none');
});
