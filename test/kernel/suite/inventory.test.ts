// fwctl.inventory() against the kernel's own mlx5, bnxt and pds fwctl drivers
// over the emulated firmware (test/kernel/emu) and a generic (unknown-type)
// mock device, in-process: the records' PCI parents and firmware facts, the
// JSON shape, the Prometheus text, and that nothing tainted the kernel.
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import type { Io } from '../../../lib/cli/command';
import { main } from '../../../lib/cli/main';
import * as emu from '../emu/emu';
import * as mock from '../mock/protocol';

interface Dev { name: string; parent: string }
const real = (kind: emu.EmuKind): Dev => ({ name: emu.device(kind).name, parent: emu.pciOf(kind) });

const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));

describe('inventory() over the real drivers and a mock device', () => {
  let m: Dev;
  let b: Dev;
  let p: Dev;
  let g: mock.MockDevice;
  let records: fwctl.InventoryRecord[];
  let taintBefore: number;
  const rec = (d: Dev) => records.find((r) => r.name === d.name)!;

  beforeAll(async () => {
    m = real('mlx5');
    b = real('bnxt');
    p = real('pds');
    g = mock.add();
    taintBefore = tainted();
    records = await fwctl.inventory();
  });
  afterAll(() => {
    if (g) mock.del(g.name);
  });

  test('one record per device, in list() order, none failed', () => {
    expect(records.map((r) => r.name)).toEqual(fwctl.listSync().map((e) => e.name));
    for (const d of [m, b, p, g]) expect(rec(d)).toMatchObject({ path: `/dev/fwctl/${d.name}`, error: null });
  });

  test('PCI parents and their drivers, as on a real host', () => {
    for (const [d, kind] of [[m, 'mlx5'], [b, 'bnxt'], [p, 'pds']] as const) {
      expect(rec(d)).toMatchObject({ parent: { name: d.parent, subsystem: 'pci', pciAddress: d.parent }, driver: `fwctl_emu_${kind}` });
    }
    expect(rec(g)).toMatchObject({ parent: { name: g.parent, subsystem: 'faux', pciAddress: null } });
  });

  test('mlx5: QUERY_ADAPTER identity, for both functions', () => {
    const m2: Dev = { name: emu.mlx5Device(1).name, parent: emu.mlx5Pci(1) };
    for (const d of [m, m2]) {
      expect(rec(d)).toMatchObject({
        parent: { pciAddress: d.parent }, driver: 'fwctl_emu_mlx5', type: { name: 'mlx5', id: 1 },
        mlx5: { ieeeVendorId: 0x0002c9, vsdVendorId: 0x15b3, psid: emu.MLX5.PSID, vsd: emu.MLX5.VSD },
      });
    }
    expect(records.filter((r) => r.driver === 'fwctl_emu_mlx5')).toHaveLength(emu.FUNCTIONS.mlx5);
  });

  test('bnxt: HWRM_VER_GET versions', () => {
    expect(rec(b)).toMatchObject({
      type: { name: 'bnxt', id: 3 },
      bnxt: { firmwareVersion: '230.0.150.0', interfaceVersion: '1.10.3.0', firmwareName: 'emu-hwrm', chipNum: 0x1750 },
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
      for (const k of Object.keys(r)) expect(['name', 'path', 'parent', 'driver', 'type', 'error', 'mlx5', 'bnxt', 'cxl', 'note', 'nvConfig']).toContain(k);
    }
    expect(Object.keys(j.find((r) => r.name === b.name)!.bnxt as object).sort()).toEqual([
      'activePackage', 'chipNum', 'chipRev', 'firmwareName', 'firmwareVersion', 'interfaceVersion',
      'managementVersion', 'netctrlVersion', 'packageVersion', 'portStats', 'roceVersion']);
  });

  test('Prometheus text', () => {
    const text = fwctl.toPrometheus(records);
    expect(text).toContain(`fwctl_device_info{device="${m.name}",type="mlx5",parent="${m.parent}",driver="${rec(m).driver ?? ''}"} 1\n`);
    expect(text).toContain(`fwctl_firmware_version_info{device="${b.name}",component="firmware",version="230.0.150.0",name="emu-hwrm"} 1\n`);
    expect(text).toMatch(new RegExp(`^fwctl_mlx5_adapter_info\\{device="${m.name}",psid="${emu.MLX5.PSID}",`, 'm'));
    expect(text).toContain(`fwctl_device_info{device="${g.name}",type="unknown",`);
    expect(text).not.toContain('fwctl_query_error');
    expect(text.match(/^# TYPE fwctl_device_info gauge$/gm)).toHaveLength(1);
  });

  test('the CLI, in-process: table and exit 0; nothing tainted', async () => {
    let out = '';
    const io: Io = { stdout: (t) => void (out += t), stderr: () => undefined, stdoutBytes: () => undefined, readStdin: async () => Buffer.alloc(0) };
    expect(await main(['inventory'], io)).toBe(0);
    expect(out).toMatch(new RegExp(`^${b.name} +bnxt\\(3\\) +${b.parent} .*fw 230\\.0\\.150\\.0 \\(emu-hwrm\\)`, 'm'));
    expect(tainted()).toBe(taintBefore);
  });
});
