// The HWRM layouts of a Linux source tree, for lib/bnxt/generated/hwrm-data.ts:
// include/linux/bnxt/hsi.h (little-endian C structs: __le16/32/64, __be*,
// u8/char arrays, nested and __packed structs, unions) for every command the
// bnxt fwctl driver (drivers/fwctl/bnxt/main.c) allows, plus the structs its
// DMA buffers hold (port statistics, coredump segment records), with each
// field's bit-fields as hsi.h expresses them (a _MASK/_SFT #define pair under
// the field), and the NVM directory types of bnxt_nvm_defs.h. It also reads
// the driver's table by name (driverCommands: each DMA descriptor's address
// and length fields), which scripts/gen/driver-tables.js joins with the
// numbers the C compiler computes into the one bnxt command table
// (lib/bnxt/generated/commands.ts). Run through scripts/gen.js (npm run gen).
//
// Anything the parser does not understand is an error listing every such
// place; nothing is skipped. Every struct's computed size is checked against
// the `/* name (size:Nb/MB) */` comment hsi.h puts above it, and
// test/unit/bnxt-hwrm.test.ts compiles hsi.h to compare every sizeof and offsetof.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { preprocess, stripComments, tokenize, evaluate, defineAll } = require('./c');
const { header, layoutEntry } = require('./emit');
const { offerOf } = require('./licence');
const { kernelVersion } = require('./kernel-source');

const OUT = 'lib/bnxt/generated/hwrm-data.ts';
const LICENCE = 'GPL-2.0-only';
const HSI = 'include/linux/bnxt/hsi.h';
const DRIVER = 'drivers/fwctl/bnxt/main.c';
const UAPI = 'include/uapi/fwctl/bnxt.h';
const NVM_DEFS = 'drivers/net/ethernet/broadcom/bnxt/bnxt_nvm_defs.h';

/** Structs the DMA buffers and the library use besides the commands' input/output. */
const EXTRA = ['input', 'output', 'hwrm_err_output', 'tx_port_stats', 'rx_port_stats', 'tx_port_stats_ext',
  'rx_port_stats_ext', 'coredump_segment_record', 'coredump_data_hdr',
  'pcie_ctx_hw_stats'];

/** Scalar types of hsi.h: [bytes, code]. l = little-endian, b = big-endian, u = byte, c = char, h = host-endian. */
const SCALARS = {
  u8: [1, 'u'], __u8: [1, 'u'], char: [1, 'c'], s8: [1, 'u'],
  __le16: [2, 'l'], __le32: [4, 'l'], __le64: [8, 'l'],
  __be16: [2, 'b'], __be32: [4, 'b'], __be64: [8, 'b'],
  u16: [2, 'h'], u32: [4, 'h'], u64: [8, 'h'],
};

// ---- parsing ----

/**
 * Parses every top-level item: `struct tag { members } [__packed];`. Anything
 * else is an error (collected). Members: scalar (with dims), inline
 * struct/union (named or anonymous, optional __packed, dims), `struct tag name`.
 */
