// fwctl.inventory(): record building against a fake sysfs and binding, the
// Prometheus formatter, and `fwctl inventory`.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from './helpers/cli';
import { setBindingForTesting, splitRdev } from '../../lib/device';
import { ifc } from '../../lib/mlx5';
import { escapeLabel, inventory, toPrometheus, type InventoryRecord } from '../../lib/inventory';
import { HOST_LE } from '../../lib/uapi/layout';
import { FakeBinding, FakeHandle, mlx5AdapterResponder, type Responder } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';

const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);
const setU32 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(off, v, HOST_LE);

let sys: FakeSys;
let fake: FakeBinding;
let responder: Responder;

/** fwctl0: an mlx5 device answering FWCTL_INFO and QUERY_ADAPTER; any other command BAD_OP. */
const mlx5Responder: Responder = mlx5AdapterResponder('vsd "x"');

beforeEach(() => {
  sys = new FakeSys();
  sys.addParent('pci0000:00/0000:01:00.0', { subsystem: 'pci', driver: 'mlx5_core' });
  sys.addFwctl('fwctl0', 'pci0000:00/0000:01:00.0', NULL_DEV.major, NULL_DEV.minor);
  fs.symlinkSync('/dev/null', path.join(sys.dev, 'fwctl', 'fwctl0'));
  sys.addParent('faux/fwctl-mock7', { subsystem: 'faux' });
  sys.addFwctl('fwctl12', 'faux/fwctl-mock7', 240, 12); // no device node: open fails
  process.env.FWCTL_SYSFS_ROOT = sys.sys;
  process.env.FWCTL_DEV_ROOT = sys.dev;
  responder = mlx5Responder;
  fake = new FakeBinding(() => new FakeHandle((c) => responder(c), [fs.constants.S_IFCHR, NULL_DEV.major, NULL_DEV.minor]));
  setBindingForTesting(fake);
});
afterEach(() => {
  setBindingForTesting(undefined);
  delete process.env.FWCTL_SYSFS_ROOT;
  delete process.env.FWCTL_DEV_ROOT;
  sys.remove();
});

