// CXL Features (FWCTL_DEVICE_TYPE_CXL): the entry point of 'fwctl/cxl'. The
// modules are in lib/cxl/:
//   features.ts  Get Supported Features (paged), Get Feature, Set Feature at the scope the effects need
//   decode.ts    the eight kernel-known features' data by field name, and their EDAC controls


export * from './cxl/features';
