// The audit trail over the real mlx5 fwctl driver: a program with
// FWCTL_AUDIT=FILE sends an ACCESS_REG write (Configuration scope: audited
// as a write) and two DebugWrite commands (tainting), then calls
// process.exit() right after the last one: every call is in the file, with
// the device, its PCI parent, the command's name and the kernel's answer.
// A tainting file: it boots a kernel of its own.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as emu from '../emu/emu';

const lib = path.resolve(__dirname, '../../../lib');
const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));

test('FWCTL_AUDIT=FILE holds every tainting and writing call, also with process.exit() right after the call', () => {
  const name = emu.device('mlx5').name;
  const audit = path.join(os.tmpdir(), `audit-${process.pid}.log`);
  const script = `
    const f = require(${JSON.stringify(lib)});
    const d = f.openSync(${JSON.stringify(name)});
    const reg = Buffer.alloc(32); reg.writeUInt16BE(0x805, 0); reg.writeUInt16BE(0, 6); reg.writeUInt16BE(0x5003, 10);
    d.rpcSync(reg, { scope: f.Scope.Configuration, responseLength: 32 });
    d.rpcSync(f.mlx5.encodeIn(0x80d), { scope: f.Scope.DebugReadOnly, responseLength: 16 }); // not audited
    d.rpcSync(f.mlx5.encodeIn(0x80d), { scope: f.Scope.DebugWrite, responseLength: 16, allowKernelTaint: true });
    d.rpc(f.mlx5.encodeIn(0x80d), { scope: f.Scope.DebugWrite, responseLength: 16, allowKernelTaint: true }).then(() => process.exit(0));
  `;
  const before = tainted();
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, FWCTL_AUDIT: audit } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(before & (1 << 19)).toBe(0);
  expect(tainted() & (1 << 19)).not.toBe(0); // the kernel saw the DebugWrite calls
  const lines = fs.readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const common = { device: `/dev/fwctl/${name}`, parent: emu.pciOf('mlx5'), type: 'mlx5', uid: process.getuid!(), result: 'ok' };
  expect(lines).toEqual([
    expect.objectContaining({ ...common, scope: 'Configuration', command: 'ACCESS_REG write register 0x5003' }),
    expect.objectContaining({ ...common, scope: 'DebugWrite', command: 'NOP' }),
    expect.objectContaining({ ...common, scope: 'DebugWrite', command: 'NOP' }),
  ]);
  expect(lines[0].process).toMatch(/^\[eval\]|^-e|node/);
});
