// mlx5 NV configuration (what mlxconfig and devlink's permanent parameters
// change for the next boot): the NvConfigHooks of lib/nvconfig.ts over the
// MNVDA register (0x9024), as drivers/net/ethernet/mellanox/mlx5/core/lib/
// nv_param.c uses it, through ACCESS_REG:
//   reads  (op_mod 1) at Scope.DebugReadOnly (the driver refuses a read at
//          Configuration with EBADMSG: drivers/fwctl/mlx5/main.c);
//   writes (op_mod 0) at Scope.Configuration.
// Neither scope taints the kernel or needs CAP_SYS_RAWIO.
//
// Items, from the generated tables (generated/nv-param.ts, nv_param.c):
//   - the kernel's devlink parameters by their names (enable_sriov,
//     total_vfs, max_sfs, cqe_compress_type, swp_l4_csum_mode), read and
//     written the way their callbacks do (enable_sriov and total_vfs touch
//     the global and the per-host-PF item; validate checks against
//     nv_global_pci_cap / nv_sw_offload_cap before any write);
//   - every other field of the items nv_param.c lays out, by field name
//     (qualified as <layout>.<field> where a bare name would be ambiguous;
//     the qualified form is always accepted); the capability items'
//     fields are read-only;
//   - raw:<class>:<index>, any item the kernel does not name (its data as
//     hex bytes).
// Values: next (MNVDA access mode NEXT, what the next reset loads and all the
// kernel reads), current (mode CURRENT: the running value; this package's
// extension, which the kernel never reads) and default (mode DEFAULT).
//
// MNVQC (0x9030: may this host read / write the item) and MNVIA (0x9033:
// invalidate all, i.e. back to defaults) are not in the kernel source: their
// layouts below are the PRM's (as mstflint's tools_open layouts publish
// them: nvqc, nvia), the one table here not generated.

import type { DeviceLike } from '../device-like';
import type { NvCallOptions, NvChange, NvConfigHooks, NvItemSpec, NvReading, NvSetResult, NvValue, NvWhen } from '../nvconfig';
import { FwctlError, FwctlRangeError, FwctlTypeError, internalError, show } from '../errors';
import { Scope } from '../uapi/constants';
import { readRegister, writeRegister } from './typed';
import { MLX5_REG_MNVDA, NV_ACCESS_MODE, NV_DEFAULT_LOG_SF_BAR_SIZE, NV_DEVLINK_PARAMS, NV_ITEMS, NV_LAYOUTS } from './generated/nv-param';

// ---- bits (MLX5_GET/MLX5_SET order: bit 0 is the MSB of byte 0) ----

/** A field of up to 32 bits at a bit offset. */
export function getBits(b: Uint8Array, offset: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; i++) {
    const bit = offset + i;
    v = v * 2 + ((b[bit >> 3] >> (7 - (bit & 7))) & 1);
  }
  return v;
}

export function setBits(b: Uint8Array, offset: number, width: number, value: number): void {
  for (let i = width - 1, v = value; i >= 0; i--, v = Math.floor(v / 2)) {
    const bit = offset + i;
    const mask = 1 << (7 - (bit & 7));
    if (v % 2) b[bit >> 3] |= mask;
    else b[bit >> 3] &= ~mask;
  }
}

type LayoutName = keyof typeof NV_LAYOUTS;
type Field = readonly [number, number] | readonly [number, number, number];
const fieldOf = (layout: LayoutName, name: string): Field => {
  const f = (NV_LAYOUTS[layout].fields as Readonly<Record<string, Field>>)[name];
  if (f === undefined) throw internalError(`nv-param: ${layout} has no field ${name}`);
  return f;
};
const bytesOf = (layout: LayoutName) => NV_LAYOUTS[layout].bits / 8;

// ---- the registers ----

/** MLX5_ST_SZ_BYTES(mnvda_reg): what the kernel sends and receives (header + 256 data bytes). */
export const MNVDA_LENGTH = bytesOf('mnvda_reg');
const DATA_AT = fieldOf('mnvda_reg', 'configuration_item_data')[0] / 8;
const HDR = 'configuration_item_header.';

/** PRM registers the kernel does not carry (see the top of this file). */
export const MLX5_REG_MNVQC = 0x9030;
export const MLX5_REG_MNVIA = 0x9033;
/** mnvqc: type[0x20] (the config item type, as in MNVDA's header) @0, version[4] @0x38, support_wr @0x3e, support_rd @0x3f; 8 bytes. */
const MNVQC = { bytes: 8, type: 0, version: [0x38, 4], supportWr: [0x3e, 1], supportRd: [0x3f, 1] } as const;
/** mnvia: writer_id[5] @0x17, target[3] @0x1d (0: all NV parameters); 8 bytes. */
const MNVIA = { bytes: 8, writerId: [0x17, 5], target: [0x1d, 3] } as const;

