// Numbers from include/uapi/fwctl/*.h and drivers/fwctl/main.c.

/** _IO(0x9A, 0) and _IO(0x9A, 1): no size or direction bits; the struct's first u32 is its size. */
export const FWCTL_TYPE = 0x9a;
export const FWCTL_INFO = 0x9a00;
export const FWCTL_RPC = 0x9a01;

/** MAX_RPC_LEN in drivers/fwctl/main.c: in_len and out_len above it fail with EMSGSIZE. */
export const MAX_RPC_LEN = 2 * 1024 * 1024;

/** enum fwctl_device_type as the kernel numbers it. Numbers outside it are legal (drivers not merged yet). */
export const DeviceTypeId = Object.freeze({
  Error: 0,
  Mlx5: 1,
  Cxl: 2,
  Bnxt: 3,
  Pds: 4,
} as const);

/**
 * The device type as a string. `'unknown'` for a number this package does not know;
 * the number itself is always in `info().typeId`.
 */
export const DeviceType = Object.freeze({
  Error: 'error',
  Mlx5: 'mlx5',
  Cxl: 'cxl',
  Bnxt: 'bnxt',
  Pds: 'pds',
  Unknown: 'unknown',
} as const);
export type DeviceType = (typeof DeviceType)[keyof typeof DeviceType];

const TYPE_BY_ID: readonly DeviceType[] = ['error', 'mlx5', 'cxl', 'bnxt', 'pds'];

export function deviceTypeOf(typeId: number): DeviceType {
  return TYPE_BY_ID[typeId] ?? DeviceType.Unknown;
}

/**
 * enum fwctl_rpc_scope: the access an RPC asks for.
 * DebugWrite and DebugWriteFull taint the kernel (TAINT_FWCTL);
 * DebugWriteFull also needs CAP_SYS_RAWIO.
 */
export const Scope = Object.freeze({
  Configuration: 0,
  DebugReadOnly: 1,
  DebugWrite: 2,
  DebugWriteFull: 3,
} as const);
export type Scope = (typeof Scope)[keyof typeof Scope];

/** Scope names by number, for messages and the CLI. */
export const SCOPE_NAMES: readonly string[] = ['Configuration', 'DebugReadOnly', 'DebugWrite', 'DebugWriteFull'];

/** Kernel taint bit set by the first DebugWrite/DebugWriteFull RPC (TAINT_FWCTL). */
export const TAINT_FWCTL_BIT = 19;

// Capability bits reported in device_data.
/** MLX5_UCTX_OBJECT_CAP_TOOLS_RESOURCES in fwctl_info_mlx5.uctx_caps. */
export const MLX5_UCTX_CAP_TOOLS_RESOURCES = 0x4;
/** enum pds_fwctl_capabilities: bit numbers in fwctl_info_pds.uctx_caps. */
export const PdsCap = Object.freeze({ Query: 0, Send: 1 } as const);
/** enum fwctl_bnxt_commands: bit numbers in fwctl_info_bnxt.uctx_caps. */
export const BnxtCap = Object.freeze({ Inline: 0, Query: 1, Send: 2, Dma: 3 } as const);

/** FWCTL_BNXT_MAX_DMABUF: the largest DMA buffer a bnxt request may reference. */
export const BNXT_MAX_DMABUF = 0x10000;

/** CXL Features mailbox opcodes accepted by the CXL fwctl driver. */
export const CxlOpcode = Object.freeze({
  GetSupportedFeatures: 0x0500,
  GetFeature: 0x0501,
  SetFeature: 0x0502,
} as const);