describe('inventory()', () => {
  test('one record per device in list() order; a failing device gets error, not a rejection', async () => {
    const recs = await inventory(sys.roots);
    expect(recs.map((r) => r.name)).toEqual(['fwctl0', 'fwctl12']);
    expect(recs[0]).toEqual({
      name: 'fwctl0', path: path.join(sys.dev, 'fwctl', 'fwctl0'),
      parent: { name: '0000:01:00.0', subsystem: 'pci', pciAddress: '0000:01:00.0' }, driver: 'mlx5_core',
      type: { name: 'mlx5', id: 1 },
      mlx5: {
        ieeeVendorId: 0x0002c9, vsdVendorId: 0x15b3, vsd: 'vsd "x"', psid: 'MT_0000000001',
        // the firmware answers nothing but QUERY_ADAPTER: each fact is an error, the record stands
        factErrors: [
          { name: 'firmware', code: 'ERR_FWCTL_MLX5_STATUS', message: expect.any(String) },
          { name: 'temperatures', code: 'ERR_FWCTL_MLX5_STATUS', message: expect.any(String) },
          { name: 'modules', code: 'ERR_FWCTL_MLX5_STATUS', message: expect.any(String) },
        ],
      },
      error: null,
    });
    expect(recs[1]).toMatchObject({ name: 'fwctl12', type: null, parent: { name: 'fwctl-mock7', subsystem: 'faux' }, error: { code: 'ENOENT' } });
    // QUERY_ADAPTER at Configuration (scope 0), the handle closed afterwards
    const rpc = fake.handles[0].calls.find((c) => c.request === fake.FWCTL_RPC)!;
    expect(new DataView(rpc.arg.buffer).getUint32(4, HOST_LE)).toBe(0);
    expect(fake.handles[0].closeCount).toBe(1);
  });

  test('mlx5 facts: firmware versions, temperatures and the module of each port (MCQS/MCQI, MTCAP/MTMP, PMLP/MCIA)', async () => {
    const page = Buffer.alloc(256);
    page[0] = 0x18; // QSFP-DD: CMIS offsets
    page.write('VEND "Q"        ', 129, 'latin1');
    page.write('PART-1', 148, 'latin1');
    page.write('SN1', 166, 'latin1');
    const registers: Record<number, (data: Buffer) => Buffer> = {
      0x9060: () => ifc.encode('mcqs_reg', { last_index_flag: 1, identifier: 1, component_update_state: 0 }),
      0x9061: () => Buffer.concat([ifc.encode('mcqi_reg', { info_type: 1 }),
        ifc.encode('mcqi_version', { version: (16 << 24) | (35 << 16) | 4030, version_string_length: 3, version_string: Buffer.from('abc') })]),
      0x9009: () => ifc.encode('mtcap_reg', { sensor_count: 2, sensor_map: 0x5n }),
      0x900a: (d) => {
        const i = ifc.decode('mtmp_reg', d).sensor_index as number;
        return ifc.encode('mtmp_reg', { sensor_index: i, temperature: i === 0 ? 50 * 8 : 0x10000 - 4, max_temperature: 70 * 8, sensor_name_hi: 0x41534943 });
      },
      0x5002: (d) => ifc.encode('pmlp_reg', { local_port: ifc.decode('pmlp_reg', d).local_port as number, width: 2, lane0_module_mapping: 5 }),
      0x9014: (d) => {
        const q = ifc.decode('mcia_reg', d);
        const at = q.device_address as number;
        const size = q.size as number;
        return ifc.encode('mcia_reg', { module: q.module as number, size, dwords: Buffer.concat([page.subarray(at, at + size)], 128) });
      },
    };
    responder = (c) => {
      if (c.request === fake.FWCTL_INFO) return mlx5Responder(c);
      const inb = Buffer.from(c.buffers[0]);
      const out = Buffer.from(c.buffers[1].buffer, c.buffers[1].byteOffset, c.buffers[1].length);
      const opcode = inb.readUInt16BE(0);
      if (opcode === 0x101) return mlx5Responder(c);
      out.fill(0);
      setU32(c.arg, 12, out.length);
      if (opcode === 0x100) ifc.encode('cmd_hca_cap', { num_ports: 2 }).copy(out, 16);
      else if (opcode === 0x805 && registers[inb.readUInt16BE(10)]) registers[inb.readUInt16BE(10)](inb.subarray(16)).copy(out, 16);
      else out[0] = 2;
      return 0;
    };
    const [r] = await inventory(sys.roots);
    expect(r.error).toBeNull();
    expect(r.mlx5).toEqual({
      ieeeVendorId: 0x0002c9, vsdVendorId: 0x15b3, vsd: 'vsd "x"', psid: 'MT_0000000001',
      firmware: { running: { version: '16.35.4030', raw: ((16 << 24) | (35 << 16) | 4030) >>> 0, versionString: 'abc' } },
      temperatures: [{ sensor: 0, name: 'ASIC', celsius: 50, maxCelsius: 70 }, { sensor: 2, name: 'ASIC', celsius: -0.5, maxCelsius: 70 }],
      modules: [1, 2].map((localPort) => ({ localPort, module: 5, identifier: 0x18, type: 'QSFP-DD', vendor: 'VEND "Q"', partNumber: 'PART-1', serialNumber: 'SN1' })),
    });
    // every fact read at DebugReadOnly or below: nothing that could taint
    for (const c of fake.handles[0].calls.filter((x) => x.request === fake.FWCTL_RPC)) {
      expect(new DataView(c.arg.buffer).getUint32(4, HOST_LE)).toBeLessThanOrEqual(1);
    }
    const text = toPrometheus([r]);
    expect(text).toContain('fwctl_mlx5_firmware_info{device="fwctl0",pci="0000:01:00.0",psid="MT_0000000001",running="16.35.4030",pending=""} 1\n');
    expect(text).toContain('fwctl_mlx5_temperature_celsius{device="fwctl0",pci="0000:01:00.0",sensor="2",name="ASIC"} -0.5\n');
    expect(text).toContain('fwctl_mlx5_temperature_max_celsius{device="fwctl0",pci="0000:01:00.0",sensor="0",name="ASIC"} 70\n');
    expect(text).toContain('fwctl_mlx5_module_info{device="fwctl0",pci="0000:01:00.0",port="2",module="5",type="QSFP-DD",vendor="VEND \\"Q\\"",part_number="PART-1",serial_number="SN1"} 1\n');
    for (const m of ['fwctl_mlx5_firmware_info', 'fwctl_mlx5_temperature_celsius', 'fwctl_mlx5_temperature_max_celsius', 'fwctl_mlx5_module_info']) {
      expect(text.split('\n').filter((l) => l === `# TYPE ${m} gauge`)).toHaveLength(1);
    }
  });

  test('EACCES on open and a firmware error are per-device errors', async () => {
    fake.next = -13;
    expect((await inventory(sys.roots))[0].error).toMatchObject({ code: 'EACCES' });
    fake.next = () => new FakeHandle((c) => {
      if (c.request === fake.FWCTL_INFO) return mlx5Responder(c);
      c.buffers[1][0] = 3; // status BAD_PARAM
      setU32(c.arg, 12, c.buffers[1].length);
      return 0;
    }, [fs.constants.S_IFCHR, NULL_DEV.major, NULL_DEV.minor]);
    const r = (await inventory(sys.roots))[0];
    expect(r).toMatchObject({ type: { name: 'mlx5', id: 1 }, error: { code: 'ERR_FWCTL_MLX5_STATUS' } });
    expect(r.mlx5).toBeUndefined();
  });

  test('an unknown type: info only, with a note', async () => {
    responder = (c) => {
      setU32(c.arg, 8, 0xfff0);
      setU32(c.arg, 12, 0);
      return 0;
    };
    const r = (await inventory(sys.roots))[0];
    expect(r).toMatchObject({ type: { name: 'unknown', id: 0xfff0 }, error: null, note: expect.stringMatching(/not known/) });
    expect(fake.handles[0].calls.every((c) => c.request === fake.FWCTL_INFO)).toBe(true);
  });
});