/** One configuration item (type class and parameter index), as MNVDA addresses it. */
export interface NvItemAddress {
  /** nv_param.c's name (global_pci_conf), or 'raw:<class>:<index>'. */
  readonly key: string;
  readonly typeClass: number;
  readonly parameterIndex: number;
  /** The layout of its data, for the items nv_param.c lays out. */
  readonly layout?: LayoutName;
  /** A capability item: read-only. */
  readonly capability: boolean;
}

const PER_HOST_PF_CLASS = (Object.values(NV_ITEMS) as readonly { typeClassLayout: string; typeClass: number }[])
  .find((i) => i.typeClassLayout === 'configuration_item_type_class_per_host_pf')!.typeClass;

/** The item's type word (the 32 bits of config_item_type_auto) into an MNVDA/MNVQC buffer at `base` bits. */
function encodeType(b: Uint8Array, base: number, a: NvItemAddress): void {
  const cls = a.typeClass === PER_HOST_PF_CLASS ? 'per_host_pf' : 'global';
  const f = (n: string) => fieldOf('config_item_type_auto', `configuration_item_type_class_${cls}.${n}`);
  const [to, tw] = f('type_class');
  const [io, iw] = f('parameter_index');
  setBits(b, base + to, tw, a.typeClass);
  setBits(b, base + io, iw, a.parameterIndex);
}

/** The MNVDA request of an item: its type, the length of its data, the access mode; `data` after the header. */
export function encodeMnvda(a: NvItemAddress, accessMode: number, data?: Uint8Array, length?: number): Buffer {
  const b = Buffer.alloc(MNVDA_LENGTH);
  encodeType(b, fieldOf('mnvda_reg', `${HDR}type.configuration_item_type_class_global.type_class`)[0], a);
  const [lo, lw] = fieldOf('mnvda_reg', `${HDR}length`);
  const len = length ?? (a.layout ? bytesOf(a.layout) : MNVDA_LENGTH - DATA_AT);
  setBits(b, lo, lw, len);
  const [mo, mw] = fieldOf('mnvda_reg', `${HDR}access_mode`);
  setBits(b, mo, mw, accessMode);
  if (data) b.set(data.subarray(0, MNVDA_LENGTH - DATA_AT), DATA_AT);
  return b;
}

/** The data of an MNVDA answer (header length bytes) and that length. */
export function decodeMnvda(reg: Uint8Array): { length: number; data: Buffer } {
  const [lo, lw] = fieldOf('mnvda_reg', `${HDR}length`);
  const length = Math.min(getBits(reg, lo, lw), Math.max(0, reg.length - DATA_AT));
  return { length, data: Buffer.from(reg.subarray(DATA_AT, DATA_AT + length)) };
}

const accessModeOf: Record<NvWhen, number> = { next: NV_ACCESS_MODE.NEXT, current: NV_ACCESS_MODE.CURRENT, default: NV_ACCESS_MODE.DEFAULT };

async function readItem(dev: DeviceLike, a: NvItemAddress, when: NvWhen, o: NvCallOptions): Promise<Buffer> {
  const r = await readRegister(dev, MLX5_REG_MNVDA, {}, {
    data: encodeMnvda(a, accessModeOf[when]), responseLength: 16 + MNVDA_LENGTH, scope: Scope.DebugReadOnly, signal: o.signal,
  });
  const { data } = decodeMnvda(r.raw);
  const want = a.layout ? bytesOf(a.layout) : data.length;
  return data.length >= want ? data : Buffer.concat([data, Buffer.alloc(want - data.length)]);
}

async function writeItem(dev: DeviceLike, a: NvItemAddress, data: Uint8Array, o: NvCallOptions): Promise<void> {
  await writeRegister(dev, MLX5_REG_MNVDA, {}, {
    data: encodeMnvda(a, NV_ACCESS_MODE.NEXT, data, data.length), responseLength: 16 + MNVDA_LENGTH, scope: Scope.Configuration, signal: o.signal,
  });
}

/** MNVQC of an item: whether the firmware lets this host read and write it, and the newest version it supports. */
export async function queryItem(dev: DeviceLike, a: NvItemAddress, o: NvCallOptions = {}): Promise<{ read: boolean; write: boolean; version: number }> {
  const b = Buffer.alloc(MNVQC.bytes);
  encodeType(b, MNVQC.type, a);
  const r = await readRegister(dev, MLX5_REG_MNVQC, {}, { data: b, responseLength: 16 + MNVQC.bytes, scope: Scope.DebugReadOnly, signal: o.signal });
  return { read: getBits(r.raw, ...MNVQC.supportRd) === 1, write: getBits(r.raw, ...MNVQC.supportWr) === 1, version: getBits(r.raw, ...MNVQC.version) };
}