function parseHeader(file, text, names, errors) {
  const tk = tokenize(text, file);
  let i = 0;
  const peek = (k = 0) => tk[i + k];
  const where = (t = tk[i] || tk[tk.length - 1]) => `${file}:${t ? t.line : '?'}`;
  const fail = (msg, t) => { throw new Error(`${where(t)}: ${msg}`); };
  const next = () => tk[i++] || fail('unexpected end of file');
  const expect = (v) => { const t = next(); if (t.v !== v) fail(`expected '${v}', got '${t.v}'`, t); return t; };
  const ident = () => { const t = next(); if (t.t !== 'id') fail(`expected a name, got '${t.v}'`, t); return t.v; };
  const attrs = () => { let packed = false; while (peek()?.v === '__packed') { next(); packed = true; } return packed; };
  const dims = () => {
    const out = [];
    while (peek()?.v === '[') {
      next();
      const expr = [];
      while (peek()?.v !== ']') expr.push(next());
      expect(']');
      if (!expr.length) { out.push(0); continue; }
      try {
        out.push(Number(evaluate(expr, names)));
      } catch (e) {
        fail(`array dimension [${expr.map((t) => t.v).join(' ')}]: ${e.message}`, expr[0]);
      }
    }
    return out;
  };
  function members() {
    const out = [];
    while (peek()?.v !== '}') {
      const t = next();
      if (t.v === 'struct' || t.v === 'union') {
        if (peek()?.v === '{') {
          next();
          const body = members();
          const packed = attrs();
          let name;
          let d = [];
          if (peek()?.v !== ';') { name = ident(); d = dims(); }
          expect(';');
          out.push({ name, inline: { kind: t.v, members: body, packed }, dims: d, line: t.line });
        } else {
          const tag = ident();
          const name = ident();
          const d = dims();
          expect(';');
          out.push({ name, ref: tag, refKind: t.v, dims: d, line: t.line });
        }
      } else if (t.t === 'id' && Object.hasOwn(SCALARS, t.v)) {
        const name = ident();
        const d = dims();
        if (peek()?.v === ':') fail(`bit-field ${name}: C bit-fields are not supported (hsi.h uses _MASK/_SFT #defines)`, t);
        expect(';');
        out.push({ name, scalar: t.v, dims: d, line: t.line });
      } else {
        fail(`cannot parse a member starting with '${t.v}'`, t);
      }
    }
    expect('}');
    return out;
  }
  const structs = new Map();
  while (i < tk.length) {
    const start = i;
    try {
      const kw = next();
      if (kw.v !== 'struct' && kw.v !== 'union') fail(`cannot parse a top-level item starting with '${kw.v}'`, kw);
      const tag = ident();
      expect('{');
      const body = members();
      const packed = attrs();
      expect(';');
      if (structs.has(tag)) fail(`${kw.v} ${tag} defined twice`, kw);
      structs.set(tag, { tag, kind: kw.v, members: body, packed, line: kw.line });
    } catch (e) {
      errors.push(e.message);
      // resynchronise after the next top-level `};`
      i = start + 1;
      let depth = 0;
      while (i < tk.length) {
        const t = tk[i++];
        if (t.v === '{') depth++;
        else if (t.v === '}') depth--;
        else if (t.v === ';' && depth <= 0) break;
      }
    }
  }
  return structs;
}

// ---- layout (C rules for x86-64/arm64: natural alignment, __packed = 1) ----

/**
 * Lays out every struct: { kind, size, align, members: [{name, offset, type, dims}] }
 * where type is { scalar: code, bytes } or { ref: layoutName }. Anonymous inline
 * members are lifted into the parent (as C does); named inline ones become
 * layouts `parent.name`.
 */
