// mlx5 firmware flashing from a Linux source tree, for lib/mlx5/generated/mlxfw.ts:
// the kernel's mlxfw library (drivers/net/ethernet/mellanox/mlxfw/), which
// devlink's flash update of mlx5 drives through fw.c's ops. Read from it:
//   - mlxfw.h: enum mlxfw_fsm_state, mlxfw_fsm_state_err, mlxfw_fsm_reactivate_status;
//   - mlxfw_fsm.c: the FSM wait #defines (evaluated), for each state error the
//     message mlxfw_fsm_state_err() reports and the errno mlxfw_fsm_state_errno[]
//     returns, for each reactivate status the message of mlxfw_fsm_reactivate_err(),
//     its errno, and the statuses mlxfw_fsm_reactivate() takes as success;
//   - mlx5/core/fw.c: enum mlxsw_reg_mcc_instruction (the MCC instructions it sends),
//     the anonymous enums of MCQS identifiers, MCQS update states and MCQI info types;
//   - include/linux/mlx5/device.h: enum mlx5_mcam_reg_groups (MCAM access_reg_group);
//   - mlxfw_mfa2_format.h, mlxfw_mfa2_tlv.h: the MFA2 TLV types, the compression
//     types, every __packed struct (offset and size of each member; all
//     multi-byte members are __be) and which struct each TLV type carries
//     (MLXFW_MFA2_TLV / MLXFW_MFA2_TLV_VARSIZE);
//   - mlxfw_mfa2.c: the fingerprint and the component magic;
//   - include/uapi/linux/netlink.h: NLA_ALIGNTO, the alignment NLA_ALIGN gives
//     every TLV and the first TLV's offset.
// Run through scripts/gen.js (npm run gen). A shape the parser does not know
// stops it: nothing is skipped.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { stripComments, preprocess, tokenize, evaluate, defineAll, block, switchOf } = require('./c');
const { header } = require('./emit');
const { offerOf } = require('./licence');
const { kernelVersion } = require('./kernel-source');

const OUT = 'lib/mlx5/generated/mlxfw.ts';
const DIR = 'drivers/net/ethernet/mellanox/mlxfw';
const MLXFW_H = `${DIR}/mlxfw.h`;
const FSM_C = `${DIR}/mlxfw_fsm.c`;
const FORMAT_H = `${DIR}/mlxfw_mfa2_format.h`;
const TLV_H = `${DIR}/mlxfw_mfa2_tlv.h`;
const MFA2_C = `${DIR}/mlxfw_mfa2.c`;
const FW_C = 'drivers/net/ethernet/mellanox/mlx5/core/fw.c';
const NETLINK_H = 'include/uapi/linux/netlink.h';
const DEVICE_H = 'include/linux/mlx5/device.h';
/** mlxfw is BSD-3-Clause OR GPL-2.0, fw.c and device.h GPL-2.0 OR Linux-OpenIB: as opcodes.ts. */
const LICENCE = 'Linux-OpenIB AND BSD-3-Clause';

/** Bytes of the member types the MFA2 structs use; any other type stops the generator. */
const TYPE_BYTES = { u8: 1, __be16: 2, __be32: 4, __be64: 8 };

/** `enum NAME { A = expr, B, ... };` of a text: [[name, value]] in order, values also added to `names`. */
function enumOf(text, name, file, names = new Map()) {
  const m = new RegExp(`\\benum\\s+${name}\\s*\\{`).exec(text);
  if (!m) throw new Error(`${file}: enum ${name} not found`);
  return enumAt(text, m.index, name, file, names);
}