/** The MNVIA request: invalidate every NV parameter (target 0), i.e. back to the firmware's defaults at the next reset. */
export function encodeMnvia(): Buffer {
  const b = Buffer.alloc(MNVIA.bytes);
  setBits(b, ...MNVIA.target, 0);
  return b;
}

// ---- the items ----

type ItemKey = keyof typeof NV_ITEMS;
const ADDRESS: Readonly<Record<ItemKey, NvItemAddress>> = Object.fromEntries(
  (Object.entries(NV_ITEMS) as [ItemKey, (typeof NV_ITEMS)[ItemKey]][]).map(([key, i]) => [key, Object.freeze({
    key, typeClass: i.typeClass, parameterIndex: i.parameterIndex, layout: i.layout as LayoutName, capability: i.layout.endsWith('_cap'),
  })]),
) as Record<ItemKey, NvItemAddress>;
const KEY_OF_LAYOUT = new Map<string, ItemKey>((Object.keys(ADDRESS) as ItemKey[]).map((k) => [ADDRESS[k].layout!, k]));

type Values = Partial<Record<ItemKey, Buffer>>;
type Param = (typeof NV_DEVLINK_PARAMS)[number];
const PARAM = (name: string): Param => NV_DEVLINK_PARAMS.find((p) => p.name === name)!;

/** One field write of a composite set: `layout.field` of the item, the value from the set's value. */
export interface FieldWrite {
  readonly item: ItemKey;
  readonly field: string;
  value(v: number): number;
}

interface Internal extends NvItemSpec {
  /** The items a read needs. */
  readonly items: readonly ItemKey[];
  /** The value from the items' data (one access mode). */
  read(d: Values): NvValue;
  /** The fields a set writes (with the item's other fields as read, NEXT), in the kernel's order of items. */
  writes?(v: number): readonly FieldWrite[];
  /** From the API value to the number the fields take (after the checks). */
  encode?(v: NvValue): number;
  /** The checks of the kernel's validate callback and the set callback's capability checks, on the capabilities (NEXT). */
  validate?(v: number, caps: Values, path: string): void;
  /** raw items */
  readonly raw?: NvItemAddress;
}

const F = (item: ItemKey, field: string, d: Values) => {
  const [o, w] = fieldOf(ADDRESS[item].layout!, field);
  return getBits(d[item]!, o, w);
};

const notWritable = (path: string, detail: string) => new FwctlError({ code: 'ERR_FWCTL_MLX5_NV_NOT_WRITABLE', path, detail: `${path}: ${detail}; nothing was written` });

function enumNames(p: Param): readonly string[] {
  return (p as { values?: readonly string[] }).values ?? [];
}

