// mlx5 firmware update (issue 25) through the kernel's own mlx5_fwctl driver
// over the emulated firmware (test/kernel/emu/fwctl_emu_mlx5.c: the MCC state
// machine, MCDA, MCQI capabilities, MIRC, a component store that checks the
// image's CRC at VERIFY; knobs through emu.ts). Images come from the repo's
// scripts/make-mlx5-fw-image.js. Writes go at Configuration, reads at
// DebugReadOnly: nothing taints the kernel (checked before and after).
// The CLI's cases (kill -9, SIGINT, parallel) are flash-cli.test.ts, out of the ASan boot.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../../lib';
import { readTranscript, type RpcLine } from '../../../lib/transcript';
import * as emu from '../emu/emu';
import { makeImage, makeMfa2 } from '../emu/mlx5-images';

const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));
const TAINT_USER = 1 << 19;
const timing = { pollMs: 20, stateTimeoutMs: 5000, reactivatePollMs: 5, reactivateTimeoutMs: 2000 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-flash-'));
const PSID = emu.MLX5.PSID;
const NEW = '28.41.1000';


describe('mlx5 firmware update over mlx5_fwctl', () => {
  let d: fwctl.Device;
  let taintBefore: number;

  beforeAll(async () => {
    emu.flashReset();
    taintBefore = tainted();
    expect(taintBefore & TAINT_USER).toBe(0);
    d = await fwctl.open(emu.device('mlx5').name);
  });
  afterEach(() => emu.flashReset());
  afterAll(async () => {
    await d?.close();
    emu.flashReset();
    fs.rmSync(tmp, { recursive: true, force: true });
    expect(tainted() & TAINT_USER).toBe(0);
  });

  test('components: MCQS/MCQI as the firmware reports them', async () => {
    const c = await fwctl.mlx5.firmware.components(d);
    expect(c).toEqual([{ index: 0, name: 'BOOT_IMG', running: '28.39.1002', pending: '28.40.1000', updateState: 'ACTIVE_PENDING_RESET', maxSize: emu.MLX5.FW_MAX, maxWriteSize: emu.MLX5.MCDA_MAX }]);
  });

  test('an MFA2 update: reactivated, downloaded, verified, activated; pending is the new version; idle after; no taint', async () => {
    const phases = new Set<string>();
    let lastPercent = 0;
    const img = makeMfa2({ psid: PSID, version: NEW, size: 64 * 1024 });
    const r = await fwctl.mlx5.firmware.update(d, img, { timing, onProgress: (p) => { phases.add(p.phase); if (p.percent !== undefined) lastPercent = p.percent; } });
    expect(r).toMatchObject({ status: 'updated', psid: PSID, running: '28.39.1002', pending: NEW, pendingReset: true });
    expect(r.components).toEqual([expect.objectContaining({ index: 0, name: 'BOOT_IMG', from: '28.39.1002', to: NEW, status: 'written' })]);
    expect(r.image).toMatchObject({ format: 'mfa2', bytes: img.length });
    expect([...phases]).toEqual(expect.arrayContaining(['check', 'lock', 'reactivate', 'update', 'download', 'verify', 'activate', 'release', 'done']));
    expect(lastPercent).toBe(100);
    expect(emu.flashState()).toBe(0);
    expect(emu.flashBlocks()).toBe(Math.ceil((64 * 1024) / emu.MLX5.MCDA_MAX));
    expect(tainted() & TAINT_USER).toBe(0);
    // the same version again: skipped, nothing written
    const again = await fwctl.mlx5.firmware.update(d, img, { timing });
    expect(again).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/pending a firmware reset/) });
  });

  test('every write at Configuration, every read at DebugReadOnly (the recorded session); blocks kept as digests', async () => {
    const file = path.join(tmp, 'update.jsonl');
    const rec = fwctl.record(file);
    const dev = await fwctl.open(emu.device('mlx5').name); // opened while recording
    let bytes = 0;
    try {
      bytes = (await fwctl.mlx5.firmware.update(dev, makeMfa2({ psid: PSID, version: NEW, size: 4096 }), { timing })).components[0].bytes;
    } finally {
      await dev.close();
      rec.stop();
    }
    const rpcs = readTranscript(file).calls.filter((l): l is RpcLine => l.t === 'rpc');
    expect(rpcs.length).toBeGreaterThan(40);
    for (const l of rpcs) {
      const req = Buffer.from(l.request, 'hex');
      expect({ opMod: req.readUInt16BE(6), scope: l.scope }).toEqual({ opMod: req.readUInt16BE(6), scope: req.readUInt16BE(6) === 0 ? fwctl.Scope.Configuration : fwctl.Scope.DebugReadOnly });
    }
    const blocks = rpcs.filter((l) => l.elided);
    expect(blocks).toHaveLength(Math.ceil(bytes / emu.MLX5.MCDA_MAX));
    for (const b of blocks) expect(Buffer.from(b.request, 'hex').subarray(b.elided!.offset, b.elided!.offset + b.elided!.length).every((x) => x === 0)).toBe(true);
  });

  test('a plain image needs --psid; written with it', async () => {
    const img = makeImage({ psid: PSID, version: NEW, size: 16 * 1024 });
    await expect(fwctl.mlx5.firmware.update(d, img, { timing })).rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_FLASH_IMAGE' });
    const r = await fwctl.mlx5.firmware.update(d, img, { timing, psid: PSID });
    expect(r).toMatchObject({ status: 'updated', pending: NEW });
  });

  test.each([
    ['another PSID', () => makeMfa2({ psid: 'MT_0000000OTHER', version: NEW, size: 4096 }), {}, 'ERR_FWCTL_MLX5_FLASH_PSID_MISMATCH'],
    ['too large', () => makeImage({ psid: PSID, version: NEW, size: emu.MLX5.FW_MAX + 4096 }), { psid: PSID }, 'ERR_FWCTL_MLX5_FLASH_TOO_LARGE'],
    ['a downgrade', () => makeMfa2({ psid: PSID, version: '28.38.1000', size: 4096 }), {}, 'ERR_FWCTL_MLX5_FLASH_DOWNGRADE'],
  ] as const)('refused before any write: %s', async (_n, make, o, code) => {
    await expect(fwctl.mlx5.firmware.update(d, make(), { timing, ...o })).rejects.toMatchObject({ code });
    expect(emu.flashBlocks()).toBe(0);
    expect(emu.flashState()).toBe(0);
  });

  test('a corrupted image: the firmware\'s verify error (REJECTED_DIGEST_ERR, EBADMSG); cancelled, released', async () => {
    const img = makeMfa2({ psid: PSID, version: NEW, size: 8192, corrupt: true });
    await expect(fwctl.mlx5.firmware.update(d, img, { timing })).rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_FSM', fsmErrorName: 'REJECTED_DIGEST_ERR', errno: -74 });
    expect(emu.flashState()).toBe(0);
    // The reactivation before the download (MIRC) dropped the image that was pending, as the firmware does: none is pending now.
    const [c] = await fwctl.mlx5.firmware.components(d);
    expect(c.running).toBe('28.39.1002');
    expect(c.pending).toBeUndefined();
  });

  test('no TOOLS_RESOURCES: refused, nothing written', async () => {
    emu.setParam('mlx5', 'uctx_cap', 0x3);
    const d2 = await fwctl.open(emu.device('mlx5').name);
    try {
      await expect(fwctl.mlx5.firmware.update(d2, makeMfa2({ psid: PSID, version: NEW, size: 4096 }), { timing })).rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_FLASH_NO_TOOLS_RESOURCES' });
    } finally {
      await d2.close();
      emu.setParam('mlx5', 'uctx_cap', emu.MLX5.UCTX_CAP);
    }
    expect(emu.flashBlocks()).toBe(0);
  });

  test('a pending image and no MIRC: BLOCKED_PENDING_RESET is EBUSY, "pending reset"', async () => {
    emu.setFlashKnob('flash_no_mirc', 1);
    await expect(fwctl.mlx5.firmware.update(d, makeMfa2({ psid: PSID, version: NEW, size: 4096 }), { timing }))
      .rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_FSM', fsmErrorName: 'BLOCKED_PENDING_RESET', errno: -16, message: expect.stringMatching(/pending reset/) });
    expect(emu.flashState()).toBe(0);
  });

  test.each([[3, 'ERROR'], [4, 'REJECTED_AUTH_FAILED'], [6, 'REJECTED_NOT_APPLICABLE']] as const)('an FSM error injected at instruction %i is typed; idle after', async (at, name) => {
    const code = { ERROR: 1, REJECTED_NOT_APPLICABLE: 3, REJECTED_AUTH_FAILED: 5 }[name];
    emu.setFlashKnob('flash_error', code);
    emu.setFlashKnob('flash_error_at', at);
    await expect(fwctl.mlx5.firmware.update(d, makeMfa2({ psid: PSID, version: NEW, size: 4096 }), { timing })).rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_FSM', fsmErrorName: name });
    expect(emu.flashState()).toBe(0);
  });

  test.each(['lock', 'reactivate', 'update', 'download', 'verify', 'activate'] as const)('abort at %s leaves the firmware idle; the next update succeeds', async (phase) => {
    emu.setFlashKnob('flash_slow_us', 200);
    const c = new AbortController();
    const img = makeMfa2({ psid: PSID, version: NEW, size: 16 * 1024 });
    await expect(fwctl.mlx5.firmware.update(d, img, { timing, signal: c.signal, onProgress: (p) => { if (p.phase === phase && (phase !== 'download' || (p.percent ?? 0) >= 30)) c.abort(); } }))
      .rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(emu.flashState()).toBe(0);
    emu.setFlashKnob('flash_slow_us', 0);
    // aborted while activating, the firmware may have activated already: the same image is then pending and skipped
    const next = await fwctl.mlx5.firmware.update(d, img, { timing });
    expect(next).toMatchObject({ status: phase === 'activate' ? expect.stringMatching(/^(updated|skipped)$/) : 'updated', pending: NEW });
  });

  test('a handle held by nobody (a closed context) stays held; refused without recover, recovered with it', async () => {
    const other = await fwctl.open(emu.device('mlx5').name);
    const q = await fwctl.mlx5.readRegister(other, 'MCC', { update_handle: 0 });
    await fwctl.mlx5.writeRegister(other, 'MCC', { instruction: 1, update_handle: q.data!.update_handle as number });
    await other.close(); // DESTROY_UCTX: the firmware keeps the handle
    expect(emu.flashState()).toBe(1);
    const img = makeMfa2({ psid: PSID, version: NEW, size: 4096 });
    await expect(fwctl.mlx5.firmware.update(d, img, { timing })).rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_FLASH_LOCKED' });
    expect(emu.flashState()).toBe(1);
    await expect(fwctl.mlx5.firmware.update(d, img, { timing, recover: true })).resolves.toMatchObject({ status: 'updated' });
    expect(emu.flashState()).toBe(0);
  });
});
