// fwctl.bnxt's DMA writes through the kernel's own bnxt fwctl driver: the
// library's buffer bounced to the device (DMA_TO_DEVICE, copy_from_user into
// the driver's dma_alloc_coherent buffer) at DebugWrite, which taints the
// kernel: this file runs in a boot of its own. The emulated firmware keeps
// what NVM_MODIFY wrote and NVM_READ returns it (fwctl_emu_bnxt.c).
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';

const { bnxt } = fwctl;
const tainted = () => (Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8')) >> 19) & 1;

test('NVM_MODIFY: refused without the opt-in (nothing sent); with it, the bytes written read back through NVM_READ', async () => {
  await using dev = await fwctl.open(emu.device('bnxt').name);
  const sent = emu.commands('bnxt');
  await expect(bnxt.nvmModify(dev, 3, 100, Buffer.from('x'), {} as never)).rejects.toThrow(/allowKernelTaint/);
  await expect(bnxt.exec(dev, 'NVM_MODIFY', { dir_idx: 3, offset: 100 }, { dma: { host_src_addr: Buffer.from('x') } })).rejects.toMatchObject({ code: 'EPERM' });
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
  await expect(bnxt.nvmModify(dev, 3, 0, Buffer.alloc(65537), { allowKernelTaint: true })).rejects.toThrow(RangeError);
});
