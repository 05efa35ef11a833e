// bnxt NV configuration, for lib/bnxt/generated/nvm-params.ts: the kernel's
// own table of named NVM options, nvm_params[] in
// drivers/net/ethernet/broadcom/bnxt/bnxt_devlink.c, each row's numbers
// evaluated from bnxt_devlink.h's #defines and enum (option offset, config
// kind: shared, port or function; width in bits; devlink value bytes), with
// the devlink parameter name bnxt_dl_params[] registers for its id
// (include/net/devlink.h's DEVLINK_PARAM_GENERIC_*_NAME, or the driver's own
// name string), and what the kernel's callbacks do around it, read from the
// same file: the ids whose value bnxt_dl_nvm_param_get/set invert, the
// validate callback of each (bnxt_dl_msix_validate's limits, the RDMA
// capability option bnxt_dl_roce_validate reads), and the index the kernel
// addresses a per-function (fw_fid - BNXT_FIRST_PF_FID, bnxt.h) or per-port
// option with. Nothing is re-typed: a change in the driver that these
// readers do not understand stops the generator.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { preprocess, tokenize, evaluate, defineAll, slice, block } = require('./c');
const { header } = require('./emit');
const { offerOf } = require('./licence');
const { kernelVersion } = require('./kernel-source');

const OUT = 'lib/bnxt/generated/nvm-params.ts';
const DIR = 'drivers/net/ethernet/broadcom/bnxt';
const C_FILE = `${DIR}/bnxt_devlink.c`;
const H_FILE = `${DIR}/bnxt_devlink.h`;
const BNXT_H = `${DIR}/bnxt.h`;
const DEVLINK_H = 'include/net/devlink.h';

const read = (src, f) => fs.readFileSync(path.join(src, f), 'utf8');

/** The names of an enum { A = expr, B, ... } body, evaluated into `names`. */
function enumInto(body, file, names) {
  let next = 0n;
  for (const part of body.replace(/^\{|\}$/g, '').split(',')) {
    const m = /^\s*([A-Za-z_]\w*)\s*(?:=\s*([\s\S]+?))?\s*$/.exec(part);
    if (!m) continue;
    const v = m[2] !== undefined ? evaluate(tokenize(m[2], file), names) : next;
    names.set(m[1], v);
    next = v + 1n;
  }
}

