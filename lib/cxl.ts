// CXL Features (FWCTL_DEVICE_TYPE_CXL): the entry point of 'fwctl/cxl'. The
// modules are in lib/cxl/:
//   features.ts  Get Supported Features (paged), Get Feature, Set Feature at the scope the effects need
//   decode.ts    the eight kernel-known features' data by field name, and their EDAC controls
//   opcodes.ts   the mailbox opcodes by name
//   type.ts      CXL as a device type (lib/registry.ts): registered on import

import './cxl/type';

export * from './cxl/features';
