// bnxt as a device type (FWCTL_DEVICE_TYPE_BNXT): what the core, the
// transcripts and the inventory ask of it (lib/registry.ts). The DMA and
// HWRM layout modules are loaded on first use.

import type { DeviceLike } from '../device-like';
import type { InventoryRecord } from '../inventory';
import type { NvConfigHooks } from '../nvconfig';
import { DIR_IN, DIR_OUT, PTR_LE } from '../binding-flags';
import { errorOf, hostU32, registerDeviceType, type DeviceTypeModule, type Secret } from '../registry';
import { BnxtCap, DeviceTypeId } from '../uapi/constants';
import { BNXT_COMMAND_TABLE } from './generated/commands';
import { fwctlInfoBnxt, hwrmInput, hwrmOutput } from '../uapi/structs';
import { reqTypeName, HwrmReqType } from './core';

const REQ_TYPE_AT = hwrmInput.fields.req_type.offset;
const ERROR_CODE_AT = hwrmOutput.fields.error_code.offset;

/** struct fwctl_info_bnxt. */
export interface BnxtDeviceData {
  /** Bitmap of BnxtCap bits. */
  readonly uctxCaps: number;
}

/** inventory(): HWRM_VER_GET (scope DebugReadOnly), then the 7.3 DMA facts. */
export interface BnxtInventoryFacts {
  interfaceVersion: string; firmwareVersion: string; firmwareName: string; managementVersion: string;
  netctrlVersion: string; roceVersion: string; activePackage: string; chipNum: number; chipRev: number;
  /** The NVM package version (PKG_LOG, as bnxt_en reads it; Linux 7.3 DMA commands). */
  packageVersion?: string;
  /** PORT_QSTATS totals of port 0 (decimal strings: 64-bit counters). */
  portStats?: { txFrames: string; rxFrames: string; txBytes: string; rxBytes: string; txErrors: string; rxErrors: string; txDiscards: string; rxDiscards: string };
  /** A fact above that could not be read (ERR_FWCTL_BNXT_NO_DMA before Linux 7.3, a firmware error). */
  factErrors?: { name: string; code: string; message: string }[];
}

declare module '../decode' {
  interface DeviceDataMap {
    bnxt: BnxtDeviceData;
  }
}

declare module '../inventory' {
  interface InventoryRecord {
    /** bnxt HWRM_VER_GET (scope DebugReadOnly). */
    bnxt?: BnxtInventoryFacts;
  }
}

/** Commands that write whatever their scope (the audit trail logs them). */
const WRITES = /^NVM_(WRITE|MODIFY|RAW_WRITE_BLK|SET_VARIABLE|ERASE_DIR_ENTRY|INSTALL_UPDATE|FLUSH)|^FW_SET|SET_STRUCTURED/;

/** Where FUNC_QCAPS / FUNC_QCFG put the MAC address (hsi.h), from the layout table, once. */
let macAt: number | undefined;
const macOffset = () => (macAt ??= (require('./hwrm') as typeof import('./hwrm')).offsetOf('hwrm_func_qcaps_output', 'mac_address'));

const u16le = (r: Uint8Array, o: number) => (r.byteLength >= o + 2 ? r[o] | (r[o + 1] << 8) : -1);

async function inventoryFacts(dev: DeviceLike, rec: InventoryRecord, signal: AbortSignal | undefined): Promise<void> {
  const v = await (require('./core') as typeof import('./core')).verGet(dev, { signal });
  const s = (x: number[]) => x.join('.');
  const b: BnxtInventoryFacts = {
    interfaceVersion: s(v.interfaceVersion), firmwareVersion: s(v.firmwareVersion), firmwareName: v.firmwareName,
    managementVersion: s(v.managementVersion), netctrlVersion: s(v.netctrlVersion), roceVersion: s(v.roceVersion),
    activePackage: v.activePackage, chipNum: v.chipNum, chipRev: v.chipRev,
  };
  rec.bnxt = b;
  // The facts that need the 7.3 DMA commands; each failure is recorded, not thrown.
  const dma = require('./dma') as typeof import('./dma');
  const errors: { name: string; code: string; message: string }[] = [];
  try {
    const p = await dma.packageVersion(dev, { signal });
    if (p !== undefined) b.packageVersion = p;
  } catch (e) {
    errors.push({ name: 'packageVersion', ...errorOf(e) });
  }
  try {
    const t = dma.portTotals(await dma.portStats(dev, { signal }));
    b.portStats = Object.fromEntries(Object.entries(t).map(([k, x]) => [k, x.toString()])) as NonNullable<typeof b.portStats>;
  } catch (e) {
    errors.push({ name: 'portStats', ...errorOf(e) });
  }
  if (errors.length) b.factErrors = errors;
}

const nv = (): NvConfigHooks => (require('./nvconfig') as typeof import('./nvconfig')).bnxtNvConfig;

