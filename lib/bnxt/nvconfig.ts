// bnxt NV configuration (lib/nvconfig.ts's NvConfigHooks): the kernel's own
// named options, nvm_params[] of bnxt_devlink.c (generated/nvm-params.ts),
// by their devlink names, through HWRM_NVM_GET_VARIABLE / _SET_VARIABLE at
// Scope.Configuration (the least scope bnxt_fwctl allows them; no taint).
// What the kernel's devlink callbacks do, done here the same way:
//   - data_len counts bits: each option is read and written in its width;
//   - a per-function option (BNXT_NVM_FUNC_CFG) is addressed by
//     index_0 = fw_fid - BNXT_FIRST_PF_FID, dimensions 1 when non-zero;
//     fw_fid is FUNC_QCAPS(fid 0xffff).fid, as bnxt_en reads it
//     (bnxt_hwrm_func_qcaps), at DebugReadOnly (no taint);
//   - gre_ver_check is the inverse of option 171 (DIS_GRE_VER_CHECK);
//   - msix_vec_per_pf_max/min refused above bnxt_dl_msix_validate's limits
//     (and their widths: 10 and 7 bits);
//   - enable_roce refused unless the RDMA capability option (161) reads true
//     (bnxt_dl_roce_validate).
// Every check is made before the first write; every write is read back.
// bnxt firmware has no current/next distinction: a value read is the stored
// one, which the firmware loads at its next reset (`next`); the factory
// default comes from NVM_GET_VARIABLE_REQ_FLAGS_FACTORY_DFLT.
// `raw:<option>[:<bits>]` names an option the kernel does not (shared
// config, default 32 bits).

import type { DeviceLike } from '../device-like';
import { checkNvValue, NvConfigError, type NvCallOptions, type NvChange, type NvConfigHooks, type NvItemSpec, type NvReading, type NvSetResult, type NvValue } from '../nvconfig';
import { BNXT_FIRST_PF_FID, BNXT_NVM_CAPABILITY, BNXT_NVM_PARAMS, type BnxtNvmParam } from './generated/nvm-params';
import { BnxtFirmwareError } from './core';
import { execNamed } from './exec';
import { nvmGetVariable, nvmSetVariable } from './dma';

/** hsi.h hwrm_nvm_get_variable_cmd_err codes (cmd_err of hwrm_err_output, offset 14). */
const CMD_ERR_VAR_NOT_EXIST = 0x1;
const CMD_ERR_AT = 14;

interface Item {
  spec: NvItemSpec;
  option: number;
  bits: number;
  config: BnxtNvmParam['config'];
  inverted: boolean;
  requiresCapability: boolean;
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  enable_sriov: 'SR-IOV enabled (devlink enable_sriov)',
  ignore_ari: 'ignore ARI capability (devlink ignore_ari)',
  msix_vec_per_pf_max: 'maximum MSI-X vectors per PF (devlink msix_vec_per_pf_max)',
  msix_vec_per_pf_min: 'minimum MSI-X vectors per PF (devlink msix_vec_per_pf_min)',
  enable_roce: 'RoCE on this function (devlink enable_roce; needs the RDMA capability, option 161)',
  gre_ver_check: 'GRE version check (devlink gre_ver_check: the inverse of option 171, DIS_GRE_VER_CHECK)',
};

const APPLIES: Record<BnxtNvmParam['config'], NvItemSpec['appliesTo']> = { shared: 'adapter', port: 'port', function: 'function' };

function itemOf(p: BnxtNvmParam): Item {
  const max = Math.min(2 ** p.bits - 1, p.validateMax ?? Infinity);
  const spec: NvItemSpec = p.bits === 1
    ? { name: p.name, kind: 'boolean', appliesTo: APPLIES[p.config], description: DESCRIPTIONS[p.name] ?? `NVM option ${p.option}` }
    : { name: p.name, kind: 'integer', min: 0, max, appliesTo: APPLIES[p.config], description: DESCRIPTIONS[p.name] ?? `NVM option ${p.option}` };
  return { spec, option: p.option, bits: p.bits, config: p.config, inverted: !!p.inverted, requiresCapability: p.requires === 'capability' };
}

const ITEMS: readonly Item[] = BNXT_NVM_PARAMS.map(itemOf);
const BY_NAME = new Map(ITEMS.map((i) => [i.spec.name, i]));
const RAW = /^raw:(\d+|0x[0-9a-f]+)(?::(\d+))?$/i;

