// Firmware images for the emulated mlx5 (fwctl_emu_mlx5.c), made by the
// repo's own writer (scripts/lib/mlx5-fw-image.js, the module behind
// scripts/make-mlx5-fw-image.js): the "EMU component" the emulator verifies,
// and an MFA2 archive around it, as `node scripts/make-mlx5-fw-image.js
// [--mfa2]` writes them. For the kernel suite, the examples and the bench.
import * as path from 'node:path';

// From dist/test/kernel/emu (compiled) or test/kernel/emu: the repository root holds scripts/.
const root = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../../..' : '../../..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const writer = require(path.join(root, 'scripts/lib/mlx5-fw-image.js')) as {
  makeEmuComponent(o: { psid: string; version: string | { raw: number }; size?: number; corrupt?: boolean }): Buffer;
  makeMfa2Image(o: { psid: string; version: string; component: Buffer }): Buffer;
};

export interface ImageOptions {
  psid: string;
  /** 'major.minor.subminor' */
  version: string;
  /** The component's bytes in all (at least 68). */
  size: number;
  /** One payload byte flipped after the CRC: the emulator's VERIFY answers REJECTED_DIGEST_ERR. */
  corrupt?: boolean;
}

/** A plain EMU component (written with an explicit psid). */
export function makeImage(o: ImageOptions): Buffer {
  return writer.makeEmuComponent(o);
}

/** An MFA2 archive for `psid` holding one EMU component of `size` bytes, with the version extension. */
export function makeMfa2(o: ImageOptions): Buffer {
  return writer.makeMfa2Image({ psid: o.psid, version: o.version, component: writer.makeEmuComponent(o) });
}

/** An EMU component from a raw version word (the emulator's own tests). */
export function makeImageRaw(o: { psid: string; version: number; payloadLen: number }): Buffer {
  return writer.makeEmuComponent({ psid: o.psid, version: { raw: o.version }, size: 68 + o.payloadLen });
}
