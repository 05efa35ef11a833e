// The emulated ConnectX firmware update alone (test/kernel/emu/fwctl_emu_mlx5.c,
// the contract's "Emulator behaviour"), driven register by register through
// the kernel's own mlx5_fwctl and the library's raw register access
// (mlx5.readRegister/writeRegister): the FSM mlxfw drives (MCC, MCDA, MIRC,
// MCQI/MCQS), the image check at VERIFY, DESTROY_UCTX leaving a lock, the
// flash_reset knob, and the two functions' independent FSMs.
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';
import { MCC, download, emuImage, mcc, mccQuery, mcda, mcqiVersion, mircStart, mircStatus, updateState, version } from '../emu/mlx5-flash';

const { mlx5 } = fwctl;
const { FSM, FSM_ERR, MIRC } = emu.MLX5;
const BAD_PARAM = 3;

/** Lock function d's FSM with the handle an MCC query offers; the handle. */
async function lock(d: fwctl.Device): Promise<number> {
  const q = await mccQuery(d);
  expect(q).toMatchObject({ state: FSM.IDLE, error: 0, ownerType: 0 });
  expect(q.handle).toBeGreaterThan(0);
  expect(q.handle).toBeLessThan(1 << 24);
  expect(await mcc(d, MCC.LOCK, q.handle)).toBe(0);
  return q.handle;
}

/** MIRC: the pending image of the fixture dropped (BUSY once, then OK). */
async function reactivate(d: fwctl.Device): Promise<void> {
  await mircStart(d);
  expect(await mircStatus(d)).toBe(MIRC.BUSY);
  expect(await mircStatus(d)).toBe(MIRC.OK);
}

/** UPDATE_COMPONENT for image, then download it: the FSM in DOWNLOAD. */
async function stage(d: fwctl.Device, h: number, image: Buffer): Promise<void> {
  expect(await mcc(d, MCC.UPDATE_COMPONENT, h, image.length)).toBe(0);
  expect((await mccQuery(d, h)).state).toBe(FSM.INITIALIZE); // one query
  expect(await download(d, h, image)).toBe(0);
  expect(await mccQuery(d, h)).toMatchObject({ state: FSM.DOWNLOAD, error: 0, progress: 100, size: image.length });
}