function generate(src) {
  const ctext = read(src, C_FILE);
  const c = preprocess(ctext);
  const h = preprocess(read(src, H_FILE));
  const names = defineAll(h.defines, H_FILE, new Map());
  const dirEnum = /enum\s+bnxt_nvm_dir_type\s*/.exec(h.text);
  if (!dirEnum) throw new Error(`${H_FILE}: enum bnxt_nvm_dir_type not found`);
  enumInto(block(h.text, dirEnum.index, H_FILE), H_FILE, names);
  const firstPf = defineAll(preprocess(read(src, BNXT_H)).defines.filter((d) => d.name === 'BNXT_FIRST_PF_FID'), BNXT_H, new Map()).get('BNXT_FIRST_PF_FID');
  if (firstPf === undefined) throw new Error(`${BNXT_H}: BNXT_FIRST_PF_FID not found`);
  // Parameter ids: only identity matters (the rows name them); the generic ones by their devlink name.
  const dl = preprocess(read(src, DEVLINK_H));
  const genericName = new Map(dl.defines.filter((d) => /^DEVLINK_PARAM_GENERIC_\w+_NAME$/.test(d.name))
    .map((d) => [d.name.replace(/^DEVLINK_PARAM_GENERIC_/, '').replace(/_NAME$/, ''), JSON.parse(d.expr)]));

  // nvm_params[] rows.
  const tableAt = c.text.indexOf('static const struct bnxt_dl_nvm_param nvm_params[]');
  if (tableAt < 0) throw new Error(`${C_FILE}: nvm_params[] not found`);
  const table = block(c.text, tableAt, C_FILE);
  const rows = [...table.slice(1, -1).matchAll(/\{([^{}]*)\}/g)].map((m) => m[1].split(',').map((x) => x.trim()));
  if (!rows.length) throw new Error(`${C_FILE}: nvm_params[] has no rows`);
  const num = (expr) => Number(evaluate(tokenize(expr, C_FILE), names));
  const kindOf = (v) => {
    for (const [k, n] of [['shared', 'BNXT_NVM_SHARED_CFG'], ['port', 'BNXT_NVM_PORT_CFG'], ['function', 'BNXT_NVM_FUNC_CFG']]) if (Number(names.get(n)) === v) return k;
    throw new Error(`${C_FILE}: dir_type ${v} is none of bnxt_nvm_dir_type`);
  };

  // bnxt_dl_params[]: the name and validate callback per id.
  const paramsAt = c.text.indexOf('static const struct devlink_param bnxt_dl_params[]');
  if (paramsAt < 0) throw new Error(`${C_FILE}: bnxt_dl_params[] not found`);
  const params = block(c.text, paramsAt, C_FILE);
  const dlOf = new Map();
  for (const chunk of params.slice(1, -1).split(/(?=DEVLINK_PARAM_(?:GENERIC|DRIVER)\()/).filter((x) => x.startsWith('DEVLINK_PARAM_'))) {
    const validate = /(\w+)\s*\)\s*,?\s*$/.exec(chunk)?.[1];
    const g = /^DEVLINK_PARAM_GENERIC\(\s*(\w+)\s*,/.exec(chunk);
    const d = /^DEVLINK_PARAM_DRIVER\(\s*(\w+)\s*,\s*"([^"]+)"/.exec(chunk);
    if (g) dlOf.set(`DEVLINK_PARAM_GENERIC_ID_${g[1]}`, { name: genericName.get(g[1]), validate });
    else if (d) dlOf.set(d[1], { name: d[2], validate });
  }
  // Values inverted by the get and set callbacks: `if (... id == X) ctx->val.vbool = !ctx->val.vbool;` in both.
  const inverted = (fn) => {
    const at = c.text.indexOf(`static int ${fn}(`);
    if (at < 0) throw new Error(`${C_FILE}: ${fn} not found`);
    return new Set([...block(c.text, at, C_FILE).matchAll(/id\s*==\s*(\w+)\s*\)\s*ctx->val\.vbool\s*=\s*!ctx->val\.vbool/g)].map((m) => m[1]));
  };
  const invGet = inverted('bnxt_dl_nvm_param_get');
  const invSet = inverted('bnxt_dl_nvm_param_set');
  // bnxt_dl_msix_validate: `if (id == X) max_val = LIMIT;` and `if (val->vu32 > max_val)`.
  const msixAt = c.text.indexOf('static int bnxt_dl_msix_validate(');
  const msix = block(c.text, msixAt, C_FILE);
  if (!/val->vu32\s*>\s*max_val/.test(msix)) throw new Error(`${C_FILE}: bnxt_dl_msix_validate no longer refuses val->vu32 > max_val`);
  const limit = new Map([...msix.matchAll(/id\s*==\s*(\w+)\s*\)\s*max_val\s*=\s*(\w+)\s*;/g)].map((m) => [m[1], num(m[2])]));
  // bnxt_dl_roce_validate: the capability option it reads, refusing when it is false.
  const roceAt = c.text.indexOf('static int bnxt_dl_roce_validate(');
  const roce = block(c.text, roceAt, C_FILE);
  const cap = /nvm_roce_cap\s*=\s*\{([^}]*)\}/.exec(roce);
  if (!cap || !/if\s*\(\s*!roce_cap\.vbool\s*\)/.test(roce)) throw new Error(`${C_FILE}: bnxt_dl_roce_validate no longer reads a capability option`);
  const capRow = cap[1].split(',').map((x) => x.trim());
  const capability = { option: num(capRow[1]), config: kindOf(num(capRow[2])), bits: num(capRow[3]) };
  // __bnxt_hwrm_nvm_req: the index of port and function options.
  const reqAt = c.text.indexOf('static int __bnxt_hwrm_nvm_req(');
  const req = block(c.text, reqAt, C_FILE);
  if (!/BNXT_NVM_PORT_CFG\)\s*idx\s*=\s*bp->pf\.port_id/.test(req) || !/BNXT_NVM_FUNC_CFG\)\s*idx\s*=\s*bp->pf\.fw_fid\s*-\s*BNXT_FIRST_PF_FID/.test(req)) {
    throw new Error(`${C_FILE}: __bnxt_hwrm_nvm_req no longer indexes port options by port_id and function options by fw_fid - BNXT_FIRST_PF_FID`);
  }
  if (!/if\s*\(idx\)\s*req->dimensions\s*=\s*cpu_to_le16\(1\)/.test(req)) throw new Error(`${C_FILE}: __bnxt_hwrm_nvm_req no longer sets dimensions 1 for a non-zero index`);

  const out = rows.map((r) => {
    if (r.length !== 5) throw new Error(`${C_FILE}: nvm_params row {${r.join(', ')}} is not {id, offset, dir_type, bits, bytes}`);
    const d = dlOf.get(r[0]);
    if (!d?.name) throw new Error(`${C_FILE}: ${r[0]} has no name in bnxt_dl_params[]`);
    if (invGet.has(r[0]) !== invSet.has(r[0])) throw new Error(`${C_FILE}: ${r[0]} inverted by one callback only`);
    const e = { name: d.name, id: r[0], option: num(r[1]), config: kindOf(num(r[2])), bits: num(r[3]), bytes: num(r[4]) };
    if (invGet.has(r[0])) e.inverted = true;
    if (d.validate === 'bnxt_dl_msix_validate') {
      if (!limit.has(r[0])) throw new Error(`${C_FILE}: bnxt_dl_msix_validate has no limit for ${r[0]}`);
      e.validateMax = limit.get(r[0]);
    } else if (d.validate === 'bnxt_dl_roce_validate') {
      e.requires = 'capability';
    } else if (d.validate !== 'NULL') {
      throw new Error(`${C_FILE}: ${r[0]}'s validate callback ${d.validate} is not one this generator reads`);
    }
    return e;
  });

  const files = [C_FILE, H_FILE, BNXT_H, DEVLINK_H];
  const o = Object.fromEntries(files.map((f) => [f, offerOf(src, f)]));
  const lines = header({
    licence: 'GPL-2.0-only',
    version: kernelVersion(src),
    sources: [
      { offer: o[C_FILE], what: 'nvm_params[], bnxt_dl_params[] names, inversions, validate limits, index rule' },
      { offer: o[H_FILE], what: 'NVM_OFF_*, BNXT_MSIX_VEC_*, enum bnxt_nvm_dir_type' },
      { offer: o[BNXT_H], what: 'BNXT_FIRST_PF_FID' },
      { offer: o[DEVLINK_H], what: 'DEVLINK_PARAM_GENERIC_*_NAME' },
    ],
    notice: o[C_FILE],
    about: ['In nvm_params[] order; numbers evaluated from the #defines and enum they name.'],
  });
  const row = (e) => `  { ${Object.entries(e).map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : v}`).join(', ')} },`;
  const text = `${lines.join('\n')}