function compute(structs, file, errors, sizes) {
  const out = new Map();
  const busy = new Set();
  function bodyLayout(body, owner, packedOuter) {
    const packed = body.packed || packedOuter;
    const emit = [];
    let offset = 0;
    let size = 0;
    let align = 1;
    for (const m of body.members) {
      const where = `${file}:${m.line} ${owner}.${m.name ?? '(anonymous)'}`;
      const count = m.dims.reduce((a, b) => a * b, 1);
      let elemSize;
      let elemAlign;
      let type;
      let lifted;
      if (m.scalar) {
        const [bytes, code] = SCALARS[m.scalar];
        elemSize = bytes;
        elemAlign = bytes;
        type = { scalar: code, bytes };
      } else if (m.inline) {
        const inner = m.name === undefined ? owner : `${owner}.${m.name}`;
        const r = bodyLayout(m.inline, inner, packed);
        elemSize = r.size;
        elemAlign = r.align;
        if (m.name === undefined) {
          if (m.dims.length) throw new Error(`${where}: an anonymous ${m.inline.kind} array`);
          lifted = r.emit;
        } else {
          if (out.has(inner)) throw new Error(`${where}: layout ${inner} defined twice`);
          out.set(inner, { kind: m.inline.kind, size: r.size, align: r.align, members: r.emit });
          type = { ref: inner };
        }
      } else {
        const s = structs.get(m.ref);
        if (!s) throw new Error(`${where}: ${m.refKind} ${m.ref} is not defined in ${file}`);
        const l = layoutOf(s);
        elemSize = l.size;
        elemAlign = l.align;
        type = { ref: m.ref };
      }
      if (packed) elemAlign = 1;
      align = Math.max(align, elemAlign);
      const at = body.kind === 'union' ? 0 : Math.ceil(offset / elemAlign) * elemAlign;
      if (lifted) for (const x of lifted) emit.push({ ...x, offset: x.offset + at });
      else emit.push({ name: m.name, offset: at, type, dims: m.dims });
      if (body.kind === 'union') size = Math.max(size, elemSize * count);
      else offset = at + elemSize * count;
    }
    if (body.kind !== 'union') size = offset;
    size = Math.ceil(size / align) * align;
    return { size, align, emit };
  }
  function layoutOf(s) {
    if (out.has(s.tag)) return out.get(s.tag);
    if (busy.has(s.tag)) throw new Error(`${file}:${s.line}: ${s.tag} contains itself`);
    busy.add(s.tag);
    try {
      const r = bodyLayout(s, s.tag, false);
      const l = { kind: s.kind, size: r.size, align: r.align, members: r.emit };
      out.set(s.tag, l);
      return l;
    } finally {
      busy.delete(s.tag);
    }
  }
  for (const s of structs.values()) {
    try {
      const l = layoutOf(s);
      const seen = new Set();
      for (const m of l.members) {
        if (seen.has(m.name)) errors.push(`${file}:${s.line}: ${s.tag} has two members named ${m.name}`);
        seen.add(m.name);
      }
      const want = sizes.get(s.tag);
      if (want === undefined) errors.push(`${file}:${s.line}: ${s.tag} has no "(size:...)" comment to check its size against`);
      else if (want !== l.size) errors.push(`${file}:${s.line}: ${s.tag} computes to ${l.size} bytes, its comment says ${want}`);
    } catch (e) {
      errors.push(e.message);
    }
  }
  return out;
}

// ---- bit-fields: the #defines under a field ----

/**
 * For each struct member, the _MASK/_SFT pairs defined between it and the next
 * member: { 'struct.field': [[sub, mask, shift], ...] }. A _MASK without its
 * _SFT (or the reverse) is an error.
 */
