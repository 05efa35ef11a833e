// mlx5 NV configuration from a Linux source tree, for lib/mlx5/generated/nv-param.ts:
// drivers/net/ethernet/mellanox/mlx5/core/lib/nv_param.c, the kernel's own
// use of the MNVDA register (0x9024, include/linux/mlx5/driver.h). Read from it:
//   - its PRM layouts (config_item header, the type classes, mnvda_reg and the
//     nv_* item layouts), parsed and sized by the mlx5_ifc.h parser
//     (scripts/gen/mlx5-ifc.js) and flattened to bit offsets;
//   - the configuration items it reads: for each mlx5_nv_param_read_<x>()
//     the type class, the parameter index (MLX5_CLASS_<n>_CTRL_ID_*), the
//     layout whose size goes in the header's length, and whether it chooses
//     an access mode (MLX5_ACCESS_MODE_*);
//   - its devlink parameters (mlx5_nv_param_devlink_params[]): name (a
//     generic one's is its id in lower case), type, the string values of
//     the string ones (the *_str[] arrays their get callbacks index), and for
//     each callback (get, set, validate, get_default, set_default) the items it
//     reads and the layout fields it reads (MLX5_GET) and writes (MLX5_SET),
//     following the file's own helper calls.
// Run through scripts/gen.js (npm run gen). A shape the parser does not know
// stops it: nothing is skipped.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { stripComments, preprocess, evaluate, tokenize, block } = require('./c');
const { header } = require('./emit');
const { offerOf } = require('./licence');
const { kernelVersion } = require('./kernel-source');
const { readLayouts, compute } = require('./mlx5-ifc');

const OUT = 'lib/mlx5/generated/nv-param.ts';
const NV_FILE = 'drivers/net/ethernet/mellanox/mlx5/core/lib/nv_param.c';
const DRIVER_H = 'include/linux/mlx5/driver.h';
/** nv_param.c is GPL-2.0 OR Linux-OpenIB: generated under Linux-OpenIB, as ifc-data.ts. */
const LICENCE = 'Linux-OpenIB';

/** Every member of a computed layout, nested layouts flattened to dotted names: name -> [bit offset, width, count?]. */
function flatten(computed, name, base = 0, prefix = '', out = {}) {
  const l = computed.get(name);
  if (!l) throw new Error(`${NV_FILE}: layout ${name} not found`);
  for (const m of l.members) {
    const at = base + m.offset;
    const full = prefix + m.name;
    if (m.type.ref) {
      if (m.dims.length) throw new Error(`${NV_FILE}: ${name}.${m.name}: an array of layouts`);
      flatten(computed, m.type.ref, at, `${full}.`, out);
    } else if (m.dims.length > 1) {
      throw new Error(`${NV_FILE}: ${name}.${m.name}: a multi-dimensional array`);
    } else {
      out[full] = m.dims.length ? [at, m.type.bits, m.dims[0]] : [at, m.type.bits];
    }
  }
  return out;
}

