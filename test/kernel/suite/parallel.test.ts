// Async calls in parallel through the real drivers (2 guest CPUs, the
// emulators' latency_ms knob): mlx5_fwctl and pds_fwctl take no lock around
// the firmware call, so slow calls overlap; bnxt_fwctl holds its
// en_dev_lock across bnxt_send_msg(), so the same calls queue one by one.
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';

const LATENCY = 300;
const N = 6;

async function elapsed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

test('mlx5: N slow firmware commands in flight at once overlap', async () => {
  await using d = await fwctl.open(emu.device('mlx5').name);
  const ms = await emu.withKnobs('mlx5', { latency_ms: LATENCY }, () =>
    elapsed(() => Promise.all(Array.from({ length: N }, () => fwctl.mlx5.exec(d, fwctl.mlx5.Mlx5Opcode.NOP)))));
  expect(ms).toBeGreaterThanOrEqual(LATENCY - 10);
  expect(ms).toBeLessThan(N * LATENCY * 0.75);
});

test('pds: N slow operations in flight at once overlap', async () => {
  await using d = await fwctl.open(emu.device('pds').name);
  await fwctl.pds.call(d, { ep: 1, op: 0x10001, scope: fwctl.Scope.Configuration }); // the driver caches the op list first
  const ms = await emu.withKnobs('pds', { latency_ms: LATENCY }, () =>
    elapsed(() => Promise.all(Array.from({ length: N }, () => fwctl.pds.call(d, { ep: 1, op: 0x10001, scope: fwctl.Scope.Configuration })))));
  expect(ms).toBeGreaterThanOrEqual(LATENCY - 10);
  expect(ms).toBeLessThan(N * LATENCY * 0.75);
});

test('bnxt: the driver\'s en_dev_lock serialises them', async () => {
  await using d = await fwctl.open(emu.device('bnxt').name);
  const n = 4;
  const ms = await emu.withKnobs('bnxt', { latency_ms: LATENCY }, () =>
    elapsed(() => Promise.all(Array.from({ length: n }, () => fwctl.bnxt.verGet(d)))));
  expect(ms).toBeGreaterThanOrEqual(n * LATENCY - 10);
});
