#!/usr/bin/env node
// The licence check of the pack test (scripts/pack-test.sh), on a package as
// it ships (the tarball unpacked: package/):
//   - package.json's `license` is a well-formed SPDX expression without deprecated ids;
//   - every SPDX-License-Identifier in every shipped file (text or binary: dist/,
//     prebuilds/, native/, ...) names only ids of that expression, ids
//     normalised (the deprecated GPL-2.0 is GPL-2.0-only);
//   - every file in a generated/ folder (but source maps) carries an SPDX line;
//   - every id of the expression has its text (LICENSE for MIT, else LICENSES/<id>.txt).
//
//   node scripts/spdx-check.js DIR      prints `ok ...` or one line per problem; exit 1 on any
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { ids, DEPRECATED } = require('./gen/licence');

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** [{ file, expr }] of every SPDX-License-Identifier in a file (read as bytes: binaries too). */
function spdxLines(file) {
  const text = fs.readFileSync(file).toString('latin1');
  return [...text.matchAll(/SPDX-License-Identifier:[ \t]*([^\r\n]*?)[ \t]*(?:\*\/.*)?$/gm)].map((m) => m[1]);
}

function check(dir) {
  const problems = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  let allowed;
  try {
    const raw = pkg.license.trim().split(/\s+|(?=[()])|(?<=[()])/).filter((t) => !/^(AND|OR|WITH|\(|\))$/.test(t));
    for (const id of raw) if (DEPRECATED[id]) problems.push(`package.json: license '${pkg.license}' uses the deprecated id ${id} (${DEPRECATED[id]})`);
    allowed = new Set(ids(pkg.license));
  } catch (e) {
    problems.push(`package.json: license: ${e.message}`);
    return { problems, files: 0, found: new Map() };
  }
  const files = walk(dir);
  const found = new Map(); // id -> first file
  for (const f of files) {
    const rel = path.relative(dir, f);
    const lines = spdxLines(f);
    if (/(^|\/)generated\//.test(rel) && !rel.endsWith('.map') && lines.length === 0) problems.push(`${rel}: a generated file without an SPDX-License-Identifier line`);
    for (const expr of lines) {
      let list;
      try {
        list = ids(expr);
      } catch (e) {
        problems.push(`${rel}: ${e.message}`);
        continue;
      }
      for (const id of list) {
        if (!found.has(id)) found.set(id, rel);
        if (!allowed.has(id)) problems.push(`${rel}: SPDX id ${id} (in '${expr}') is not in package.json's license '${pkg.license}'`);
      }
    }
  }
  for (const id of allowed) {
    const text = id === 'MIT' ? 'LICENSE' : `LICENSES/${id}.txt`;
    if (!fs.existsSync(path.join(dir, text))) problems.push(`${text}: missing (the text of ${id}, which package.json's license names)`);
  }
  return { problems, files: files.length, found };
}

module.exports = { check, spdxLines };

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/spdx-check.js DIR');
    process.exit(2);
  }
  const { problems, files, found } = check(dir);
  for (const p of problems) console.log(p);
  if (problems.length) process.exit(1);
  console.log(`ok: ${files} files; SPDX ids ${[...found].map(([id, f]) => `${id} (e.g. ${f})`).join(', ') || 'none'}; all in '${JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).license}'`);
}
