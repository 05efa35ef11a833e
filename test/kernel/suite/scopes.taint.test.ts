// The tainting scopes, opted into. Runs in its own boot: after the first
// DebugWrite RPC the kernel stays tainted until reboot.
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import * as mock from '../mock/protocol';

const TAINT_FWCTL = 1 << 19;
const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));

test('DebugWrite and DebugWriteFull with allowKernelTaint reach the driver and taint the kernel', async () => {
  const m = mock.add();
  try {
    await using d = await fwctl.open(m.name);
    expect(tainted() & TAINT_FWCTL).toBe(0);
    const w = await d.rpc(mock.request(mock.Op.Scope), {
      scope: fwctl.Scope.DebugWrite,
      allowKernelTaint: true,
      responseLength: 16,
    });
    expect(Buffer.from(w.response).readUInt32LE(0)).toBe(fwctl.Scope.DebugWrite);
    expect(tainted() & TAINT_FWCTL).toBe(TAINT_FWCTL);
    // As root (CAP_SYS_RAWIO held) the full scope is allowed too.
    const f = d.rpcSync(mock.request(mock.Op.Scope), {
      scope: fwctl.Scope.DebugWriteFull,
      allowKernelTaint: true,
      responseLength: 16,
    });
    expect(Buffer.from(f.response).readUInt32LE(0)).toBe(fwctl.Scope.DebugWriteFull);
  } finally {
    mock.del(m.name);
  }
});

// Run last in this boot (the taint above is sticky): what fwctl doctor says of a tainted kernel.
test('fwctl doctor on the kernel the test above tainted: TAINTED (warn, reboot to clear), the devices still usable', () => {
  expect(tainted() & TAINT_FWCTL).toBe(TAINT_FWCTL);
  const d = fwctl.diagnose();
  expect(d.kernel.tainted).toBe(true);
  expect(d.findings.find((f) => f.code === 'TAINTED')).toMatchObject({ severity: 'warn', fix: expect.stringMatching(/reboot/) });
  expect(d.findings.map((f) => f.code)).not.toContain('NOT_TAINTED');
  expect(d.usable).toBe(true);
  expect(d.devices.every((a) => a.usable)).toBe(true);
});
