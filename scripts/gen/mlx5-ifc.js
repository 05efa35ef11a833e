// The mlx5 PRM layouts of a Linux source tree, for lib/mlx5/generated/ifc-data.ts:
// include/linux/mlx5/mlx5_ifc.h and mlx5_ifc_fpga.h (every `struct/union
// mlx5_ifc_*` bit layout), plus the enums the library needs from those and
// from device.h / driver.h (MLX5_CMD_OP_*, enum mlx5_cap_type,
// HCA_CAP_OPMOD_GET_*, MLX5_REG_*, the PPCNT/MPCNT counter groups).
// Run through scripts/gen.js (npm run gen). Anything the parser does not
// understand is an error listing every such place: nothing is skipped.
//
// In the headers one `u8` is one *bit* (u8 name[0x20] is a 32-bit field; the
// kernel's MLX5_ST_SZ_BYTES is sizeof/8), big-endian: bit 0 is the MSB of byte 0.
// Each layout is checked: sizes are computed (struct = sum, union = max,
// arrays = count x element), every `reserved_at_X` must sit at bit X, and
// every size must be a whole number of bytes. test/unit/mlx5-ifc.test.ts
// also compiles the headers with the C compiler and compares every offset.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { preprocess, tokenize, evaluate, defineAll } = require('./c');
const { header, layoutEntry } = require('./emit');
const { offerOf } = require('./licence');
const { kernelVersion } = require('./kernel-source');

const OUT = 'lib/mlx5/generated/ifc-data.ts';
const LAYOUT_FILES = ['include/linux/mlx5/mlx5_ifc_fpga.h', 'include/linux/mlx5/mlx5_ifc.h'];
const ENUM_FILES = ['include/linux/mlx5/device.h', 'include/linux/mlx5/driver.h'];
const DRIVER_FILE = 'drivers/fwctl/mlx5/main.c';
/** The mlx5 data is generated under the BSD-style options its sources offer. */
const LICENCE = 'Linux-OpenIB AND BSD-3-Clause';

// ---- parsing ----

class Parser {
  constructor(tokens, file, names) {
    this.tk = tokens;
    this.i = 0;
    this.file = file;
    this.names = names; // constant name -> BigInt (enumerators and #defines seen so far)
    this.errors = [];
  }
  peek(k = 0) { return this.tk[this.i + k]; }
  where(tk = this.peek() || this.tk[this.tk.length - 1]) { return `${this.file}:${tk ? tk.line : '?'}`; }
  fail(msg, tk) { throw new Error(`${this.where(tk)}: ${msg}`); }
  next() {
    const t = this.tk[this.i++];
    if (!t) this.fail('unexpected end of file');
    return t;
  }
  expect(v) {
    const t = this.next();
    if (t.v !== v) this.fail(`expected '${v}', got '${t.v}'`, t);
    return t;
  }
  ident() {
    const t = this.next();
    if (t.t !== 'id') this.fail(`expected a name, got '${t.v}'`, t);
    return t.v;
  }
  /** Skips to the token after the `;` (or the matching `}` then `;`) that ends this top-level item. */
  skipItem() {
    let depth = 0;
    while (this.i < this.tk.length) {
      const t = this.next();
      if (t.v === '{' || t.v === '(') depth++;
      else if (t.v === '}' || t.v === ')') depth--;
      else if (t.v === ';' && depth === 0) return;
      if (depth === 0 && t.v === '}') {
        // the end of a body: `};` or a function's `}`
        if (this.peek()?.v === ';') this.next();
        return;
      }
    }
  }

