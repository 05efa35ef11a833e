// lib/mlx5/nvconfig.ts, the pure parts: bit order, the MNVDA request, the
// item table against the generated nv_param.c tables, value encoding and
// range checks, raw names. The device side is proven in the VM
// (test/kernel/suite/nvconfig-mlx5.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  NV_INTERNAL, decodeMnvda, rawBytes, encodeMnvda, encodeMnvia, encodeValue, getBits, mlx5NvConfig, parseRaw, setBits, MNVDA_LENGTH,
} from '../../lib/mlx5/nvconfig';
import { NV_DEVLINK_PARAMS, NV_ITEMS, NV_LAYOUTS } from '../../lib/mlx5/generated/nv-param';
import { deviceTypeModule } from '../../lib/registry';
import { DeviceTypeId } from '../../lib/uapi/constants';
const { kernelSource } = require(path.resolve(__dirname, '../../../scripts/gen/kernel-source')) as { kernelSource(): string | null };
import '../../lib/types/builtin';

const spec = (name: string) => mlx5NvConfig.resolve(name)!;

describe('bits in MLX5_GET order', () => {
  test('bit 0 is the MSB of byte 0; fields cross bytes', () => {
    const b = Buffer.alloc(4);
    setBits(b, 0, 1, 1);
    expect(b[0]).toBe(0x80);
    setBits(b, 23, 9, 0x1ff);
    expect(b.readUInt32BE(0)).toBe(0x800001ff);
    expect(getBits(b, 23, 9)).toBe(0x1ff);
    setBits(b, 23, 9, 0x10c);
    expect(getBits(b, 23, 9)).toBe(0x10c);
    expect(getBits(b, 0, 1)).toBe(1);
    setBits(b, 0, 32, 0xdeadbeef);
    expect(b.readUInt32BE(0)).toBe(0xdeadbeef);
    expect(getBits(b, 0, 32)).toBe(0xdeadbeef);
  });
});

describe('the MNVDA request', () => {
  test('global and per-host-PF items: type word, length, access mode, as nv_param.c sets them', () => {
    const g = NV_INTERNAL.address.sw_offload_conf;
    const r = encodeMnvda(g, 1);
    expect(r.length).toBe(MNVDA_LENGTH);
    expect(MNVDA_LENGTH).toBe(NV_LAYOUTS.mnvda_reg.bits / 8);
    expect(r.readUInt32BE(0) & 0x1ff).toBe(8); // length: MLX5_ST_SZ_BYTES(nv_sw_offload_conf)
    expect((r.readUInt32BE(0) >>> 22) & 3).toBe(1); // access_mode CURRENT
    expect(r.readUInt32BE(4)).toBe(0x0000010a); // class 0, MLX5_CLASS_0_CTRL_ID_NV_SW_OFFLOAD_CONFIG
    const pf = encodeMnvda(NV_INTERNAL.address.per_host_pf_conf, 0);
    expect(pf.readUInt32BE(4)).toBe(0x03000080); // class 3, pf 0, bus 0, MLX5_CLASS_3_CTRL_ID_NV_PF_PCI_CONF
    expect(pf.readUInt32BE(0)).toBe(16);
    const w = encodeMnvda(g, 0, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), 8);
    expect(w.subarray(12, 20)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    const back = Buffer.concat([w.subarray(0, 12), Buffer.from([9, 9, 9, 9, 9, 9, 9, 9, 0xff])]);
    expect(decodeMnvda(back)).toEqual({ length: 8, data: Buffer.from([9, 9, 9, 9, 9, 9, 9, 9]) });
    expect(encodeMnvia()).toEqual(Buffer.alloc(8)); // target 0: all
  });
});

