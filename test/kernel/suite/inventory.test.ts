// fwctl.inventory() against the mock driver's mlx5, bnxt and pds modes and a
// generic (unknown-type) device, in-process: the records' firmware facts,
// the JSON shape, the Prometheus text, and that nothing tainted the kernel.
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import type { Io } from '../../../lib/cli/command';
import { main } from '../../../lib/cli/main';
import * as mock from '../mock/protocol';

const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));

describe('inventory() over mock devices', () => {
  let m: mock.MockDevice;
  let b: mock.MockDevice;
  let p: mock.MockDevice;
  let g: mock.MockDevice;
  let records: fwctl.InventoryRecord[];
  let taintBefore: number;
  const rec = (d: mock.MockDevice) => records.find((r) => r.name === d.name)!;

  beforeAll(async () => {
    m = mock.add({ mode: 'mlx5' });
    b = mock.add({ mode: 'bnxt' });
    p = mock.add({ mode: 'pds' });
    g = mock.add();
    taintBefore = tainted();
    records = await fwctl.inventory();
  });
  afterAll(() => {
    for (const d of [m, b, p, g]) if (d) mock.del(d.name);
  });

  test('one record per device, in list() order, none failed', () => {
    expect(records.map((r) => r.name)).toEqual(fwctl.listSync().map((e) => e.name));
    for (const d of [m, b, p, g]) expect(rec(d)).toMatchObject({ path: `/dev/fwctl/${d.name}`, error: null });
  });

  test('mlx5: QUERY_ADAPTER identity', () => {
    expect(rec(m)).toMatchObject({
      type: { name: 'mlx5', id: 1 }, parent: { name: m.parent, pciAddress: null },
      mlx5: { ieeeVendorId: 0x0002c9, vsdVendorId: 0x15b3, psid: 'MOCK0000000001', vsd: expect.any(String) },
    });
  });

  test('bnxt: HWRM_VER_GET versions', () => {
    expect(rec(b)).toMatchObject({
      type: { name: 'bnxt', id: 3 },
      bnxt: { firmwareVersion: '230.0.150.0', interfaceVersion: '1.10.3.0', firmwareName: 'mock-hwrm', chipNum: 0x1750 },
    });
  });

  test('pds and unknown types: info only, with a note', () => {
    expect(rec(p)).toMatchObject({ type: { name: 'pds', id: 4 }, note: expect.stringMatching(/^pds: /) });
    expect(rec(g)).toMatchObject({ type: { name: 'unknown', id: mock.DEFAULT_TYPE }, note: expect.any(String) });
    for (const d of [p, g]) expect(Object.keys(rec(d)).filter((k) => ['mlx5', 'bnxt', 'cxl'].includes(k))).toEqual([]);
  });

  test('the JSON shape: stable field names', () => {
    const j = JSON.parse(JSON.stringify(records)) as Record<string, unknown>[];
    for (const r of j) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['name', 'path', 'parent', 'driver', 'type', 'error']));
      for (const k of Object.keys(r)) expect(['name', 'path', 'parent', 'driver', 'type', 'error', 'mlx5', 'bnxt', 'cxl', 'note']).toContain(k);
    }
    expect(Object.keys(j.find((r) => r.name === b.name)!.bnxt as object).sort()).toEqual([
      'activePackage', 'chipNum', 'chipRev', 'firmwareName', 'firmwareVersion', 'interfaceVersion',
      'managementVersion', 'netctrlVersion', 'roceVersion']);
  });

  test('Prometheus text', () => {
    const text = fwctl.toPrometheus(records);
    expect(text).toContain(`fwctl_device_info{device="${m.name}",type="mlx5",parent="${m.parent}",driver="${rec(m).driver ?? ''}"} 1\n`);
    expect(text).toContain(`fwctl_firmware_version_info{device="${b.name}",component="firmware",version="230.0.150.0",name="mock-hwrm"} 1\n`);
    expect(text).toMatch(new RegExp(`^fwctl_mlx5_adapter_info\\{device="${m.name}",psid="MOCK0000000001",`, 'm'));
    expect(text).toContain(`fwctl_device_info{device="${g.name}",type="unknown",`);
    expect(text).not.toContain('fwctl_query_error');
    expect(text.match(/^# TYPE fwctl_device_info gauge$/gm)).toHaveLength(1);
  });

  test('the CLI, in-process: table and exit 0; nothing tainted', async () => {
    let out = '';
    const io: Io = { stdout: (t) => void (out += t), stderr: () => undefined, stdoutBytes: () => undefined, readStdin: async () => Buffer.alloc(0) };
    expect(await main(['inventory'], io)).toBe(0);
    expect(out).toMatch(new RegExp(`^${b.name} +bnxt\\(3\\) +${m.parent.replace(/\d+$/, '\\d+')} .*fw 230\\.0\\.150\\.0 \\(mock-hwrm\\)`, 'm'));
    expect(tainted()).toBe(taintBefore);
  });
});