describe('fwctl_emu_mlx5 firmware update over mlx5_fwctl', () => {
  let d: fwctl.Device;
  beforeAll(async () => {
    emu.flashReset();
    d = await fwctl.open(emu.mlx5Device(0).name);
  });
  afterEach(() => emu.flashReset());
  afterAll(async () => {
    await d?.close();
    emu.flashReset();
  });

  test('MCAM: mcc and mcda in group 0, mirc in the group MLX5_CAP_MCAM_REG2 reads (2) unless flash_no_mirc', async () => {
    const regs = async (group: number) => (await mlx5.readRegister(d, 'MCAM', { access_reg_group: group })).data!.mng_access_reg_cap_mask as fwctl.mlx5.ifc.IfcObject;
    expect((await regs(0)).access_regs).toMatchObject({ mcqi: 1, mcqs: 1, mcc: 1, mcda: 1 });
    expect((await regs(2)).access_regs2).toMatchObject({ mirc: 1 });
    emu.setFlashKnob('flash_no_mirc', 1);
    expect((await regs(2)).access_regs2).toMatchObject({ mirc: 0 });
  });

  test('MCQI CAPABILITIES: 2 MiB components, 128-byte MCDA writes of 4-byte words', async () => {
    const r = await mlx5.readRegister(d, 'MCQI', { info_type: 0, data_size: mlx5.ifc.sizeOf('mcqi_cap') },
      { responseLength: 16 + mlx5.ifc.sizeOf('mcqi_reg') + mlx5.ifc.sizeOf('mcqi_reg_data') });
    expect(mlx5.ifc.decode('mcqi_cap', r.raw.subarray(mlx5.ifc.sizeOf('mcqi_reg')))).toMatchObject({
      supported_info_bitmask: 3, max_component_size: emu.MLX5.FW_MAX, log_mcda_word_size: 2, mcda_max_write_size: emu.MLX5.MCDA_MAX,
      component_size: emu.MLX5.FW_RUNNING_SIZE,
    });
  });

  test('lock, MIRC, update, MCDA, verify, activate, release: the image\'s version is pending', async () => {
    expect(await mcqiVersion(d, true)).toEqual({ version: emu.MLX5.FW_PENDING_RAW, string: emu.MLX5.FW_PENDING });
    const h = await lock(d);
    expect(emu.flashState()).toBe(FSM.LOCKED);
    expect(await mccQuery(d, h)).toMatchObject({ handle: h, state: FSM.LOCKED, ownerType: 4 });
    // the fixture's pending image blocks an update until MIRC drops it
    expect(await mcc(d, MCC.UPDATE_COMPONENT, h, 1068)).toBe(0);
    expect(await mccQuery(d, h)).toMatchObject({ state: FSM.LOCKED, error: FSM_ERR.BLOCKED_PENDING_RESET });
    expect(await mcc(d, MCC.CANCEL, h)).toBe(0);
    await reactivate(d);
    expect(await updateState(d)).toBe(0);
    const image = emuImage({ version: version(28, 41, 1000), payloadLen: 1000 });
    await stage(d, h, image);
    expect(emu.flashBlocks()).toBe(Math.ceil(image.length / emu.MLX5.MCDA_MAX));
    expect(await mcc(d, MCC.VERIFY, h)).toBe(0);
    expect((await mccQuery(d, h)).state).toBe(FSM.VERIFY);
    expect(await mccQuery(d, h)).toMatchObject({ state: FSM.LOCKED, error: 0 });
    expect(await mcc(d, MCC.ACTIVATE, h)).toBe(0);
    expect((await mccQuery(d, h)).state).toBe(FSM.ACTIVATE);
    expect(await mccQuery(d, h)).toMatchObject({ state: FSM.LOCKED, error: 0 });
    expect(await mcc(d, MCC.RELEASE, h)).toBe(0);
    const after = await mccQuery(d);
    expect(after).toMatchObject({ state: FSM.IDLE, ownerType: 0 });
    expect(after.handle).not.toBe(h); // a fresh token for the next LOCK
    expect(await updateState(d)).toBe(4);
    expect(await mcqiVersion(d, true)).toEqual({ version: version(28, 41, 1000), string: '28.41.1000' });
    expect(await mcqiVersion(d)).toEqual({ version: emu.MLX5.FW_RUNNING_RAW, string: emu.MLX5.FW_RUNNING });
    expect((await mlx5.facts(d)).firmware).toMatchObject({ running: { version: emu.MLX5.FW_RUNNING }, pending: { version: '28.41.1000' } });
    // a second MIRC drops that one; a third finds nothing pending
    await reactivate(d);
    await mircStart(d);
    expect(await mircStatus(d)).toBe(MIRC.BUSY);
    expect(await mircStatus(d)).toBe(MIRC.FW_ALREADY_ACTIVATED);
  });

  test('VERIFY checks the image: crc, PSID, format; the error stays in DOWNLOAD until CANCEL', async () => {
    const h = await lock(d);
    await reactivate(d);
    const good = emuImage({ payloadLen: 200 });
    const cases: [Buffer, number][] = [];
    const crc = Buffer.from(good); crc[100] ^= 0x01;
    cases.push([crc, FSM_ERR.REJECTED_DIGEST_ERR]);
    cases.push([emuImage({ payloadLen: 200, psid: 'MT_0000000OTHER' }), FSM_ERR.REJECTED_NOT_APPLICABLE]);
    const magic = Buffer.from(good); magic[0] = 0x58;
    cases.push([magic, FSM_ERR.REJECTED_BAD_FORMAT]);
    const len = Buffer.from(good); len.writeUInt32BE(196, 12);
    cases.push([len, FSM_ERR.REJECTED_BAD_FORMAT]);
    for (const [image, err] of cases) {
      await stage(d, h, image);
      expect(await mcc(d, MCC.VERIFY, h)).toBe(0);
      expect((await mccQuery(d, h)).state).toBe(FSM.VERIFY);
      expect(await mccQuery(d, h)).toMatchObject({ state: FSM.DOWNLOAD, error: err });
      // nothing but CANCEL or RELEASE while the error is set
      expect(await mcc(d, MCC.ACTIVATE, h)).toBe(BAD_PARAM);
      expect(await mcc(d, MCC.CANCEL, h)).toBe(0);
      expect(await mccQuery(d, h)).toMatchObject({ state: FSM.LOCKED, error: 0 });
    }
    // not verified: ACTIVATE is not valid in LOCKED
    expect(await mcc(d, MCC.ACTIVATE, h)).toBe(BAD_PARAM);
    // too big for the component store: ERROR
    expect(await mcc(d, MCC.UPDATE_COMPONENT, h, emu.MLX5.FW_MAX + 1)).toBe(0);
    expect(await mccQuery(d, h)).toMatchObject({ state: FSM.LOCKED, error: FSM_ERR.ERROR });
    expect(await mcc(d, MCC.RELEASE, h)).toBe(0);
    expect(emu.flashState()).toBe(FSM.IDLE);
  });

  test('a wrong handle, an invalid instruction or MCDA out of bounds: mailbox status BAD_PARAM', async () => {
    const offered = (await mccQuery(d)).handle;
    expect(await mcc(d, MCC.LOCK, (offered + 1) & 0xffffff || 1)).toBe(BAD_PARAM);
    expect(await mcc(d, MCC.UPDATE_COMPONENT, offered, 100)).toBe(BAD_PARAM); // IDLE: not locked
    const h = await lock(d);
    expect(await mcc(d, MCC.LOCK, h)).toBe(BAD_PARAM); // already locked
    expect(await mcc(d, MCC.CANCEL, h ^ 0x5a5a5a)).toBe(BAD_PARAM);
    expect(await mcc(d, MCC.VERIFY, h)).toBe(BAD_PARAM); // not in DOWNLOAD
    expect(await mcda(d, h, 0, Buffer.alloc(4))).toBe(BAD_PARAM); // not in DOWNLOAD
    await reactivate(d);
    expect(await mcc(d, MCC.UPDATE_COMPONENT, h, 256, 1)).toBe(BAD_PARAM); // component index 1
    expect(await mcc(d, MCC.UPDATE_COMPONENT, h, 256)).toBe(0);
    expect(await mcda(d, h ^ 0x5a5a5a, 0, Buffer.alloc(4))).toBe(BAD_PARAM);
    expect(await mcda(d, h, 2, Buffer.alloc(4))).toBe(BAD_PARAM); // offset % 4
    expect(await mcda(d, h, 252, Buffer.alloc(8))).toBe(BAD_PARAM); // past the component
    expect(await mcda(d, h, 0, Buffer.alloc(emu.MLX5.MCDA_MAX + 4))).toBe(BAD_PARAM);
    expect(await mcda(d, h, 0, Buffer.alloc(emu.MLX5.MCDA_MAX))).toBe(0);
    expect(emu.flashBlocks()).toBe(1);
    // a typed refusal without allowStatus
    await expect(mlx5.writeRegister(d, 'MCC', { instruction: MCC.RELEASE, update_handle: h ^ 1 })).rejects.toMatchObject({ status: BAD_PARAM });
  });

  test('flash_error_at injects an FSM error once, where it says; the state stays', async () => {
    const h = await lock(d);
    await reactivate(d);
    emu.setFlashKnob('flash_error', FSM_ERR.ERROR);
    emu.setFlashKnob('flash_error_at', emu.MLX5.ERROR_AT_MCDA);
    expect(await mcc(d, MCC.UPDATE_COMPONENT, h, 256)).toBe(0);
    expect(await mcda(d, h, 0, Buffer.alloc(4))).toBe(0);
    expect(await mccQuery(d, h)).toMatchObject({ state: FSM.DOWNLOAD, error: FSM_ERR.ERROR });
    expect(emu.param('mlx5', 'flash_error_at')).toBe('0'); // spent
    expect(await mcc(d, MCC.CANCEL, h)).toBe(0);
    emu.setFlashKnob('flash_error_at', MCC.UPDATE_COMPONENT);
    expect(await mcc(d, MCC.UPDATE_COMPONENT, h, 256)).toBe(0);
    expect(await mccQuery(d, h)).toMatchObject({ state: FSM.LOCKED, error: FSM_ERR.ERROR });
    expect(await mcc(d, MCC.CANCEL, h)).toBe(0);
    expect(await mcc(d, MCC.UPDATE_COMPONENT, h, 256)).toBe(0);
    expect((await mccQuery(d, h)).state).toBe(FSM.INITIALIZE);
  });

  test('closing the device (DESTROY_UCTX) while locked leaves the FSM locked; anyone with the handle releases it', async () => {
    let h: number;
    {
      await using other = await fwctl.open(emu.mlx5Device(0).name);
      h = await lock(other);
    }
    expect(emu.flashState()).toBe(FSM.LOCKED);
    await new Promise((r) => setTimeout(r, 1100));
    const q = await mccQuery(d);
    expect(q).toMatchObject({ handle: h, state: FSM.LOCKED, ownerType: 4 });
    expect(q.elapsed).toBeGreaterThanOrEqual(1);
    expect(await mcc(d, MCC.RELEASE, h)).toBe(0);
    expect(emu.flashState()).toBe(FSM.IDLE);
  });

  test('flash_reset: IDLE, the fixture versions and update state, counters and knobs 0', async () => {
    const h = await lock(d);
    await reactivate(d);
    await stage(d, h, emuImage({ payloadLen: 64 }));
    emu.setFlashKnob('flash_slow_us', 10);
    emu.flashReset();
    expect(emu.flashState()).toBe(FSM.IDLE);
    expect(emu.flashBlocks()).toBe(0);
    expect(emu.param('mlx5', 'flash_slow_us')).toBe('0');
    expect((await mccQuery(d)).state).toBe(FSM.IDLE);
    expect(await updateState(d)).toBe(4);
    expect(await mcqiVersion(d, true)).toEqual({ version: emu.MLX5.FW_PENDING_RAW, string: emu.MLX5.FW_PENDING });
    expect(await mcqiVersion(d)).toEqual({ version: emu.MLX5.FW_RUNNING_RAW, string: emu.MLX5.FW_RUNNING });
    expect(await mcc(d, MCC.RELEASE, h)).toBe(BAD_PARAM); // that lock is gone
  });

  test('the second function has an FSM of its own', async () => {
    await using d2 = await fwctl.open(emu.mlx5Device(1).name);
    expect(emu.mlx5Device(1).name).not.toBe(emu.mlx5Device(0).name);
    const h = await lock(d);
    expect(emu.flashState(1)).toBe(FSM.IDLE);
    const q2 = await mccQuery(d2);
    expect(q2.state).toBe(FSM.IDLE);
    expect(await mcc(d2, MCC.RELEASE, h)).toBe(BAD_PARAM); // function 0's handle means nothing there
    await reactivate(d);
    expect(await updateState(d2)).toBe(4); // function 1 still has its pending image
    const h2 = await lock(d2);
    expect(emu.flashState(1)).toBe(FSM.LOCKED);
    expect(await mcc(d2, MCC.UPDATE_COMPONENT, h2, 256)).toBe(0);
    expect(await mccQuery(d2, h2)).toMatchObject({ state: FSM.LOCKED, error: FSM_ERR.BLOCKED_PENDING_RESET });
    expect(await mccQuery(d, h)).toMatchObject({ state: FSM.LOCKED, error: 0 });
    expect(await mcc(d, MCC.RELEASE, h)).toBe(0);
    expect(emu.flashState(0)).toBe(FSM.IDLE);
    expect(emu.flashState(1)).toBe(FSM.LOCKED);
    expect(await mcc(d2, MCC.RELEASE, h2)).toBe(0);
    expect(emu.flashState(1)).toBe(FSM.IDLE);
  });
});
