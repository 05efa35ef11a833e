// The fwctl drivers' own rules, for lib/mlx5/generated/opcodes.ts and
// lib/bnxt/generated/commands.ts: the drivers' tables and switch statements
// (drivers/fwctl/{mlx5,bnxt}/main.c) are copied verbatim into a small host C
// program, compiled against the kernel's headers (include/linux/bnxt/hsi.h,
// include/linux/mlx5/mlx5_ifc.h, include/uapi/fwctl/*.h) and run; it prints
// every number (request types, opcodes, least scopes, request sizes, DMA
// field offsets) as the C compiler computes them. Nothing is re-typed.
//
// The bnxt command table is generated here once: the compiler's numbers
// joined with the names scripts/gen/bnxt-hwrm.js reads from the same driver
// table (address and length fields, input/output layouts), each number
// checked against the layout hsi.h gives that name. Run through
// scripts/gen.js (npm run gen).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { PRELUDE, compileAndRun, slice, switchOf } = require('./c');
const { header } = require('./emit');
const { offerOf } = require('./licence');
const { kernelVersion } = require('./kernel-source');

const hex = (n) => `0x${n.toString(16)}`;

// ---- bnxt --------------------------------------------------------------------
function bnxtData(src) {
  const file = 'drivers/fwctl/bnxt/main.c';
  const text = fs.readFileSync(path.join(src, file), 'utf8');
  const table = slice(text, '#define BNXTCTL_MAX_DMA_FIELDS', '#undef CMD_DMA_LEN', file);
  const sw = switchOf(text, 'static bool bnxtctl_validate_rpc', file);
  const dmaNames = [...table.matchAll(/CMD_DMA(?:S|_LEN)\(\s*HWRM_(\w+)/g)].map((m) => m[1]);
  const caseNames = [...sw.matchAll(/case\s+HWRM_(\w+)\s*:/g)].map((m) => m[1]);
  if (dmaNames.length === 0 || caseNames.length === 0) throw new Error(`${file}: no DMA table or no switch cases found`);
  const inc = (p) => `#include "${path.join(src, p)}"\n`;
  const csrc = PRELUDE
    + inc('include/linux/dma-direction.h') + inc('include/uapi/fwctl/fwctl.h') + inc('include/uapi/fwctl/bnxt.h')
    + inc('include/linux/bnxt/hsi.h')
    + `#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))\n`
    + `/* ${file}, verbatim */\n${table}\n`
    + `static bool inline_allowed(u16 req_type, enum fwctl_rpc_scope scope)\n{\n${sw}\n}\n`
    + `static const struct { const char *name; unsigned v; } dma_names[] = {\n${dmaNames.map((n) => `\t{ "${n}", HWRM_${n} },`).join('\n')}\n};\n`
    + `static const struct { const char *name; unsigned v; } case_names[] = {\n${caseNames.map((n) => `\t{ "${n}", HWRM_${n} },`).join('\n')}\n};\n`
    + `int main(void)
{
	unsigned i, j, s;
	if (ARRAY_SIZE(dma_names) != ARRAY_SIZE(bnxtctl_dma_cmds)) return 2;
	printf("{\\"maxDmaBuf\\": %u, \\"dma\\": [", (unsigned)FWCTL_BNXT_MAX_DMABUF);
	for (i = 0; i < ARRAY_SIZE(bnxtctl_dma_cmds); i++) {
		const struct bnxtctl_cmd_dma_desc *d = &bnxtctl_dma_cmds[i];
		if (dma_names[i].v != d->req_type) return 3;
		printf("%s\\n{\\"name\\": \\"%s\\", \\"reqType\\": %u, \\"scope\\": %u, \\"reqSize\\": %zu, \\"fields\\": [",
		       i ? "," : "", dma_names[i].name, d->req_type, d->scope_min, d->req_size);
		for (j = 0; j < d->num_fields; j++) {
			const struct bnxtctl_dma_field *f = &d->fields[j];
			printf("%s{\\"offset\\": %zu, \\"dir\\": %d, \\"lenOffset\\": %zu, \\"lenWidth\\": %u, \\"unit\\": %u, \\"bufLen\\": %u}",
			       j ? ", " : "", f->offset, (int)f->dir, f->len_offset, f->len_width, f->len_unit, f->buf_len);
		}
		printf("]}");
	}
	printf("], \\"inline\\": [");
	for (i = 0; i < ARRAY_SIZE(case_names); i++) {
		int least = -1;
		for (s = 0; s <= FWCTL_RPC_DEBUG_WRITE_FULL && least < 0; s++)
			if (inline_allowed(case_names[i].v, s)) least = s;
		/* the driver's rule is monotonic: allowed at s means allowed above */
		for (; s <= FWCTL_RPC_DEBUG_WRITE_FULL; s++)
			if (least >= 0 && !inline_allowed(case_names[i].v, s)) return 4;
		printf("%s\\n{\\"name\\": \\"%s\\", \\"reqType\\": %u, \\"scope\\": %d}", i ? "," : "", case_names[i].name, case_names[i].v, least);
	}
	printf("], \\"toDevice\\": %d, \\"fromDevice\\": %d}\\n", DMA_TO_DEVICE, DMA_FROM_DEVICE);
	return 0;
}
`;
  return compileAndRun('bnxt', csrc);
}

/**
 * lib/bnxt/generated/commands.ts from the compiler's numbers (bnxtData) and
 * the names of bnxt-hwrm.js's generate() (its commands and layouts).
 */
function bnxtTs(src, hwrm) {
  const d = bnxtData(src);
  const problems = [];
  const byName = new Map(hwrm.commands.map((c) => [c.name, c]));
  const rows = [];
  const seen = new Set();
  const q = (x) => (x === null || x === undefined ? 'null' : `'${x}'`);
  const member = (layout, name) => hwrm.layouts.get(layout)?.members.find((m) => m.name === name);
  for (const e of d.dma) {
    seen.add(e.reqType);
    const c = byName.get(e.name);
    if (!c || !c.dma) { problems.push(`HWRM_${e.name}: a DMA command the C table has and the parsed table has not`); continue; }
    if (c.reqType !== e.reqType) problems.push(`HWRM_${e.name}: req_type ${hex(e.reqType)} (C) vs ${hex(c.reqType)} (hsi.h)`);
    if (c.dma.length !== e.fields.length) problems.push(`HWRM_${e.name}: ${e.fields.length} DMA fields (C) vs ${c.dma.length} parsed`);
    if (hwrm.layouts.get(c.input)?.size !== e.reqSize) problems.push(`HWRM_${e.name}: sizeof(${c.input}) ${e.reqSize} (C) vs ${hwrm.layouts.get(c.input)?.size} (parsed)`);
    const fields = e.fields.map((f, i) => {
      const n = c.dma[i] ?? {};
      if (f.dir !== d.toDevice && f.dir !== d.fromDevice) problems.push(`HWRM_${e.name}: DMA direction ${f.dir}`);
      const direction = f.dir === d.toDevice ? 'in' : 'out';
      if (n.dir !== direction) problems.push(`HWRM_${e.name} ${n.addr}: direction ${direction} (C) vs ${n.dir} (parsed)`);
      if (member(c.input, n.addr)?.offset !== f.offset) problems.push(`HWRM_${e.name}: ${n.addr} at ${f.offset} (C) vs ${member(c.input, n.addr)?.offset} (parsed)`);
      const parts = [`addr: '${n.addr}'`, `addrOffset: ${f.offset}`];
      if (f.lenOffset) {
        const l = member(c.input, n.len);
        if (!l || l.offset !== f.lenOffset || l.type.bytes !== f.lenWidth || n.unit !== f.unit) {
          problems.push(`HWRM_${e.name}: length ${n.len} at ${f.lenOffset}, ${f.lenWidth} bytes, unit ${f.unit} (C) vs ${l?.offset}, ${l?.type.bytes}, ${n.unit} (parsed)`);
        }
        parts.push(`len: '${n.len}'`, `lenOffset: ${f.lenOffset}`, `lenWidth: ${f.lenWidth}`, `unit: ${f.unit}`);
      } else {
        if (n.fixed !== f.bufLen) problems.push(`HWRM_${e.name} ${n.addr}: fixed length ${f.bufLen} (C) vs ${n.fixed} (parsed)`);
        parts.push('unit: 1', `fixedLength: ${f.bufLen}`);
        if (n.holds) parts.push(`holds: '${n.holds}'`);
      }
      parts.push(`direction: '${direction}'`);
      return `      { ${parts.join(', ')} },`;
    });
    rows.push(`  { reqType: ${hex(e.reqType)}, name: '${e.name}', scope: ${e.scope}, input: ${q(c.input)}, output: ${q(c.output)}, dmaRequestSize: ${e.reqSize},`,
      '    dma: [', ...fields, '    ] },');
  }
  for (const e of d.inline) {
    if (e.scope < 0) problems.push(`HWRM_${e.name}: allowed in no scope`);
    if (seen.has(e.reqType)) continue; // a DMA command: the table above answers first in the driver
    seen.add(e.reqType);
    const c = byName.get(e.name);
    if (!c) { problems.push(`HWRM_${e.name}: in the C switch, not in the parsed one`); continue; }
    rows.push(`  { reqType: ${hex(e.reqType)}, name: '${e.name}', scope: ${e.scope}, input: ${q(c.input)}, output: ${q(c.output)} },`);
  }
  const names = [...new Set([...d.dma, ...d.inline].map((e) => e.name))];
  if (names.join() !== hwrm.commands.map((c) => c.name).join()) problems.push(`the C program's commands and the parsed ones differ in order or number`);
  if (problems.length) throw new Error(`bnxt command table: the compiler and the parser disagree:\n  ${problems.join('\n  ')}`);
  const files = ['drivers/fwctl/bnxt/main.c', 'include/linux/bnxt/hsi.h', 'include/linux/dma-direction.h', 'include/uapi/fwctl/bnxt.h', 'include/uapi/fwctl/fwctl.h'];
  const o = Object.fromEntries(files.map((f) => [f, offerOf(src, f)]));
  const lines = header({
    licence: 'GPL-2.0-only',
    version: kernelVersion(src),
    sources: [
      { offer: o[files[0]], what: 'bnxtctl_dma_cmds and bnxtctl_validate_rpc, verbatim' },
      { offer: o[files[1]], what: 'request types, sizeof and offsetof of the inputs, field names' },
      { offer: o[files[2]], what: 'DMA_TO_DEVICE, DMA_FROM_DEVICE' },
    ],
    interface: [
      { offer: o[files[3]], what: 'FWCTL_BNXT_MAX_DMABUF' },
      { offer: o[files[4]], what: 'enum fwctl_rpc_scope' },
    ],
    notice: o[files[1]],
    about: [
      'The numbers were computed by a C compiler against those files; the names (fields,',
      'layouts of ./hwrm-data.ts) checked against them. In the driver\'s order: DMA',
      'commands first, then the switch.',
    ],
  });
  return `${lines.join('\n')}

/** One DMA address field of a bnxt command (the driver's struct bnxtctl_dma_field). */
export interface BnxtDmaField {
  /** The __le64 address field of the input, by name (hsi.h). */
  readonly addr: string;
  /** Offset in the request of that field. */
  readonly addrOffset: number;
  /** The input field the driver reads the length from (absent: fixed length). */
  readonly len?: string;
  /** Offset of that length field. */
  readonly lenOffset?: number;
  /** Width in bytes of that length field (2 or 4). */
  readonly lenWidth?: 2 | 4;
  /** Bytes per unit of the length field (1; DBG_READ_DIRECT's read_len32: 4). 1 for fixed lengths. */
  readonly unit: number;
  /** CMD_DATA_FIXED: the bytes the driver always bounces. */
  readonly fixedLength?: number;
  /** CMD_DATA_FIXED of sizeof(struct X): X, a layout of ./hwrm-data.ts. */
  readonly holds?: string;
  /** DMA_TO_DEVICE: 'in' (the kernel reads user memory); DMA_FROM_DEVICE: 'out' (the kernel writes it). */
  readonly direction: 'in' | 'out';
}

/** One HWRM request type the bnxt fwctl driver accepts. */
export interface BnxtCommandEntry {
  readonly reqType: number;
  /** The name without HWRM_. */
  readonly name: string;
  /** The least scope (0..3) the driver allows it in; EPERM below. */
  readonly scope: number;
  /** hsi.h's struct hwrm_<name>_input / _output (layouts of ./hwrm-data.ts); null where the kernel's hsi.h has none. */
  readonly input: string | null;
  readonly output: string | null;
  /**
   * For commands that carry DMA buffer addresses: sizeof(struct hwrm_<name>_input), the exact
   * request length the driver requires (EINVAL otherwise). Absent for inline commands.
   */
  readonly dmaRequestSize?: number;
  /** For DMA commands: the address fields the driver bounces, in its order. */
  readonly dma?: readonly BnxtDmaField[];
}

/** FWCTL_BNXT_MAX_DMABUF: the largest buffer the driver bounces per field (EINVAL above, and for 0). */
export const BNXT_MAX_DMABUF = ${d.maxDmaBuf};

const TABLE = [
${rows.join('\n')}
] as const satisfies readonly BnxtCommandEntry[];

/** A command's name without HWRM_. */
export type BnxtCommandName = (typeof TABLE)[number]['name'];

export const BNXT_COMMAND_TABLE: readonly BnxtCommandEntry[] = Object.freeze(TABLE.map((e: BnxtCommandEntry) => Object.freeze({
  ...e, ...(e.dma ? { dma: Object.freeze(e.dma.map((f) => Object.freeze({ ...f }))) } : {}),
})));
`;
}

// ---- mlx5 --------------------------------------------------------------------
function mlx5Data(src) {
  const file = 'drivers/fwctl/mlx5/main.c';
  const text = fs.readFileSync(path.join(src, file), 'utf8');
  // The driver's own opcode enum (opcodes mlx5_ifc.h lacks) and its switch.
  const encl = text.slice(text.lastIndexOf('enum {', text.indexOf('MLX5_UCTX_OBJECT_CAP_TOOLS_RESOURCES = ')));
  const ownEnums = encl.slice(0, encl.indexOf('static '));
  const sw = switchOf(text, 'static bool mlx5ctl_validate_rpc', file);
  const names = [...sw.matchAll(/case\s+(MLX5_CMD_OP(?:CODE)?_(\w+))\s*:/g)].map((m) => ({ sym: m[1], name: m[2] }));
  if (names.length === 0) throw new Error(`${file}: no switch cases`);
  const ifc = path.join(src, 'include/linux/mlx5/mlx5_ifc.h');
  const csrc = PRELUDE
    + `#define BIT(n) (1UL << (n))\n#define BIT_ULL(n) (1ULL << (n))\n`
    + `#define DECLARE_FLEX_ARRAY(T, n) struct { struct { } __empty_##n; T n[]; }\n`
    + `#include "${ifc}"\n`
    + `/* ${file}, verbatim */\n${ownEnums}\n`
    + `static bool allowed(u16 opcode, u16 op_mod, enum fwctl_rpc_scope scope)\n{\n${sw}\n}\n`
    + `static const struct { const char *name; unsigned v; } names[] = {\n${names.map((n) => `\t{ "${n.name}", ${n.sym} },`).join('\n')}\n};\n`
    + `int main(void)
{
	unsigned i, s, m;
	printf("[");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int least[2] = { -1, -1 };
		for (m = 0; m < 2; m++)
			for (s = 0; s <= FWCTL_RPC_DEBUG_WRITE_FULL; s++)
				if (allowed(names[i].v, m, s)) { if (least[m] < 0) least[m] = s; }
				else if (least[m] >= 0) return 4;
		printf("%s\\n{\\"name\\": \\"%s\\", \\"opcode\\": %u, \\"scope\\": %d, \\"scopeOpMod1\\": %d}",
		       i ? "," : "", names[i].name, names[i].v, least[0], least[1]);
	}
	printf("]\\n");
	return 0;
}
`;
  // fwctl.h's enum for the scopes.
  const withScopes = csrc.replace(`#include "${ifc}"`, `#include "${path.join(src, 'include/uapi/fwctl/fwctl.h')}"\n#include "${ifc}"`);
  return compileAndRun('mlx5', withScopes);
}

function mlx5Ts(src) {
  const rows = mlx5Data(src);
  const lines = [];
  for (const e of rows) {
    if (e.scope < 0) throw new Error(`mlx5 ${e.name}: allowed in no scope`);
    if (e.scope === e.scopeOpMod1) lines.push(`  { opcode: ${hex(e.opcode)}, name: '${e.name}', scope: ${e.scope} },`);
    else if (e.scope === 0 && e.scopeOpMod1 === 1) lines.push(`  { opcode: ${hex(e.opcode)}, name: '${e.name}', scope: 0, byOpMod: true },`);
    else throw new Error(`mlx5 ${e.name}: op_mod rule ${e.scope}/${e.scopeOpMod1} has no representation in Mlx5OpcodeEntry`);
  }
  const files = ['drivers/fwctl/mlx5/main.c', 'include/linux/mlx5/mlx5_ifc.h', 'include/uapi/fwctl/fwctl.h'];
  const o = Object.fromEntries(files.map((f) => [f, offerOf(src, f)]));
  const head = header({
    licence: 'Linux-OpenIB AND BSD-3-Clause',
    version: kernelVersion(src),
    sources: [
      { offer: o[files[0]], what: 'mlx5ctl_validate_rpc and its own opcode enum, verbatim' },
      { offer: o[files[1]], what: 'the MLX5_CMD_OP_* values' },
    ],
    interface: [{ offer: o[files[2]], what: 'enum fwctl_rpc_scope' }],
    notice: o[files[1]],
    about: ['The numbers were computed by a C compiler against those files. In the driver\'s order.'],
  });
  return `${head.join('\n')}

/** One opcode the mlx5 fwctl driver accepts: the least scope, and its name without MLX5_CMD_OP_. */
export interface Mlx5OpcodeEntry {
  readonly opcode: number;
  readonly name: string;
  /** The least scope (0..3) the driver allows it in. */
  readonly scope: number;
  /** ACCESS_REG / ACCESS_REGISTER_USER: op_mod 0 (write) needs Configuration, any other op_mod DebugReadOnly. */
  readonly byOpMod?: true;
}

export const MLX5_OPCODE_TABLE: readonly Mlx5OpcodeEntry[] = Object.freeze([
${lines.join('\n')}
].map((e) => Object.freeze(e as Mlx5OpcodeEntry)));
`;
}

module.exports = { bnxtData, bnxtTs, mlx5Data, mlx5Ts };
