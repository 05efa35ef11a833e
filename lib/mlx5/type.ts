// mlx5 as a device type (FWCTL_DEVICE_TYPE_MLX5): what the core, the
// transcripts and the inventory ask of it (lib/registry.ts). The typed
// layer's modules are loaded on first use, so registering costs nothing.

import type { FirmwareVersion, ModuleIdentity, Temperature } from './facts';
import type { Adapter } from './core';
import type { DeviceLike } from '../device-like';
import type { InventoryRecord } from '../inventory';
import { errorOf, hostU32, registerDeviceType, type DeviceTypeModule, type Secret } from '../registry';
import { DeviceTypeId, MLX5_UCTX_CAP_TOOLS_RESOURCES } from '../uapi/constants';
import { read } from '../uapi/layout';
import { fwctlInfoMlx5, mlx5MboxInHdr, mlx5MboxOutHdr } from '../uapi/structs';

/** struct fwctl_info_mlx5: the firmware user context bound to this open handle. */
export interface Mlx5DeviceData {
  /** The FW UID the kernel forces into every command header. */
  readonly uid: number;
  /** Capabilities of that user context (MLX5_UCTX_CAP_* bits). */
  readonly uctxCaps: number;
}

/** inventory(): QUERY_ADAPTER (scope Configuration), then mlx5.facts() (registers at DebugReadOnly). */
export interface Mlx5InventoryFacts {
  ieeeVendorId: number; vsdVendorId: number; vsd: string; psid: string;
  firmware?: { running: FirmwareVersion; pending?: FirmwareVersion };
  temperatures?: Temperature[];
  modules?: ModuleIdentity[];
  /** A fact above (or one port's module) that could not be read: firmware, temperatures, modules, module <port>. */
  factErrors?: { name: string; code: string; message: string }[];
}

declare module '../decode' {
  interface DeviceDataMap {
    mlx5: Mlx5DeviceData;
  }
}

declare module '../inventory' {
  interface InventoryRecord {
    /**
     * mlx5 QUERY_ADAPTER (scope Configuration), then mlx5.facts() (registers at
     * DebugReadOnly): firmware versions (MCQS/MCQI), temperatures (MTCAP/MTMP),
     * the transceiver module of each port (PMLP/MCIA).
     */
    mlx5?: Mlx5InventoryFacts;
  }
}

const INFO = fwctlInfoMlx5.fields;
const IN = mlx5MboxInHdr.fields;
const OUT = mlx5MboxOutHdr.fields;
/** access_register_in.register_id (bit 0x50). */
const REGISTER_ID_AT = 0x50 / 8;
const core = () => require('./core') as typeof import('./core');
const ACCESS_REG = new Set([0x805 /* ACCESS_REG */, 0xb0c /* ACCESS_REGISTER_USER */]);
const SET_HCA_CAP = 0x109;
const QUERY_ADAPTER = 0x101;
/** The out mailbox header before a command's output (MLX5_ST_SZ_BYTES(mbox_out_hdr)). */
const OUT_HEADER = mlx5MboxOutHdr.size;
/** MSGI (0x9021): serial_number[0x18] @0, part_number[0x14] @0x20 of the register data, after the out header and the 16-byte access_register header. */
const MSGI = { id: 0x9021, serial: { at: OUT_HEADER + 16, len: 0x18 } };
/** MCDA (0x9063) in an ACCESS_REG request: size (BE16 @10 of mcda_reg) and data (@16), after the 16-byte access_register_in. */
const MCDA = { id: 0x9063, size: 16 + 10, data: 16 + 16 };

/** Where QUERY_ADAPTER's VSD and PSID sit in its output: from the mlx5_ifc.h layout, computed once. */
let adapterFields: { vsd: { at: number; len: number }; psid: { at: number; len: number } } | undefined;
function adapterSecrets() {
  if (adapterFields === undefined) {
    const l = (require('./ifc') as typeof import('./ifc')).layout('query_adapter_param_block');
    const at = (name: string) => {
      const m = l.member.get(name)!;
      return { at: OUT_HEADER + m.offset / 8, len: (m.bits * m.dims.reduce((a, b) => a * b, 1)) / 8 };
    };
    adapterFields = { vsd: at('vsd'), psid: at('vsd_contd_psid') };
  }
  return adapterFields;
}

/** A NUL-terminated string field's bytes (without the NULs), or undefined when shorter than 4. */
function cstringSecret(b: Buffer, at: number, len: number): Buffer | undefined {
  if (b.length < at + 1) return undefined;
  const f = b.subarray(at, Math.min(at + len, b.length));
  const end = f.indexOf(0);
  const v = end < 0 ? f : f.subarray(0, end);
  return v.length >= 4 ? Buffer.from(v) : undefined;
}

