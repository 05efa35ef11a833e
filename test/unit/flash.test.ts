// The firmware update flow's logic (lib/firmware.ts, lib/mlx5/firmware.ts)
// over a JavaScript model of the update registers (helpers/fake-mlx5-flash):
// the order of commands, the checks before any write, and that every way out
// (abort at each phase, a firmware error, an exception, process exit) leaves
// the state machine idle. The kernel suite's flash.test.ts proves it through
// the real driver; the adapter lock is the addon's flock, tested here with a
// second process.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../lib';
import '../../lib/types/builtin';
import { fakeFlash, MAX_SIZE, PSID } from './helpers/fake-mlx5-flash';

const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-flash-'));
const timing = { pollMs: 1, stateTimeoutMs: 2000, reactivatePollMs: 1, reactivateTimeoutMs: 500 };
const image = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) & 0xff));
const opts = (o: fwctl.FlashOptions = {}): fwctl.FlashOptions => ({ psid: PSID, timing, lockDir, ...o });

afterAll(() => fs.rmSync(lockDir, { recursive: true, force: true }));

describe('mlx5 update over the model', () => {
  test('the whole flow in the kernel\'s order; the image arrives intact; idle after', async () => {
    const f = fakeFlash();
    const phases: string[] = [];
    const r = await fwctl.firmware.update(f.dev, image, opts({ onProgress: (p) => { if (phases.at(-1) !== p.phase) phases.push(p.phase); } }));
    expect(f.writes).toEqual(['MCC 1', 'MIRC', 'MCC 3', ...Array(Math.ceil(image.length / 128)).fill('MCDA'), 'MCC 4', 'MCC 6', 'MCC 2']);
    expect(f.received.equals(image)).toBe(true);
    expect(f.state).toBe(0);
    expect(phases).toEqual(['check', 'lock', 'reactivate', 'update', 'download', 'verify', 'activate', 'release', 'done']);
    expect(r).toMatchObject({ status: 'updated', psid: PSID, type: 'mlx5', pendingReset: true, running: '28.39.1002', pending: '28.41.1000' });
    expect(r.image).toEqual({ format: 'plain', bytes: 1000, sha256: require('node:crypto').createHash('sha256').update(image).digest('hex') });
    expect(r.components).toEqual([{ index: 0, name: 'BOOT_IMG', bytes: 1000, from: '28.39.1002', status: 'written' }]);
  });

  test('dry run: every check, no write', async () => {
    const f = fakeFlash();
    const r = await fwctl.firmware.update(f.dev, image, opts({ dryRun: true }));
    expect(r.status).toBe('dry-run');
    expect(r.components[0].status).toBe('would-write');
    expect(f.writes).toEqual([]);
  });

  test.each([
    ['no TOOLS_RESOURCES', (f: ReturnType<typeof fakeFlash>) => { f.uctxCaps = 0x3; }, {}, 'ERR_FWCTL_MLX5_FLASH_NO_TOOLS_RESOURCES'],
    ['another PSID', () => undefined, { psid: 'MT_0000000OTHER' }, 'ERR_FWCTL_MLX5_FLASH_PSID_MISMATCH'],
    ['a plain image without psid', () => undefined, { psid: undefined }, 'ERR_FWCTL_MLX5_FLASH_IMAGE'],
    ['a handle held by nobody', (f: ReturnType<typeof fakeFlash>) => { f.state = 1; f.handle = 0x99; }, {}, 'ERR_FWCTL_MLX5_FLASH_LOCKED'],
  ] as const)('refused before any write: %s', async (_n, setup, o, code) => {
    const f = fakeFlash();
    setup(f);
    await expect(fwctl.firmware.update(f.dev, image, opts(o as fwctl.FlashOptions))).rejects.toMatchObject({ code, name: 'Mlx5FlashError' });
    expect(f.writes).toEqual([]);
  });

  test('an image larger than the component takes: refused, nothing written', async () => {
    const f = fakeFlash();
    await expect(fwctl.firmware.update(f.dev, Buffer.alloc(MAX_SIZE + 4), opts())).rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_FLASH_TOO_LARGE' });
    expect(f.writes).toEqual([]);
  });

  test('--allow-psid-change is the only override of the PSID check', async () => {
    const f = fakeFlash();
    const r = await fwctl.firmware.update(f.dev, image, opts({ psid: 'MT_0000000OTHER', allowPsidChange: true }));
    expect(r.status).toBe('updated');
  });

  test('recover: a handle left held is cancelled and released first, then the update runs', async () => {
    const f = fakeFlash();
    f.state = 3; f.handle = 0x77;
    const r = await fwctl.firmware.update(f.dev, image, opts({ recover: true }));
    expect(f.writes.slice(0, 3)).toEqual(['MCC 8', 'MCC 2', 'MCC 1']);
    expect(r.status).toBe('updated');
    expect(f.state).toBe(0);
  });

  // Abort when the model sees each command: the flow must end with CANCEL (inside a component) and RELEASE.
  test.each([
    ['the lock', 'write 9062', 1, false],
    ['the reactivation', 'write 9162', 1, false],
    ['the component update', 'write 9062', 2, true],
    ['the download', 'write 9063', 3, true],
    ['the verify', 'write 9062', 3, true],
  ] as const)('abort at %s leaves the firmware idle', async (_n, what, nth, inComponent) => {
    const f = fakeFlash();
    const c = new AbortController();
    let seen = 0;
    f.onCommand = (w) => { if (w === what && ++seen === nth) c.abort(); };
    await expect(fwctl.firmware.update(f.dev, Buffer.alloc(512, 1), opts({ signal: c.signal }))).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(f.state).toBe(0);
    expect(f.writes.at(-1)).toBe('MCC 2');
    expect(f.writes.includes('MCC 8')).toBe(inComponent);
    expect(f.writes.includes('MCC 6')).toBe(false);
  });

  test('abort while activating: released, not cancelled (no component in progress)', async () => {
    const f = fakeFlash();
    const c = new AbortController();
    f.onCommand = (w) => { if (w === 'write 9062' && f.writes.at(-1) === 'MCC 4') c.abort(); };
    await expect(fwctl.firmware.update(f.dev, image, opts({ signal: c.signal }))).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(f.state).toBe(0);
    expect(f.writes.at(-1)).toBe('MCC 2');
  });

  test('timeoutMs aborts like any abort', async () => {
    const f = fakeFlash();
    f.onCommand = () => { const t = Date.now() + 5; while (Date.now() < t); };
    await expect(fwctl.firmware.update(f.dev, Buffer.alloc(64 * 1024), opts({ timeoutMs: 30 }))).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(f.state).toBe(0);
  });

  test('a firmware FSM error is typed with the firmware\'s meaning and errno; cancelled and released', async () => {
    const f = fakeFlash();
    f.inject = { at: 4, code: 2 };
    const e = await fwctl.firmware.update(f.dev, image, opts()).catch((x: unknown) => x) as fwctl.mlx5.Mlx5FlashError;
    expect(e).toMatchObject({ code: 'ERR_FWCTL_MLX5_FSM', fsmError: 2, fsmErrorName: 'REJECTED_DIGEST_ERR', errno: -74 });
    expect(e.message).toMatch(/component hash mismatch/);
    expect(f.writes.slice(-2)).toEqual(['MCC 8', 'MCC 2']);
    expect(f.state).toBe(0);
  });

  test('a pending image without reactivation: BLOCKED_PENDING_RESET is EBUSY, "pending reset"', async () => {
    const f = fakeFlash();
    f.mirc = false;
    const e = await fwctl.firmware.update(f.dev, image, opts()).catch((x: unknown) => x) as fwctl.mlx5.Mlx5FlashError;
    expect(e).toMatchObject({ code: 'ERR_FWCTL_MLX5_FSM', fsmErrorName: 'BLOCKED_PENDING_RESET', errno: -16 });
    expect(e.message).toMatch(/pending reset/);
    expect(f.state).toBe(0);
  });

  test('an exception thrown by onProgress: the update stops and the firmware is released', async () => {
    const f = fakeFlash();
    const boom = new Error('listener failed');
    const p = fwctl.firmware.update(f.dev, image, opts({ onProgress: (x) => { if (x.phase === 'download') throw boom; } }));
    await expect(p).rejects.toBe(boom);
    expect(f.state).toBe(0);
  });

  test('process exit during an update: the exit hook cancels and releases synchronously', async () => {
    const f = fakeFlash();
    const before = new Set(process.listeners('exit'));
    let hook: (() => void) | undefined;
    f.onCommand = (w) => {
      if (w === 'write 9063' && !hook) hook = process.listeners('exit').find((l) => !before.has(l)) as () => void;
    };
    const c = new AbortController();
    const run = fwctl.firmware.update(f.dev, image, opts({ signal: c.signal, onProgress: (x) => { if (x.phase === 'download' && hook) { hook(); c.abort(); } } }));
    await expect(run).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(hook).toBeDefined();
    expect(f.state).toBe(0);
    expect(f.writes).toContain('MCC 8');
    expect(process.listeners('exit').some((l) => !before.has(l))).toBe(false);
  });
});