describe('the items', () => {
  const names = mlx5NvConfig.items().map((i) => i.name);

  test('the kernel\'s devlink parameters by name, first, with its kinds and enum names', () => {
    expect(names.slice(0, NV_DEVLINK_PARAMS.length)).toEqual(NV_DEVLINK_PARAMS.map((p) => p.name));
    expect(spec('enable_sriov')).toMatchObject({ kind: 'boolean', appliesTo: 'function' });
    expect(spec('total_vfs')).toMatchObject({ kind: 'integer', min: 0, max: 0xffff, appliesTo: 'function' });
    expect(spec('max_sfs')).toMatchObject({ kind: 'integer', min: 0, max: 0xffff });
    expect(spec('cqe_compress_type')).toMatchObject({ kind: 'enum', values: ['balanced', 'aggressive'] });
    expect(spec('swp_l4_csum_mode')).toMatchObject({ kind: 'enum', values: ['default', 'full_csum', 'l4_only'] });
  });

  test('every field of every layout nv_param.c reads is an item (but the two a devlink parameter is), capabilities read-only', () => {
    let n = 0;
    for (const item of Object.values(NV_ITEMS)) {
      for (const field of Object.keys(NV_LAYOUTS[item.layout].fields)) {
        const q = `${item.layout}.${field}`;
        if (q === 'nv_sw_offload_conf.cqe_compression' || q === 'nv_sw_accelerate_conf.swp_l4_csum_mode') continue;
        const s = spec(q);
        expect(s).toBeDefined();
        expect(!!s.readOnly).toBe(item.layout.endsWith('_cap'));
        n++;
      }
    }
    expect(names.length).toBe(NV_DEVLINK_PARAMS.length + n);
    expect(new Set(names).size).toBe(names.length);
    expect(spec('total_vf').name).toBe('total_vf');
    expect(spec('nv_global_pci_conf.total_vfs').name).toBe('nv_global_pci_conf.total_vfs'); // total_vfs is the devlink name
    expect(spec('max_vfs_per_pf')).toMatchObject({ readOnly: true, kind: 'integer', max: 0xffff });
    expect(spec('sriov_en').kind).toBe('boolean');
  });

  test('mlxconfig aliases, any case', () => {
    expect(spec('SRIOV_EN').name).toBe('sriov_en');
    expect(spec('num_of_vfs').name).toBe('nv_global_pci_conf.total_vfs');
    expect(spec('CQE_COMPRESSION').name).toBe('cqe_compress_type');
    expect(mlx5NvConfig.resolve('NO_SUCH')).toBeUndefined();
  });

  test('each devlink item writes exactly the fields the kernel\'s set callback writes', () => {
    for (const p of NV_DEVLINK_PARAMS) {
      const i = NV_INTERNAL.items.find((x) => x.name === p.name)!;
      const written = new Set(i.writes!(1).map((w) => `${NV_INTERNAL.address[w.item].layout}.${w.field}`));
      expect({ p: p.name, fields: [...written].sort() }).toEqual({ p: p.name, fields: [...p.callbacks.set!.writes].sort() });
      expect([...new Set(i.items)].sort()).toEqual(expect.arrayContaining([...p.callbacks.get.items]));
    }
    // max_sfs 0 leaves per_pf_num_sf alone (another PF may use SFs), as mlx5_devlink_max_sfs_set
    expect(NV_INTERNAL.items.find((x) => x.name === 'max_sfs')!.writes!(0).map((w) => w.field)).not.toContain('per_pf_num_sf');
  });

  test('the generic parameter names are include/net/devlink.h\'s (when the kernel source is here)', () => {
    const src = kernelSource();
    if (!src || !fs.existsSync(path.join(src, 'include/net/devlink.h'))) return;
    const h = fs.readFileSync(path.join(src, 'include/net/devlink.h'), 'utf8');
    for (const n of ['enable_sriov', 'total_vfs', 'max_sfs']) {
      expect(h).toContain(`#define DEVLINK_PARAM_GENERIC_${n.toUpperCase()}_NAME "${n}"`);
    }
  });

  test('docs/api/mlx5.md\'s item table is items(), in order', () => {
    const md = fs.readFileSync(path.join(__dirname, '../../../docs/api/mlx5.md'), 'utf8');
    const table = md.slice(md.indexOf('| name | aliases | kind |'));
    const rows = table.split('\n').slice(2).filter((l) => l.startsWith('| `')).map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.map((r) => r[1].replace(/`/g, ''))).toEqual(names);
    for (const r of rows) {
      const s = spec(r[1].replace(/`/g, ''));
      expect(r[3]).toBe(`${s.kind}${s.readOnly ? ' (read-only)' : ''}`);
      expect(r[5]).toBe(s.appliesTo);
    }
  });

  test('registered as the mlx5 type\'s nvConfig', () => {
    expect(deviceTypeModule(DeviceTypeId.Mlx5)?.nvConfig).toBe(mlx5NvConfig);
  });
});