const u16be = (r: Uint8Array, o: number) => (r.byteLength >= o + 2 ? (r[o] << 8) | r[o + 1] : -1);
const h = (n: number) => `0x${n.toString(16)}`;

async function inventoryFacts(dev: DeviceLike, rec: InventoryRecord, signal: AbortSignal | undefined): Promise<void> {
  const a: Adapter = await core().queryAdapter(dev, { signal });
  const m: Mlx5InventoryFacts = { ieeeVendorId: a.ieeeVendorId, vsdVendorId: a.vsdVendorId, vsd: a.vsd, psid: a.psid };
  rec.mlx5 = m;
  const errors: { name: string; code: string; message: string }[] = [];
  try {
    const f = await (require('./facts') as typeof import('./facts')).facts(dev, { signal });
    if ('error' in f.firmware) errors.push({ name: 'firmware', ...f.firmware.error });
    else m.firmware = f.firmware;
    if ('error' in f.temperatures) errors.push({ name: 'temperatures', ...f.temperatures.error });
    else m.temperatures = f.temperatures;
    if ('error' in f.modules) errors.push({ name: 'modules', ...f.modules.error });
    else {
      m.modules = [];
      for (const x of f.modules) {
        if ('error' in x) errors.push({ name: `module ${x.localPort}`, ...x.error });
        else m.modules.push(x);
      }
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    errors.push({ name: 'facts', ...errorOf(e) });
  }
  if (errors.length) m.factErrors = errors;
}

export const mlx5Type: DeviceTypeModule<Mlx5DeviceData> = {
  id: DeviceTypeId.Mlx5,
  name: 'mlx5',
  decodeDeviceData: (data) => (data.length < fwctlInfoMlx5.size ? undefined
    : { uid: hostU32(data, INFO.uid.offset), uctxCaps: hostU32(data, INFO.uctx_caps.offset) }),
  commandOf(request) {
    const op = u16be(request, IN.opcode.offset), opMod = u16be(request, IN.op_mod.offset);
    const name = core().opcodeName(op) ?? `opcode ${h(op)}`;
    if (ACCESS_REG.has(op)) {
      const reg = u16be(request, REGISTER_ID_AT);
      const c = { name: `${name} ${opMod === 0 ? 'write' : 'read'} register ${h(reg)}`, write: opMod === 0 };
      // MCDA data: a block of a firmware image (the bytes after mcda_reg's 16-byte header, `size` of them).
      if (reg === MCDA.id && opMod === 0 && request.byteLength >= MCDA.data) {
        return { ...c, bulk: { offset: MCDA.data, length: Math.min(u16be(request, MCDA.size), request.byteLength - MCDA.data) } };
      }
      return c;
    }
    return { name, write: op === SET_HCA_CAP };
  },
  secretsOf(request, response) {
    const out: Secret[] = [];
    const op = u16be(request, IN.opcode.offset);
    if (op === QUERY_ADAPTER) {
      const f = adapterSecrets();
      const psid = cstringSecret(response, f.psid.at, f.psid.len);
      if (psid) out.push({ kind: 'psid', bytes: psid });
      const vsd = cstringSecret(response, f.vsd.at, f.vsd.len);
      if (vsd) out.push({ kind: 'vsd', bytes: vsd });
    }
    if (ACCESS_REG.has(op) && u16be(request, REGISTER_ID_AT) === MSGI.id) {
      const serial = cstringSecret(response, MSGI.serial.at, MSGI.serial.len);
      if (serial) out.push({ kind: 'serial', bytes: serial });
    }
    return out;
  },
  firmwareStatus(response) {
    if (response.length < OUT.syndrome.offset + 4) return '';
    const status = read(response, OUT.status), syndrome = read(response, OUT.syndrome);
    return status === 0 ? 'status OK' : `status 0x${status.toString(16)} syndrome 0x${syndrome.toString(16)}`;
  },
  describeInfo(d) {
    if (d === undefined) return [];
    const c = d.uctxCaps;
    return [['uid', String(d.uid)], ['uctxCaps', `0x${c.toString(16)}${c & MLX5_UCTX_CAP_TOOLS_RESOURCES ? ' (TOOLS_RESOURCES)' : ''}`]];
  },
  inventory: {
    facts: inventoryFacts,
    families: {
      fwctl_mlx5_adapter_info: 'mlx5 QUERY_ADAPTER identity: PSID, VSD and vendor ids.',
      fwctl_mlx5_firmware_info: 'mlx5 firmware versions (MCQS/MCQI boot image): running, and pending activation ("" if none).',
      fwctl_mlx5_temperature_celsius: 'mlx5 temperature per sensor (MTCAP sensor map, MTMP), degrees Celsius.',
      fwctl_mlx5_temperature_max_celsius: 'mlx5 highest temperature recorded per sensor (MTMP max_temperature), degrees Celsius.',
      fwctl_mlx5_module_info: 'mlx5 transceiver module per port (PMLP, MCIA page 0): SFF-8024 type, vendor, part and serial number.',
    },
    samples(r, add) {
      const m = r.mlx5;
      if (!m) return;
      const device = r.name;
      const hex = (n: number, d: number) => `0x${n.toString(16).padStart(d, '0')}`;
      add('fwctl_mlx5_adapter_info', {
        device, psid: m.psid, vsd: m.vsd, ieee_vendor_id: hex(m.ieeeVendorId, 6), vsd_vendor_id: hex(m.vsdVendorId, 4),
      }, 1);
      const pci = r.parent?.pciAddress ?? '';
      const fw = m.firmware;
      if (fw) add('fwctl_mlx5_firmware_info', { device, pci, psid: m.psid, running: fw.running.version, pending: fw.pending?.version ?? '' }, 1);
      for (const t of m.temperatures ?? []) {
        add('fwctl_mlx5_temperature_celsius', { device, pci, sensor: String(t.sensor), name: t.name }, t.celsius);
        add('fwctl_mlx5_temperature_max_celsius', { device, pci, sensor: String(t.sensor), name: t.name }, t.maxCelsius);
      }
      for (const mod of m.modules ?? []) {
        add('fwctl_mlx5_module_info', {
          device, pci, port: String(mod.localPort), module: String(mod.module), type: mod.type,
          vendor: mod.vendor ?? '', part_number: mod.partNumber ?? '', serial_number: mod.serialNumber ?? '',
        }, 1);
      }
    },
    summary(r) {
      const m = r.mlx5;
      return m && `psid ${m.psid}, vsd ${m.vsd || '-'}, vendor 0x${m.ieeeVendorId.toString(16).padStart(6, '0')}`;
    },
  },
  get nvConfig() { return (require('./nvconfig') as typeof import('./nvconfig')).mlx5NvConfig; }, // NV configuration (MNVDA), loaded on first use
  get firmwareUpdate() { return (require('./firmware') as typeof import('./firmware')).mlx5FirmwareUpdate; }, // MCC/MCDA at Configuration, loaded on first use
  errorCodes: ['ERR_FWCTL_MLX5_STATUS', 'ERR_FWCTL_MLX5_MCIA', 'ERR_FWCTL_MLX5_NO_BOOT_IMAGE', 'ERR_FWCTL_MLX5_NV_NOT_WRITABLE', 'ERR_FWCTL_MLX5_NV_READBACK',
    'ERR_FWCTL_MLX5_FLASH_NO_TOOLS_RESOURCES', 'ERR_FWCTL_MLX5_FLASH_UNSUPPORTED', 'ERR_FWCTL_MLX5_FLASH_IMAGE', 'ERR_FWCTL_MLX5_FLASH_PSID_MISMATCH',
    'ERR_FWCTL_MLX5_FLASH_TOO_LARGE', 'ERR_FWCTL_MLX5_FLASH_DOWNGRADE', 'ERR_FWCTL_MLX5_FLASH_LOCKED', 'ERR_FWCTL_MLX5_FSM', 'ERR_FWCTL_MLX5_FSM_TIMEOUT',
    'ERR_FWCTL_MLX5_REACTIVATE', 'ERR_FWCTL_MLX5_MFA2_FORMAT', 'ERR_FWCTL_MLX5_MFA2_NO_PSID', 'ERR_FWCTL_MLX5_MFA2_XZ'],
  host: {
    pciVendorIds: [0x15b3], // PCI_VENDOR_ID_MELLANOX
    pciClasses: [0x0200, 0x0207], // Ethernet, InfiniBand (ConnectX, BlueField)
    coreDrivers: ['mlx5_core'],
    auxDevices: ['mlx5_core.fwctl'],
    // mlx5/core/dev.c is_fwctl_supported(): uctx_cap && !mlx5_core_is_sf(); VFs do get one.
    noFwctlAux: [{ prefix: 'mlx5_core.sf', why: 'an mlx5 SF (sub-function) gets no fwctl device (mlx5/core/dev.c: fwctl only when !mlx5_core_is_sf); use its parent PCI function' }],
    fwctlModule: 'mlx5_fwctl',
    modules: ['mlx5_fwctl', 'mlx5_core'],
    kconfig: ['FWCTL', 'MLX5_CORE', 'FWCTL_MLX5'],
    kconfigDepends: { FWCTL_MLX5: ['FWCTL', 'MLX5_CORE'] },
    kconfigDriver: 'FWCTL_MLX5',
    noDeviceReason: 'mlx5_core created no mlx5_core.fwctl device: the HCA capability uctx_cap is 0 (firmware without user contexts; mlx5/core/dev.c)',
  },
};

registerDeviceType(mlx5Type);