/** The anonymous `enum { PREFIX... };` whose first member starts with `prefix` (fw.c's MCQS/MCQI constants). */
function anonEnumOf(text, prefix, file) {
  for (const m of text.matchAll(/\benum\s*\{\s*(\w+)/g)) {
    if (m[1].startsWith(prefix)) return enumAt(text, m.index, `{ ${prefix}... }`, file, new Map());
  }
  throw new Error(`${file}: no anonymous enum of ${prefix}*`);
}

function enumAt(text, index, name, file, names) {
  const body = block(text, index, file).slice(1, -1);
  const out = [];
  let next = 0n;
  for (const part of body.split(',').map((s) => s.trim()).filter(Boolean)) {
    const e = /^([A-Za-z_]\w*)\s*(?:=\s*([\s\S]+))?$/.exec(part);
    if (!e) throw new Error(`${file}: enum ${name}: cannot read '${part}'`);
    const v = e[2] !== undefined ? evaluate(tokenize(e[2], file), names) : next;
    names.set(e[1], v);
    out.push([e[1], Number(v)]);
    next = v + 1n;
  }
  if (!out.length) throw new Error(`${file}: enum ${name} is empty`);
  return out;
}

/** The names of an enum without their common prefix: [['IDLE', 0], ...]. */
function strip(entries, prefix, file) {
  return entries.map(([n, v]) => {
    if (!n.startsWith(prefix)) throw new Error(`${file}: ${n} does not start with ${prefix}`);
    return [n.slice(prefix.length), v];
  });
}

/** The body { ... } of the function whose definition is `static <type> name(`. */
function functionBody(text, name, file) {
  const m = new RegExp(`^static\\s+[\\w\\s*]*?\\b${name}\\s*\\(`, 'm').exec(text);
  if (!m) throw new Error(`${file}: function ${name} not found`);
  return block(text, m.index, file);
}

/**
 * The message each case label of a switch reports through `macro(..., "msg", err)`:
 * Map(label -> message); consecutive labels share the statements after them.
 */
function switchMessages(sw, macro, file) {
  const out = new Map();
  const body = sw.slice(sw.indexOf('{') + 1, sw.lastIndexOf('}'));
  const parts = body.split(/\bcase\s+(\w+)\s*:/);
  let pending = [];
  for (let i = 1; i < parts.length; i += 2) {
    pending.push(parts[i]);
    const stmts = parts[i + 1];
    if (!stmts.trim()) continue; // falls through to the next label
    const m = new RegExp(`\\b${macro}\\(([^;]*?)"((?:[^"\\\\]|\\\\.)*)"\\s*,\\s*\\w+\\s*\\)\\s*;\\s*break\\s*;\\s*$`).exec(stmts);
    if (!m) throw new Error(`${file}: case ${pending.join(', ')}: not one ${macro}("...", err); break; the generator can read`);
    for (const l of pending) out.set(l, JSON.parse(`"${m[2]}"`));
    pending = [];
  }
  if (pending.length) throw new Error(`${file}: case ${pending.join(', ')} at the end of the switch without statements`);
  return out;
}

/** A string #define: its value. */
function stringDefine(defines, name, file) {
  const d = defines.find((x) => x.name === name);
  if (!d || !/^"(?:[^"\\]|\\.)*"$/.test(d.expr)) throw new Error(`${file}: #define ${name} "..." not found`);
  return JSON.parse(d.expr);
}

/**
 * Every `struct NAME { ... } __packed;` of a text: name -> { size, fields: { member: [offset, bytes(, count)] } }
 * (a flexible array: count 0, size not counted). A struct that is not __packed, or a
 * member type not in TYPE_BYTES, stops the generator.
 */
function packedStructs(text, file) {
  const out = new Map();
  for (const m of text.matchAll(/^struct\s+(\w+)\s*\{([^}]*)\}\s*([^;]*);/gm)) {
    if (m[3].trim() !== '__packed') throw new Error(`${file}: struct ${m[1]} is not __packed (its layout would be the compiler's)`);
    const fields = {};
    let at = 0;
    let flex = false;
    for (const decl of m[2].split(';').map((s) => s.trim()).filter(Boolean)) {
      if (flex) throw new Error(`${file}: struct ${m[1]}: a member after the flexible array`);
      let type; let name; let count;
      const f = /^DECLARE_FLEX_ARRAY\(\s*(\w+)\s*,\s*(\w+)\s*\)$/.exec(decl);
      const d = /^(\w+)\s+(\w+)\s*(?:\[\s*(\w*)\s*\])?$/.exec(decl);
      if (f) { [type, name, count] = [f[1], f[2], 0]; }
      else if (d) {
        [type, name] = [d[1], d[2]];
        if (d[3] !== undefined) count = d[3] === '' ? 0 : Number(evaluate(tokenize(d[3], file), new Map()));
      } else {
        throw new Error(`${file}: struct ${m[1]}: cannot read member '${decl}'`);
      }
      const bytes = TYPE_BYTES[type];
      if (!bytes) throw new Error(`${file}: struct ${m[1]}.${name}: type ${type} is none of ${Object.keys(TYPE_BYTES).join(', ')}`);
      if (count === 0) flex = true;
      fields[name] = count === undefined ? [at, bytes] : [at, bytes, count];
      at += bytes * (count ?? 1);
    }
    out.set(m[1], { size: at, fields });
  }
  return out;
}