describe('values', () => {
  test('booleans, integers (decimal or 0x), enum names; the width\'s range', () => {
    expect(encodeValue(spec('enable_sriov'), true)).toBe(1);
    expect(encodeValue(spec('enable_sriov'), 'false')).toBe(0);
    expect(() => encodeValue(spec('enable_sriov'), 1)).toThrow(TypeError);
    expect(encodeValue(spec('total_vfs'), '0x10')).toBe(16);
    expect(encodeValue(spec('total_vfs'), 65535)).toBe(65535);
    expect(() => encodeValue(spec('total_vfs'), 65536)).toThrow(RangeError);
    expect(() => encodeValue(spec('total_vfs'), -1)).toThrow(RangeError);
    expect(() => encodeValue(spec('total_vfs'), 1.5)).toThrow(TypeError);
    expect(() => encodeValue(spec('total_vfs'), '12abc')).toThrow(TypeError);
    expect(() => encodeValue(spec('lro_log_timeout0'), 16)).toThrow(RangeError);
    expect(encodeValue(spec('pci_atomic_mode'), 7)).toBe(7);
    expect(() => encodeValue(spec('pci_atomic_mode'), 8)).toThrow(RangeError);
    expect(encodeValue(spec('cqe_compress_type'), 'aggressive')).toBe(1);
    expect(() => encodeValue(spec('cqe_compress_type'), 'fast')).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' }));
  });

  test('raw:<class>:<index>', () => {
    expect(parseRaw('raw:0:0x150')).toMatchObject({ key: 'raw:0:336', typeClass: 0, parameterIndex: 0x150, capability: false });
    expect(parseRaw('raw:0:129')).toMatchObject({ capability: true, layout: 'nv_global_pci_cap' });
    expect(parseRaw('raw:3:0x3ff')).toMatchObject({ typeClass: 3 });
    expect(() => parseRaw('raw:3:0x400')).toThrow(RangeError); // 10 bits in the per-host-PF class
    expect(() => parseRaw('raw:256:1')).toThrow(RangeError);
    expect(parseRaw('raw:x')).toBeUndefined();
    expect(mlx5NvConfig.resolve('raw:0:1')).toMatchObject({ name: 'raw:0:1' });
    // values: hex bytes of the item's length, or an integer big-endian over it
    expect(rawBytes('r', '0x01020304', 4)).toEqual(Buffer.from([1, 2, 3, 4]));
    expect(rawBytes('r', '0x0102', 4)).toEqual(Buffer.from([0, 0, 1, 2]));
    expect(rawBytes('r', 258, 4)).toEqual(Buffer.from([0, 0, 1, 2]));
    expect(() => rawBytes('r', '0x0102030405', 4)).toThrow(RangeError);
    expect(() => rawBytes('r', 2 ** 32, 4)).toThrow(RangeError);
    expect(() => rawBytes('r', -1, 4)).toThrow(TypeError);
    expect(() => rawBytes('r', true, 4)).toThrow(TypeError);
  });
});
