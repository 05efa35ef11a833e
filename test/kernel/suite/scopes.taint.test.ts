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
