// The C-reading part every generator shares: comments out, #defines
// collected, a tokenizer, a constant-expression evaluator, slices of a
// driver's source (a table, a switch), and a small host C program compiled
// against the kernel headers and run (for numbers only the compiler should
// compute: sizeof, offsetof, a driver's own switch).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** Comments become spaces (newlines kept, so line numbers stay right). */
function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m) => m.replace(/[^\n]/g, ' '));
}

/**
 * `#define NAME expr` lines (continuations joined), the text with every
 * preprocessor line blanked, and hsi.h's `/* name (size:Nb/MB) *\/` comments:
 * { text, defines: [{ name, expr, line }], sizes: Map(struct -> bytes) }.
 */
function preprocess(raw) {
  const sizes = new Map();
  for (const l of raw.split('\n')) {
    const m = /^\/\* (\w+) \(size:(\d+)b\/(\d+)B\) \*\/$/.exec(l);
    if (m) sizes.set(m[1], Number(m[3]));
  }
  const lines = stripComments(raw).split('\n');
  const defines = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*#/.test(lines[i])) continue;
    let full = lines[i];
    const first = i;
    lines[i] = '';
    while (/\\\s*$/.test(full) && i + 1 < lines.length) {
      full = full.replace(/\\\s*$/, ' ') + lines[++i];
      lines[i] = '';
    }
    const m = /^\s*#\s*define\s+([A-Za-z_]\w*)(?!\()\s+(.*)$/.exec(full);
    if (m) defines.push({ name: m[1], expr: m[2].trim(), line: first + 1 });
  }
  return { text: lines.join('\n'), defines, sizes };
}

/** Tokens { t: 'id' | 'num' | 'p', v, line, file }; strings and characters are one token each. */
function tokenize(text, file) {
  const tokens = [];
  const re = /\s+|([A-Za-z_]\w*)|(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|(<<|>>|->|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)+'|[^\s\w])/y;
  let line = 1;
  let m;
  while (re.lastIndex < text.length) {
    const at = re.lastIndex;
    m = re.exec(text);
    if (!m) throw new Error(`${file}:${line}: cannot tokenize near ${JSON.stringify(text.slice(at, at + 20))}`);
    if (m[1]) tokens.push({ t: 'id', v: m[1], line, file });
    else if (m[2]) tokens.push({ t: 'num', v: Number(m[2]), line, file });
    else if (m[3]) tokens.push({ t: 'p', v: m[3], line, file });
    line += (m[0].match(/\n/g) || []).length;
  }
  return tokens;
}

/** Evaluates tokens as a C integer constant expression (BigInt); throws on anything else. */
function evaluate(tokens, names) {
  let i = 0;
  const peek = () => tokens[i];
  const BIN = [['|'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
  function primary() {
    const tk = tokens[i++];
    if (!tk) throw new Error('expression ends early');
    if (tk.t === 'num') return BigInt(tk.v);
    if (tk.t === 'id') {
      if (!names.has(tk.v)) throw new Error(`unknown name ${tk.v}`);
      return names.get(tk.v);
    }
    if (tk.v === '(') {
      const v = level(0);
      if (tokens[i++]?.v !== ')') throw new Error('missing )');
      return v;
    }
    if (tk.v === '-') return -primary();
    if (tk.v === '~') return ~primary();
    throw new Error(`unexpected ${tk.v}`);
  }
  function level(n) {
    if (n === BIN.length) return primary();
    let v = level(n + 1);
    while (peek() && peek().t === 'p' && BIN[n].includes(peek().v)) {
      const op = tokens[i++].v;
      const r = level(n + 1);
      if ((op === '/' || op === '%') && r === 0n) throw new Error('division by zero');
      // BigInt / and % truncate toward zero, as C's do
      v = op === '|' ? v | r : op === '&' ? v & r : op === '<<' ? v << r : op === '>>' ? v >> r
        : op === '+' ? v + r : op === '-' ? v - r : op === '/' ? v / r : op === '%' ? v % r : v * r;
    }
    return v;
  }
  const v = level(0);
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i].v}`);
  return v;
}

/** Adds every #define whose value is a constant expression to `names` (others: macros of code, strings). */
function defineAll(defines, file, names) {
  for (const d of defines) {
    try {
      names.set(d.name, evaluate(tokenize(d.expr, file), names));
    } catch {
      // not a constant: never a dimension or an exported value
    }
  }
  return names;
}

/** The text from the line containing `start` through the line containing `end` (inclusive). */
function slice(text, start, end, file) {
  const i = text.indexOf(start);
  if (i < 0) throw new Error(`${file}: '${start}' not found (the driver changed: update scripts/gen/)`);
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

/** `switch (...) { ... }` of the function whose definition starts with `fn`. */
function switchOf(text, fn, file) {
  const f = text.indexOf(fn);
  if (f < 0) throw new Error(`${file}: ${fn} not found`);
  const s = text.indexOf('switch (', f);
  if (s < 0) throw new Error(`${file}: no switch in ${fn}`);
  return text.slice(s, text.indexOf('{', s)) + block(text, s, file);
}

/** Types and attributes the kernel headers expect, for a host program that includes them. */
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

/** Compiles `csrc` with $CC (default cc), runs it, returns its stdout parsed as JSON. */
function compileAndRun(name, csrc) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fwctl-gen-${name}-`));
  try {
    const c = path.join(dir, `${name}.c`);
    const exe = path.join(dir, name);
    fs.writeFileSync(c, csrc);
    const cc = spawnSync(process.env.CC || 'cc', ['-std=gnu11', '-w', '-o', exe, c], { encoding: 'utf8' });
    if (cc.error) throw new Error(`cc: ${cc.error.message}`);
    if (cc.status !== 0) throw new Error(`compiling the ${name} table program failed:\n${cc.stderr}`);
    const r = spawnSync(exe, [], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`${name} table program failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The file's first comment block (its notice), or ''. */
function firstComment(text) {
  return /^\s*(\/\*[\s\S]*?\*\/)/.exec(text)?.[1] ?? '';
}

module.exports = { stripComments, preprocess, tokenize, evaluate, defineAll, slice, block, switchOf, PRELUDE, compileAndRun, firstComment };
