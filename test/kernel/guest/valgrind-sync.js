// Run under valgrind memcheck in the test VM (test/kernel/guest/asan-run.sh):
// the addon's sync paths (open, fstat, FWCTL_INFO, FWCTL_RPC with patches and
// attachments, error returns, close) and one async call, against the mock.
// Plain JavaScript over dist/ so no jest start-up runs under valgrind.
'use strict';
const path = require('path');
const repo = path.resolve(__dirname, '../../..');
const fwctl = require(path.join(repo, 'dist/lib'));
const mock = require(path.join(repo, 'dist/test/kernel/mock/protocol'));

const N = Number(process.env.FWCTL_VALGRIND_ITERATIONS || '50');
const gen = mock.add();
const pds = mock.add({ mode: 'pds' });
let calls = 0;
function check(cond, what) {
  if (!cond) throw new Error(`valgrind-sync: ${what}`);
}
(async () => {
  try {
    for (let i = 0; i < N; i++) {
      const d = fwctl.openSync(gen.name);
      check(d.infoSync().data.length === 16, 'info');
      const payload = Buffer.alloc(1 + (i % 64), i & 0xff);
      const r = d.rpcSync(mock.request(mock.Op.Transform, 0, payload), { scope: 0, responseLength: 128 });
      check(r.response.equals(Buffer.from(payload.map((b) => ~b & 0xff))), 'transform');
      const t = d.rpcSync(mock.request(mock.Op.Fill, 300), { scope: 1, responseLength: 100 });
      check(t.truncated && t.response.length === 100, 'truncation');
      try {
        d.rpcSync(mock.request(mock.Op.Fail, 5), { scope: 0 });
        check(false, 'FAIL op did not fail');
      } catch (e) {
        check(e.code === 'EIO', `FAIL op: ${e}`);
      }
      d.closeSync();
      calls += 4;
    }
    const p = fwctl.openSync(pds.name);
    for (let i = 0; i < N; i++) {
      const payload = Buffer.alloc(16 + i, i & 0xff);
      const r = fwctl.pds.callSync(p, { ep: 1, op: fwctl.pds.opcode(1, 1), payload, responseLength: payload.length, scope: 0 });
      check(r.retval === 0 && r.payload.equals(payload), 'pds echo');
      calls++;
    }
    const a = await fwctl.pds.call(p, { ep: 1, op: fwctl.pds.opcode(1, 1), payload: Buffer.from('async'), responseLength: 5, scope: 0 });
    check(a.payload.toString() === 'async', 'pds async');
    calls++;
    p.closeSync();
    process.stdout.write(`valgrind-sync: ${calls} calls checked\n`);
  } finally {
    mock.del(gen.name);
    mock.del(pds.name);
  }
})().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exitCode = 1;
});