function generate(src) {
  const read = (f) => fs.readFileSync(path.join(src, f), 'utf8');
  const h = preprocess(read(MLXFW_H));
  const fsmRaw = read(FSM_C);
  const fsm = preprocess(fsmRaw);
  const fsmText = stripComments(fsmRaw);

  // ---- FSM enums ----
  const names = new Map();
  const states = strip(enumOf(h.text, 'mlxfw_fsm_state', MLXFW_H, names), 'MLXFW_FSM_STATE_', MLXFW_H);
  const errs = strip(enumOf(h.text, 'mlxfw_fsm_state_err', MLXFW_H, names), 'MLXFW_FSM_STATE_ERR_', MLXFW_H);
  const reacts = strip(enumOf(h.text, 'mlxfw_fsm_reactivate_status', MLXFW_H, names), 'MLXFW_FSM_REACTIVATE_STATUS_', MLXFW_H);
  for (const [list, what] of [[errs, 'mlxfw_fsm_state_err'], [reacts, 'mlxfw_fsm_reactivate_status']]) {
    if (list[list.length - 1][0] !== 'MAX') throw new Error(`${MLXFW_H}: enum ${what} no longer ends with _MAX (the kernel clamps to it)`);
  }

  // ---- timing ----
  const consts = defineAll(fsm.defines, FSM_C, new Map(names));
  const timing = {};
  for (const n of ['MLXFW_FSM_STATE_WAIT_CYCLE_MS', 'MLXFW_FSM_STATE_WAIT_TIMEOUT_MS', 'MLXFW_FSM_STATE_WAIT_ROUNDS']) {
    if (!consts.has(n)) throw new Error(`${FSM_C}: #define ${n} not found or not a constant`);
    timing[n.replace(/^MLXFW_FSM_/, '')] = Number(consts.get(n));
  }

  // ---- state errors: message and errno ----
  const errnoAt = fsmText.indexOf('mlxfw_fsm_state_errno[]');
  if (errnoAt < 0) throw new Error(`${FSM_C}: mlxfw_fsm_state_errno[] not found`);
  const errnoTable = new Map();
  for (const m of block(fsmText, errnoAt, FSM_C).matchAll(/\[\s*(\w+)\s*\]\s*=\s*([^,}]+)/g)) {
    const v = /^-\s*(E[A-Z0-9]+)$/.exec(m[2].trim());
    if (!v) throw new Error(`${FSM_C}: mlxfw_fsm_state_errno[${m[1]}] = ${m[2].trim()} is not -E<NAME>`);
    errnoTable.set(m[1].replace(/^MLXFW_FSM_STATE_ERR_/, ''), v[1]);
  }
  const errBody = functionBody(fsmText, 'mlxfw_fsm_state_err', FSM_C);
  if (!/min_t\(\s*enum mlxfw_fsm_state_err\s*,\s*err\s*,\s*MLXFW_FSM_STATE_ERR_MAX\s*\)/.test(errBody)) {
    throw new Error(`${FSM_C}: mlxfw_fsm_state_err no longer clamps err to MLXFW_FSM_STATE_ERR_MAX`);
  }
  const errMsgs = switchMessages(switchOf(errBody, 'switch', FSM_C), 'MLXFW_ERR_MSG', FSM_C);
  const stateErrors = errs.map(([n, v]) => {
    const message = errMsgs.get(`MLXFW_FSM_STATE_ERR_${n}`);
    if (message === undefined) throw new Error(`${FSM_C}: mlxfw_fsm_state_err() has no case for MLXFW_FSM_STATE_ERR_${n}`);
    return { value: v, name: n, message, errnoName: errnoTable.get(n) ?? null };
  });
  for (const k of errnoTable.keys()) if (!errs.some(([n]) => n === k)) throw new Error(`${FSM_C}: mlxfw_fsm_state_errno[] names ${k}, not in the enum`);

  // ---- reactivate statuses ----
  const reactBody = functionBody(fsmText, 'mlxfw_fsm_reactivate_err', FSM_C);
  if (!/min_t\(\s*enum mlxfw_fsm_reactivate_status\s*,\s*err\s*,\s*MLXFW_FSM_REACTIVATE_STATUS_MAX\s*\)/.test(reactBody)) {
    throw new Error(`${FSM_C}: mlxfw_fsm_reactivate_err no longer clamps the status to MLXFW_FSM_REACTIVATE_STATUS_MAX`);
  }
  const reactMsgs = switchMessages(switchOf(reactBody, 'switch', FSM_C), 'MLXFW_REACT_ERR', FSM_C);
  const reactErrno = /return\s+-\s*(E[A-Z0-9]+)\s*;\s*\}$/.exec(reactBody);
  if (!reactErrno) throw new Error(`${FSM_C}: mlxfw_fsm_reactivate_err no longer ends with return -E<NAME>;`);
  const okIf = /if\s*\(((?:\s*status\s*==\s*\w+\s*(?:\|\|)?)+)\)\s*return\s+0\s*;/.exec(functionBody(fsmText, 'mlxfw_fsm_reactivate', FSM_C));
  if (!okIf) throw new Error(`${FSM_C}: mlxfw_fsm_reactivate no longer returns 0 for a list of statuses`);
  const okStatuses = new Set([...okIf[1].matchAll(/==\s*MLXFW_FSM_REACTIVATE_STATUS_(\w+)/g)].map((m) => m[1]));
  const reactivate = reacts.map(([n, v]) => {
    const message = reactMsgs.get(`MLXFW_FSM_REACTIVATE_STATUS_${n}`);
    if (message === undefined) throw new Error(`${FSM_C}: mlxfw_fsm_reactivate_err() has no case for MLXFW_FSM_REACTIVATE_STATUS_${n}`);
    return { value: v, name: n, message, ok: okStatuses.has(n) };
  });
  for (const k of okStatuses) if (!reacts.some(([n]) => n === k)) throw new Error(`${FSM_C}: mlxfw_fsm_reactivate takes ${k} as success, not in the enum`);
  const prefixes = {
    error: stringDefine(fsm.defines, 'MLXFW_ERR_PRFX', FSM_C),
    reactivate: stringDefine(fsm.defines, 'MXFW_REACT_PRFX', FSM_C),
  };

  // ---- MCC instructions (fw.c) ----
  const fw = preprocess(read(FW_C));
  const mcc = strip(enumOf(fw.text, 'mlxsw_reg_mcc_instruction', FW_C), 'MLX5_REG_MCC_INSTRUCTION_', FW_C);
  const mcqsIdentifier = strip(anonEnumOf(fw.text, 'MCQS_IDENTIFIER_', FW_C), 'MCQS_IDENTIFIER_', FW_C);
  const mcqsUpdateState = strip(anonEnumOf(fw.text, 'MCQS_UPDATE_STATE_', FW_C), 'MCQS_UPDATE_STATE_', FW_C);
  const mcqiInfoType = strip(anonEnumOf(fw.text, 'MCQI_INFO_TYPE_', FW_C), 'MCQI_INFO_TYPE_', FW_C);
  const mcamGroups = strip(enumOf(preprocess(read(DEVICE_H)).text, 'mlx5_mcam_reg_groups', DEVICE_H), 'MLX5_MCAM_REGS_', DEVICE_H);

  // ---- MFA2 format ----
  const fmt = preprocess(read(FORMAT_H));
  const tlvH = preprocess(read(TLV_H));
  const tlvTypes = strip(enumOf(fmt.text, 'mlxfw_mfa2_tlv_type', FORMAT_H, names), 'MLXFW_MFA2_TLV_', FORMAT_H);
  const compression = strip(enumOf(fmt.text, 'mlxfw_mfa2_compression_type', FORMAT_H), 'MLXFW_MFA2_COMPRESSION_TYPE_', FORMAT_H);
  const structs = new Map([...packedStructs(tlvH.text, TLV_H), ...packedStructs(fmt.text, FORMAT_H)]);
  const tlvHeader = structs.get('mlxfw_mfa2_tlv');
  if (!tlvHeader) throw new Error(`${TLV_H}: struct mlxfw_mfa2_tlv not found`);
  // MLXFW_MFA2_TLV(name, struct X, TYPE): the payload of TYPE is struct X, of exactly its size;
  // MLXFW_MFA2_TLV_VARSIZE: at least its size. Checked against the macros' own definition.
  const tlvMacros = stripComments(read(TLV_H)).replace(/\\\n/g, ' ');
  const varsizeOf = {};
  for (const n of ['MLXFW_MFA2_TLV', 'MLXFW_MFA2_TLV_VARSIZE']) {
    const d = new RegExp(`^#define\\s+${n}\\(name,\\s*payload_type,\\s*tlv_type\\).*\\bsizeof\\(payload_type\\)\\s*,\\s*(true|false)\\s*\\)`, 'm').exec(tlvMacros);
    if (!d) throw new Error(`${TLV_H}: #define ${n}(name, payload_type, tlv_type) ... sizeof(payload_type), true|false) not found`);
    varsizeOf[n] = d[1] === 'true';
  }
  const tlvs = {};
  for (const m of fmt.text.matchAll(/\b(MLXFW_MFA2_TLV(?:_VARSIZE)?)\(\s*(\w+)\s*,\s*struct\s+(\w+)\s*,\s*(\w+)\s*\)\s*;?/g)) {
    const s = structs.get(m[3]);
    if (!s) throw new Error(`${FORMAT_H}: ${m[1]}(${m[2]}): struct ${m[3]} is not a __packed struct of the file`);
    const type = tlvTypes.find(([n]) => `MLXFW_MFA2_TLV_${n}` === m[4]);
    if (!type) throw new Error(`${FORMAT_H}: ${m[1]}(${m[2]}): ${m[4]} is not an mlxfw_mfa2_tlv_type`);
    tlvs[m[2]] = { type: type[1], typeName: type[0], struct: m[3], varsize: varsizeOf[m[1]], size: s.size, fields: s.fields };
  }
  if (!Object.keys(tlvs).length) throw new Error(`${FORMAT_H}: no MLXFW_MFA2_TLV(...) payloads`);
  for (const [n] of tlvTypes) if (!Object.values(tlvs).some((t) => t.typeName === n)) throw new Error(`${FORMAT_H}: TLV type ${n} carries no struct the generator found`);

  const mfa2c = stripComments(read(MFA2_C));
  const strConst = (n) => {
    const m = new RegExp(`static const u8 ${n}\\[\\]\\s*=\\s*("(?:[^"\\\\]|\\\\.)*")\\s*;`).exec(mfa2c);
    if (!m) throw new Error(`${MFA2_C}: static const u8 ${n}[] = "..." not found`);
    const v = JSON.parse(m[1]);
    if (!/^[\x20-\x7e]*$/.test(v)) throw new Error(`${MFA2_C}: ${n} is not printable ASCII`);
    if (!new RegExp(`${n}_len\\s*=\\s*sizeof\\(${n}\\)\\s*-\\s*1\\s*;`).test(mfa2c)) throw new Error(`${MFA2_C}: ${n}_len is no longer sizeof(${n}) - 1`);
    return v;
  };
  const fingerprint = strConst('mlxfw_mfa2_fingerprint');
  const compMagic = strConst('mlxfw_mfa2_comp_magic');
  const nl = defineAll(preprocess(read(NETLINK_H)).defines.filter((d) => d.name === 'NLA_ALIGNTO'), NETLINK_H, new Map());
  if (!nl.has('NLA_ALIGNTO')) throw new Error(`${NETLINK_H}: NLA_ALIGNTO not found`);

  // ---- output ----
  const version = kernelVersion(src);
  const files = [MLXFW_H, FSM_C, FW_C, DEVICE_H, FORMAT_H, TLV_H, MFA2_C];
  const o = Object.fromEntries([...files, NETLINK_H].map((f) => [f, offerOf(src, f)]));
  const lines = header({
    licence: LICENCE,
    version,
    sources: [
      { offer: o[MLXFW_H], what: 'enum mlxfw_fsm_state, _state_err, _reactivate_status' },
      { offer: o[FSM_C], what: 'FSM wait #defines, state error messages and errnos, reactivate messages' },
      { offer: o[FW_C], what: 'enum mlxsw_reg_mcc_instruction, the MCQS identifiers and update states, the MCQI info types' },
      { offer: o[DEVICE_H], what: 'enum mlx5_mcam_reg_groups' },
      { offer: o[FORMAT_H], what: 'MFA2 TLV types, compression types, payload structs' },
      { offer: o[TLV_H], what: 'struct mlxfw_mfa2_tlv, MLXFW_MFA2_TLV(_VARSIZE)' },
      { offer: o[MFA2_C], what: 'the fingerprint and the component magic' },
    ],
    interface: [{ offer: o[NETLINK_H], what: 'NLA_ALIGNTO' }],
    notice: o[FW_C],
    about: [
      'Layouts: member -> [byte offset, bytes(, count)], count 0 a flexible array; every',
      'multi-byte member is big-endian (__be16/__be32). The kernel clamps a state error or a',
      'reactivate status above MAX to MAX (min_t) before it picks the message.',
    ],
  });
  const j = (v) => JSON.stringify(v, null, 2)
    .replace(/\[\n\s+(\d+),\n\s+(\d+)(?:,\n\s+(\d+))?\n\s+\]/g, (_, a, b, c) => `[${a}, ${b}${c !== undefined ? `, ${c}` : ''}]`);
  const obj = (entries) => j(Object.fromEntries(entries));
  const row = (e) => `  { ${Object.entries(e).map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v).replace(/^"|"$/g, "'") : v}`).join(', ')} },`;
  const text = `${lines.join('\n')}