/** `static ... name(...) { body }` of every function of the file: name -> body (comments stripped). */
function functions(text) {
  const out = new Map();
  for (const m of text.matchAll(/^(?:static\s+)?(?:const\s+)?\w+(?:\s*\*)?\s*\n?\s*(\w+)\s*\(([^;{]*?)\)\s*\n\{/gm)) {
    out.set(m[1], { params: m[2], body: block(text, m.index + m[0].length - 1, NV_FILE) });
  }
  return out;
}

/** The comma-separated arguments of a macro call whose '(' ends just before `at`, nesting respected. */
function macroArgs(text, at) {
  const args = [];
  let depth = 0;
  let cur = '';
  for (let k = at; k < text.length; k++) {
    const c = text[k];
    if (c === '(') depth++;
    if (c === ')' && depth-- === 0) return [...args, cur.trim()];
    if (c === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
    } else {
      cur += c;
    }
  }
  throw new Error(`${NV_FILE}: unbalanced macro call`);
}

function generate(srcDir) {
  const read = (rel) => fs.readFileSync(path.join(srcDir, rel), 'utf8');
  const raw = read(NV_FILE);
  const text = stripComments(raw);
  const errors = [];

  // ---- layouts ----
  const blocks = [...text.matchAll(/^(?:struct|union) mlx5_ifc_\w+_bits \{[\s\S]*?^\};/gm)].map((m) => m[0]);
  if (blocks.length === 0) throw new Error(`${NV_FILE}: no mlx5_ifc_*_bits layouts`);
  const names = new Map();
  const layouts = new Map();
  readLayouts(NV_FILE, blocks.join('\n\n'), names, layouts, errors);
  const computed = compute(layouts, errors, new Set(), new Set());
  if (errors.length) throw new Error(`gen mlx5-nv: ${errors.length} problem(s):\n  ${errors.join('\n  ')}`);
  const flat = {};
  for (const [n, l] of computed) {
    if (n.includes('.')) continue;
    flat[n] = { bits: l.size, kind: l.kind, fields: flatten(computed, n) };
  }

  // ---- constants: the anonymous enums (CTRL ids, access modes), swp_l4_csum_mode, #defines ----
  const consts = new Map();
  for (const m of text.matchAll(/^enum(?:\s+(\w+))?\s*\{([\s\S]*?)\};/gm)) {
    let next = 0n;
    for (const part of m[2].split(',').map((s) => s.trim()).filter(Boolean)) {
      const [k, v] = part.split('=').map((s) => s.trim());
      const value = v === undefined ? next : evaluate(tokenize(v, NV_FILE), consts);
      consts.set(k, value);
      next = value + 1n;
    }
  }
  const { defines } = preprocess(raw);
  const defineValue = (n) => {
    const d = defines.find((x) => x.name === n);
    if (!d) throw new Error(`${NV_FILE}: #define ${n} not found`);
    return Number(evaluate(tokenize(d.expr, NV_FILE), consts));
  };
  const accessModes = {};
  for (const [k, v] of consts) if (k.startsWith('MLX5_ACCESS_MODE_')) accessModes[k.slice(17)] = Number(v);
  if (Object.keys(accessModes).length !== 3) throw new Error(`${NV_FILE}: expected three MLX5_ACCESS_MODE_* values, got ${JSON.stringify(accessModes)}`);
  const regId = /MLX5_REG_MNVDA\s*=\s*(0x[0-9a-fA-F]+)/.exec(read(DRIVER_H));
  if (!regId) throw new Error(`${DRIVER_H}: MLX5_REG_MNVDA not found`);

  // ---- the configuration items the file reads ----
  const fns = functions(text);
  const items = {};
  for (const [fn, { params, body }] of fns) {
    const m = /^mlx5_nv_param_read_(\w+)$/.exec(fn);
    if (!m) continue;
    const cls = /MLX5_SET_CFG_ITEM_TYPE\(\s*(\w+)\s*,\s*mnvda\s*,\s*type_class\s*,\s*(\w+)\s*\)/.exec(body);
    const idx = /MLX5_SET_CFG_ITEM_TYPE\(\s*(\w+)\s*,\s*mnvda\s*,\s*parameter_index\s*,\s*(\w+)\s*\)/.exec(body);
    const len = /MLX5_SET_CFG_HDR_LEN\(\s*mnvda\s*,\s*(\w+)\s*\)/.exec(body);
    if (!cls || !idx || !len) throw new Error(`${NV_FILE}: ${fn} does not set type_class, parameter_index and length as the generator knows`);
    if (!consts.has(idx[2])) throw new Error(`${NV_FILE}: ${fn}: ${idx[2]} is not a constant of the file`);
    if (!flat[len[1]]) throw new Error(`${NV_FILE}: ${fn}: no layout ${len[1]}`);
    items[m[1]] = {
      fn, typeClassLayout: `configuration_item_type_class_${cls[1]}`, typeClass: Number(evaluate(tokenize(cls[2], NV_FILE), consts)),
      ctrlId: idx[2], parameterIndex: Number(consts.get(idx[2])), layout: len[1],
      accessMode: /\baccess_mode\b/.test(params),
    };
  }
  if (Object.keys(items).length === 0) throw new Error(`${NV_FILE}: no mlx5_nv_param_read_* item readers`);
  for (const k of consts.keys()) {
    if (/^MLX5_CLASS_\d+_CTRL_ID_/.test(k) && !Object.values(items).some((i) => i.ctrlId === k)) {
      throw new Error(`${NV_FILE}: ${k} has no mlx5_nv_param_read_* reader the generator recognises`);
    }
  }

  // ---- the devlink parameters ----
  // A generic parameter's name is its id in lower case (include/net/devlink.h:
  // DEVLINK_PARAM_GENERIC_ENABLE_SRIOV_NAME "enable_sriov"; that header is
  // GPL-2.0-or-later and not read here: test/unit/mlx5-nvconfig.test.ts
  // compares with it when the source is there); its type is the value member
  // its get callback fills (ctx->val.vbool, vu32, vstr).
  const valueType = (fn) => {
    const f = fns.get(fn);
    const t = f && /ctx->val\.v(bool|u8|u16|u32|str)\b/.exec(f.body);
    if (!t) throw new Error(`${NV_FILE}: ${fn} fills no ctx->val member the generator knows`);
    return t[1] === 'str' ? 'string' : t[1];
  };
  const tableAt = text.indexOf('mlx5_nv_param_devlink_params[]');
  if (tableAt < 0) throw new Error(`${NV_FILE}: mlx5_nv_param_devlink_params[] not found`);
  const table = block(text, tableAt, NV_FILE);
  /** What a function and the file's functions it calls touch. */
  const touches = (fn, seen = new Set()) => {
    const acc = { items: new Set(), get: new Set(), set: new Set(), strings: new Set() };
    if (seen.has(fn)) return acc;
    seen.add(fn);
    const f = fns.get(fn);
    if (!f) throw new Error(`${NV_FILE}: function ${fn} not found`);
    for (const m of f.body.matchAll(/MLX5_(GET|SET)\(\s*(nv_\w+)\s*,\s*\w+\s*,\s*(\w+)\s*[,)]/g)) {
      if (!flat[m[2]] || !(m[3] in flat[m[2]].fields)) throw new Error(`${NV_FILE}: ${fn}: ${m[2]}.${m[3]} is not a field of the file's layouts`);
      acc[m[1] === 'GET' ? 'get' : 'set'].add(`${m[2]}.${m[3]}`);
    }
    for (const m of f.body.matchAll(/\b(\w+_str)\s*\[/g)) acc.strings.add(m[1]);
    for (const m of f.body.matchAll(/\b(mlx5_\w+)\s*\(/g)) {
      const r = /^mlx5_nv_param_read_(\w+)$/.exec(m[1]);
      if (r && items[r[1]]) acc.items.add(r[1]);
      else if (fns.has(m[1]) && m[1] !== fn) {
        const sub = touches(m[1], seen);
        for (const k of Object.keys(acc)) for (const v of sub[k]) acc[k].add(v);
      }
    }
    return acc;
  };
  const strArrays = {};
  for (const m of text.matchAll(/(\w+_str)\[\]\s*=\s*\{([^}]*)\}/g)) strArrays[m[1]] = [...m[2].matchAll(/"([^"]*)"/g)].map((x) => x[1]);
  const params = [];
  for (const m of table.matchAll(/\b(DEVLINK_PARAM_GENERIC|DEVLINK_PARAM_DRIVER_WITH_DEFAULTS|DEVLINK_PARAM_DRIVER)\(/g)) {
    const args = macroArgs(table, m.index + m[0].length);
    let name; let type; let cbs;
    if (m[1] === 'DEVLINK_PARAM_GENERIC') {
      name = args[0].toLowerCase();
      cbs = args.slice(2);
      type = valueType(cbs[0]);
    } else {
      name = JSON.parse(args[1]);
      type = args[2].replace(/^DEVLINK_PARAM_TYPE_/, '').toLowerCase();
      cbs = args.slice(4);
      if (valueType(cbs[0]) !== type) throw new Error(`${NV_FILE}: ${name}: declared ${type}, its get fills ${valueType(cbs[0])}`);
    }
    const roles = ['get', 'set', 'validate', 'getDefault', 'setDefault'];
    const cb = {};
    cbs.forEach((c, i) => {
      if (c === 'NULL') return;
      const t = touches(c);
      cb[roles[i]] = { fn: c, items: [...t.items].sort(), reads: [...t.get].sort(), writes: [...t.set].sort() };
    });
    const strings = [...new Set(cbs.filter((c) => c !== 'NULL').flatMap((c) => [...touches(c).strings]))];
    if (type === 'string' && strings.length !== 1) throw new Error(`${NV_FILE}: ${name}: expected one *_str[] of values, got ${strings.join(', ') || 'none'}`);
    const p = { name, type, callbacks: cb };
    if (type === 'string') p.values = strArrays[strings[0]];
    params.push(p);
  }
  if (params.length === 0) throw new Error(`${NV_FILE}: no devlink parameters in mlx5_nv_param_devlink_params[]`);

  // ---- output ----
  const version = kernelVersion(srcDir);
  const lines = header({
    licence: LICENCE,
    version,
    sources: [
      { offer: offerOf(srcDir, NV_FILE), what: 'MNVDA layouts, configuration items, devlink parameters' },
      { offer: offerOf(srcDir, DRIVER_H), what: 'MLX5_REG_MNVDA' },
    ],
    about: [
      'NV_LAYOUTS: every layout of nv_param.c, members flattened: name -> [bit offset, width(, count)],',
      'bit 0 the MSB of byte 0 (MLX5_GET/MLX5_SET order). NV_ITEMS: the configuration items its',
      'mlx5_nv_param_read_*() read. NV_DEVLINK_PARAMS: its devlink parameters and what each callback touches.',
    ],
  });
  const j = (v) => JSON.stringify(v, null, 2).replace(/\[\n\s+(\d+),\n\s+(\d+)(?:,\n\s+(\d+))?\n\s+\]/g, (_, a, b, c) => `[${a}, ${b}${c ? `, ${c}` : ''}]`);
  lines.push('');
  lines.push(`export const NV_SOURCE = ${j({ tree: version.tree, version: version.debian ?? version.linux, linux: version.linux, files: [NV_FILE, DRIVER_H], spdx: LICENCE })} as const;`);
  lines.push('');
  lines.push(`/** MLX5_REG_MNVDA (driver.h). */`);
  lines.push(`export const MLX5_REG_MNVDA = ${regId[1]};`);
  lines.push('');
  lines.push(`/** MLX5_ACCESS_MODE_* (nv_param.c): the value an MNVDA read returns. */`);
  lines.push(`export const NV_ACCESS_MODE = ${j(accessModes)} as const;`);
  lines.push('');
  lines.push(`/** MLX5_DEFAULT_LOG_SF_BAR_SIZE: what max_sfs_set writes to log_sf_bar_size for a non-zero max_sfs. */`);
  lines.push(`export const NV_DEFAULT_LOG_SF_BAR_SIZE = ${defineValue('MLX5_DEFAULT_LOG_SF_BAR_SIZE')};`);
  lines.push('');
  lines.push('export const NV_LAYOUTS = ' + j(flat) + ' as const;');
  lines.push('');
  lines.push('export const NV_ITEMS = ' + j(items) + ' as const;');
  lines.push('');
  lines.push('export const NV_DEVLINK_PARAMS = ' + j(params) + ' as const;');
  lines.push('');
  return { text: lines.join('\n'), layouts: flat, items, params };
}

module.exports = { OUT, generate, NV_FILE };
