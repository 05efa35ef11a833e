// The one door to the XZ decoder (xz-decompress: xz-embedded, the decoder the
// kernel's lib/xz is, built to WebAssembly; no native code). Swapping the
// package means changing this file only.

import { Blob } from 'node:buffer';
import { XzReadableStream } from 'xz-decompress';

/**
 * xz-embedded's enum xz_ret (include/linux/xz.h) by value, as the kernel's
 * mlxfw_mfa2_xz_dec_run() words them; the wasm build reports the number only.
 */
const XZ_RET: Readonly<Record<number, string>> = {
  2: 'unsupported check',
  3: 'xz no memory',
  4: 'xz dictionary too small',
  5: 'xz format not found',
  6: 'unsupported xz option',
  7: 'xz file corrupted',
  8: 'xz stream truncated or followed by other data',
};

/** Why the decoder failed, in the kernel's words when it gave an xz_ret. */
export function xzErrorText(e: unknown): string {
  const msg = e instanceof Object && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  const n = /error code (\d+)/.exec(msg);
  return n && XZ_RET[Number(n[1])] ? `${XZ_RET[Number(n[1])]} (xz_ret ${n[1]})` : msg;
}

/**
 * The decompressed bytes of one XZ stream. Rejects (with the decoder's own
 * error) on a corrupt or truncated stream or a failed check.
 */
export async function xzDecompress(data: Uint8Array): Promise<Buffer> {
  // A copy: the stream reads asynchronously, the caller's buffer may change meanwhile.
  const stream = new XzReadableStream(new Blob([new Uint8Array(data)]).stream());
  const reader = stream.getReader();
  const chunks: Buffer[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