export const MLXFW_SOURCE = ${j({ tree: version.tree, version: version.debian ?? version.linux, linux: version.linux, files: [...files, NETLINK_H], spdx: LICENCE })} as const;

/** enum mlxfw_fsm_state (mlxfw.h): MCC control_state. */
export const MLXFW_FSM_STATE = ${obj(states)} as const;

/** One value of enum mlxfw_fsm_state_err (MCC error_code). */
export interface MlxfwFsmStateError {
  readonly value: number;
  readonly name: string;
  /** What mlxfw_fsm_state_err() reports (after MLXFW_ERR_PREFIX). */
  readonly message: string;
  /**
   * The errno mlxfw_fsm_state_errno[] returns (negated), null where the table has none;
   * its number on this host: os.constants.errno[errnoName].
   */
  readonly errnoName: string | null;
}

/** enum mlxfw_fsm_state_err in value order, with the kernel's message and errno. */
export const MLXFW_FSM_STATE_ERR: readonly MlxfwFsmStateError[] = [
${stateErrors.map(row).join('\n')}
];

/** One value of enum mlxfw_fsm_reactivate_status (MIRC status_code). */
export interface MlxfwReactivateStatus {
  readonly value: number;
  readonly name: string;
  /** What mlxfw_fsm_reactivate_err() reports (after MLXFW_ERR_PREFIX and MLXFW_REACTIVATE_PREFIX). */
  readonly message: string;
  /** mlxfw_fsm_reactivate() takes it as success. */
  readonly ok: boolean;
}