/** The devlink parameters, read and written as their callbacks in nv_param.c do. */
function devlinkItems(): Internal[] {
  const cqe = PARAM('cqe_compress_type');
  const swp = PARAM('swp_l4_csum_mode');
  const sriovCaps = (caps: Values, path: string, name: string) => {
    if (!F('global_pci_cap', 'sriov_support', caps)) throw notWritable(path, `${name}: SRIOV is not supported on this device (nv_global_pci_cap.sriov_support)`);
    if (!F('global_pci_cap', 'per_pf_total_vf_supported', caps)) throw notWritable(path, `${name}: SRIOV is not per PF on this device (nv_global_pci_cap.per_pf_total_vf_supported)`);
  };
  return [
    {
      name: 'enable_sriov', kind: 'boolean', appliesTo: 'function', aliases: [],
      description: 'SR-IOV on this PF (devlink enable_sriov: nv_global_pci_conf.sriov_en, per PF nv_pf_pci_conf.pf_total_vf_en)',
      items: ['global_pci_cap', 'global_pci_conf', 'per_host_pf_conf'],
      read: (d) => {
        if (!F('global_pci_cap', 'sriov_support', d)) return false;
        const en = F('global_pci_conf', 'sriov_en', d) === 1;
        if (!F('global_pci_conf', 'per_pf_total_vf', d)) return en;
        return en && F('per_host_pf_conf', 'pf_total_vf_en', d) === 1;
      },
      writes: (v) => [
        { item: 'global_pci_conf', field: 'sriov_valid', value: () => 1 },
        { item: 'global_pci_conf', field: 'sriov_en', value: () => 1 },
        { item: 'global_pci_conf', field: 'per_pf_total_vf', value: () => 1 },
        { item: 'per_host_pf_conf', field: 'pf_total_vf_en', value: () => v },
      ],
      validate: (_v, caps, path) => sriovCaps(caps, path, 'enable_sriov'),
    },
    {
      name: 'total_vfs', kind: 'integer', appliesTo: 'function', min: 0, max: 2 ** fieldOf('nv_pf_pci_conf', 'total_vf')[1] - 1, aliases: [],
      description: 'VFs of this PF (devlink total_vfs: nv_pf_pci_conf.total_vf, or nv_global_pci_conf.total_vfs when not per PF); at most nv_global_pci_cap.max_vfs_per_pf',
      items: ['global_pci_cap', 'global_pci_conf', 'per_host_pf_conf'],
      read: (d) => {
        if (!F('global_pci_cap', 'sriov_support', d)) return 0;
        if (!F('global_pci_conf', 'per_pf_total_vf', d)) return F('global_pci_conf', 'total_vfs', d);
        return F('per_host_pf_conf', 'total_vf', d);
      },
      writes: (v) => [
        { item: 'global_pci_conf', field: 'sriov_valid', value: () => 1 },
        { item: 'global_pci_conf', field: 'per_pf_total_vf', value: () => 1 },
        { item: 'per_host_pf_conf', field: 'total_vf', value: () => v },
      ],
      validate: (v, caps, path) => {
        // mlx5_devlink_total_vfs_validate, then the set callback's checks
        if (F('global_pci_cap', 'max_vfs_per_pf_valid', caps)) {
          const max = F('global_pci_cap', 'max_vfs_per_pf', caps);
          if (v > max) throw new FwctlRangeError(`${path}: total_vfs ${v}: the device allows at most ${max} (nv_global_pci_cap.max_vfs_per_pf); nothing was written`);
        }
        sriovCaps(caps, path, 'total_vfs');
      },
    },
    {
      name: 'max_sfs', kind: 'integer', appliesTo: 'function', min: 0, max: 2 ** fieldOf('nv_pf_pci_conf', 'total_sf')[1] - 1, aliases: [],
      description: 'SFs of this PF (devlink max_sfs: nv_pf_pci_conf.total_sf with pf_total_sf_en, log_sf_bar_size; nv_global_pci_conf.per_pf_num_sf)',
      items: ['global_pci_conf', 'per_host_pf_conf'],
      read: (d) => {
        if (!F('global_pci_conf', 'per_pf_num_sf', d)) return 0;
        return F('per_host_pf_conf', 'pf_total_sf_en', d) ? F('per_host_pf_conf', 'total_sf', d) : 0;
      },
      writes: (v) => [
        ...(v ? [{ item: 'global_pci_conf' as const, field: 'per_pf_num_sf', value: () => 1 }] : []),
        { item: 'per_host_pf_conf', field: 'log_sf_bar_size', value: () => (v ? NV_DEFAULT_LOG_SF_BAR_SIZE : 0) },
        { item: 'per_host_pf_conf', field: 'pf_total_sf_en', value: () => (v ? 1 : 0) },
        { item: 'per_host_pf_conf', field: 'total_sf', value: () => v },
      ],
    },
    {
      name: 'cqe_compress_type', kind: 'enum', values: enumNames(cqe), appliesTo: 'adapter', aliases: ['CQE_COMPRESSION'],
      description: 'CQE compression (devlink cqe_compress_type: nv_sw_offload_conf.cqe_compression)',
      items: ['sw_offload_conf'],
      read: (d) => {
        const v = F('sw_offload_conf', 'cqe_compression', d);
        return enumNames(cqe)[v] ?? v;
      },
      writes: (v) => [{ item: 'sw_offload_conf', field: 'cqe_compression', value: () => v }],
    },
    {
      name: 'swp_l4_csum_mode', kind: 'enum', values: enumNames(swp), appliesTo: 'adapter', aliases: [],
      description: 'Software-parser L4 checksum mode (devlink swp_l4_csum_mode: nv_sw_accelerate_conf.swp_l4_csum_mode); l4_only needs nv_sw_offload_cap.swp_l4_csum_mode_l4_only',
      items: ['sw_accelerate_conf', 'sw_offload_cap'],
      read: (d) => {
        const v = F('sw_accelerate_conf', 'swp_l4_csum_mode', d);
        return enumNames(swp)[v] ?? v;
      },
      writes: (v) => [{ item: 'sw_accelerate_conf', field: 'swp_l4_csum_mode', value: () => v }],
      validate: (v, caps, path) => {
        // mlx5_devlink_swp_l4_csum_mode_validate: full_csum or l4_only; l4_only only where the capability says
        const names = enumNames(swp);
        if (v === names.indexOf('default')) throw new FwctlRangeError(`${path}: swp_l4_csum_mode 'default' cannot be set: one of full_csum, l4_only (reset gives the firmware's default); nothing was written`);
        if (v === names.indexOf('l4_only') && !F('sw_offload_cap', 'swp_l4_csum_mode_l4_only', caps)) {
          throw notWritable(path, 'swp_l4_csum_mode l4_only is not supported on this device (nv_sw_offload_cap.swp_l4_csum_mode_l4_only)');
        }
      },
    },
  ];
}