describe('types without an update at the least scope say why', () => {
  test.each([[3, /HWRM_NVM_INSTALL_UPDATE.*DebugWrite.*taints/s], [2, /fw_upload/], [4, /devlink/]])('type %i', (typeId, why) => {
    const dev = { ...fakeFlash().dev, typeId };
    return expect(fwctl.firmware.update(dev, image)).rejects.toMatchObject({ code: 'ERR_FWCTL_FLASH_UNSUPPORTED', message: expect.stringMatching(why) });
  });
});

describe('the adapter lock (flock through the addon)', () => {
  test('a second update of the same adapter in this process is refused', async () => {
    const f = fakeFlash();
    const g = fakeFlash();
    f.onCommand = () => undefined;
    const first = fwctl.firmware.update(f.dev, Buffer.alloc(32 * 1024, 2), opts());
    await expect(fwctl.firmware.update(g.dev, image, opts())).rejects.toMatchObject({ code: 'ERR_FWCTL_FLASH_IN_PROGRESS' });
    await first;
  });

  test('held by a live process: refused; once it is killed with SIGKILL: free', async () => {
    const file = path.join(lockDir, 'fwctl-flash-fwctl0.lock');
    const child = spawn(process.execPath, ['-e', `const b=require(${JSON.stringify(path.resolve(__dirname, '../../lib/binding'))}).binding(); const fd=b.lockFile(${JSON.stringify(file)}); process.stdout.write(String(fd)); setInterval(()=>{},1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const fd = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d))));
    expect(Number(fd)).toBeGreaterThanOrEqual(0);
    const f = fakeFlash();
    await expect(fwctl.firmware.update(f.dev, image, opts())).rejects.toMatchObject({ code: 'ERR_FWCTL_FLASH_IN_PROGRESS', message: expect.stringMatching(/another process/) });
    expect(f.writes).toEqual([]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const r = await fwctl.firmware.update(f.dev, image, opts());
    expect(r.status).toBe('updated');
  });
});