/** enum mlxfw_fsm_reactivate_status by name (MLXFW_FSM_REACTIVATE_STATUS_<name>), with the kernel's message. */
export const MLXFW_REACTIVATE_STATUS = {
${reactivate.map((e) => `  ${e.name}: ${row(e).trim().replace(/,$/, '')},`).join('\n')}
} as const satisfies Record<string, MlxfwReactivateStatus>;

/** The errno mlxfw_fsm_reactivate_err() returns (negated) for every failed status. */
export const MLXFW_FSM_REACTIVATE_ERRNO = '${reactErrno[1]}';

/** MLXFW_ERR_PRFX and MXFW_REACT_PRFX (mlxfw_fsm.c): the prefixes of the kernel's messages. */
export const MLXFW_ERR_PREFIX = ${JSON.stringify(prefixes.error).replace(/^"|"$/g, "'")};
export const MLXFW_REACTIVATE_PREFIX = ${JSON.stringify(prefixes.reactivate).replace(/^"|"$/g, "'")};

/** mlxfw_fsm.c: mlxfw_fsm_state_wait() polls every CYCLE_MS, at most ROUNDS (TIMEOUT_MS / CYCLE_MS) times. */
${Object.entries(timing).map(([k, v]) => `export const MLXFW_FSM_${k} = ${v};`).join('\n')}