function rawItem(name: string): Item | undefined {
  const m = RAW.exec(name);
  if (!m) return undefined;
  const option = Number(m[1]);
  const bits = m[2] === undefined ? 32 : Number(m[2]);
  if (option < 1 || option > 0xfffe || bits < 1 || bits > 32) return undefined;
  const canonical = `raw:${option}${m[2] === undefined ? '' : `:${bits}`}`;
  return {
    spec: { name: canonical, kind: bits === 1 ? 'boolean' : 'integer', ...(bits === 1 ? {} : { min: 0, max: 2 ** bits - 1 }), appliesTo: 'adapter', description: `NVM option ${option} (${bits} bits, shared config; not named by the kernel)` },
    option, bits, config: 'shared', inverted: false, requiresCapability: false,
  };
}

function lookup(name: string): Item | undefined {
  return BY_NAME.get(name) ?? rawItem(name);
}

function must(name: string, path: string): Item {
  const i = lookup(name);
  if (!i) throw new NvConfigError('ERR_FWCTL_NV_UNKNOWN_ITEM', `${path}: bnxt has no NV item ${name}`, { path, item: name, known: ITEMS.map((x) => x.spec.name) });
  return i;
}

// ---- addressing ----

const fids = new WeakMap<DeviceLike, number>();

/** This function's firmware fid: FUNC_QCAPS with fid 0xffff (this function), as bnxt_en asks; cached per handle. */
async function fwFid(dev: DeviceLike, signal?: AbortSignal): Promise<number> {
  const had = fids.get(dev);
  if (had !== undefined) return had;
  const r = await execNamed(dev, 'FUNC_QCAPS', { fid: 0xffff }, { signal });
  const fid = r.data!.fid as number;
  fids.set(dev, fid);
  return fid;
}

/** index_0 and dimensions as __bnxt_hwrm_nvm_req sets them. */
async function addressOf(dev: DeviceLike, item: Item, signal?: AbortSignal): Promise<{ index: number[]; dimensions: number; target?: string }> {
  if (item.config === 'function') {
    const fid = await fwFid(dev, signal);
    const idx = fid - BNXT_FIRST_PF_FID;
    return { index: [idx], dimensions: idx ? 1 : 0, target: `fid ${fid}` };
  }
  if (item.config === 'port') {
    // port options index by port_id (FUNC_QCAPS.port_id); nvm_params[] has none in Linux 7.3
    const r = await execNamed(dev, 'FUNC_QCAPS', { fid: 0xffff }, { signal });
    const port = r.data!.port_id as number;
    return { index: [port], dimensions: port ? 1 : 0, target: `port ${port}` };
  }
  return { index: [], dimensions: 0 };
}

const toApi = (item: Item, raw: number): NvValue => (item.bits === 1 ? (raw !== 0) !== item.inverted : raw);
const toNvm = (item: Item, v: NvValue): number => (item.bits === 1 ? Number((v as boolean) !== item.inverted) : (v as number));

function unknownOption(dev: DeviceLike, item: Item, e: unknown): unknown {
  if (e instanceof BnxtFirmwareError && e.kind === 'firmware' && e.result.response.length > CMD_ERR_AT && e.result.response[CMD_ERR_AT] === CMD_ERR_VAR_NOT_EXIST) {
    return new NvConfigError('ERR_FWCTL_NV_UNKNOWN_ITEM', `${dev.path}: the firmware has no NVM option ${item.option} (${item.spec.name}: NVM_GET_VARIABLE cmd_err VAR_NOT_EXIST)`,
      { path: dev.path, item: item.spec.name, known: ITEMS.map((x) => x.spec.name), cause: e });
  }
  return e;
}

async function readRaw(dev: DeviceLike, item: Item, signal: AbortSignal | undefined, factoryDefault = false): Promise<number> {
  const a = await addressOf(dev, item, signal);
  try {
    const v = await nvmGetVariable(dev, item.option, { bits: item.bits, index: a.index, dimensions: a.dimensions, factoryDefault, signal });
    return Number(v.value);
  } catch (e) {
    throw unknownOption(dev, item, e);
  }
}

async function reading(dev: DeviceLike, item: Item, signal: AbortSignal | undefined): Promise<NvReading> {
  const a = await addressOf(dev, item, signal);
  const next = toApi(item, await readRaw(dev, item, signal));
  let dflt: NvValue | undefined;
  try {
    dflt = toApi(item, await readRaw(dev, item, signal, true));
  } catch {
    dflt = undefined; // firmware without factory defaults for it: leave it out
  }
  return { name: item.spec.name, appliesTo: item.spec.appliesTo, next, ...(dflt !== undefined ? { default: dflt } : {}), ...(a.target ? { target: a.target } : {}) };
}