  /** enum [tag] { A [= expr], ... } ; -> { tag, entries: [{name, value, line}] } */
  enumBody(tag) {
    const entries = [];
    let nextValue = 0n;
    this.expect('{');
    while (this.peek()?.v !== '}') {
      const nameTk = this.next();
      if (nameTk.t !== 'id') this.fail(`expected an enumerator, got '${nameTk.v}'`, nameTk);
      let value = nextValue;
      if (this.peek()?.v === '=') {
        this.next();
        const expr = [];
        let depth = 0;
        while (!(depth === 0 && (this.peek()?.v === ',' || this.peek()?.v === '}'))) {
          const t = this.next();
          if (t.v === '(') depth++;
          if (t.v === ')') depth--;
          expr.push(t);
        }
        try {
          value = evaluate(expr, this.names);
        } catch (e) {
          value = undefined; // e.g. sizeof(): an enumerator this generator never exports
          this.names.delete(nameTk.v);
          entries.push({ name: nameTk.v, value, line: nameTk.line, error: e.message });
          nextValue = undefined;
          if (this.peek()?.v === ',') this.next();
          continue;
        }
      } else if (value === undefined) {
        entries.push({ name: nameTk.v, value, line: nameTk.line, error: 'follows an enumerator with no value' });
        if (this.peek()?.v === ',') this.next();
        continue;
      }
      this.names.set(nameTk.v, value);
      entries.push({ name: nameTk.v, value, line: nameTk.line });
      nextValue = value + 1n;
      if (this.peek()?.v === ',') this.next();
      else if (this.peek()?.v !== '}') this.fail(`expected ',' or '}' after ${nameTk.v}`);
    }
    this.expect('}');
    return { tag, entries };
  }

  /** `[N]` dimensions; an empty `[]` is a flexible array (count 0). */
  dims() {
    const dims = [];
    while (this.peek()?.v === '[') {
      this.next();
      const expr = [];
      while (this.peek()?.v !== ']') expr.push(this.next());
      this.expect(']');
      if (expr.length === 0) dims.push(0);
      else {
        try {
          dims.push(Number(evaluate(expr, this.names)));
        } catch (e) {
          this.fail(`array dimension [${expr.map((t) => t.v).join(' ')}]: ${e.message}`, expr[0]);
        }
      }
    }
    return dims;
  }

  /** The members of a struct/union body, after its `{`, up to and including the `}`. */
  members() {
    const out = [];
    while (this.peek()?.v !== '}') {
      const t = this.next();
      const line = t.line;
      if (t.v === 'u8') {
        const name = this.ident();
        const dims = this.dims();
        if (dims.length === 0) this.fail(`u8 ${name} has no [width]`, t);
        this.expect(';');
        // `u8 string_db_data[];` (mtrc_stdb): a flexible array with no width, i.e. of
        // 1-bit elements in C; the driver reads it as bytes, and so does this table.
        if (dims.length === 1 && dims[0] === 0) dims.unshift(0), (dims[1] = 8);
        const width = dims.pop();
        if (width <= 0) this.fail(`u8 ${name}: width must be positive, got ${width}`, t);
        out.push({ name, type: { bits: width }, dims, line });
      } else if (t.v === 'struct' || t.v === 'union') {
        if (this.peek()?.v === '{') {
          this.next();
          const body = this.members();
          let name;
          let dims = [];
          if (this.peek()?.v !== ';') {
            name = this.ident();
            dims = this.dims();
          }
          this.expect(';');
          out.push({ name, type: { inline: { kind: t.v, members: body, line } }, dims, line });
        } else {
          const tag = this.ident();
          const name = this.ident();
          const dims = this.dims();
          this.expect(';');
          out.push({ name, type: { ref: tag, kind: t.v }, dims, line });
        }
      } else if (t.v === 'DECLARE_FLEX_ARRAY') {
        this.expect('(');
        const kind = this.next().v;
        if (kind !== 'struct' && kind !== 'union') this.fail(`DECLARE_FLEX_ARRAY of '${kind}'`, t);
        const tag = this.ident();
        this.expect(',');
        const name = this.ident();
        this.expect(')');
        this.expect(';');
        out.push({ name, type: { ref: tag, kind }, dims: [0], line });
      } else {
        this.fail(`cannot parse a member starting with '${t.v}'`, t);
      }
    }
    this.expect('}');
    return out;
  }
}

/** Parses #defines and enums of a file into `names`; returns the enums. */
function readEnums(file, text, names) {
  const { text: body, defines } = preprocess(text);
  defineAll(defines, file, names);
  const p = new Parser(tokenize(body, file), file, names);
  const enums = [];
  while (p.i < p.tk.length) {
    const t = p.next();
    if (t.v === 'enum' && (p.peek()?.v === '{' || (p.peek()?.t === 'id' && p.peek(1)?.v === '{'))) {
      const tag = p.peek().v === '{' ? undefined : p.ident();
      enums.push({ ...p.enumBody(tag), file });
    }
  }
  return enums;
}