export const bnxtType: DeviceTypeModule<BnxtDeviceData> = {
  id: DeviceTypeId.Bnxt,
  name: 'bnxt',
  decodeDeviceData: (data) => (data.length < fwctlInfoBnxt.size ? undefined
    : { uctxCaps: hostU32(data, fwctlInfoBnxt.fields.uctx_caps.offset) }),
  // 7.3: each DMA field is an __le64 address with an LE length field (times a unit) or a fixed length.
  pointerGuards: () => BNXT_COMMAND_TABLE.flatMap((cmd) => (cmd.dma ?? []).map((f) => ({
    key: cmd.reqType, ptrOffset: f.addrOffset, lenOffset: f.lenOffset ?? 0,
    lenFlags: (f.lenWidth ?? 0) | PTR_LE, unit: f.unit, fixedLength: f.fixedLength ?? 0,
    direction: f.direction === 'in' ? DIR_IN : DIR_OUT,
  }))),
  commandOf(request) {
    const rt = u16le(request, REQ_TYPE_AT);
    const n = reqTypeName(rt);
    return { name: n ? `HWRM_${n}` : `req_type 0x${rt.toString(16)}`, write: n !== undefined && WRITES.test(n) };
  },
  secretsOf(request, response) {
    const out: Secret[] = [];
    const at = macOffset();
    if (u16le(request, REQ_TYPE_AT) === HwrmReqType.FUNC_QCAPS && response.length >= at + 6) {
      const mac = response.subarray(at, at + 6);
      if (mac.some((x) => x !== 0)) out.push({ kind: 'mac', bytes: Buffer.from(mac) });
    }
    return out;
  },
  firmwareStatus(response) {
    if (response.length < ERROR_CODE_AT + 2) return '';
    const ec = response.readUInt16LE(ERROR_CODE_AT);
    return ec === 0 ? 'error_code 0' : `error_code ${ec}`;
  },
  describeInfo(d) {
    if (d === undefined) return [];
    const c = d.uctxCaps;
    const names = Object.entries(BnxtCap).filter(([, bit]) => c & (1 << bit)).map(([n]) => n.toUpperCase());
    return [['uctxCaps', `0x${c.toString(16)}${names.length ? ` (${names.join(', ')})` : ''}`]];
  },
  inventory: {
    facts: inventoryFacts,
    families: {
      fwctl_bnxt_port_frames_total: 'bnxt port 0 frames (PORT_QSTATS tx_total_frames / rx_total_frames).',
      fwctl_bnxt_port_bytes_total: 'bnxt port 0 bytes (PORT_QSTATS tx_bytes / rx_bytes).',
      fwctl_bnxt_port_errors_total: 'bnxt port 0 errors (PORT_QSTATS tx_err / rx_stat_err).',
      fwctl_bnxt_port_discards_total: 'bnxt port 0 discards (PORT_QSTATS tx_stat_discard / rx_stat_discard).',
    },
    samples(r, add) {
      const b = r.bnxt;
      if (!b) return;
      const device = r.name;
      for (const [component, version, name] of [
        ['interface', b.interfaceVersion, ''], ['firmware', b.firmwareVersion, b.firmwareName],
        ['management', b.managementVersion, ''], ['netctrl', b.netctrlVersion, ''], ['roce', b.roceVersion, ''],
      ]) add('fwctl_firmware_version_info', { device, component, version, name }, 1);
      if (b.packageVersion) add('fwctl_firmware_version_info', { device, component: 'package', version: b.packageVersion, name: '' }, 1);
      const p = b.portStats;
      if (p) {
        for (const [metric, tx, rx] of [['frames', p.txFrames, p.rxFrames], ['bytes', p.txBytes, p.rxBytes],
          ['errors', p.txErrors, p.rxErrors], ['discards', p.txDiscards, p.rxDiscards]]) {
          add(`fwctl_bnxt_port_${metric}_total`, { device, direction: 'tx' }, Number(tx));
          add(`fwctl_bnxt_port_${metric}_total`, { device, direction: 'rx' }, Number(rx));
        }
      }
    },
    summary(r) {
      const b = r.bnxt;
      return b && `fw ${b.firmwareVersion} (${b.firmwareName}), hwrm ${b.interfaceVersion}, pkg ${b.activePackage || '-'}`;
    },
  },
  // NV configuration (lib/bnxt/nvconfig.ts, loaded on first use).
  nvConfig: {
    items: () => nv().items(),
    resolve: (name) => nv().resolve(name),
    get: (dev, names, o) => nv().get(dev, names, o),
    plan: (dev, values, o) => nv().plan(dev, values, o),
    set: (dev, values, o) => nv().set(dev, values, o),
    reset: (dev, names, o) => nv().reset!(dev, names, o),
  },
  // drivers/fwctl/bnxt/main.c: HWRM_NVM_INSTALL_UPDATE is not in the command list; NVM_WRITE/MODIFY need DebugWrite.
  firmwareUpdate: {
    via: 'none',
    why: 'the bnxt fwctl driver does not pass HWRM_NVM_INSTALL_UPDATE (a package install is not in its command list), and writing NVM directly '
      + '(HWRM_NVM_WRITE/MODIFY) needs DebugWrite, which taints the kernel, so this package does not offer it; update with `devlink dev flash` (bnxt_en)',
  },
  errorCodes: ['ERR_FWCTL_BNXT_HWRM', 'ERR_FWCTL_BNXT_NO_DMA'],
  host: {
    pciVendorIds: [0x14e4], // PCI_VENDOR_ID_BROADCOM
    pciClasses: [0x0200], // Ethernet (NetXtreme-E; tg3's NetXtreme too, bound to tg3)
    coreDrivers: ['bnxt_en'],
    auxDevices: ['bnxt_en.fwctl'],
    fwctlModule: 'bnxt_fwctl',
    modules: ['bnxt_fwctl', 'bnxt_en'],
    kconfig: ['FWCTL', 'BNXT', 'FWCTL_BNXT'],
    kconfigDepends: { FWCTL_BNXT: ['FWCTL', 'BNXT'] },
    kconfigDriver: 'FWCTL_BNXT',
    noDeviceReason: 'bnxt_en created no bnxt_en.fwctl device (bnxt_ulp.c adds it at probe; see dmesg for its error)',
    kernelFeatures: [{ since: '7.3', feature: 'bnxt DMA commands (NVM directory and reads, coredump, port statistics)' }],
  },
};

registerDeviceType(bnxtType);