async function capable(dev: DeviceLike, signal: AbortSignal | undefined): Promise<boolean> {
  const cap: Item = { spec: { name: 'rdma_capable', kind: 'boolean', appliesTo: 'adapter', description: '' }, option: BNXT_NVM_CAPABILITY.option, bits: BNXT_NVM_CAPABILITY.bits, config: BNXT_NVM_CAPABILITY.config, inverted: false, requiresCapability: false };
  return (await readRaw(dev, cap, signal)) !== 0;
}

async function planOf(dev: DeviceLike, values: Readonly<Record<string, NvValue>>, o: NvCallOptions): Promise<{ item: Item; change: NvChange }[]> {
  const todo: { item: Item; value: NvValue }[] = [];
  for (const [name, v] of Object.entries(values)) {
    const item = must(name, dev.path);
    todo.push({ item, value: checkNvValue(item.spec, v, dev.path) });
  }
  const out: { item: Item; change: NvChange }[] = [];
  for (const { item, value } of todo) {
    if (item.requiresCapability && !(await capable(dev, o.signal))) {
      throw new NvConfigError('ERR_FWCTL_NV_REFUSED', `${dev.path}: ${item.spec.name}: the device is not RDMA capable (NVM option ${BNXT_NVM_CAPABILITY.option} reads false; the kernel's bnxt_dl_roce_validate refuses it too): refused before any write`,
        { path: dev.path, item: item.spec.name });
    }
    const from = toApi(item, await readRaw(dev, item, o.signal));
    if (from !== value) out.push({ item, change: { name: item.spec.name, from, to: value } });
  }
  return out;
}

async function write(dev: DeviceLike, item: Item, change: NvChange, o: NvCallOptions): Promise<NvSetResult> {
  const a = await addressOf(dev, item, o.signal);
  try {
    await nvmSetVariable(dev, item.option, toNvm(item, change.to), { bits: item.bits, index: a.index, dimensions: a.dimensions, signal: o.signal });
  } catch (e) {
    if (e instanceof BnxtFirmwareError) {
      throw new NvConfigError('ERR_FWCTL_NV_WRITE_FAILED', `${dev.path}: the firmware refused ${item.spec.name} = ${String(change.to)} (NVM_SET_VARIABLE option ${item.option}: ${e.message})`,
        { path: dev.path, item: item.spec.name, cause: e });
    }
    throw e;
  }
  const readBack = toApi(item, await readRaw(dev, item, o.signal));
  if (readBack !== change.to) {
    throw new NvConfigError('ERR_FWCTL_NV_READBACK', `${dev.path}: ${item.spec.name} read back ${String(readBack)} after writing ${String(change.to)}`, { path: dev.path, item: item.spec.name });
  }
  return { ...change, readBack, takesEffect: 'next-reset' };
}

export const bnxtNvConfig: NvConfigHooks = {
  items: () => ITEMS.map((i) => i.spec),
  resolve: (name) => lookup(name)?.spec,
  async get(dev, names, o) {
    const list = names === undefined ? ITEMS : names.map((n) => must(n, dev.path));
    const out: NvReading[] = [];
    for (const item of list) out.push(await reading(dev, item, o.signal));
    return out;
  },
  async plan(dev, values, o) {
    return (await planOf(dev, values, o)).map((p) => p.change);
  },
  async set(dev, values, o) {
    const steps = await planOf(dev, values, o); // every check before the first write
    const out: NvSetResult[] = [];
    for (const s of steps) out.push(await write(dev, s.item, s.change, o));
    return out;
  },
  // No NVM_FACTORY_DEFAULTS: bnxt_fwctl passes it at Configuration, but hsi.h
  // has no layout for it (and it resets every option at once). A reset here
  // reads each option's factory default (NVM_GET_VARIABLE FACTORY_DFLT) and
  // writes it as a set does, checked and read back.
  async reset(dev, names, o) {
    const list = names === undefined ? ITEMS : names.map((n) => must(n, dev.path));
    const values: Record<string, NvValue> = {};
    for (const item of list) {
      if (item.requiresCapability && !(await capable(dev, o.signal))) continue; // nothing the kernel would let us write
      values[item.spec.name] = toApi(item, await readRaw(dev, item, o.signal, true));
    }
    return bnxtNvConfig.set(dev, values, o);
  },
};