/** Fields a devlink parameter stands for whole (the same bits, by the kernel's name): not listed again by field name. */
const COVERED = new Set(['nv_sw_offload_conf.cqe_compression', 'nv_sw_accelerate_conf.swp_l4_csum_mode']);

/** mlxconfig's names, where the mapping to one field is certain (the same TLV field). */
const MLXCONFIG: Readonly<Record<string, string>> = {
  'nv_global_pci_conf.sriov_en': 'SRIOV_EN',
  'nv_global_pci_conf.total_vfs': 'NUM_OF_VFS',
  'nv_global_pci_conf.per_pf_num_sf': 'PER_PF_NUM_SF',
  'nv_pf_pci_conf.total_sf': 'PF_TOTAL_SF',
  'nv_pf_pci_conf.log_sf_bar_size': 'PF_SF_BAR_SIZE',
};

function fieldItems(taken: ReadonlySet<string>): Internal[] {
  const all: { layout: LayoutName; item: ItemKey; field: string }[] = [];
  for (const item of Object.keys(ADDRESS) as ItemKey[]) {
    const layout = ADDRESS[item].layout!;
    for (const field of Object.keys(NV_LAYOUTS[layout].fields)) if (!COVERED.has(`${layout}.${field}`)) all.push({ layout, item, field });
  }
  const count = new Map<string, number>();
  for (const f of all) count.set(f.field, (count.get(f.field) ?? 0) + 1);
  return all.map(({ layout, item, field }) => {
    const qualified = `${layout}.${field}`;
    const bare = count.get(field) === 1 && !taken.has(field);
    const [, width] = fieldOf(layout, field);
    const cap = ADDRESS[item].capability;
    const aliases = [...(bare ? [qualified] : []), ...(MLXCONFIG[qualified] ? [MLXCONFIG[qualified]] : [])];
    return {
      name: bare ? field : qualified, aliases, kind: width === 1 ? 'boolean' : 'integer',
      ...(width === 1 ? {} : { min: 0, max: 2 ** width - 1 }),
      appliesTo: item === 'per_host_pf_conf' ? 'function' : 'adapter',
      ...(cap ? { readOnly: true } : {}),
      description: `${qualified} (${width} bit${width === 1 ? '' : 's'}${cap ? ', a capability: read-only' : ''})`,
      items: [item],
      read: (d: Values) => (width === 1 ? F(item, field, d) === 1 : F(item, field, d)),
      ...(cap ? {} : { writes: (v: number) => [{ item, field, value: () => v }] }),
    } satisfies Internal;
  });
}

const DEVLINK = devlinkItems();
const ITEMS: readonly Internal[] = [...DEVLINK, ...fieldItems(new Set(DEVLINK.map((i) => i.name)))];
const BY_NAME = new Map<string, Internal>();
for (const i of ITEMS) {
  BY_NAME.set(i.name, i);
  for (const a of i.aliases ?? []) BY_NAME.set(a.toLowerCase(), i);
}
const publicSpec = (i: Internal): NvItemSpec => {
  const { name, aliases, kind, values, min, max, appliesTo, readOnly, description } = i;
  return Object.freeze({
    name, kind, appliesTo, description,
    ...(aliases?.length ? { aliases } : {}), ...(values ? { values } : {}),
    ...(min !== undefined ? { min, max } : {}), ...(readOnly ? { readOnly } : {}),
  });
};
const SPECS = Object.freeze(ITEMS.map(publicSpec));