/** One row of the kernel's nvm_params[] (struct bnxt_dl_nvm_param) with its devlink name and checks. */
export interface BnxtNvmParam {
  /** The devlink parameter name (bnxt_dl_params[]). */
  readonly name: string;
  /** The parameter id's C name. */
  readonly id: string;
  /** NVM option number (option_num of NVM_GET/SET_VARIABLE). */
  readonly option: number;
  /** dir_type: BNXT_NVM_SHARED_CFG, _PORT_CFG or _FUNC_CFG. */
  readonly config: 'shared' | 'port' | 'function';
  /** Width in bits (data_len counts bits). */
  readonly bits: number;
  /** Bytes of the devlink value (dl_num_bytes). */
  readonly bytes: number;
  /** The devlink value is the NVM option's inverse (bnxt_dl_nvm_param_get/set). */
  readonly inverted?: true;
  /** bnxt_dl_msix_validate: values above this are refused. */
  readonly validateMax?: number;
  /** bnxt_dl_roce_validate: refused unless BNXT_NVM_CAPABILITY reads true. */
  readonly requires?: 'capability';
}

export const BNXT_NVM_PARAMS: readonly BnxtNvmParam[] = [
${out.map(row).join('\n')}
];

/** The option bnxt_dl_roce_validate reads (NVM_OFF_RDMA_CAPABLE). */
export const BNXT_NVM_CAPABILITY = { option: ${capability.option}, config: '${capability.config}', bits: ${capability.bits} } as const;

/** __bnxt_hwrm_nvm_req: a function option's index_0 is fw_fid minus this; a port option's is port_id; dimensions 1 when the index is non-zero. */
export const BNXT_FIRST_PF_FID = ${Number(firstPf)};
`;
  return { text, params: out, capability, firstPf: Number(firstPf) };
}

module.exports = { OUT, generate };