function bitFields(structs, defines, names, file, errors) {
  // member lines, in order
  const marks = [];
  for (const s of structs.values()) {
    const walk = (body, owner) => {
      for (const m of body.members) {
        if (m.inline) {
          if (m.name !== undefined) marks.push({ line: m.line, struct: s.tag, owner: `${owner}.${m.name}`, field: null });
          walk(m.inline, m.name === undefined ? owner : `${owner}.${m.name}`);
        } else {
          marks.push({ line: m.line, struct: s.tag, owner, field: m.name });
        }
      }
    };
    walk(s, s.tag);
    marks.push({ line: Infinity, struct: null }); // placeholder, sorted out below
  }
  const structEnd = new Map();
  // last line of each struct: the next struct's first line bounds it well enough
  const starts = [...structs.values()].map((s) => s.line).sort((a, b) => a - b);
  for (const s of structs.values()) structEnd.set(s.tag, starts.find((l) => l > s.line) ?? Infinity);
  const real = marks.filter((m) => m.struct).sort((a, b) => a.line - b.line);
  const out = {};
  const pending = new Map(); // key -> {sub -> {mask, shift}}
  let k = 0;
  for (const d of defines) {
    while (k + 1 < real.length && real[k + 1].line < d.line) k++;
    const m = real[k];
    if (!m || m.line > d.line || !m.field || d.line >= structEnd.get(m.struct)) continue;
    const field = m.field.toUpperCase();
    const mm = /^(\w+)_(MASK|SFT)$/.exec(d.name);
    if (!mm) continue;
    const at = mm[1].lastIndexOf(`_${field}_`);
    const sub = at >= 0 ? mm[1].slice(at + field.length + 2).toLowerCase()
      : mm[1].endsWith(`_${field}`) ? '' : null;
    if (sub === null || sub === '') continue; // a mask of the whole field, or a name of another field
    let v;
    try {
      v = Number(evaluate(tokenize(d.expr, file), names));
    } catch (e) {
      errors.push(`${file}:${d.line}: ${d.name}: ${e.message}`);
      continue;
    }
    const key = `${m.owner}.${m.field}`;
    if (!pending.has(key)) pending.set(key, new Map());
    const p = pending.get(key);
    if (!p.has(sub)) p.set(sub, { line: d.line });
    p.get(sub)[mm[2] === 'MASK' ? 'mask' : 'shift'] = v;
  }
  for (const [key, subs] of pending) {
    const list = [];
    for (const [sub, x] of subs) {
      if (x.mask !== undefined && x.shift === undefined && x.mask > 0 && (x.mask & (x.mask - 1)) === 0) {
        // a one-bit flag whose name ends in MASK (FLAGS_COUNTER_MASK, ENABLES_L2_ADDR_MASK): not a bit-field
        continue;
      }
      // a multi-bit _MASK from bit 0 with no _SFT (CFA_FLOW_INFO_REQ_FLOW_HANDLE_MAX_MASK): shift 0
      if (x.mask !== undefined && x.shift === undefined && (x.mask & 1) === 1) x.shift = 0;
      if (x.mask === undefined || x.shift === undefined) {
        errors.push(`${file}:${x.line}: ${key}: ${sub} has a _${x.mask === undefined ? 'SFT' : 'MASK'} without its _${x.mask === undefined ? 'MASK' : 'SFT'}`);
        continue;
      }
      if (x.mask === 0 || (x.mask >>> 0) % 2 ** x.shift !== 0) errors.push(`${file}:${x.line}: ${key}.${sub}: mask 0x${x.mask.toString(16)} does not start at bit ${x.shift}`);
      list.push([sub, x.mask >>> 0, x.shift]);
    }
    if (list.length) out[key] = list;
  }
  return out;
}

// ---- the driver: allowed commands and DMA descriptors by name ----