/** enum mlxsw_reg_mcc_instruction (mlx5/core/fw.c): MCC instruction. */
export const MLX5_REG_MCC_INSTRUCTION = ${obj(mcc)} as const;

/** fw.c's MCQS_IDENTIFIER_*: the component kinds the kernel names (MCQS identifier). */
export const MCQS_IDENTIFIER = ${obj(mcqsIdentifier)} as const;

/** fw.c's MCQS_UPDATE_STATE_*: MCQS component_update_state. */
export const MCQS_UPDATE_STATE = ${obj(mcqsUpdateState)} as const;

/** fw.c's MCQI_INFO_TYPE_*: MCQI info_type. */
export const MCQI_INFO_TYPE = ${obj(mcqiInfoType)} as const;

/** enum mlx5_mcam_reg_groups (include/linux/mlx5/device.h): MCAM access_reg_group (MLX5_CAP_MCAM_REG2 reads 0x9100_0x917F). */
export const MLX5_MCAM_REGS = ${obj(mcamGroups)} as const;

/** enum mlxfw_mfa2_tlv_type (mlxfw_mfa2_format.h). */
export const MFA2_TLV_TYPE = ${obj(tlvTypes)} as const;

/** enum mlxfw_mfa2_compression_type (package descriptor cv_compression; the kernel ignores it). */
export const MFA2_COMPRESSION_TYPE = ${obj(compression)} as const;

