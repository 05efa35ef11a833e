// Every struct this package reads or writes, declared once.
// Sources: include/uapi/fwctl/{fwctl,mlx5,pds,bnxt,cxl}.h, include/uapi/cxl/features.h,
// drivers/fwctl/mlx5/main.c (PRM mailbox headers), include/linux/bnxt/hsi.h (HWRM).
// `name` is the C struct name: test/unit/layout.test.ts matches it against
// JSON printed by a C program compiled against those headers.

import { bytes, struct, u16, u32, u64, u8, type Layout } from './layout';

// ---- generic fwctl ioctls (host-endian) ----

export const fwctlInfo = struct('fwctl_info', 24, {
  size: u32(0),
  flags: u32(4),
  out_device_type: u32(8),
  device_data_len: u32(12),
  out_device_data: u64(16),
});

export const fwctlRpc = struct('fwctl_rpc', 32, {
  size: u32(0),
  scope: u32(4),
  in_len: u32(8),
  out_len: u32(12),
  in: u64(16),
  out: u64(24),
});

// ---- FWCTL_INFO device_data per type (host-endian) ----

export const fwctlInfoMlx5 = struct('fwctl_info_mlx5', 8, {
  uid: u32(0),
  uctx_caps: u32(4),
});

export const fwctlInfoPds = struct('fwctl_info_pds', 4, { uctx_caps: u32(0) });

export const fwctlInfoBnxt = struct('fwctl_info_bnxt', 4, { uctx_caps: u32(0) });

// ---- pds: the request holds pointers to further user buffers ----

export const fwctlRpcPds = struct('fwctl_rpc_pds', 48, {
  'in.op': u32(0),
  'in.ep': u32(4),
  'in.rsvd': u32(8),
  'in.len': u32(12),
  'in.payload': u64(16),
  'out.retval': u32(24),
  'out.rsvd': bytes(28, 8),
  'out.len': u32(36),
  'out.payload': u64(40),
});

// ---- CXL Features (mailbox payloads are little-endian) ----

export const fwctlRpcCxl = struct('fwctl_rpc_cxl', 48, {
  opcode: u32(0),
  flags: u32(4),
  op_size: u32(8),
  reserved1: u32(12),
  get_sup_feats_in: bytes(16, 8),
  get_feat_in: bytes(16, 21),
  set_feat_in: bytes(16, 32),
}, [['get_sup_feats_in', 'get_feat_in', 'set_feat_in']]);

export const fwctlRpcCxlOut = struct('fwctl_rpc_cxl_out', 16, {
  size: u32(0),
  retval: u32(4),
  get_sup_feats_out: bytes(8, 8),
  payload: bytes(8, 0),
}, [['get_sup_feats_out', 'payload']]);

export const cxlGetSupFeatsIn = struct('cxl_mbox_get_sup_feats_in', 8, {
  count: u32(0, 'le'),
  start_idx: u16(4, 'le'),
  reserved: bytes(6, 2),
});

export const cxlGetFeatIn = struct('cxl_mbox_get_feat_in', 21, {
  uuid: bytes(0, 16),
  offset: u16(16, 'le'),
  count: u16(18, 'le'),
  selection: u8(20),
});

export const cxlSetFeatIn = struct('cxl_mbox_set_feat_in', 32, {
  uuid: bytes(0, 16),
  flags: u32(16, 'le'),
  offset: u16(20, 'le'),
  version: u8(22),
  rsvd: bytes(23, 9),
  feat_data: bytes(32, 0),
});

export const cxlGetSupFeatsOut = struct('cxl_mbox_get_sup_feats_out', 8, {
  num_entries: u16(0, 'le'),
  supported_feats: u16(2, 'le'),
  reserved: bytes(4, 4),
  ents: bytes(8, 0),
});

export const cxlFeatEntry = struct('cxl_feat_entry', 48, {
  uuid: bytes(0, 16),
  id: u16(16, 'le'),
  get_feat_size: u16(18, 'le'),
  set_feat_size: u16(20, 'le'),
  flags: u32(22, 'le'),
  get_feat_ver: u8(26),
  set_feat_ver: u8(27),
  effects: u16(28, 'le'),
  reserved: bytes(30, 18),
});

// ---- mlx5 PRM command mailbox headers (big-endian) ----

export const mlx5MboxInHdr = struct('mlx5_ifc_mbox_in_hdr', 16, {
  opcode: u16(0, 'be'),
  uid: u16(2, 'be'),
  reserved_at_20: bytes(4, 2),
  op_mod: u16(6, 'be'),
  reserved_at_40: bytes(8, 8),
});

export const mlx5MboxOutHdr = struct('mlx5_ifc_mbox_out_hdr', 16, {
  status: u8(0),
  reserved_at_8: bytes(1, 3),
  syndrome: u32(4, 'be'),
  reserved_at_40: bytes(8, 8),
});

// ---- bnxt HWRM message headers (little-endian; C names `struct input` / `struct output`) ----

export const hwrmInput = struct('input', 16, {
  req_type: u16(0, 'le'),
  cmpl_ring: u16(2, 'le'),
  seq_id: u16(4, 'le'),
  target_id: u16(6, 'le'),
  resp_addr: u64(8, 'le'),
});

export const hwrmOutput = struct('output', 8, {
  error_code: u16(0, 'le'),
  req_type: u16(2, 'le'),
  seq_id: u16(4, 'le'),
  resp_len: u16(6, 'le'),
});

/** Every layout, by C struct name (the layout test walks this). */
export const LAYOUTS: Readonly<Record<string, Layout>> = Object.freeze(Object.fromEntries(
  [fwctlInfo, fwctlRpc, fwctlInfoMlx5, fwctlInfoPds, fwctlInfoBnxt, fwctlRpcPds,
    fwctlRpcCxl, fwctlRpcCxlOut, cxlGetSupFeatsIn, cxlGetFeatIn, cxlSetFeatIn,
    cxlGetSupFeatsOut, cxlFeatEntry, mlx5MboxInHdr, mlx5MboxOutHdr, hwrmInput, hwrmOutput,
  ].map((l) => [l.name, l as Layout])));