/** 'raw:<class>:<index>': class 0..255; index 24 bits (10 for the per-host-PF class, PF and bus index 0 as the kernel sends them). */
export function parseRaw(name: string): NvItemAddress | undefined {
  const m = /^raw:(0x[0-9a-f]+|\d+):(0x[0-9a-f]+|\d+)$/i.exec(name);
  if (!m) return undefined;
  const typeClass = Number(m[1]);
  const parameterIndex = Number(m[2]);
  const bits = typeClass === PER_HOST_PF_CLASS
    ? fieldOf('configuration_item_type_class_per_host_pf', 'parameter_index')[1]
    : fieldOf('configuration_item_type_class_global', 'parameter_index')[1];
  if (typeClass > 0xff) throw new FwctlRangeError(`${name}: the type class is 8 bits (0..255)`);
  if (parameterIndex >= 2 ** bits) throw new FwctlRangeError(`${name}: the parameter index of class ${typeClass} is ${bits} bits`);
  const known = (Object.values(ADDRESS) as NvItemAddress[]).find((a) => a.typeClass === typeClass && a.parameterIndex === parameterIndex);
  return { key: `raw:${typeClass}:${parameterIndex}`, typeClass, parameterIndex, capability: known?.capability ?? false, ...(known?.layout ? { layout: known.layout } : {}) };
}

function rawItem(a: NvItemAddress): Internal {
  return {
    name: a.key, kind: 'integer', appliesTo: a.typeClass === PER_HOST_PF_CLASS ? 'function' : 'adapter',
    description: `MNVDA item type class ${a.typeClass}, index 0x${a.parameterIndex.toString(16)}: its data as hex bytes (set: hex bytes of its length, or an integer, big-endian)`,
    items: [], raw: a, ...(a.capability ? { readOnly: true } : {}),
    read: () => '',
  };
}

function lookup(name: string): Internal | undefined {
  if (typeof name !== 'string') return undefined;
  const raw = parseRaw(name);
  if (raw) return rawItem(raw);
  return BY_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
}