/** mlxfw_mfa2_fingerprint (mlxfw_mfa2.c): the file's first bytes, without the C string's NUL. */
export const MFA2_FINGERPRINT = '${fingerprint}';

/** mlxfw_mfa2_comp_magic: the bytes before each component in the decompressed component block. */
export const MFA2_COMPONENT_MAGIC = '${compMagic}';

/** NLA_ALIGNTO (uapi netlink.h): NLA_ALIGN rounds every TLV, and the fingerprint, up to it. */
export const MFA2_ALIGN = ${Number(nl.get('NLA_ALIGNTO'))};

/** struct mlxfw_mfa2_tlv: every TLV's header; len counts the payload (data) only. */
export const MFA2_TLV_HEADER = ${j({ struct: 'mlxfw_mfa2_tlv', ...tlvHeader })} as const;

/**
 * The payload of each TLV type (MLXFW_MFA2_TLV(name, struct, type)): its struct's layout;
 * varsize false: len must equal size, true: at least size (mlxfw_mfa2_tlv_payload_get).
 */
export const MFA2_TLVS = ${j(tlvs)} as const;
`;
  return { text, states, stateErrors, reactivate, mcc, tlvTypes, tlvs, tlvHeader, fingerprint, compMagic, timing };
}

module.exports = { OUT, generate, packedStructs, switchMessages };