function driverCommands(text, names, file) {
  const start = text.indexOf('bnxtctl_dma_cmds[] = {');
  const end = text.indexOf('#undef CMD_DMA_LEN', start);
  if (start < 0 || end < 0) throw new Error(`${file}: bnxtctl_dma_cmds not found (the driver changed: update scripts/gen/bnxt-hwrm.js)`);
  const table = stripComments(text.slice(start, end)).replace(/\s+/g, ' ');
  const dma = [];
  const problems = [];
  const entry = /CMD_DMA_LEN\(\s*HWRM_(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*struct (\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\)|CMD_DMAS\(\s*HWRM_(\w+)\s*,\s*(\w+)\s*,\s*struct (\w+)\s*,\s*(\d+)\s*,((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)/g;
  let consumed = 0;
  for (const m of table.matchAll(entry)) {
    consumed += m[0].length;
    if (m[1]) {
      dma.push({ name: m[1], scope: m[2], struct: m[4], fields: [{ dir: m[3], addr: m[5], len: m[6], unit: 1 }] });
      continue;
    }
    const fields = [];
    const f = /CMD_DATA_(SIMPLE|UNIT|FIXED)\(\s*struct (\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*((?:[^(),]|\([^()]*\))+?)\s*(?:,\s*(\d+)\s*)?\)/g;
    for (const x of m[11].matchAll(f)) {
      if (x[2] !== m[9]) problems.push(`${file}: HWRM_${m[7]}: a field of struct ${x[2]} in an entry for struct ${m[9]}`);
      if (x[1] === 'FIXED') fields.push({ dir: x[3], addr: x[4], fixed: x[5] });
      else fields.push({ dir: x[3], addr: x[4], len: x[5], unit: x[1] === 'UNIT' ? Number(x[6]) : 1 });
    }
    if (fields.length !== Number(m[10])) problems.push(`${file}: HWRM_${m[7]}: ${m[10]} fields declared, ${fields.length} parsed`);
    dma.push({ name: m[7], scope: m[8], struct: m[9], fields });
  }
  const entries = (table.match(/CMD_DMA(?:S|_LEN)\(/g) || []).length;
  if (entries !== dma.length) problems.push(`${file}: bnxtctl_dma_cmds has ${entries} entries, ${dma.length} parsed`);
  void consumed;
  const fi = text.indexOf('static bool bnxtctl_validate_rpc');
  const sw = text.slice(text.indexOf('switch (', fi), text.indexOf('default:', fi));
  const inline = [...sw.matchAll(/case\s+HWRM_(\w+)\s*:/g)].map((m) => m[1]);
  if (!inline.length) problems.push(`${file}: no case HWRM_* in bnxtctl_validate_rpc`);
  if (problems.length) throw new Error(problems.join('\n'));
  for (const d of dma) if (!names.has(`HWRM_${d.name}`)) throw new Error(`${file}: HWRM_${d.name} is not defined in ${HSI}`);
  return { dma, inline };
}

// ---- output ----

const hex = (n) => n.toString(16);

/** name@offset:type*dims; type: u c l2 l4 l8 b2 b4 b8 h4 h8 or =layout. */
function encodeMember(m) {
  const t = m.type.scalar ? `${m.type.scalar}${m.type.bytes === 1 ? '' : m.type.bytes}` : `=${m.type.ref}`;
  return `${m.name}@${hex(m.offset)}:${t}${m.dims.map((d) => `*${d}`).join('')}`;
}

function generate(srcDir) {
  const read = (rel) => fs.readFileSync(path.join(srcDir, rel), 'utf8');
  const errors = [];
  const hsiRaw = read(HSI);
  const pre = preprocess(hsiRaw);
  const names = defineAll(pre.defines, HSI, new Map());
  defineAll(preprocess(read(UAPI)).defines, UAPI, names);
  const structs = parseHeader(HSI, pre.text, names, errors);
  const layouts = compute(structs, HSI, errors, pre.sizes);
  const bits = bitFields(structs, pre.defines, names, HSI, errors);
  const drv = driverCommands(read(DRIVER), names, DRIVER);
  const commands = [];
  const seen = new Set();
  const add = (name, dma) => {
    if (seen.has(name)) return;
    seen.add(name);
    const sym = `HWRM_${name}`;
    if (!names.has(sym)) { errors.push(`${DRIVER}: ${sym} is not defined in ${HSI}`); return; }
    const lower = `hwrm_${name.toLowerCase()}`;
    const input = `${lower}_input`;
    const output = `${lower}_output`;
    // The kernel's hsi.h is a subset of Broadcom's: some allowed commands have no
    // layouts there. They are listed as such (input/output null), never dropped.
    const c = { name, reqType: Number(names.get(sym)), input: layouts.has(input) ? input : null, output: layouts.has(output) ? output : null };
    if (dma && !c.input) errors.push(`${HSI}: struct ${input} (a DMA command of the driver) is not defined`);
    if (dma) {
      if (dma.struct !== input) errors.push(`${DRIVER}: HWRM_${name}'s descriptor names struct ${dma.struct}, not ${input}`);
      const l = layouts.get(input);
      c.dma = dma.fields.map((f) => {
        const mem = (n) => l?.members.find((x) => x.name === n);
        const a = mem(f.addr);
        // __le64, or __le32[2] (DBG_PTRACE's pdi_*_buf_addr)
        if (!a || !a.type.scalar || a.type.bytes * a.dims.reduce((x, y) => x * y, 1) !== 8) errors.push(`${DRIVER}: HWRM_${name}: ${input}.${f.addr} is not a 64-bit field`);
        const o = { addr: f.addr, dir: f.dir === 'DMA_TO_DEVICE' ? 'in' : f.dir === 'DMA_FROM_DEVICE' ? 'out' : errors.push(`${DRIVER}: HWRM_${name}: direction ${f.dir}`) };
        if (f.fixed !== undefined) {
          const sz = /^sizeof\(struct (\w+)\)$/.exec(f.fixed);
          if (sz) {
            if (!layouts.has(sz[1])) errors.push(`${DRIVER}: HWRM_${name}: ${f.fixed}: struct ${sz[1]} not in ${HSI}`);
            o.fixed = layouts.get(sz[1])?.size;
            o.holds = sz[1];
          } else {
            try { o.fixed = Number(evaluate(tokenize(f.fixed, DRIVER), names)); } catch (e) { errors.push(`${DRIVER}: HWRM_${name}: fixed length ${f.fixed}: ${e.message}`); }
          }
        } else {
          if (!mem(f.len)) errors.push(`${DRIVER}: HWRM_${name}: ${input}.${f.len} does not exist`);
          o.len = f.len;
          o.unit = f.unit;
        }
        return o;
      });
      c.scope = dma.scope;
    }
    commands.push(c);
  };
  for (const d of drv.dma) add(d.name, d);
  for (const n of drv.inline) add(n);
  // the layouts to emit: every command's input/output, EXTRA, and what they contain
  const want = new Set();
  const need = (n) => {
    if (want.has(n)) return;
    const l = layouts.get(n);
    if (!l) { errors.push(`${HSI}: struct ${n} is needed and not defined`); return; }
    want.add(n);
    for (const m of l.members) if (m.type.ref) need(m.type.ref);
  };
  for (const c of commands) { if (c.input) need(c.input); if (c.output) need(c.output); }
  for (const n of EXTRA) need(n);
  for (const c of commands) for (const f of c.dma ?? []) if (f.holds) need(f.holds);
  if (errors.length) {
    const e = new Error(`gen bnxt-hwrm: ${errors.length} problem(s) in ${srcDir}:\n  ${errors.join('\n  ')}`);
    e.problems = errors;
    throw e;
  }
  // NVM directory item types (bnxt_en's enum bnxt_nvm_directory_type)
  const nvmText = stripComments(read(NVM_DEFS));
  const nvmEnum = /enum bnxt_nvm_directory_type\s*\{([^}]*)\}/.exec(nvmText);
  const nvmTypes = {};
  if (!nvmEnum) errors.push(`${NVM_DEFS}: enum bnxt_nvm_directory_type not found`);
  else {
    for (const item of nvmEnum[1].split(',').map((x) => x.trim()).filter(Boolean)) {
      const m = /^BNX_DIR_TYPE_(\w+)\s*=\s*(\d+)$/.exec(item);
      if (!m) errors.push(`${NVM_DEFS}: cannot read enumerator '${item}' (every one has an explicit value today)`);
      else nvmTypes[m[1]] = Number(m[2]);
    }
  }
  if (errors.length) {
    const e = new Error(`gen bnxt-hwrm: ${errors.length} problem(s) in ${srcDir}:\n  ${errors.join('\n  ')}`);
    e.problems = errors;
    throw e;
  }
  const version = kernelVersion(srcDir);
  const order = [...layouts.keys()].filter((n) => want.has(n));
  const offers = Object.fromEntries([HSI, DRIVER, NVM_DEFS].map((f) => [f, offerOf(srcDir, f)]));
  const lines = header({
    licence: LICENCE,
    version,
    sources: [
      { offer: offers[HSI], what: 'layouts, bit-fields' },
      { offer: offers[DRIVER], what: 'the commands it allows (which layouts)' },
      { offer: offers[NVM_DEFS], what: 'NVM directory item types' },
    ],
    notice: offers[HSI],
    about: [
      'Format of a layout: "<s|u><size in bytes, hex>" then one member a line, each',
      '"name@<byte offset, hex>:<type>" then "*count" per array dimension. Types: u (u8),',
      'c (char), l2/l4/l8 (__le16/32/64), b2/b4/b8 (__be*), h2/h4/h8 (host-endian u16/32/64),',
      '=layout (a nested struct or union). Anonymous members are lifted into their parent.',
      'The commands themselves: ./commands.ts.',
    ],
  });
  lines.push('');
  lines.push(`export const HWRM_SOURCE = ${JSON.stringify({ tree: version.tree, version: version.debian ?? version.linux, linux: version.linux, files: [HSI, DRIVER, NVM_DEFS], spdx: LICENCE, hwrmVersion: `${names.get('HWRM_VERSION_MAJOR')}.${names.get('HWRM_VERSION_MINOR')}.${names.get('HWRM_VERSION_UPDATE')}` }, null, 2)} as const;`);
  lines.push('');
  lines.push('/** Every HWRM layout the library uses, by struct tag. */');
  lines.push('export const HWRM_LAYOUTS = {');
  for (const n of order) {
    const l = layouts.get(n);
    lines.push(...layoutEntry(n, `${l.kind[0]}${hex(l.size)}`, l.members.map(encodeMember)));
  }
  lines.push('};');
  lines.push('');
  lines.push('export type HwrmLayoutName = keyof typeof HWRM_LAYOUTS;');
  lines.push('');
  lines.push('/** Bit-fields of a field ("layout.field"): [name, mask, shift], from hsi.h\'s _MASK/_SFT #defines. */');
  lines.push('export const HWRM_BITFIELDS: Readonly<Record<string, readonly (readonly [string, number, number])[]>> = {');
  for (const [k, v] of Object.entries(bits).filter(([k]) => want.has(k.slice(0, k.lastIndexOf('.')))).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    const items = v.map(([s, m, sh]) => `['${s}', 0x${hex(m)}, ${sh}]`);
    const one = `  ${JSON.stringify(k)}: [${items.join(', ')}],`;
    if (one.length <= 120) lines.push(one);
    else lines.push(`  ${JSON.stringify(k)}: [`, ...items.map((x) => `    ${x},`), '  ],');
  }
  lines.push('};');
  lines.push('');
  lines.push('/** NVM directory item types (BNX_DIR_TYPE_*, enum bnxt_nvm_directory_type). */');
  lines.push('export const NVM_DIR_TYPE = {');
  for (const [k, v] of Object.entries(nvmTypes)) lines.push(`  ${k}: ${v},`);
  lines.push('} as const;');
  lines.push('');
  return { text: lines.join('\n'), layouts, order, commands, bits };
}

/** A C program printing `size NAME N` and `off NAME MEMBER N` for the table's layouts (test/unit/bnxt-hwrm.test.ts). */
function cCheckProgram(srcDir, layouts, order) {
  const c = ['#include <stdio.h>', '#include <stddef.h>', '#include <stdint.h>', '#include <linux/types.h>',
    'typedef uint8_t u8; typedef uint16_t u16; typedef uint32_t u32; typedef uint64_t u64; typedef int8_t s8;',
    '#define __packed __attribute__((packed))', `#include "${path.join(srcDir, HSI)}"`, 'int main(void) {'];
  const exp = [];
  for (const n of order) {
    const dot = n.indexOf('.');
    const type = `struct ${dot < 0 ? n : n.slice(0, dot)}`;
    const sub = dot < 0 ? '' : `${n.slice(dot + 1)}`;
    const l = layouts.get(n);
    // a named inline member: its element (arrays of it index [0])
    const isArray = (parent, m) => layouts.get(parent).members.find((x) => x.name === m).dims.length > 0;
    let expr = '';
    if (sub) {
      let parent = n.slice(0, dot);
      for (const part of sub.split('.')) {
        expr += `${expr ? '.' : ''}${part}${isArray(parent, part) ? '[0]' : ''}`;
        parent = `${parent}.${part}`;
      }
    }
    c.push(`  printf("size ${n} %zu\\n", sizeof(${sub ? `((${type} *)0)->${expr}` : type}));`);
    exp.push(`size ${n} ${l.size}`);
    if (sub) continue; // member offsets inside array elements: covered by the element's size and the parent's offsets
    for (const m of l.members) {
      c.push(`  printf("off ${n} ${m.name} %zu\\n", offsetof(${type}, ${m.name}));`);
      exp.push(`off ${n} ${m.name} ${m.offset}`);
    }
  }
  c.push('  return 0;', '}', '');
  return { program: c.join('\n'), expected: exp };
}

module.exports = { OUT, LICENCE, generate, preprocess, parseHeader, compute, bitFields, driverCommands, cCheckProgram, HSI, DRIVER };