function resolveOrThrow(name: string): Internal {
  const i = lookup(name);
  if (!i) throw new FwctlTypeError(`unknown mlx5 NV item '${String(name)}': one of ${ITEMS.map((x) => x.name).join(', ')}, or raw:<class>:<index>`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  return i;
}

/** An API value as the item's number (booleans true/false, integers decimal or 0x, the kernel's enum names); FwctlTypeError/FwctlRangeError otherwise. */
export function encodeValue(spec: NvItemSpec, v: NvValue): number {
  const bad = (why: string) => new FwctlTypeError(`${spec.name}: ${why}, got ${show(v)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  if (spec.kind === 'boolean') {
    if (v === true || v === 'true') return 1;
    if (v === false || v === 'false') return 0;
    throw bad('a boolean (true or false)');
  }
  if (spec.kind === 'enum') {
    const i = typeof v === 'string' ? (spec.values ?? []).indexOf(v) : -1;
    if (i < 0) throw bad(`one of ${(spec.values ?? []).join(', ')}`);
    return i;
  }
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim())) n = Number(v.trim());
  else throw bad('an integer (decimal or 0x)');
  if (!Number.isSafeInteger(n)) throw bad('an integer');
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    throw new FwctlRangeError(`${spec.name}: ${n} is outside ${spec.min}..${spec.max} (the field's width and the kernel's checks); nothing was written`);
  }
  return n;
}

/** The raw item's data as hex ('0x' and two digits a byte). */
const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
/** A raw item's value: its data as hex bytes ('0x' and two digits a byte, exactly its length), or an integer written big-endian over its length. */
export function rawBytes(name: string, v: NvValue, length: number): Buffer {
  if (typeof v === 'string' && new RegExp(`^0x[0-9a-f]{${2 * length}}$`, 'i').test(v)) return Buffer.from(v.slice(2), 'hex');
  let n: bigint;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
  else if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) n = BigInt(v);
  else throw new FwctlTypeError(`${name}: a raw item's value is its data as hex bytes (0x...) or a non-negative integer, got ${show(v)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  if (n >= 1n << BigInt(8 * length)) throw new FwctlRangeError(`${name}: ${show(v)} does not fit the firmware's item of ${length} bytes; nothing was written`);
  const b = Buffer.alloc(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) b[i] = Number(n & 0xffn);
  return b;
}

// ---- the hooks ----

const WHEN: readonly NvWhen[] = ['next', 'current', 'default'];

/** Reads each item once per access mode (capabilities once: they have no next value of their own), with MNVQC for each. */
class Reader {
  private readonly data = new Map<string, Promise<Buffer>>();
  private readonly query = new Map<string, Promise<{ read: boolean; write: boolean; version: number }>>();
  constructor(private readonly dev: DeviceLike, private readonly o: NvCallOptions = {}) {}
  item(a: NvItemAddress, when: NvWhen): Promise<Buffer> {
    const w = a.capability ? 'next' : when;
    const k = `${a.key}/${w}`;
    let p = this.data.get(k);
    if (!p) this.data.set(k, (p = readItem(this.dev, a, w, this.o)));
    return p;
  }
  qc(a: NvItemAddress) {
    let p = this.query.get(a.key);
    if (!p) this.query.set(a.key, (p = queryItem(this.dev, a, this.o)));
    return p;
  }
  async values(keys: readonly ItemKey[], when: NvWhen): Promise<Values> {
    const out: Values = {};
    for (const k of keys) out[k] = await this.item(ADDRESS[k], when);
    return out;
  }
}

async function readOne(r: Reader, i: Internal): Promise<NvReading> {
  if (i.raw) {
    const q = await r.qc(i.raw);
    const base = { name: i.name, appliesTo: i.appliesTo, writable: q.write && !i.raw.capability, ...(i.raw.capability ? { readOnly: true } : {}) };
    if (!q.read) return base;
    if (i.raw.capability) return { ...base, current: hexOf(await r.item(i.raw, 'next')) };
    return { ...base, next: hexOf(await r.item(i.raw, 'next')), current: hexOf(await r.item(i.raw, 'current')), default: hexOf(await r.item(i.raw, 'default')) };
  }
  const qs = await Promise.all(i.items.map((k) => r.qc(ADDRESS[k])));
  const writable = !i.readOnly && qs.every((q, n) => q.write || ADDRESS[i.items[n]].capability);
  const base = { name: i.name, appliesTo: i.appliesTo, writable, ...(i.readOnly ? { readOnly: true } : {}) };
  if (!qs.every((q) => q.read)) return base;
  if (i.readOnly) return { ...base, current: i.read(await r.values(i.items, 'next')) };
  const v: Partial<Record<NvWhen, NvValue>> = {};
  for (const w of WHEN) v[w] = i.read(await r.values(i.items, w));
  return { ...base, next: v.next, current: v.current, default: v.default };
}

async function get(dev: DeviceLike, names: readonly string[] | undefined, o: NvCallOptions = {}): Promise<NvReading[]> {
  if (names !== undefined && !Array.isArray(names)) throw new FwctlTypeError('names must be an array of item names');
  const list = names === undefined ? ITEMS : names.map(resolveOrThrow);
  const r = new Reader(dev, o);
  const out: NvReading[] = [];
  for (const i of list) out.push(await readOne(r, i));
  return out;
}

interface Step {
  readonly item: Internal;
  readonly value: NvValue;
  readonly number?: number;
  readonly bytes?: Buffer;
  readonly from: NvValue | undefined;
}

async function planSteps(dev: DeviceLike, values: Readonly<Record<string, NvValue>>, o: NvCallOptions, r = new Reader(dev, o), toDefault = false): Promise<Step[]> {
  if (values === null || typeof values !== 'object') throw new FwctlTypeError('values must be an object of item names and values');
  const steps: Step[] = [];
  const seen = new Set<Internal | string>();
  // names and values first (no device call), then the device's capabilities and MNVQC
  const parsed = Object.entries(values).map(([name, v]) => {
    const item = resolveOrThrow(name);
    const key = item.raw ? item.raw.key : item;
    if (seen.has(key)) throw new FwctlTypeError(`${name}: the item is given twice (${item.name})`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    seen.add(key);
    if (item.readOnly) throw notWritable(dev.path, `${item.name} is a capability: read-only`);
    // a reset writes the firmware's own default, which the kernel's set_default does not validate
    return { item, v, number: item.raw ? undefined : toDefault && item.kind === 'enum' && typeof v === 'number' ? v : encodeValue(item, v) };
  });
  for (const { item, v, number } of parsed) {
    if (item.raw) {
      const q = await r.qc(item.raw);
      if (!q.write) throw notWritable(dev.path, `${item.name}: the firmware does not let this host write it (MNVQC support_wr 0)`);
      const cur = await r.item(item.raw, 'next');
      const bytes = rawBytes(item.name, v, cur.length);
      if (!bytes.equals(cur)) steps.push({ item, value: hexOf(bytes), bytes, from: hexOf(cur) });
      continue;
    }
    const caps = await r.values(item.items.filter((k) => ADDRESS[k].capability), 'next');
    if (!toDefault) item.validate?.(number!, caps, dev.path);
    const writes = item.writes!(number!);
    for (const k of new Set(writes.map((w) => w.item))) {
      const q = await r.qc(ADDRESS[k]);
      if (!q.write) throw notWritable(dev.path, `${item.name}: the firmware does not let this host write ${k} (MNVQC support_wr 0)`);
    }
    const from = item.read(await r.values(item.items, 'next'));
    const value = item.kind === 'enum' ? item.values![number!] ?? number! : item.kind === 'boolean' ? number === 1 : number!;
    if (from !== value) steps.push({ item, value, number, from });
  }
  return steps;
}

async function plan(dev: DeviceLike, values: Readonly<Record<string, NvValue>>, o: NvCallOptions = {}): Promise<NvChange[]> {
  return (await planSteps(dev, values, o)).map((s) => ({ name: s.item.name, from: s.from, to: s.value }));
}

/** Write the steps (read-modify-write of each item's NEXT data, as the kernel's set callbacks), then read each back. */
async function apply(dev: DeviceLike, steps: readonly Step[], o: NvCallOptions): Promise<NvSetResult[]> {
  for (const s of steps) {
    if (s.item.raw) {
      await writeItem(dev, s.item.raw, s.bytes!, o);
      continue;
    }
    const writes = s.item.writes!(s.number!);
    for (const k of [...new Set(writes.map((w) => w.item))]) {
      const data = Buffer.from(await readItem(dev, ADDRESS[k], 'next', o));
      for (const w of writes.filter((x) => x.item === k)) {
        const [off, width] = fieldOf(ADDRESS[k].layout!, w.field);
        setBits(data, off, width, w.value(s.number!));
      }
      await writeItem(dev, ADDRESS[k], data, o);
    }
  }
  const r = new Reader(dev, o);
  const out: NvSetResult[] = [];
  for (const s of steps) {
    const back = s.item.raw ? hexOf(await r.item(s.item.raw, 'next')) : s.item.read(await r.values(s.item.items, 'next'));
    if (back !== s.value) {
      throw new FwctlError({ code: 'ERR_FWCTL_MLX5_NV_READBACK', path: dev.path, detail: `${dev.path}: ${s.item.name}: wrote ${show(s.value)}, read back ${show(back)}` });
    }
    out.push({ name: s.item.name, from: s.from, to: s.value, readBack: back, takesEffect: 'next-reset' });
  }
  return out;
}

async function set(dev: DeviceLike, values: Readonly<Record<string, NvValue>>, o: NvCallOptions = {}): Promise<NvSetResult[]> {
  return apply(dev, await planSteps(dev, values, o), o);
}

/**
 * Back to the firmware's defaults. Without names: MNVIA (invalidate all NV
 * parameters) at Configuration, then every named item read back (next ==
 * default). With names: each item's DEFAULT value written as its next value
 * (what the kernel's swp_l4_csum_mode set_default does).
 */
async function reset(dev: DeviceLike, names: readonly string[] | undefined, o: NvCallOptions = {}): Promise<NvSetResult[]> {
  const r = new Reader(dev, o);
  if (names !== undefined && !Array.isArray(names)) throw new FwctlTypeError('names must be an array of item names');
  if (names === undefined) {
    const before = await get(dev, undefined, o);
    await writeRegister(dev, MLX5_REG_MNVIA, {}, { data: encodeMnvia(), responseLength: 16 + MNVIA.bytes, scope: Scope.Configuration, signal: o.signal });
    const after = new Map((await get(dev, undefined, o)).map((x) => [x.name, x]));
    const out: NvSetResult[] = [];
    for (const b of before) {
      const a = after.get(b.name)!;
      if (b.readOnly || a.next === undefined) continue;
      if (a.next !== a.default) throw new FwctlError({ code: 'ERR_FWCTL_MLX5_NV_READBACK', path: dev.path, detail: `${dev.path}: ${b.name}: after MNVIA the next value is ${show(a.next)}, the default ${show(a.default)}` });
      if (b.next !== a.next) out.push({ name: b.name, from: b.next, to: a.next, readBack: a.next, takesEffect: 'next-reset' });
    }
    return out;
  }
  const values: Record<string, NvValue> = {};
  for (const n of names) {
    const i = resolveOrThrow(n);
    if (i.readOnly) throw notWritable(dev.path, `${i.name} is a capability: read-only`);
    const d = i.raw ? hexOf(await r.item(i.raw, 'default')) : i.read(await r.values(i.items, 'default'));
    values[i.raw ? i.raw.key : i.name] = d;
  }
  return apply(dev, await planSteps(dev, values, o, r, true), o);
}

export const mlx5NvConfig: NvConfigHooks = {
  items: () => SPECS,
  resolve: (name) => {
    const i = lookup(name);
    return i && (i.raw ? publicSpec(i) : SPECS[ITEMS.indexOf(i)]);
  },
  get,
  plan,
  set,
  reset,
};

/** @internal For the unit tests: each named item's internal entry (fields written per value). */
export const NV_INTERNAL = { items: ITEMS, address: ADDRESS, keyOfLayout: KEY_OF_LAYOUT };
