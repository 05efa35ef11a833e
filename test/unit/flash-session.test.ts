// What the session layer keeps of a firmware update: transcripts keep each
// image block's size and SHA-256, never its bytes, and replay still checks
// them; the audit trail writes one line per run of blocks, not one per block.
import { auditStream, type AuditLine } from '../../lib/audit';
import type { CallEvent } from '../../lib/observe';
import { commandOf, elideBulk, matchElided } from '../../lib/transcript';
import { regPlan } from '../../lib/mlx5/typed';
import { encode, sizeOf } from '../../lib/mlx5/ifc';
import '../../lib/types/builtin';

const MLX5 = 1;
function mcda(offset: number, bytes: Buffer): Buffer {
  const reg = Buffer.alloc(sizeOf('mcda_reg') + 128);
  encode('mcda_reg', { update_handle: 7, offset, size: bytes.length }, reg);
  bytes.copy(reg, sizeOf('mcda_reg'));
  return regPlan('MCDA', {}, { data: reg }, true).request;
}
const block = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 13 + 1) & 0xff));

test('mlx5 names an MCDA write a bulk transfer: its data bytes, `size` of them', () => {
  expect(commandOf(MLX5, mcda(0, block))).toMatchObject({ write: true, bulk: { offset: 32, length: 100 } });
  expect(commandOf(MLX5, regPlan('MCC', { instruction: 1 }, {}, true).request).bulk).toBeUndefined();
  expect(commandOf(MLX5, regPlan('MCDA', {}, {}, false).request).bulk).toBeUndefined(); // a read
});

test('a transcript keeps zeros and the SHA-256 in place of the block; replay matches the same block only', () => {
  const req = mcda(128, block);
  const kept = elideBulk(MLX5, req);
  expect(kept.elided).toEqual({ offset: 32, length: 100, sha256: require('node:crypto').createHash('sha256').update(block).digest('hex') });
  expect(Buffer.from(kept.bytes).subarray(32, 132).equals(Buffer.alloc(100))).toBe(true);
  expect(Buffer.from(kept.bytes).subarray(0, 32).equals(req.subarray(0, 32))).toBe(true);
  expect(req.subarray(32, 132).equals(block)).toBe(true); // the caller's request is untouched
  expect(Buffer.from(matchElided(kept.elided!, req)!).equals(Buffer.from(kept.bytes))).toBe(true);
  const other = Buffer.from(req);
  other[40] ^= 1;
  expect(matchElided(kept.elided!, other)).toBeUndefined();
  expect(elideBulk(MLX5, regPlan('MCC', { instruction: 1 }, {}, true).request).elided).toBeUndefined();
});

test('the audit trail: one line for a run of blocks, with calls and bytes; other writes as before', () => {
  const lines: AuditLine[] = [];
  const s = auditStream((l) => lines.push(l));
  const ev = (request: Buffer, rc = 48): CallEvent => ({ op: 'rpc', sync: false, path: '/dev/fwctl/fwctl0', type: MLX5, scope: 0, request, rc } as unknown as CallEvent);
  s.onCall(ev(regPlan('MCC', { instruction: 3 }, {}, true).request));
  for (let i = 0; i < 50; i++) s.onCall(ev(mcda(i * 100, block)));
  s.onCall(ev(mcda(5000, block), -5));
  s.onCall(ev(regPlan('MCC', { instruction: 4 }, {}, true).request));
  expect(lines.map((l) => [l.command, l.result, l.bulk])).toEqual([
    ['ACCESS_REG write register 0x9062', 'ok', undefined],
    ['ACCESS_REG write register 0x9063', '1 failed', { calls: 51, bytes: 5100, failed: 1 }],
    ['ACCESS_REG write register 0x9062', 'ok', undefined],
  ]);
  s.onCall(ev(mcda(0, block)));
  expect(lines).toHaveLength(3);
  s.flush();
  expect(lines[3]).toMatchObject({ bulk: { calls: 1, bytes: 100, failed: 0 }, result: 'ok' });
});
