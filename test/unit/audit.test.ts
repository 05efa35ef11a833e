// The audit trail (FWCTL_AUDIT=FILE|syslog) and the transcript tooling
// (fwctl transcript show|diff|redact), over a transcript written by hand in
// the documented format: an mlx5 device with an ACCESS_REG write (a write at
// Configuration scope), a DebugWrite NOP, a refused DebugWriteFull call and
// a read. The audited program calls process.exit() right after its last
// call: every line must be on disk.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { CaptureIo } from './helpers/capture-io';

const lib = path.join(__dirname, '../../lib');
const S_IFCHR = fs.constants.S_IFCHR;
const mlx5In = (opcode: number, opMod = 0, reg = 0) => {
  const b = Buffer.alloc(16);
  b.writeUInt16BE(opcode, 0);
  b.writeUInt16BE(opMod, 6);
  b.writeUInt16BE(reg, 10);
  return b.toString('hex');
};
const OK16 = '00'.repeat(16);

/** A transcript of one mlx5 device, by hand. `psidAnswer` changes QUERY_ADAPTER's answer (a "firmware update"). */
function transcript(psid = 'MT_0000000042'): string {
  const adapter = Buffer.alloc(16 + 0x100);
  adapter.write(psid, 16 + 0xf0);
  const lines: object[] = [
    { t: 'header', format: 'fwctl-transcript', version: 1, created: '2026-11-29T00:00:00.000Z',
      host: { kernel: '7.3.4', platform: 'linux', arch: 'x64', node: 'v22.0.0' }, package: { name: 'fwctl', version: '0.1.0' }, argv: ['by-hand'] },
    { t: 'device', name: 'fwctl0', path: '/dev/fwctl/fwctl0',
      parent: { name: '0000:3b:00.0', subsystem: 'pci', driver: 'mlx5_core', pciAddress: '0000:3b:00.0' }, type: 'mlx5', typeId: 1 },
    { t: 'sys', op: 'stat', path: '/dev/fwctl/fwctl0', result: { mode: S_IFCHR | 0o600, rdev: String(240 << 8) } },
    { t: 'sys', op: 'readlink', path: '/sys/dev/char/240:0/subsystem', result: '../../../class/fwctl' },
    { t: 'sys', op: 'realpath', path: '/sys/class/fwctl/fwctl0/device', result: '/sys/devices/pci0000:3a/0000:3b:00.0' },
    { t: 'sys', op: 'readlink', path: '/sys/devices/pci0000:3a/0000:3b:00.0/subsystem', result: '../../../bus/pci' },
    { t: 'open', seq: 1, sync: true, path: '/dev/fwctl/fwctl0', h: 1, typeId: 1, stat: [S_IFCHR | 0o600, 240, 0] },
    { t: 'rpc', seq: 2, sync: true, path: '/dev/fwctl/fwctl0', h: 1, typeId: 1, scope: 0, request: mlx5In(0x805, 0, 0x5003), responseLength: 16, length: 16, response: OK16 },
    { t: 'rpc', seq: 3, sync: true, path: '/dev/fwctl/fwctl0', h: 1, typeId: 1, scope: 0, request: mlx5In(0x101), responseLength: adapter.length, length: adapter.length, response: adapter.toString('hex') },
    { t: 'rpc', seq: 4, sync: false, path: '/dev/fwctl/fwctl0', h: 1, typeId: 1, scope: 2, request: mlx5In(0x80d), responseLength: 16, length: 16, response: OK16 },
    { t: 'rpc', seq: 5, sync: true, path: '/dev/fwctl/fwctl0', h: 1, typeId: 1, scope: 3, request: mlx5In(0x80d), responseLength: 16, errno: 'EPERM' },
    { t: 'close', seq: 6, sync: false, path: '/dev/fwctl/fwctl0', h: 1, rc: 0 },
  ];
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

/** The audited program: four calls, then process.exit(0) at once. */
const program = `
const f = require(${JSON.stringify(lib)});
const hex = (s) => Buffer.from(s, 'hex');
const d = f.openSync('fwctl0');
d.rpcSync(hex(${JSON.stringify(mlx5In(0x805, 0, 0x5003))}), { scope: 0, responseLength: 16 });
d.rpcSync(hex(${JSON.stringify(mlx5In(0x101))}), { scope: 0, responseLength: 272 });
d.rpc(hex(${JSON.stringify(mlx5In(0x80d))}), { scope: 2, responseLength: 16, allowKernelTaint: true }).then(() => {
  try { d.rpcSync(hex(${JSON.stringify(mlx5In(0x80d))}), { scope: 3, responseLength: 16, allowKernelTaint: true }); } catch {}
  process.exit(0);
});
`;

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-audit-'));
  file = path.join(dir, 't.jsonl');
  fs.writeFileSync(file, transcript());
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(env: Record<string, string>) {
  const e: NodeJS.ProcessEnv = { ...process.env, FWCTL_REPLAY: file, ...env };
  delete e.FWCTL_RECORD;
  return spawnSync(process.execPath, ['-e', program], { env: e, encoding: 'utf8' });
}

describe('FWCTL_AUDIT', () => {
  test('FILE: one JSON line per tainting or writing call, on disk although the process exits right after', () => {
    const audit = path.join(dir, 'audit.log');
    fs.writeFileSync(audit, '{"earlier":"line"}\n'); // appended to, never truncated
    const r = run({ FWCTL_AUDIT: audit });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ earlier: 'line' });
    expect(lines.slice(1)).toEqual([
      expect.objectContaining({ device: '/dev/fwctl/fwctl0', parent: '0000:3b:00.0', type: 'mlx5', scope: 'Configuration',
        command: 'ACCESS_REG write register 0x5003', result: 'ok', length: 16 }),
      expect.objectContaining({ scope: 'DebugWrite', command: 'NOP', result: 'ok' }),
      expect.objectContaining({ scope: 'DebugWriteFull', command: 'NOP', result: 'EPERM' }),
    ]);
    for (const l of lines.slice(1)) {
      expect(l).toMatchObject({ uid: process.getuid!(), pid: expect.any(Number), process: expect.stringContaining('') });
      expect(Date.parse(l.time)).not.toBeNaN();
    }
  });

  test('syslog: each line through logger(1), run to completion before the call returns', () => {
    const bin = path.join(dir, 'bin');
    const got = path.join(dir, 'logger.out');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'logger'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(got)}\n`, { mode: 0o755 });
    const r = run({ FWCTL_AUDIT: 'syslog', PATH: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(0);
    const lines = fs.readFileSync(got, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^--id=\d+ -t fwctl-audit -p auth\.notice -- \{.*"command":"ACCESS_REG write register 0x5003"/);
  });
});

describe('fwctl transcript', () => {
  test('show: the devices and each call named by its type, with the firmware status', async () => {
    const io = new CaptureIo();
    expect(await main(['transcript', 'show', file], io)).toBe(0);
    expect(io.out).toMatch(/^transcript v1, 2026-11-29T00:00:00.000Z: fwctl 0.1.0, Linux 7.3.4 x64/);
    expect(io.out).toMatch(/fwctl0\s+mlx5\s+0000:3b:00.0\s+0000:3b:00.0\s+mlx5_core/);
    expect(io.out).toContain('#2 fwctl0 h1 sync rpc ACCESS_REG write register 0x5003 scope Configuration, 16 bytes in, 16 out -> 16 bytes, status OK');
    expect(io.out).toContain('#3 fwctl0 h1 sync rpc QUERY_ADAPTER scope Configuration');
    expect(io.out).toContain('#5 fwctl0 h1 sync rpc NOP scope DebugWriteFull, 16 bytes in, 16 out -> EPERM');
  });

  test('diff: what changed in the answers; exit 0 when nothing did', async () => {
    const b = path.join(dir, 'b.jsonl');
    fs.writeFileSync(b, transcript('MT_0000000043'));
    const io = new CaptureIo();
    expect(await main(['transcript', 'diff', file, b], io)).toBe(1);
    expect(io.out).toBe('#3 fwctl0 h1 sync rpc QUERY_ADAPTER scope Configuration, 16 bytes in, 272 out: response differs in 1 byte(s), first at byte 268 (0x32 -> 0x33)\n');
    const same = new CaptureIo();
    expect(await main(['transcript', 'diff', file, file], same)).toBe(0);
    expect(same.out).toBe('no differences in the answers\n');
  });

  test('redact: the PSID found in QUERY_ADAPTER\'s answer is gone, replaced by a stand-in of its length', async () => {
    const out = path.join(dir, 'r.jsonl');
    const io = new CaptureIo();
    expect(await main(['transcript', 'redact', file, '--out', out], io)).toBe(0);
    expect(io.err).toBe('redacted: 1 psid\n');
    const text = fs.readFileSync(out, 'utf8');
    expect(text).not.toContain(Buffer.from('MT_0000000042').toString('hex'));
    expect(text).toContain(Buffer.from('REDACTED-PSI').toString('hex'));
  });

  test('replay through the CLI: fwctl --replay FILE rpc ... answers from the transcript', async () => {
    const io = new CaptureIo();
    const code = await main(['--replay', file, '--replay-mode', 'match', 'rpc', 'fwctl0', '--scope', 'configuration', '--hex', mlx5In(0x805, 0, 0x5003), '--response-length', '16'], io);
    expect(io.err).toBe('');
    expect(code).toBe(0);
    expect(io.out).toContain('00 00 00 00');
    const bad = new CaptureIo();
    expect(await main(['--replay', path.join(dir, 'missing.jsonl'), 'list'], bad)).toBe(1);
    expect(bad.err).toMatch(/ENOENT/);
  });
});
