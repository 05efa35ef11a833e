// The fwctl command: parsing, output formats, exit codes, and that `list`
// stays cheap (no native addon). Devices come from a fake sysfs and binding.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, exitStatus, main, reportError } from '../../lib/cli/main';
import { codes } from '../../lib/errors';
import { CaptureIo } from './helpers/capture-io';
import { codeText, fields, hexdump, parseHex, table } from '../../lib/cli/format';
import { parseLength, parseScope } from '../../lib/cli/commands/rpc';
import { setBindingForTesting, splitRdev } from '../../lib/device';
import { listSync } from '../../lib/discovery';
import { HOST_LE } from '../../lib/uapi/layout';
import { FakeBinding, FakeHandle, type Responder } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';
import { cli, CLI_MAIN } from './helpers/cli';

const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);
const setU32 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(off, v, HOST_LE);


let sys: FakeSys;
let fake: FakeBinding;
let responder: Responder;
const savedEnv = { ...process.env };

beforeEach(() => {
  sys = new FakeSys();
  sys.addParent('pci0000:00/0000:01:00.0', { subsystem: 'pci', driver: 'mlx5_core', net: ['eth0'], infiniband: ['mlx5_0'] });
  sys.addFwctl('fwctl0', 'pci0000:00/0000:01:00.0', NULL_DEV.major, NULL_DEV.minor);
  fs.symlinkSync('/dev/null', path.join(sys.dev, 'fwctl', 'fwctl0'));
  sys.addParent('faux/fwctl-mock7', { subsystem: 'faux' });
  sys.addFwctl('fwctl12', 'faux/fwctl-mock7', 240, 12);
  process.env.FWCTL_SYSFS_ROOT = sys.sys;
  process.env.FWCTL_DEV_ROOT = sys.dev;
  responder = () => 0;
  fake = new FakeBinding(() => new FakeHandle((c) => responder(c), [fs.constants.S_IFCHR, NULL_DEV.major, NULL_DEV.minor]));
  setBindingForTesting(fake);
});
afterEach(() => {
  setBindingForTesting(undefined);
  process.env = { ...savedEnv };
  sys.remove();
});

const run = cli;

describe('top level', () => {
  test('no command: usage on stderr, exit 2', async () => {
    const { code, io } = await run();
    expect(code).toBe(2);
    expect(io.err).toMatch(/usage: fwctl <command>/);
    expect(io.err).toMatch(/exit codes: 0 success, 1 [^]*, 2 usage error/);
  });
  test('--help and help <command>: exit 0', async () => {
    expect((await run('--help')).code).toBe(0);
    const h = await run('help', 'rpc');
    expect(h.code).toBe(0);
    expect(h.io.out).toMatch(/--allow-kernel-taint/);
  });
  test('unknown command: exit 2', async () => {
    const { code, io } = await run('frobnicate');
    expect(code).toBe(2);
    expect(io.err).toMatch(/^fwctl: ERR_FWCTL_USAGE: unknown command 'frobnicate'\n/);
    expect((await run('constructor')).code).toBe(2); // not an inherited property
  });
  test.each(['list', 'info', 'rpc'])('%s --help: exit 0, no device touched', async (cmd) => {
    const { code, io } = await run(cmd, '--help');
    expect(code).toBe(0);
    expect(io.out).toMatch(new RegExp(`usage: fwctl ${cmd}`));
    expect(fake.opened).toEqual([]);
  });
  test('an unknown option is a usage error with the code on stderr', async () => {
    const { code, io } = await run('list', '--frob');
    expect(code).toBe(2);
    expect(io.err).toMatch(/^fwctl list: ERR_FWCTL_USAGE: /);
  });
  test('--json: a usage error is {"error":{code,...}} on stderr, exit 2', async () => {
    const { code, io } = await run('list', '--frob', '--json');
    expect(code).toBe(2);
    expect(io.out).toBe('');
    expect(JSON.parse(io.err).error).toMatchObject({ code: 'ERR_FWCTL_USAGE', message: expect.stringMatching(/--frob/) });
  });
  test('the exit status follows from the code: 2 for ERR_FWCTL_USAGE, 1 for every other', () => {
    expect(exitStatus('ERR_FWCTL_USAGE')).toBe(2);
    for (const c of Object.keys(codes).filter((k) => k !== 'ERR_FWCTL_USAGE')) expect([c, exitStatus(c)]).toEqual([c, 1]);
    const io = new CaptureIo();
    expect(reportError('info', new Error('no code'), false, io)).toBe(1);
    expect(io.err).toBe('fwctl info: ERR_FWCTL_INTERNAL: no code\n');
  });
});

