// Encodings shared by lib/binding.ts (the addon's contract) and lib/guards.ts.

/** u32 words per attachment in an AttachSpec. */
export const SPEC_WORDS = 6;
/** lenFlags: take the length field from the driver's table (pds, bnxt). */
export const LEN_FROM_TABLE = 0xffff;
/** lenFlags: the length field is big-endian (else little-endian). */
export const LEN_BE = 0x100;
/** lenFlags: the pointer is little-endian (else host order). */
export const PTR_LE = 0x200;
/** direction: the kernel reads the buffer. */
export const DIR_IN = 1;
/** direction: the kernel writes the buffer. */
export const DIR_OUT = 2;