/** Parses every top-level item of a layout header: enums and struct/union layouts. Anything else is an error. */
function readLayouts(file, text, names, layouts, errors) {
  const { text: body, defines } = preprocess(text);
  const pending = defines.slice();
  const p = new Parser(tokenize(body, file), file, names);
  const enums = [];
  const defineAt = (line) => {
    // #defines are visible from their line on (MLX5_CMD_SET_MONITOR_NUM_COUNTER sizes an array)
    while (pending.length && pending[0].line <= line) {
      const d = pending.shift();
      try {
        names.set(d.name, evaluate(tokenize(d.expr, file), names));
      } catch {
        // a function-like or non-constant macro: never a dimension
      }
    }
  };
  while (p.i < p.tk.length) {
    const start = p.peek();
    defineAt(start.line);
    try {
      const kw = p.next();
      if (kw.v === 'enum') {
        const tag = p.peek().v === '{' ? undefined : p.ident();
        enums.push({ ...p.enumBody(tag), file });
        p.expect(';');
      } else if (kw.v === 'struct' || kw.v === 'union') {
        const tag = p.ident();
        p.expect('{');
        const members = p.members();
        p.expect(';');
        if (!tag.startsWith('mlx5_ifc_')) throw new Error(`${file}:${kw.line}: ${kw.v} ${tag} is not an mlx5_ifc_ layout`);
        if (layouts.has(tag)) throw new Error(`${file}:${kw.line}: ${tag} defined twice`);
        layouts.set(tag, { tag, kind: kw.v, members, file, line: kw.line });
      } else {
        throw new Error(`${file}:${kw.line}: cannot parse a top-level item starting with '${kw.v}'`);
      }
    } catch (e) {
      errors.push(e.message);
      p.i = p.tk.indexOf(start) + 1;
      p.skipItem();
    }
  }
  return enums;
}

// ---- layout computation ----

/** mlx5_ifc_query_adapter_out_bits -> query_adapter_out; other tags lose only the prefix. */
function shortName(tag) {
  return tag.replace(/^mlx5_ifc_/, '').replace(/_bits$/, '');
}

/**
 * Sizes every layout and flattens it into emitted members
 * { name, offset, type: {bits}|{ref: shortName}, dims } (reserved fields left
 * out, anonymous struct/union members lifted into the parent as C does,
 * named inline ones emitted as their own layout `parent.name`).
 */
