// `fwctl flash` (issue 25), the CLI as operators run it, through the kernel's own mlx5_fwctl driver
// over the emulated firmware (test/kernel/emu/fwctl_emu_mlx5.c: the MCC state
// machine, MCDA, MCQI capabilities, MIRC, a component store that checks the
// image's CRC at VERIFY; knobs through emu.ts). Images come from the repo's
// scripts/make-mlx5-fw-image.js. Writes go at Configuration, reads at
// DebugReadOnly: nothing taints the kernel (checked before and after).
// Each case spawns the CLI (dist/lib/cli/main.js): kill -9, SIGINT, --all over
// both emulated adapters. Out of the ASan boot (child nodes, as examples.test).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';
import { makeMfa2 } from '../emu/mlx5-images';

const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));
const TAINT_USER = 1 << 19;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-flash-'));
const CLI = path.resolve(__dirname, '../../../lib/cli/main.js');
const PSID = emu.MLX5.PSID;
const NEW = '28.41.1000';

function write(name: string, b: Buffer): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, b);
  return f;
}

describe('fwctl flash over mlx5_fwctl', () => {
  let d: fwctl.Device;

  beforeAll(async () => {
    emu.flashReset();
    expect(tainted() & TAINT_USER).toBe(0);
    d = await fwctl.open(emu.device('mlx5').name);
  });
  afterEach(() => emu.flashReset());
  afterAll(async () => {
    await d?.close();
    emu.flashReset();
    fs.rmSync(tmp, { recursive: true, force: true });
    expect(tainted() & TAINT_USER).toBe(0);
  });

  test('fwctl flash: dry run and no TTY without --yes write nothing', () => {
    const f = write('dry.mfa2', makeMfa2({ psid: PSID, version: NEW, size: 4096 }));
    const dry = spawnSync(process.execPath, [CLI, 'flash', d.path, f, '--dry-run', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ ok: true, devices: [{ result: { status: 'dry-run' } }] });
    const noYes = spawnSync(process.execPath, [CLI, 'flash', d.path, f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(noYes.status).toBe(2);
    expect(noYes.stderr).toMatch(/--yes/);
    expect(emu.flashBlocks()).toBe(0);
  });

  test('fwctl flash: SIGINT during the download cancels and releases before exit (130)', async () => {
    emu.setFlashKnob('flash_slow_us', 1000);
    const f = write('int.mfa2', makeMfa2({ psid: PSID, version: NEW, size: 64 * 1024 }));
    const child = spawn(process.execPath, [CLI, 'flash', d.path, f, '--yes', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await untilDownload(child);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(130);
    expect(emu.flashState()).toBe(0);
  });

  test('kill -9 of an update: the handle stays held; the next run refuses, --recover cancels, releases and updates', async () => {
    emu.setFlashKnob('flash_slow_us', 1000);
    const f = write('kill.mfa2', makeMfa2({ psid: PSID, version: NEW, size: 64 * 1024 }));
    const child = spawn(process.execPath, [CLI, 'flash', d.path, f, '--yes', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await untilDownload(child);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(emu.flashState()).toBe(3); // DOWNLOAD: nobody cancelled it
    emu.setFlashKnob('flash_slow_us', 0);
    const refused = spawnSync(process.execPath, [CLI, 'flash', d.path, f, '--yes', '--json'], { encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout).devices[0].error.code).toBe('ERR_FWCTL_MLX5_FLASH_LOCKED');
    const recovered = spawnSync(process.execPath, [CLI, 'flash', d.path, f, '--yes', '--json', '--recover'], { encoding: 'utf8' });
    expect(recovered.status).toBe(0);
    expect(JSON.parse(recovered.stdout).devices[0].result).toMatchObject({ status: 'updated', pending: NEW });
    expect(emu.flashState()).toBe(0);
  });

  test('fwctl flash --all: both emulated adapters in parallel, one summary; other types say why', () => {
    const f = write('all.mfa2', makeMfa2({ psid: PSID, version: NEW, size: 32 * 1024 }));
    const r = spawnSync(process.execPath, [CLI, 'flash', '--all', f, '--yes', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.devices).toHaveLength(2);
    for (const e of out.devices) expect(e.result).toMatchObject({ status: 'updated', pending: NEW });
    expect(new Set(out.devices.map((e: { adapter: string }) => e.adapter)).size).toBe(2);
    expect(out.notOffered.map((n: { why: string }) => n.why).join('\n')).toMatch(/HWRM_NVM_INSTALL_UPDATE/);
    expect(emu.flashState(0)).toBe(0);
    expect(emu.flashState(1)).toBe(0);
  });
});


/** Resolves at the first download progress event the CLI prints (JSON lines on stderr). */
function untilDownload(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr!.on('data', (d: Buffer) => {
      buf += String(d);
      if (/"phase":"download"/.test(buf)) resolve();
    });
    child.once('exit', (c) => reject(new Error(`the CLI exited (${c}) before downloading: ${buf}`)));
  });
}