describe('fwctl list', () => {
  test('--json is list()', async () => {
    const { code, io } = await run('list', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(io.out)).toEqual(JSON.parse(JSON.stringify(listSync())));
    expect(fake.opened).toEqual([]);
  });
  test('a table, aligned, numeric order', async () => {
    const { code, io } = await run('list');
    expect(code).toBe(0);
    const lines = io.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +PATH +DEV +PARENT +SUBSYSTEM +DRIVER +PCI +CLASS-DEVICES$/);
    expect(lines[1]).toMatch(/^fwctl0 +\S+fwctl0 +1:3 +0000:01:00.0 +pci +mlx5_core +0000:01:00.0 +eth0,mlx5_0$/);
    expect(lines[2]).toMatch(/^fwctl12 +\S+ +240:12 +fwctl-mock7 +faux +- +- +-$/);
    expect(lines[1].indexOf('PATH')).toBe(-1);
    expect(lines[0].indexOf('PATH')).toBe(lines[1].indexOf('/'));
  });
  test('no devices: nothing on stdout, a note on stderr, exit 0', async () => {
    process.env.FWCTL_SYSFS_ROOT = path.join(sys.root, 'empty');
    const { code, io } = await run('list');
    expect(code).toBe(0);
    expect(io.out).toBe('');
    expect(io.err).toMatch(/no fwctl devices/);
    expect((await run('list', '--json')).io.out.trim()).toBe('[]');
  });
  test('positional arguments are a usage error', async () => {
    expect((await run('list', 'fwctl0')).code).toBe(2);
  });
  test('an unreadable sysfs is an error (exit 1, the code and path), not "no devices"', async () => {
    const cls = path.join(sys.sys, 'class', 'fwctl');
    fs.rmSync(cls, { recursive: true });
    fs.symlinkSync(cls, cls); // ELOOP: any error but ENOENT
    const { code, io } = await run('list');
    expect(code).toBe(1);
    expect(io.err).toMatch(new RegExp(`^fwctl list: ELOOP: cannot readdir ${cls}`));
    expect(io.err).not.toMatch(/no fwctl devices/);
    expect(JSON.parse((await run('list', '--json')).io.err).error).toMatchObject({ code: 'ELOOP', path: cls });
  });
  test('--help lists every command with its own summary (one source: the command)', async () => {
    const { io } = await run('--help');
    const names = Object.keys(COMMANDS);
    expect(names).toEqual(expect.arrayContaining(['list', 'info', 'inventory', 'rpc', 'cxl', 'mlx5', 'pds', 'bnxt', 'completion', 'transcript']));
    const w = Math.max(...names.map((n) => n.length));
    const lines = io.out.split('\n');
    const start = lines.indexOf('commands:') + 1;
    expect(lines.slice(start, start + names.length)).toEqual(names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n]().summary}`));
    expect(lines[start + names.length]).toBe('');
    for (const n of names) expect(COMMANDS[n]().summary).toMatch(/^\S.{10,}$/);
  });
});

describe('fwctl info', () => {
  beforeEach(() => {
    responder = (c) => {
      setU32(c.buffers[0], 0, 5);
      setU32(c.buffers[0], 4, 4);
      setU32(c.arg, 8, 1);
      setU32(c.arg, 12, 8);
      return 0;
    };
  });
  test('human output: type, decoded fields, hex dump', async () => {
    const { code, io } = await run('info', 'fwctl0');
    expect(code).toBe(0);
    expect(io.out).toMatch(/^device +\S+fwctl0$/m);
    expect(io.out).toMatch(/^type +mlx5 \(1\)$/m);
    expect(io.out).toMatch(/^uid +5$/m);
    expect(io.out).toMatch(/^uctxCaps +0x4 \(TOOLS_RESOURCES\)$/m);
    expect(io.out).toMatch(/^00000000  /m);
    expect(fake.handles[0].closeCount).toBe(1);
  });
  test('--json; the device can be named by PCI address, parent or net interface', async () => {
    for (const spec of ['fwctl0', '0000:01:00.0', '01:00.0', 'eth0', 'mlx5_0']) {
      const { code, io } = await run('info', spec, '--json');
      expect(code).toBe(0);
      expect(JSON.parse(io.out)).toEqual({ path: path.join(sys.dev, 'fwctl', 'fwctl0'), type: 'mlx5', typeId: 1,
        data: HOST_LE ? '0500000004000000' : '0000000500000004', decoded: { uid: 5, uctxCaps: 4 } });
    }
  });
  test('no such device: exit 1, ERR_FWCTL_NO_DEVICE on stderr', async () => {
    const { code, io } = await run('info', 'eth9');
    expect(code).toBe(1);
    expect(io.err).toMatch(/^fwctl info: ERR_FWCTL_NO_DEVICE: no fwctl device matches 'eth9'/);
  });
  test('a device error: exit 1 with the code; --json puts the error on stderr as JSON', async () => {
    responder = () => -19;
    const { code, io } = await run('info', 'fwctl0', '--json');
    expect(code).toBe(1);
    expect(io.out).toBe('');
    expect(JSON.parse(io.err).error).toMatchObject({ code: 'ENODEV', errno: -19, syscall: 'ioctl(FWCTL_INFO)' });
  });
  test('missing <device>: exit 2', async () => {
    expect((await run('info')).code).toBe(2);
  });
  test('an argument naming several devices is an error listing them (never the first match)', async () => {
    // A second fwctl device on the same PCI function (a CXL memdev's), so '01:00.0' names two.
    sys.addParent('pci0000:00/0000:01:00.0/mem0', { subsystem: 'cxl', driver: 'cxl_mem' });
    sys.addFwctl('fwctl3', 'pci0000:00/0000:01:00.0/mem0', 240, 3);
    for (const spec of ['01:00.0', '0000:01:00.0']) {
      const { code, io } = await run('info', spec);
      expect(code).toBe(1);
      expect(io.err).toMatch(new RegExp(`^fwctl info: ERR_FWCTL_AMBIGUOUS: '${spec}' matches 2 fwctl devices: fwctl0 \\(0000:01:00.0\\), fwctl3 \\(mem0\\)`));
    }
    expect(fake.opened).toEqual([]);
    // Names that pick one device still do.
    for (const spec of ['eth0', 'mlx5_0', 'fwctl0']) expect((await run('info', spec)).code).toBe(0);
  });
});

describe('a command for another device type', () => {
  // The device answers FWCTL_INFO as mlx5 (type 1).
  beforeEach(() => {
    responder = (c) => {
      setU32(c.arg, 8, 1);
      setU32(c.arg, 12, 0);
      return 0;
    };
  });
  // Changed on purpose: this used to be a usage error (exit 2), but the command
  // line is well formed; the device is the wrong one, a runtime failure.
  test.each([['pds', 'endpoints'], ['bnxt', 'ver-get']])('fwctl %s %s on an mlx5 device: exit 1, ERR_FWCTL_WRONG_TYPE', async (type, sub) => {
    const { code, io } = await run(type, sub, 'fwctl0');
    expect(code).toBe(1);
    expect(io.err).toMatch(new RegExp(`^fwctl ${type}: ERR_FWCTL_WRONG_TYPE: \\S+fwctl0 is a mlx5 device \\(type 1\\), not ${type}`));
    expect(io.err).not.toMatch(/--help/);
    const j = await run(type, sub, 'fwctl0', '--json');
    expect(JSON.parse(j.io.err).error).toMatchObject({ code: 'ERR_FWCTL_WRONG_TYPE', path: path.join(sys.dev, 'fwctl', 'fwctl0') });
    expect(fake.handles.every((h) => h.closeCount === 1)).toBe(true);
  });
});

describe('fwctl rpc', () => {
  beforeEach(() => {
    responder = (c) => {
      const [req, out] = c.buffers;
      out.set(req.subarray(0, out.length));
      setU32(c.arg, 12, req.length);
      return 0;
    };
  });
  test('--hex request, hex dump of the response', async () => {
    const { code, io } = await run('rpc', 'fwctl0', '--scope', 'debug-read-only', '--hex', '01 02 41');
    expect(code).toBe(0);
    expect(io.out).toBe(`length 3\n${hexdump(Uint8Array.of(1, 2, 0x41))}`);
    expect(io.out).toMatch(/^00000000  01 02 41 +\|\.\.A\|$/m);
    const c = fake.handles[0].calls[0];
    expect(new DataView(c.arg.buffer).getUint32(4, HOST_LE)).toBe(1);
  });
  test('--json, --response-length and truncation warning', async () => {
    const { code, io } = await run('rpc', 'fwctl0', '--scope', '0', '--hex', '0x0102030405', '--response-length', '2', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(io.out)).toEqual({ length: 5, truncated: true, written: 2, response: '0102' });
    expect(io.err).toMatch(/truncated.*--response-length 5/);
  });
  test('--in FILE and --out FILE; --in - reads stdin; --out - writes raw bytes', async () => {
    const inFile = path.join(sys.root, 'req.bin');
    const outFile = path.join(sys.root, 'resp.bin');
    fs.writeFileSync(inFile, Uint8Array.of(9, 8, 7));
    expect((await run('rpc', 'fwctl0', '--scope', 'configuration', '--in', inFile, '--out', outFile)).code).toBe(0);
    expect([...fs.readFileSync(outFile)]).toEqual([9, 8, 7]);
    const io = new CaptureIo();
    io.stdin = Buffer.from([5, 6]);
    expect(await main(['rpc', 'fwctl0', '--scope', 'Configuration', '--in', '-', '--out', '-'], io)).toBe(0);
    expect(io.out).toBe('');
    expect([...Buffer.concat(io.bytes)]).toEqual([5, 6]);
  });
  test('--timeout MS: a call that does not answer in time is ABORT_ERR (exit 1), abandoned in the addon', async () => {
    fake.next = () => {
      const h = new FakeHandle((c) => responder(c), [fs.constants.S_IFCHR, NULL_DEV.major, NULL_DEV.minor]);
      h.gate = new Promise(() => undefined); // the "firmware" never answers
      return h;
    };
    const t = Date.now();
    const { code, io } = await run('rpc', 'fwctl0', '--scope', '0', '--hex', '00', '--timeout', '50', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(io.err).error).toMatchObject({ code: 'ABORT_ERR' });
    expect(io.err).toMatch(/no answer within 50 ms \(--timeout\)/);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(fake.abandoned.length).toBeGreaterThan(0);
    for (const bad of ['0', 'x', '-5']) expect((await run('info', 'fwctl0', '--timeout', bad)).code).toBe(2);
  });
  test('debug-write without --allow-kernel-taint: exit 1, ERR_FWCTL_TAINT_REFUSED, nothing sent', async () => {
    const { code, io } = await run('rpc', 'fwctl0', '--scope', 'debug-write', '--hex', '00');
    expect(code).toBe(1);
    expect(io.err).toMatch(/^fwctl rpc: ERR_FWCTL_TAINT_REFUSED: refused before calling the kernel: scope DebugWrite taints the kernel/);
    expect(fake.handles.flatMap((h) => h.calls)).toEqual([]);
    expect((await run('rpc', 'fwctl0', '--scope', 'debug-write', '--hex', '00', '--allow-kernel-taint')).code).toBe(0);
  });
  test.each([
    [['rpc', 'fwctl0', '--hex', '00'], /--scope is required/],
    [['rpc', 'fwctl0', '--scope', 'root', '--hex', '00'], /unknown scope 'root'/],
    [['rpc', 'fwctl0', '--scope', '0'], /exactly one of --in/],
    [['rpc', 'fwctl0', '--scope', '0', '--hex', '00', '--in', 'x'], /exactly one of --in/],
    [['rpc', 'fwctl0', '--scope', '0', '--hex', '0g'], /--hex: not hex/],
    [['rpc', 'fwctl0', '--scope', '0', '--hex', '012'], /odd number/],
    [['rpc', 'fwctl0', '--scope', '0', '--hex', '00', '--response-length', '-1'], /--response-length/],
    [['rpc', 'fwctl0', '--scope', '0', '--hex', '00', '--response-length', '3000000'], /--response-length/],
    [['rpc', 'fwctl0', '--scope', '0', '--hex', '00', '--out', '-', '--json'], /both write to stdout/],
    [['rpc', '--scope', '0', '--hex', '00'], /exactly one <device>/],
  ])('usage error: %j', async (argv, message) => {
    const { code, io } = await run(...argv);
    expect(code).toBe(2);
    expect(io.err).toMatch(message);
    expect(fake.opened).toEqual([]);
  });
});

describe('parsers and formatting', () => {
  test('parseScope accepts names in any common spelling and 0-3', () => {
    expect(['configuration', 'debug-read-only', 'DebugWrite', 'debug_write_full', '2'].map(parseScope)).toEqual([0, 1, 2, 3, 2]);
  });
  test('parseLength', () => {
    expect(parseLength(undefined, 4096)).toBe(4096);
    expect(parseLength('0', 1)).toBe(0);
    expect(() => parseLength('1e3', 1)).toThrow();
  });
  test('codeText: CODE: message, the code once', () => {
    expect(codeText('ENODEV', 'ENODEV: the device was unplugged')).toBe('ENODEV: the device was unplugged');
    expect(codeText('ERR_FWCTL_MLX5_STATUS', 'mlx5 NOP: firmware status 0x3')).toBe('ERR_FWCTL_MLX5_STATUS: mlx5 NOP: firmware status 0x3');
  });
  test('parseHex', () => {
    expect([...parseHex('0x01 02:03,04\n0A')]).toEqual([1, 2, 3, 4, 10]);
    expect(parseHex('').length).toBe(0);
    expect(() => parseHex('a00x12')).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_USAGE', message: 'not hex: use digits 0-9 a-f' }));
    expect(() => parseHex('abc')).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_USAGE', message: 'odd number of hex digits' }));
  });
  test('table pads every column but the last', () => {
    expect(table(['A', 'BB'], [['xxx', 'y'], ['z', '']])).toBe('A    BB\nxxx  y\nz\n');
    expect(fields([['a', '1'], ['long', '2']])).toBe('a     1\nlong  2\n');
  });
  test('hexdump', () => {
    expect(hexdump(Buffer.from('0123456789abcdefXY'))).toBe(
      '00000000  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66  |0123456789abcdef|\n' +
      '00000010  58 59                                            |XY|\n');
  });
});

describe('start-up cost', () => {
  test('`fwctl list --json` runs as a program and never loads the native addon', () => {
    const probe = `
      const { main } = require(${JSON.stringify(CLI_MAIN)});
      main(['list', '--json'], { stdout() {}, stderr() {}, stdoutBytes() {}, readStdin: async () => Buffer.alloc(0) })
        .then((code) => console.log(JSON.stringify({ code, modules: Object.keys(require.cache) })));`;
    const r = spawnSync(process.execPath, ['-e', probe], { env: { ...process.env }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { code, modules } = JSON.parse(r.stdout) as { code: number; modules: string[] };
    expect(code).toBe(0);
    const loaded = modules.map((m) => path.basename(m));
    expect(loaded).not.toContain('binding.js');
    expect(loaded).not.toContain('device.js');
    expect(modules.some((m) => m.includes('node-gyp-build'))).toBe(false);
    const direct = spawnSync(process.execPath, [CLI_MAIN, 'list', '--json'], { env: { ...process.env }, encoding: 'utf8' });
    expect(direct.status).toBe(0);
    expect(JSON.parse(direct.stdout).map((e: { name: string }) => e.name)).toEqual(['fwctl0', 'fwctl12']);
  });
});
