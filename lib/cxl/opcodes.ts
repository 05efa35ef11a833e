// The CXL Features mailbox opcodes the CXL fwctl driver accepts, by name
// (CXL r3.2 8.2.9.6): for messages and transcripts.

import { CxlOpcode } from '../uapi/constants';

const NAMES: Readonly<Record<number, string>> = {
  [CxlOpcode.GetSupportedFeatures]: 'Get Supported Features',
  [CxlOpcode.GetFeature]: 'Get Feature',
  [CxlOpcode.SetFeature]: 'Set Feature',
};

/** 'Get Feature', or 'opcode 0x...' for one the driver does not accept. */
export function cxlOpcodeName(op: number): string {
  return NAMES[op] ?? `opcode 0x${op.toString(16)}`;
}
