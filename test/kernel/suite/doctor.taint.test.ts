// fwctl doctor on a kernel tainted by fwctl (bit 19). Shares record.taint's
// boot (scripts/test.js TAINT_SHARED): either order works, since this file
// taints the kernel itself (a DebugWrite RPC to the mock) when it is not yet.
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import * as mock from '../mock/protocol';

const TAINT_FWCTL = 1 << 19;
const tainted = () => (Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8')) & TAINT_FWCTL) !== 0;

test('a tainted kernel: TAINTED (warn, reboot to clear), the devices still usable', async () => {
  const m = mock.add();
  try {
    if (!tainted()) {
      await using d = await fwctl.open(m.name);
      await d.rpc(mock.request(mock.Op.Scope), { scope: fwctl.Scope.DebugWrite, allowKernelTaint: true, responseLength: 16 });
    }
    expect(tainted()).toBe(true);
    const d = fwctl.diagnose();
    expect(d.kernel.tainted).toBe(true);
    expect(d.findings.find((f) => f.code === 'TAINTED')).toMatchObject({ severity: 'warn', fix: expect.stringMatching(/reboot/) });
    expect(d.findings.map((f) => f.code)).not.toContain('NOT_TAINTED');
    expect(d.usable).toBe(true);
    expect(d.devices.find((a) => a.name === m.name)).toMatchObject({ usable: true });
  } finally {
    mock.del(m.name);
  }
});