describe('toPrometheus()', () => {
  const rec = (over: Partial<InventoryRecord>): InventoryRecord => ({
    name: 'fwctl0', path: '/dev/fwctl/fwctl0', parent: { name: '0000:3b:00.0', subsystem: 'pci', pciAddress: '0000:3b:00.0' },
    driver: 'bnxt_en', type: { name: 'bnxt', id: 3 }, error: null, ...over,
  });

  test('escapes backslash, double quote and newline in label values', () => {
    expect(escapeLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = toPrometheus([rec({ mlx5: { ieeeVendorId: 1, vsdVendorId: 2, vsd: 'x"y\\z\nw', psid: 'P' } })]);
    expect(text).toContain('vsd="x\\"y\\\\z\\nw"');
    expect(text.split('\n').filter((l) => l.startsWith('fwctl_mlx5_adapter_info{'))).toHaveLength(1);
  });

  test('HELP and TYPE once per metric, before its samples; empty metrics left out', () => {
    const v = { interfaceVersion: '1.10.3.0', firmwareVersion: '230.0.150.0', firmwareName: 'fw', managementVersion: '1.2.3.4',
      netctrlVersion: '0.0.0.0', roceVersion: '0.0.0.0', activePackage: '', chipNum: 0x1750, chipRev: 1 };
    const text = toPrometheus([
      rec({ bnxt: v }),
      rec({ name: 'fwctl1', bnxt: v }),
      rec({ name: 'fwctl2', type: { name: 'cxl', id: 2 }, parent: { name: 'mem0', subsystem: 'cxl', pciAddress: null }, driver: null,
        cxl: { featureCount: 3, features: [] } }),
      rec({ name: 'fwctl3', type: null, error: { code: 'EACCES', message: 'no' } }),
    ]);
    for (const m of ['fwctl_device_info', 'fwctl_firmware_version_info', 'fwctl_cxl_features', 'fwctl_query_error']) {
      const help = text.split('\n').filter((l) => l.startsWith(`# HELP ${m} `));
      const type = text.split('\n').filter((l) => l === `# TYPE ${m} gauge`);
      expect([help.length, type.length]).toEqual([1, 1]);
      const lines = text.split('\n');
      expect(lines.indexOf(type[0])).toBeLessThan(lines.findIndex((l) => l.startsWith(`${m}{`)));
    }
    expect(text).not.toContain('fwctl_mlx5_adapter_info');
    expect(text).toContain('fwctl_device_info{device="fwctl0",type="bnxt",parent="0000:3b:00.0",driver="bnxt_en"} 1\n');
    expect(text).toContain('fwctl_device_info{device="fwctl2",type="cxl",parent="mem0",driver=""} 1\n');
    expect(text).toContain('fwctl_firmware_version_info{device="fwctl1",component="firmware",version="230.0.150.0",name="fw"} 1\n');
    expect(text).toContain('fwctl_cxl_features{device="fwctl2"} 3\n');
    expect(text).toContain('fwctl_device_info{device="fwctl3",type="unknown",');
    expect(text).toContain('fwctl_query_error{device="fwctl3",code="EACCES"} 1\n');
    expect(text.endsWith('\n')).toBe(true);
    expect(toPrometheus([])).toBe('');
  });
});

describe('fwctl inventory', () => {
  const run = cli;

  test('table, --json, --prometheus; exit 0 with a failing device', async () => {
    const t = await run('inventory');
    expect(t.code).toBe(0);
    const lines = t.io.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +TYPE +PARENT +SUBSYSTEM +DRIVER +FIRMWARE$/);
    expect(lines[1]).toMatch(/^fwctl0 +mlx5\(1\) +0000:01:00.0 +pci +mlx5_core +psid MT_0000000001, vsd vsd "x", vendor 0x0002c9$/);
    expect(lines[2]).toMatch(/^fwctl12 +- +fwctl-mock7 +faux +- +error ENOENT: /);
    expect(lines[0].indexOf('FIRMWARE')).toBe(lines[1].indexOf('psid'));
    const j = await run('inventory', '--json');
    expect(j.code).toBe(0);
    expect(JSON.parse(j.io.out)).toEqual(JSON.parse(JSON.stringify(await inventory())));
    const p = await run('inventory', '--prometheus');
    expect(p.code).toBe(0);
    expect(p.io.out).toBe(toPrometheus(await inventory()));
  });

  test('--json with --prometheus, or an argument: usage error', async () => {
    expect((await run('inventory', '--json', '--prometheus')).code).toBe(2);
    expect((await run('inventory', 'fwctl0')).code).toBe(2);
  });
});
