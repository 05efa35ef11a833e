#!/usr/bin/env node
// A firmware image for the mlx5 emulator (docs/testing.md, "Firmware images
// for the emulator"):
//
//   node scripts/make-mlx5-fw-image.js --psid PSID --version X.Y.Z --out FILE
//        [--size BYTES] [--mfa2] [--corrupt] [--json]
//
//   --size     the EMU component's total size (default 65536, at least 68)
//   --mfa2     wrap it in an MFA2 archive for PSID, as devlink flash takes it: one
//              component, identifier 0 (the MCC index the kernel flashes it to:
//              the emulated boot image), mstflint's VERSION extension
//   --corrupt  flip one payload byte after the CRC: the emulator's VERIFY answers
//              REJECTED_DIGEST_ERR (inside an MFA2 archive too: the archive stays valid)
//   --json     print what was written as JSON
//
// Exit status 2 on a bad command line. The formats: scripts/lib/mlx5-fw-image.js.
'use strict';

const fs = require('node:fs');
const { makeEmuComponent, makeMfa2Image, parseVersion, crc32, EMU_HEADER } = require('./lib/mlx5-fw-image');

const USAGE = 'usage: node scripts/make-mlx5-fw-image.js --psid PSID --version X.Y.Z --out FILE [--size BYTES] [--mfa2] [--corrupt] [--json]';

function parseArgs(argv) {
  const o = { mfa2: false, corrupt: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--psid') o.psid = value();
    else if (a === '--version') o.version = value();
    else if (a === '--out') o.out = value();
    else if (a === '--size') {
      const s = value();
      if (!/^\d+$/.test(s)) throw new Error(`--size ${s}: a number of bytes`);
      o.size = Number(s);
    } else if (a === '--mfa2') o.mfa2 = true;
    else if (a === '--corrupt') o.corrupt = true;
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  for (const k of ['psid', 'version', 'out']) if (o[k] === undefined) throw new Error(`--${k} is required`);
  return o;
}

/** Writes the image; returns what was written. */
function make(o) {
  const version = parseVersion(o.version);
  const clean = makeEmuComponent({ psid: o.psid, version, size: o.size });
  const payloadLen = clean.readUInt32BE(12);
  const crc = clean.readUInt32BE(EMU_HEADER + payloadLen); // of the bytes before any --corrupt flip
  const component = o.corrupt ? makeEmuComponent({ psid: o.psid, version, size: o.size, corrupt: true }) : clean;
  const image = o.mfa2 ? makeMfa2Image({ psid: o.psid, version, component }) : component;
  fs.writeFileSync(o.out, image);
  return {
    file: o.out,
    format: o.mfa2 ? 'mfa2' : 'emu',
    bytes: image.length,
    psid: o.psid,
    version: version.text,
    versionRaw: `0x${version.raw.toString(16).padStart(8, '0')}`,
    component: { bytes: component.length, payloadLen, crc: `0x${crc.toString(16).padStart(8, '0')}`, corrupt: o.corrupt, crcMatches: crc32(component.subarray(0, EMU_HEADER + payloadLen)) === component.readUInt32BE(EMU_HEADER + payloadLen) },
    ...(o.mfa2 ? { mfa2: { componentIndex: 0, identifier: 1 } } : {}),
  };
}

function main(argv) {
  let o;
  try {
    o = parseArgs(argv);
  } catch (e) {
    console.error(`make-mlx5-fw-image: ${e.message}\n${USAGE}`);
    return 2;
  }
  let r;
  try {
    r = make(o);
  } catch (e) {
    console.error(`make-mlx5-fw-image: ${e.message}`);
    return e instanceof RangeError ? 2 : 1;
  }
  if (o.json) {
    console.log(JSON.stringify(r));
  } else {
    const c = r.component;
    console.log(`wrote ${r.file}: ${r.bytes} bytes, ${r.format === 'mfa2' ? 'MFA2 archive (one component, identifier 0) of an ' : ''}EMU component ` +
      `of ${c.bytes} bytes, PSID ${r.psid}, version ${r.version} (${r.versionRaw}), crc32 ${c.crc}${c.corrupt ? ', one payload byte flipped after the crc (--corrupt)' : ''}`);
  }
  return 0;
}

module.exports = { parseArgs, make, main };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