function compute(layouts, errors, knownOdd = KNOWN_ODD, typos = RESERVED_TYPOS) {
  const sizes = new Map();
  const inProgress = new Set();
  const out = new Map(); // short name -> { kind, size, members, line, file }
  const byShort = new Map();
  for (const tag of layouts.keys()) {
    const s = shortName(tag);
    if (byShort.has(s)) errors.push(`${tag} and ${byShort.get(s)} both shorten to ${s}`);
    byShort.set(s, tag);
  }
  const oddSeen = new Set();

  function refSize(ref, where) {
    const l = layouts.get(ref.ref);
    if (!l) throw new Error(`${where}: ${ref.kind} ${ref.ref} is not defined`);
    if (l.kind !== ref.kind) throw new Error(`${where}: ${ref.ref} is a ${l.kind}, used as a ${ref.kind}`);
    return layoutSize(l);
  }
  /** Memoized: { size, emit } of a top-level layout. */
  function layoutOf(l) {
    if (sizes.has(l.tag)) return sizes.get(l.tag);
    if (inProgress.has(l.tag)) throw new Error(`${l.file}:${l.line}: ${l.tag} contains itself`);
    inProgress.add(l.tag);
    try {
      const name = shortName(l.tag);
      const emit = [];
      const { size } = flattenBody(l, name, 0, emit, l.file, name);
      sizes.set(l.tag, { size, emit });
      return { size, emit };
    } finally {
      inProgress.delete(l.tag);
    }
  }
  function layoutSize(l) {
    return layoutOf(l).size;
  }
  function elementSize(m, where) {
    return m.type.bits ? m.type.bits : refSize(m.type, where);
  }
  /**
   * Lays out a struct/union body starting at bit `base`; pushes emitted members into `emit`
   * and returns { size }. `owner` names the layout for reserved_at checks (relative offsets).
   */
  function flattenBody(body, owner, base, emit, file, outName) {
    let offset = 0;
    let size = 0;
    for (const m of body.members) {
      const where = `${file}:${m.line} ${owner}.${m.name ?? '(anonymous)'}`;
      const count = m.dims.reduce((a, b) => a * b, 1);
      let elem;
      if (m.type.inline && m.name === undefined) {
        if (m.dims.length) throw new Error(`${where}: an anonymous ${m.type.inline.kind} array`);
        const r = flattenBody(m.type.inline, owner, base + (body.kind === 'union' ? 0 : offset), emit, file, outName);
        elem = r.size;
      } else if (m.type.inline) {
        const inner = `${outName}.${m.name}`;
        const innerEmit = [];
        elem = flattenBody(m.type.inline, inner, 0, innerEmit, file, inner).size;
        if (out.has(inner)) throw new Error(`${where}: layout ${inner} defined twice`);
        out.set(inner, { kind: m.type.inline.kind, size: elem, members: innerEmit, file, line: m.line });
        emit.push({ name: m.name, offset: base + (body.kind === 'union' ? 0 : offset), type: { ref: inner }, dims: m.dims });
      } else {
        elem = elementSize(m, where);
        const at = base + (body.kind === 'union' ? 0 : offset);
        const reserved = /^reserved/.test(m.name) || typos.has(`${owner}.${m.name}`);
        if (typos.has(`${owner}.${m.name}`)) oddSeen.add(`${owner}.${m.name}`);
        if (reserved) {
          const r = /^rese(?:r|re)ved_at_([0-9a-fA-F]+)$/.exec(m.name);
          if (r && parseInt(r[1], 16) !== at) {
            const key = `${owner}.${m.name}@0x${at.toString(16)}`;
            if (knownOdd.has(key)) oddSeen.add(key);
            else errors.push(`${where}: ${m.name} is at bit 0x${at.toString(16)}, not 0x${r[1]}`);
          }
        } else {
          emit.push({ name: m.name, offset: at, type: m.type.bits ? { bits: m.type.bits } : { ref: shortName(m.type.ref) }, dims: m.dims });
        }
      }
      const total = elem * count;
      if (body.kind === 'union') size = Math.max(size, total);
      else offset += total;
    }
    if (body.kind !== 'union') size = offset;
    return { size };
  }
  for (const l of layouts.values()) {
    const name = shortName(l.tag);
    try {
      const { size, emit } = layoutOf(l);
      const seen = new Set();
      for (const m of emit) {
        if (seen.has(m.name)) errors.push(`${l.file}:${l.line}: ${name} has two members named ${m.name}`);
        seen.add(m.name);
      }
      if (size % 8 !== 0) errors.push(`${l.file}:${l.line}: ${name} is ${size} bits, not a whole number of bytes`);
      // qp_pas_list_in is only a flexible array (sizeof 0 in C too); any other empty layout is a mistake.
      if (size === 0 && !l.members.every((m) => m.dims.includes(0))) errors.push(`${l.file}:${l.line}: ${name} has size 0`);
      out.set(name, { kind: l.kind, tag: l.tag, size, members: emit, file: l.file, line: l.line });
    } catch (e) {
      errors.push(e.message);
    }
  }
  for (const k of [...knownOdd, ...typos]) if (!oddSeen.has(k)) errors.push(`${k} is listed as a known oddity, which the header no longer has: remove it`);
  // Source order, each named inline layout right after its parent.
  const order = [...layouts.values()].map((l) => shortName(l.tag));
  const sorted = new Map();
  for (const n of order) {
    if (!out.has(n)) continue;
    sorted.set(n, out.get(n));
    for (const [k, v] of out) if (k.startsWith(`${n}.`)) sorted.set(k, v);
  }
  return sorted;
}

