// Record and replay on the CXL boot: a session over the kernel's CXL fwctl
// code (cxl_test memdevs) is recorded, then replayed in a child that cannot
// load the native addon, with deep-equal results. With record.test.ts
// (mlx5, bnxt, pds) this covers all four device types.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../../lib';
import { readTranscript } from '../../../lib/transcript';
import { cxlSession } from '../../fixtures/session';

const repo = path.resolve(__dirname, '../../../..');
const inVm = process.env.FWCTL_IN_VM === '1';
const outDir = process.env.FWCTL_RESULTS_DIR ? path.join(process.env.FWCTL_RESULTS_DIR, 'transcripts') : fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-cxl-'));

(inVm ? test : test.skip)('a CXL session: recorded over drivers/cxl, replayed without the addon, deep-equal', async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const dev = fwctl.listSync().find((e) => e.parent?.subsystem === 'cxl');
  expect(dev).toBeDefined();
  const file = path.join(outDir, 'cxl.jsonl');
  const rec = fwctl.record(file);
  let recorded: Record<string, unknown>;
  try {
    recorded = await cxlSession(dev!.name);
  } finally {
    rec.stop();
  }
  fs.writeFileSync(path.join(outDir, 'cxl.json'), JSON.stringify({ devices: { cxl: dev!.name }, result: recorded }, null, 1));
  expect((recorded.features as { ok?: { features?: unknown[] } }).ok?.features?.length).toBeGreaterThan(0);
  const t = readTranscript(file);
  expect(t.calls.some((c) => c.t === 'open' && c.typeId === 2)).toBe(true);
  const env = { ...process.env };
  delete env.FWCTL_RECORD;
  const r = spawnSync(process.execPath, ['-r', path.join(repo, 'dist/test/fixtures/no-addon.js'), path.join(repo, 'dist/test/fixtures/replay-session.js'),
    file, JSON.stringify({ cxl: dev!.name }), '--cxl'], { encoding: 'utf8', env });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ result: recorded, unused: null, firstFailure: null });
});
