#!/usr/bin/env node
// Generates lib/uapi/bnxt-commands.ts and lib/uapi/mlx5-opcodes.ts from the
// kernel source: the drivers' own tables and switch statements are copied
// verbatim into a small host C program, compiled against the kernel's headers
// (include/linux/bnxt/hsi.h, include/linux/mlx5/mlx5_ifc.h), and run; it
// prints every number (request types, opcodes, least scopes, request sizes,
// DMA field offsets) as the C compiler computes them. Nothing is re-typed.
//
//   node scripts/gen-tables.js            write the files
//   node scripts/gen-tables.js --check    exit 1 naming the first difference
//   --src DIR                             kernel source (default: FWCTL_KERNEL_SRC,
//                                         else the newest linux-source-* in the cache)
//
// test/unit/gen-tables.test.ts runs the check against the cached source.
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const repo = path.resolve(__dirname, '..');

/** The kernel source tree to read, or null when none is at hand. */
function kernelSource() {
  if (process.env.FWCTL_KERNEL_SRC) return process.env.FWCTL_KERNEL_SRC;
  const cache = process.env.FWCTL_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'fwctl-node');
  let dirs;
  try {
    dirs = fs.readdirSync(path.join(cache, 'src')).filter((d) => /^linux-source-\d/.test(d));
  } catch {
    return null;
  }
  const ver = (d) => d.replace('linux-source-', '').split('.').map(Number);
  dirs.sort((a, b) => {
    const [x, y] = [ver(a), ver(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
    return 0;
  });
  for (const d of dirs.reverse()) {
    const p = path.join(cache, 'src', d);
    if (fs.existsSync(path.join(p, 'drivers/fwctl'))) return p;
  }
  return null;
}

/** The text from the line containing `start` through the line containing `end` (inclusive). */
function slice(text, start, end, file) {
  const i = text.indexOf(start);
  if (i < 0) throw new Error(`${file}: '${start}' not found (the driver changed: update scripts/gen-tables.js)`);
  const j = text.indexOf(end, i);
  if (j < 0) throw new Error(`${file}: '${end}' not found after '${start}'`);
  const from = text.lastIndexOf('\n', i) + 1;
  const to = text.indexOf('\n', j);
  return text.slice(from, to < 0 ? text.length : to + 1);
}

/** The balanced { ... } block that starts at the first '{' at or after `at`. */
function block(text, at, file) {
  const open = text.indexOf('{', at);
  if (open < 0) throw new Error(`${file}: no block after offset ${at}`);
  let depth = 0;
  for (let k = open; k < text.length; k++) {
    if (text[k] === '{') depth++;
    else if (text[k] === '}' && --depth === 0) return text.slice(open, k + 1);
  }
  throw new Error(`${file}: unbalanced braces`);
}

function switchOf(text, fn, file) {
  const f = text.indexOf(fn);
  if (f < 0) throw new Error(`${file}: ${fn} not found`);
  const s = text.indexOf('switch (', f);
  if (s < 0) throw new Error(`${file}: no switch in ${fn}`);
  const head = text.slice(s, text.indexOf('{', s));
  return head + block(text, s, file);
}

function compileAndRun(name, csrc) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fwctl-gen-${name}-`));
  try {
    const c = path.join(dir, `${name}.c`);
    const exe = path.join(dir, name);
    fs.writeFileSync(c, csrc);
    const cc = spawnSync(process.env.CC || 'cc', ['-std=gnu11', '-w', '-o', exe, c], { encoding: 'utf8' });
    if (cc.error) throw new Error(`cc: ${cc.error.message}`);
    if (cc.status !== 0) throw new Error(`compiling the ${name} table program failed:\n${cc.stderr}`);
    const r = spawnSync(exe, [], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name} table program failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const PRELUDE = `#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <linux/types.h>
typedef uint8_t u8; typedef uint16_t u16; typedef uint32_t u32; typedef uint64_t u64;
typedef int8_t s8; typedef int16_t s16; typedef int32_t s32; typedef int64_t s64;
#define __packed __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))
`;

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

function bnxtTs(src) {
  const d = bnxtData(src);
  const lines = [];
  const seen = new Set();
  for (const e of d.dma) {
    seen.add(e.reqType);
    const fields = e.fields.map((f) => {
      if (f.dir !== d.toDevice && f.dir !== d.fromDevice) throw new Error(`bnxt ${e.name}: DMA direction ${f.dir}`);
      const parts = [`addrOffset: ${f.offset}`];
      if (f.lenOffset) parts.push(`lenOffset: ${f.lenOffset}`, `lenWidth: ${f.lenWidth}`, `unit: ${f.unit}`);
      else parts.push('unit: 1', `fixedLength: ${f.bufLen}`);
      parts.push(`direction: '${f.dir === d.toDevice ? 'in' : 'out'}'`);
      return `{ ${parts.join(', ')} }`;
    });
    lines.push(`  { reqType: ${hex(e.reqType)}, name: '${e.name}', scope: ${e.scope}, dmaRequestSize: ${e.reqSize},\n    dma: [${fields.join(', ')}] },`);
  }
  for (const e of d.inline) {
    if (e.scope < 0) throw new Error(`bnxt ${e.name}: allowed in no scope`);
    if (seen.has(e.reqType)) continue; // a DMA command: the table above answers first in the driver
    seen.add(e.reqType);
    lines.push(`  { reqType: ${hex(e.reqType)}, name: '${e.name}', scope: ${e.scope} },`);
  }
  return `// Generated by scripts/gen-tables.js from drivers/fwctl/bnxt/main.c (bnxtctl_dma_cmds,
// bnxtctl_validate_rpc) and include/linux/bnxt/hsi.h (GPL-2.0) of the kernel source;
// do not edit: run \`npm run gen:tables\`. The numbers were computed by a C compiler
// against those files. In the driver's order: DMA commands first, then the switch.

/** One DMA address field of a bnxt command (the driver's struct bnxtctl_dma_field). */
export interface BnxtDmaField {
  /** Offset in the request of the __le64 DMA address field. */
  readonly addrOffset: number;
  /** Offset of the length field the driver reads (absent: fixed length). */
  readonly lenOffset?: number;
  /** Width in bytes of that length field (2 or 4). */
  readonly lenWidth?: 2 | 4;
  /** Bytes per unit of the length field (1; DBG_READ_DIRECT's read_len32: 4). 1 for fixed lengths. */
  readonly unit: number;
  /** CMD_DATA_FIXED: the bytes the driver always bounces. */
  readonly fixedLength?: number;
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

export const BNXT_COMMAND_TABLE: readonly BnxtCommandEntry[] = Object.freeze([
${lines.join('\n')}
].map((e) => Object.freeze({ ...e, ...(e.dma ? { dma: Object.freeze(e.dma.map((f) => Object.freeze(f as BnxtDmaField))) } : {}) } as BnxtCommandEntry)));
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
  return `// Generated by scripts/gen-tables.js from drivers/fwctl/mlx5/main.c (mlx5ctl_validate_rpc)
// and include/linux/mlx5/mlx5_ifc.h (GPL-2.0 OR Linux-OpenIB) of the kernel source; do not
// edit: run \`npm run gen:tables\`. The numbers were computed by a C compiler against those
// files. In the driver's order.

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

const TABLES = [
  { file: 'lib/uapi/bnxt-commands.ts', generate: bnxtTs },
  { file: 'lib/uapi/mlx5-opcodes.ts', generate: mlx5Ts },
];

/** The first line where a and b differ, as a message; null when equal. */
function firstDifference(file, want, have) {
  if (want === have) return null;
  const w = want.split('\n');
  const h = have.split('\n');
  for (let i = 0; i < Math.max(w.length, h.length); i++) {
    if (w[i] !== h[i]) {
      return `${file}:${i + 1} differs from the kernel source:\n  kernel:    ${w[i] === undefined ? '(end of file)' : w[i]}\n  committed: ${h[i] === undefined ? '(end of file)' : h[i]}`;
    }
  }
  return `${file} differs`;
}

module.exports = { kernelSource, TABLES, firstDifference, bnxtData, mlx5Data };

if (require.main === module) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const si = args.indexOf('--src');
  const src = si >= 0 ? args[si + 1] : kernelSource();
  if (!src) {
    process.stderr.write('gen-tables: no kernel source (set FWCTL_KERNEL_SRC or run test/kernel/scripts/fetch-source.sh)\n');
    process.exit(2);
  }
  let bad = 0;
  for (const t of TABLES) {
    const want = t.generate(src);
    const p = path.join(repo, t.file);
    if (check) {
      const diff = firstDifference(t.file, want, fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '');
      if (diff) {
        process.stderr.write(`${diff}\n`);
        bad++;
      }
    } else {
      fs.writeFileSync(p, want);
      process.stderr.write(`wrote ${t.file}\n`);
    }
  }
  process.exit(bad ? 1 : 0);
}