/** Reserved fields misspelt in the header (kept out of the table like any reserved field; checked like reserved_at_X). */
const RESERVED_TYPOS = new Set(['pcam_enhanced_features.resereved_at_54']);

/**
 * reserved_at_X names whose X is not the bit the field sits at: slips in the
 * header itself (the layout is still right; only the name is off). Listed
 * here, each checked, so that any new one fails.
 */
const KNOWN_ODD = new Set([
  'e_switch_cap.reserved_at_21@0x28',
  'cmd_hca_cap.reserved_at_13@0x11',
  'cmd_hca_cap.reserved_at_1fa@0x1f9',
  'dtor_reg.reserved_at_1c0@0x1e0',
  'vnic_diagnostic_statistics.reserved_at_220@0x240',
  'vnic_diagnostic_statistics.reserved_at_3c0@0x3e0',
  'query_special_contexts_out.reserved_at_a0@0xe0',
  'match_definer_match_mask.reserved_at_1c0@0x0', // offsets within match_definer, where it is embedded at 0x1c0
  'match_definer.reserved_at_100@0x140',
  'match_definer.reserved_at_120@0x160',
  'match_definer.reserved_at_180@0x1c0',
  'mpir_reg.reserved_at_28@0x48',
  'alloc_memic_in.reserved_at_30@0x40',
  'alloc_memic_in.reserved_at_40@0x60',
  'host_params_context.reserved_at_14@0xe',
  'ipsec_aso.reserved_at_201@0x1', // ipsec_aso: offsets within the ASO context, where it sits at 0x200
  'ipsec_aso.reserved_at_20a@0xa',
  'ipsec_aso.reserved_at_260@0x60',
  'pcie_cong_event_obj.reserved_at_e0@0xc0',
]);

// ---- output ----

const hex = (n) => n.toString(16);

/** `name@offset:width` or `name@offset:=layout`, then `*count` per dimension (0: flexible). */
function encodeMember(m) {
  const t = m.type.bits ? hex(m.type.bits) : `=${m.type.ref}`;
  return `${m.name}@${hex(m.offset)}:${t}${m.dims.map((d) => `*${d}`).join('')}`;
}

function pick(enums, file, test, strip) {
  const o = {};
  for (const e of enums) {
    if (file && !e.file.endsWith(file)) continue;
    for (const x of e.entries) {
      if (!test(x.name, e)) continue;
      if (x.value === undefined) throw new Error(`${e.file}:${x.line}: ${x.name} has no value I can compute (${x.error})`);
      const k = strip(x.name);
      if (k in o && o[k] !== Number(x.value)) throw new Error(`${e.file}:${x.line}: ${x.name} defined twice with different values`);
      o[k] = Number(x.value);
    }
  }
  return o;
}

