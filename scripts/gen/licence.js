// Licences: SPDX ids normalised, SPDX expressions split into ids, and the
// licence each kernel source file offers (its SPDX line, or for the older
// headers that have none, its notice, recognised by the rules below; a
// notice that matches no rule stops the generator). Shared by scripts/gen.js
// (each generated file's SPDX line) and scripts/spdx-check.js (the pack test).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { firstComment } = require('./c');

/** Deprecated SPDX ids and what they mean now (https://spdx.org/licenses/, deprecated list). */
const DEPRECATED = {
  'GPL-1.0': 'GPL-1.0-only', 'GPL-1.0+': 'GPL-1.0-or-later',
  'GPL-2.0': 'GPL-2.0-only', 'GPL-2.0+': 'GPL-2.0-or-later',
  'GPL-3.0': 'GPL-3.0-only', 'GPL-3.0+': 'GPL-3.0-or-later',
  'LGPL-2.0': 'LGPL-2.0-only', 'LGPL-2.0+': 'LGPL-2.0-or-later',
  'LGPL-2.1': 'LGPL-2.1-only', 'LGPL-2.1+': 'LGPL-2.1-or-later',
  'LGPL-3.0': 'LGPL-3.0-only', 'LGPL-3.0+': 'LGPL-3.0-or-later',
};

const normaliseId = (id) => DEPRECATED[id] ?? id;

/** The expression with each id normalised: 'GPL-2.0 OR Linux-OpenIB' -> 'GPL-2.0-only OR Linux-OpenIB'. */
function normalise(expr) {
  return expr.trim().replace(/[A-Za-z0-9][A-Za-z0-9.+-]*/g, (t) => (/^(AND|OR|WITH)$/.test(t) ? t : normaliseId(t)));
}

/** Every licence and exception id of an expression, normalised. Throws on a malformed one. */
function ids(expr) {
  const tokens = expr.trim().split(/\s+|(?=[()])|(?<=[()])/).filter(Boolean);
  if (!tokens.length) throw new Error('empty SPDX expression');
  const out = [];
  let depth = 0;
  let wantId = true;
  for (const t of tokens) {
    if (t === '(') { if (!wantId) throw new Error(`SPDX expression '${expr}': '(' after an id`); depth++; continue; }
    if (t === ')') { if (wantId || --depth < 0) throw new Error(`SPDX expression '${expr}': unbalanced ')'`); continue; }
    if (/^(AND|OR|WITH)$/.test(t)) { if (wantId) throw new Error(`SPDX expression '${expr}': ${t} without an id before it`); wantId = true; continue; }
    if (!wantId) throw new Error(`SPDX expression '${expr}': two ids without an operator ('${t}')`);
    if (!/^[A-Za-z0-9][A-Za-z0-9.+-]*$/.test(t) && !/^LicenseRef-[A-Za-z0-9.-]+$/.test(t)) throw new Error(`SPDX expression '${expr}': '${t}' is not an id`);
    out.push(normaliseId(t));
    wantId = false;
  }
  if (wantId || depth) throw new Error(`SPDX expression '${expr}' is incomplete`);
  return out;
}

/** The expression of the first `SPDX-License-Identifier:` line of a text, or null. */
function spdxLine(text) {
  const m = /SPDX-License-Identifier:\s*(.*?)\s*(?:\*\/\s*)?$/m.exec(text);
  return m ? m[1] : null;
}

/**
 * Notices without an SPDX line: what they offer. The kernel's COPYING: its
 * files are GPL-2.0-only unless they say otherwise, so the Broadcom notice's
 * "GNU General Public License as published by the Free Software Foundation"
 * (no version) inside the kernel tree is GPL-2.0-only (as its neighbour
 * drivers/fwctl/bnxt/main.c says).
 */
const NOTICES = [
  {
    offer: 'GPL-2.0-only OR Linux-OpenIB',
    what: 'a choice of GPL version 2 or the OpenIB.org BSD licence (the kernel\'s Linux-OpenIB)',
    test: /choice of one of two\s+(?:\*\s*)?licenses\.\s+(?:\*\s*)?You may choose to be licensed under the terms of the GNU\s+(?:\*\s*)?General Public License \(GPL\) Version 2[\s\S]*OpenIB\.org BSD license below/,
  },
  {
    offer: 'GPL-2.0-only',
    what: 'the GNU GPL, in the kernel tree (COPYING: GPL-2.0-only)',
    test: /This program is free software; you can redistribute it and\/or modify\s+\* it under the terms of the GNU General Public License as published by\s+\* the Free Software Foundation\.\s/,
  },
];

/** What a kernel source file offers: { file, offer (normalised expression), how, notice, copyright: [lines] }. */
function offerOf(src, file) {
  const text = fs.readFileSync(path.join(src, file), 'utf8');
  const head = text.slice(0, 4000);
  const notice = firstComment(text.replace(/^\/\/[^\n]*\n/, ''));
  const copyright = [...head.matchAll(/Copyright \(c\)[^\n]*/gi)].map((m) => m[0].replace(/\s*\*\/\s*$/, '').trim());
  const line = spdxLine(head);
  if (line) return { file, offer: normalise(line), how: 'SPDX line', notice, copyright };
  const rule = NOTICES.find((r) => r.test.test(notice));
  if (!rule) throw new Error(`${file}: no SPDX line and a notice scripts/gen/licence.js does not recognise: read it and add a rule`);
  return { file, offer: rule.offer, how: 'notice', notice, copyright };
}

/** The top-level alternatives of an expression ('A OR B' -> ['A', 'B']); 'A' -> ['A']. Parentheses kept whole. */
function alternatives(expr) {
  const out = [];
  let depth = 0;
  let cur = '';
  for (const t of expr.split(/(\s+|[()])/)) {
    if (t === '(') depth++;
    if (t === ')') depth--;
    if (depth === 0 && t === 'OR') { out.push(cur.trim()); cur = ''; continue; }
    cur += t;
  }
  out.push(cur.trim());
  return out.map((a) => a.replace(/^\((.*)\)$/, '$1'));
}

/**
 * The option taken of each source for an output licensed under `licence`
 * (an AND of ids): the first alternative the source offers whose ids are all
 * in `licence`, an "-or-later" id taken as its "-only" version when only that
 * is in `licence` (GPL-2.0-or-later lets a work be GPL-2.0-only). Throws when
 * a source offers none of them.
 */
function choose(licence, offers) {
  const taken = new Set(ids(licence));
  const as = (id) => (taken.has(id) ? id : /-or-later$/.test(id) && taken.has(id.replace(/-or-later$/, '-only')) ? id.replace(/-or-later$/, '-only') : null);
  return offers.map((o) => {
    const option = alternatives(o.offer).filter((a) => ids(a).every((id) => as(id) !== null))
      .map((a) => a.replace(/[A-Za-z0-9.+-]+-or-later\b/g, (id) => as(id)))[0];
    if (!option) throw new Error(`${o.file} offers ${o.offer} (${o.how}); the generated file is ${licence}, which takes none of that`);
    return { ...o, option };
  });
}

module.exports = { normalise, normaliseId, ids, spdxLine, offerOf, alternatives, choose, DEPRECATED, NOTICES };