/** Everything from a source tree: { text (the module), layouts, enums, errors }. */
function generate(srcDir) {
  const names = new Map();
  const errors = [];
  const enums = [];
  const read = (rel) => fs.readFileSync(path.join(srcDir, rel), 'utf8');
  for (const rel of ENUM_FILES) enums.push(...readEnums(rel, read(rel), names));
  const layouts = new Map();
  for (const rel of LAYOUT_FILES) enums.push(...readLayouts(rel, read(rel), names, layouts, errors));
  // The fwctl driver declares the mailbox headers it checks (mbox_in_hdr,
  // mbox_out_hdr) in its own .c file, in the same notation: only those blocks.
  const driverStructs = [...read(DRIVER_FILE).matchAll(/^struct mlx5_ifc_\w+_bits \{[\s\S]*?^\};/gm)].map((m) => m[0]);
  if (driverStructs.length === 0) errors.push(`${DRIVER_FILE}: no struct mlx5_ifc_*_bits (the mailbox headers) found`);
  readLayouts(DRIVER_FILE, driverStructs.join('\n\n'), names, layouts, errors);
  const computed = compute(layouts, errors, KNOWN_ODD);
  if (errors.length) {
    const e = new Error(`gen mlx5-ifc: ${errors.length} problem(s) in ${srcDir}:\n  ${errors.join('\n  ')}`);
    e.problems = errors;
    throw e;
  }
  const capEnum = enums.find((e) => e.tag === 'mlx5_cap_type');
  if (!capEnum) throw new Error('enum mlx5_cap_type not found in device.h');
  const enumWith = (n) => {
    const e = enums.find((x) => x.entries.some((y) => y.name === n));
    if (!e) throw new Error(`no enum has ${n}`);
    return e;
  };
  const groupName = (n) => n.replace(/^MLX5_/, '').replace(/(_COUNTERS)?_GROUP$/, '');
  const groups = {
    MLX5_CMD_OP: pick(enums, 'mlx5_ifc.h', (n) => /^MLX5_CMD_OP_/.test(n) && n !== 'MLX5_CMD_OP_MAX', (n) => n.slice(12)),
    MLX5_CAP: pick([capEnum], null, (n) => n !== 'MLX5_CAP_NUM' && !/RESERVED/.test(n), (n) => n.slice(9)),
    HCA_CAP_OPMOD: pick(enums, 'device.h', (n) => /^HCA_CAP_OPMOD_GET_/.test(n), (n) => n.slice(18)),
    MLX5_REG: pick(enums, 'driver.h', (n) => /^MLX5_REG_/.test(n), (n) => n.slice(9)),
    // PPCNT's and MPCNT's `grp` values: the enums holding these two names
    MLX5_PPCNT_GROUP: pick([enumWith('MLX5_IEEE_802_3_COUNTERS_GROUP')], null, () => true, groupName),
    MLX5_MPCNT_GROUP: pick([enumWith('MLX5_PCIE_PERFORMANCE_COUNTERS_GROUP')], null, () => true, groupName),
  };
  // Which layout each capability type reads as: device.h's accessor macros,
  // e.g. MLX5_CAP_ROCE(mdev, cap) MLX5_GET(roce_cap, mdev->caps.hca[MLX5_CAP_ROCE]->cur, cap).
  const capLayouts = {};
  const deviceH = read('include/linux/mlx5/device.h').replace(/\\\n/g, ' ');
  for (const m of deviceH.matchAll(/MLX5_(?:GET|GET64|ADDR_OF)\(\s*(\w+)\s*,\s*\(?\s*mdev\s*\)?->caps\.hca\[MLX5_CAP_(\w+)\]/g)) {
    const [, layoutName, cap] = m;
    if (!(cap in groups.MLX5_CAP)) throw new Error(`device.h reads caps.hca[MLX5_CAP_${cap}], which enum mlx5_cap_type does not have`);
    if (!computed.has(layoutName)) throw new Error(`device.h reads MLX5_CAP_${cap} as ${layoutName}, which mlx5_ifc.h does not define`);
    if (capLayouts[cap] !== undefined && capLayouts[cap] !== layoutName) {
      throw new Error(`device.h reads MLX5_CAP_${cap} as both ${capLayouts[cap]} and ${layoutName}`);
    }
    capLayouts[cap] = layoutName;
  }
  const version = kernelVersion(srcDir);
  const offers = Object.fromEntries([...LAYOUT_FILES, ...ENUM_FILES, DRIVER_FILE].map((f) => [f, offerOf(srcDir, f)]));
  const lines = header({
    licence: LICENCE,
    version,
    sources: [
      { offer: offers[LAYOUT_FILES[0]], what: 'layouts' },
      { offer: offers[LAYOUT_FILES[1]], what: 'layouts, enums (MLX5_CMD_OP_*, counter groups)' },
      { offer: offers[DRIVER_FILE], what: 'its mbox_in_hdr and mbox_out_hdr layouts' },
      { offer: offers[ENUM_FILES[0]], what: 'enum mlx5_cap_type, HCA_CAP_OPMOD_GET_*, MLX5_CAP_*() accessors' },
      { offer: offers[ENUM_FILES[1]], what: 'MLX5_REG_*' },
    ],
    notice: offers[LAYOUT_FILES[1]],
    about: [
      'Format of a layout: "<s|u><size in bits, hex>" then one member a line, each',
      '"name@<bit offset, hex>:<width in bits, hex | =layout>" then "*count" per array',
      'dimension (*0: flexible). Bit 0 is the MSB of byte 0. Reserved fields are left out.',
    ],
  });
  lines.push('');
  lines.push(`export const IFC_SOURCE = ${JSON.stringify({ tree: version.tree, version: version.debian ?? version.linux, linux: version.linux, files: [...LAYOUT_FILES, DRIVER_FILE, ...ENUM_FILES], spdx: LICENCE }, null, 2)} as const;`);
  lines.push('');
  for (const [k, v] of Object.entries(groups)) {
    lines.push(`export const ${k} = {`);
    for (const [n, x] of Object.entries(v)) lines.push(`  ${/^[A-Za-z_]\w*$/.test(n) ? n : JSON.stringify(n)}: 0x${hex(x)},`);
    lines.push('} as const;');
    lines.push('');
  }
  lines.push('/** The layout each capability type (MLX5_CAP_*) reads as, from device.h\'s MLX5_CAP_*() accessors. */');
  lines.push('export const MLX5_CAP_LAYOUT = {');
  for (const cap of Object.keys(groups.MLX5_CAP)) if (capLayouts[cap]) lines.push(`  ${cap}: '${capLayouts[cap]}',`);
  lines.push('} as const;');
  lines.push('');
  lines.push('/** Every layout by name (the tag without mlx5_ifc_ and _bits). */');
  lines.push('export const IFC_LAYOUTS = {');
  for (const [n, l] of computed) lines.push(...layoutEntry(n, `${l.kind[0]}${hex(l.size)}`, l.members.map(encodeMember)));
  lines.push('};');
  lines.push('');
  lines.push('export type IfcLayoutName = keyof typeof IFC_LAYOUTS;');
  lines.push('');
  return { text: lines.join('\n'), layouts: computed, groups, enums, cExtra: driverStructs.join('\n\n') };
}

/**
 * A C program that prints `size <layout> <bits>` and `off <layout> <member> <bit>`
 * for every layout and member of `layouts`, from the headers themselves: in
 * them one u8 is one bit, so sizeof and offsetof count bits. Compared by
 * test/unit/mlx5-ifc.test.ts with the table (when a C compiler is there).
 */
function cCheckProgram(layouts, cExtra = '') {
  const c = [
    '#include <stdio.h>',
    '#include <stddef.h>',
    'typedef unsigned char u8;',
    'typedef unsigned short u16;',
    'typedef unsigned int u32;',
    'typedef unsigned long long u64;',
    '#define BIT(n) (1UL << (n))',
    '#define BIT_ULL(n) (1ULL << (n))',
    '#define DECLARE_FLEX_ARRAY(T, N) struct { struct { } __empty_##N; T N[]; }',
    '#include <linux/mlx5/mlx5_ifc.h>',
    cExtra,
    'int main(void) {',
  ];
  const tagOf = new Map();
  for (const [name, l] of layouts) {
    if (!name.includes('.')) tagOf.set(name, `${l.kind} ${l.tag}`);
  }
  for (const [name, l] of layouts) {
    const dot = name.indexOf('.');
    const type = dot < 0 ? tagOf.get(name) : tagOf.get(name.slice(0, dot));
    const prefix = dot < 0 ? '' : `${name.slice(dot + 1)}.`;
    const base = dot < 0 ? '0' : `offsetof(${type}, ${name.slice(dot + 1)})`;
    const sz = dot < 0 ? `sizeof(${type})` : `sizeof(((${type} *)0)->${name.slice(dot + 1)})`;
    c.push(`  printf("size ${name} %zu\\n", ${sz});`);
    for (const m of l.members) {
      c.push(`  printf("off ${name} ${m.name} %zu\\n", offsetof(${type}, ${prefix}${m.name}) - ${base});`);
    }
  }
  c.push('  return 0;', '}', '');
  return c.join('\n');
}

/** The same lines from the table, for comparison with cCheckProgram's output. */
function cCheckExpected(layouts) {
  const out = [];
  for (const [name, l] of layouts) {
    out.push(`size ${name} ${l.size}`);
    for (const m of l.members) out.push(`off ${name} ${m.name} ${m.offset}`);
  }
  return out;
}

module.exports = { OUT, LICENCE, generate, cCheckProgram, cCheckExpected, shortName, readLayouts, compute, KNOWN_ODD };
