// fwctl.config (lib/nvconfig.ts): the fleet layer's logic over a test type's
// in-memory hooks (names, values, refusals, export/apply, no reset), bnxt's
// hooks (lib/bnxt/nvconfig.ts) over a fake HWRM firmware (what each request
// carries: option, width, index, scope), and `fwctl config` over the fake
// binding (no terminal: --yes or nothing; a terminal: asks; --json; --dry-run).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RpcOptions, RpcResult } from '../../lib/device';
import { setBindingForTesting, splitRdev } from '../../lib/device';
import type { DeviceLike } from '../../lib/device-like';
import type { DeviceInfo } from '../../lib/decode';
import { main } from '../../lib/cli/main';
import { config, NvConfigError, checkNvValue, parseNvValue, type NvConfigHooks, type NvItemSpec, type NvValue } from '../../lib/nvconfig';
import { registerDeviceType, unregisterDeviceTypeForTesting } from '../../lib/registry';
import { HOST_LE } from '../../lib/uapi/layout';
import { inventory, toPrometheus } from '../../lib/inventory';
import '../../lib/types/builtin';
import { bnxtNvConfig } from '../../lib/bnxt/nvconfig';
import { BNXT_NVM_PARAMS } from '../../lib/bnxt/generated/nvm-params';
import { CaptureIo } from './helpers/capture-io';
import { cli } from './helpers/cli';
import { FakeBinding, FakeHandle } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';

const TEST_TYPE = 0x7e01;

/** An in-memory NV store: items x (0..1000), flag (boolean, alias FLAG_EN), mode (enum), caps (read-only). */
function memoryType(withReset: boolean) {
  const ITEMS: NvItemSpec[] = [
    { name: 'x', kind: 'integer', min: 0, max: 1000, appliesTo: 'adapter', description: 'x' },
    { name: 'flag', aliases: ['FLAG_EN'], kind: 'boolean', appliesTo: 'function', description: 'flag' },
    { name: 'mode', kind: 'enum', values: ['off', 'basic', 'full'], appliesTo: 'port', description: 'mode' },
    { name: 'caps', kind: 'integer', readOnly: true, appliesTo: 'adapter', description: 'caps' },
  ];
  const next: Record<string, NvValue> = { x: 5, flag: false, mode: 'off', caps: 7 };
  const writes: string[] = [];
  const resolve = (n: string) => ITEMS.find((i) => i.name === n || i.aliases?.some((a) => a.toLowerCase() === n.toLowerCase()));
  const hooks: NvConfigHooks = {
    items: () => ITEMS,
    resolve,
    async get(_dev, names) {
      return (names ?? ITEMS.map((i) => i.name)).map((n) => ({ name: n, appliesTo: resolve(n)!.appliesTo, current: next[n], next: next[n], default: n === 'x' ? 1 : next[n], ...(n === 'caps' ? { readOnly: true } : {}) }));
    },
    async plan(_dev, values) {
      return Object.entries(values).filter(([k, v]) => next[k] !== v).map(([k, v]) => ({ name: k, from: next[k], to: v }));
    },
    async set(dev, values) {
      const changes = await hooks.plan(dev, values, {});
      return changes.map((c) => {
        writes.push(`${c.name}=${String(c.to)}`);
        next[c.name] = c.to;
        return { ...c, readBack: next[c.name], takesEffect: 'next-reset' as const };
      });
    },
    ...(withReset ? { async reset(dev: DeviceLike) { return hooks.set(dev, { x: 1 }, {}); } } : {}),
  };
  return { hooks, next, writes };
}

const fakeDev = (typeId: number): DeviceLike => {
  const info = () => ({ type: 'unknown', typeId, data: Buffer.alloc(0) }) as unknown as DeviceInfo;
  const no = () => { throw new Error('no rpc'); };
  return { path: '/dev/fwctl/fwctl9', typeId, info: async () => info(), infoSync: info, rpc: no, rpcSync: no };
};

describe('values', () => {
  const int: NvItemSpec = { name: 'n', kind: 'integer', min: 0, max: 512, appliesTo: 'adapter', description: '' };
  const bool: NvItemSpec = { name: 'b', kind: 'boolean', appliesTo: 'adapter', description: '' };
  const en: NvItemSpec = { name: 'e', kind: 'enum', values: ['a', 'b'], appliesTo: 'adapter', description: '' };
  test('parse: true/false, decimal and 0x integers, enum names (and their index)', () => {
    expect([parseNvValue(bool, 'true'), parseNvValue(bool, 'FALSE'), parseNvValue(bool, '1')]).toEqual([true, false, true]);
    expect([parseNvValue(int, '10'), parseNvValue(int, '0x200')]).toEqual([10, 512]);
    expect([parseNvValue(en, 'B'), parseNvValue(en, '0')]).toEqual(['b', 'a']);
    expect(() => parseNvValue(bool, 'yes')).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' }));
    expect(() => parseNvValue(int, '1e3')).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' }));
    expect(() => parseNvValue(en, 'c')).toThrow(/one of a, b/);
  });
  test('check: kind, range, enum, read-only', () => {
    expect(checkNvValue(int, 512)).toBe(512);
    expect(() => checkNvValue(int, 513)).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_OUT_OF_RANGE' }));
    expect(() => checkNvValue(int, 1.5)).toThrow(TypeError);
    expect(() => checkNvValue(bool, 1 as unknown as boolean)).toThrow(TypeError);
    expect(checkNvValue(en, 'A')).toBe('a');
    expect(() => checkNvValue({ ...int, readOnly: true }, 1)).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_NV_REFUSED' }));
  });
});

describe('fwctl.config over a registered type', () => {
  let m: ReturnType<typeof memoryType>;
  beforeEach(() => {
    m = memoryType(false);
    registerDeviceType({ id: TEST_TYPE, name: 'nvtest', nvConfig: m.hooks });
  });
  afterEach(() => unregisterDeviceTypeForTesting(TEST_TYPE));
  const dev = () => fakeDev(TEST_TYPE);

  test('a type without NV items is ERR_FWCTL_WRONG_TYPE; an unknown name names the known ones', async () => {
    await expect(config.get(fakeDev(0x7e02))).rejects.toMatchObject({ code: 'ERR_FWCTL_WRONG_TYPE' });
    const e = await config.get(dev(), ['nope']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NvConfigError);
    expect(e).toMatchObject({ code: 'ERR_FWCTL_NV_UNKNOWN_ITEM', item: 'nope', known: ['x', 'flag', 'mode', 'caps'] });
    expect((e as Error).message).toMatch(/known: x, flag, mode, caps/);
  });

  test('set: aliases resolve to the name; every value is checked before the type is asked to write', async () => {
    expect(await config.set(dev(), { FLAG_EN: true })).toEqual([{ name: 'flag', from: false, to: true, readBack: true, takesEffect: 'next-reset' }]);
    await expect(config.set(dev(), { x: 6, mode: 'bogus' })).rejects.toMatchObject({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });
    await expect(config.set(dev(), { caps: 1 })).rejects.toMatchObject({ code: 'ERR_FWCTL_NV_REFUSED', item: 'caps' });
    await expect(config.set(dev(), { flag: true, FLAG_EN: false })).rejects.toMatchObject({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });
    expect(m.writes).toEqual(['flag=true']);
    expect(await config.plan(dev(), { x: 7, mode: 'full' })).toEqual([{ name: 'x', from: 5, to: 7 }, { name: 'mode', from: 'off', to: 'full' }]);
    expect(m.writes).toEqual(['flag=true']);
  });

  test('export is the writable next-boot values; apply checks the document, plans, then writes', async () => {
    const doc = await config.export(dev());
    expect(doc).toEqual({ fwctlNvConfig: 1, type: 'nvtest', device: '/dev/fwctl/fwctl9', values: { x: 5, flag: false, mode: 'off' } });
    const changed = { ...doc, values: { ...doc.values, x: 9 } };
    expect(await config.apply(dev(), changed, { dryRun: true })).toEqual({ changes: [{ name: 'x', from: 5, to: 9 }], dryRun: true });
    expect(m.writes).toEqual([]);
    expect((await config.apply(dev(), changed)).results).toEqual([{ name: 'x', from: 5, to: 9, readBack: 9, takesEffect: 'next-reset' }]);
    await expect(config.apply(dev(), { ...doc, type: 'mlx5' })).rejects.toThrow(/for mlx5 devices/);
    await expect(config.apply(dev(), { values: {} } as never)).rejects.toMatchObject({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });
  });

  test('reset: ERR_FWCTL_NV_NO_RESET when the type registers none', async () => {
    await expect(config.reset(dev())).rejects.toMatchObject({ code: 'ERR_FWCTL_NV_NO_RESET' });
  });
});

// ---- bnxt over a fake HWRM firmware ----

/** NVM variables by option (per-function ones by index_0), FUNC_QCAPS fid 3. */
function bnxtFirmware() {
  const store = new Map<string, number>([['401:0', 1], ['164:0', 0], ['108:0', 64], ['114:0', 4], ['161:0', 1], ['171:0', 0], ['506:0', 0], ['506:2', 0]]);
  const log: { name: string; option?: number; bits?: number; index?: number; dims?: number; scope?: number; value?: number }[] = [];
  const answer = (request: Uint8Array, o: RpcOptions): RpcResult => {
    const req = Buffer.from(request);
    const out = Buffer.alloc(o.responseLength ?? 4096);
    const type = req.readUInt16LE(0);
    if (type === 0x15) { // FUNC_QCAPS
      log.push({ name: 'FUNC_QCAPS', scope: o.scope });
      out.writeUInt16LE(3, 8);
    } else if (type === 0xfff1 || type === 0xfff2) { // NVM_GET_VARIABLE / NVM_SET_VARIABLE
      const buf = o.attach![0].buffer as Uint8Array;
      const option = req.readUInt16LE(26);
      const dims = req.readUInt16LE(28);
      const index = req.readUInt16LE(30);
      const key = `${option}:${option === 506 && dims ? index : 0}`;
      const bits = buf.byteLength; // the driver bounces data_len bytes; the library attaches one per bit
      if (type === 0xfff1) {
        const v = req[38] & 1 ? 0 : store.get(key) ?? 0; // FACTORY_DFLT: 0 for all
        Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).writeUIntLE(v, 0, Math.ceil(bits / 8));
        log.push({ name: 'GET', option, bits, index, dims, scope: o.scope });
      } else {
        const v = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readUIntLE(0, Math.ceil(bits / 8));
        store.set(key, v);
        log.push({ name: 'SET', option, bits, index, dims, scope: o.scope, value: v });
      }
    } else out.writeUInt16LE(0xffff, 0);
    return { response: out, length: out.length, truncated: false };
  };
  const info = () => ({ type: 'bnxt', typeId: 3, data: Buffer.alloc(4), decoded: { uctxCaps: 0xf } }) as unknown as DeviceInfo;
  const dev: DeviceLike = { path: '/dev/fwctl/fwctl3', typeId: 3, info: async () => info(), infoSync: info, rpc: async (r, o) => answer(r as Uint8Array, o), rpcSync: (r, o) => answer(r as Uint8Array, o) };
  return { dev, store, log };
}

describe('bnxt NV items (lib/bnxt/nvconfig.ts) over a fake firmware', () => {
  test('the items are the kernel\'s nvm_params, with the widths\' and validate callbacks\' ranges', () => {
    expect(bnxtNvConfig.items().map((i) => i.name)).toEqual(BNXT_NVM_PARAMS.map((p) => p.name));
    expect(bnxtNvConfig.resolve('msix_vec_per_pf_max')).toMatchObject({ kind: 'integer', min: 0, max: 512 });
    expect(bnxtNvConfig.resolve('msix_vec_per_pf_min')).toMatchObject({ kind: 'integer', max: 127 });
    expect(bnxtNvConfig.resolve('enable_roce')).toMatchObject({ kind: 'boolean', appliesTo: 'function' });
    expect(bnxtNvConfig.resolve('raw:0x12c:8')).toMatchObject({ name: 'raw:300:8', kind: 'integer', max: 255 });
    expect(bnxtNvConfig.resolve('raw:7')).toMatchObject({ name: 'raw:7', max: 0xffffffff });
    expect(bnxtNvConfig.resolve('raw:7:33')).toBeUndefined();
  });

  test('reads and writes each option in its width at Configuration; enable_roce at index_0 fw_fid - 1, dimensions 1; gre_ver_check inverted', async () => {
    const f = bnxtFirmware();
    const [gre] = await config.get(f.dev, ['gre_ver_check']);
    expect(gre).toMatchObject({ next: true, default: true });
    const res = await config.set(f.dev, { enable_roce: true, gre_ver_check: false, msix_vec_per_pf_max: 300 });
    expect(res.map((r) => [r.name, r.readBack])).toEqual([['enable_roce', true], ['gre_ver_check', false], ['msix_vec_per_pf_max', 300]]);
    const sets = f.log.filter((l) => l.name === 'SET');
    expect(sets).toEqual([
      { name: 'SET', option: 506, bits: 1, index: 2, dims: 1, scope: 0, value: 1 },
      { name: 'SET', option: 171, bits: 1, index: 0, dims: 0, scope: 0, value: 1 },
      { name: 'SET', option: 108, bits: 10, index: 0, dims: 0, scope: 0, value: 300 },
    ]);
    expect(f.log.filter((l) => l.name === 'FUNC_QCAPS').every((l) => l.scope === 1)).toBe(true); // DebugReadOnly: no taint
    expect(f.log.filter((l) => l.name === 'GET').every((l) => l.scope === 0)).toBe(true);
    expect(f.store.get('506:0')).toBe(0);
  });

  test('refusals make no write: range, capability (option 161 false)', async () => {
    const f = bnxtFirmware();
    await expect(config.set(f.dev, { msix_vec_per_pf_min: 128 })).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE' });
    f.store.set('161:0', 0);
    await expect(config.set(f.dev, { ignore_ari: true, enable_roce: true })).rejects.toMatchObject({ code: 'ERR_FWCTL_NV_REFUSED', item: 'enable_roce' });
    expect(f.log.filter((l) => l.name === 'SET')).toEqual([]);
  });
});

// ---- the CLI over the fake binding ----

describe('fwctl config', () => {
  const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);
  let sys: FakeSys;
  let m: ReturnType<typeof memoryType>;
  beforeEach(() => {
    m = memoryType(true);
    registerDeviceType({ id: TEST_TYPE, name: 'nvtest', nvConfig: m.hooks });
    sys = new FakeSys();
    sys.addParent('pci0000:00/0000:05:00.0', { subsystem: 'pci', driver: 'nvtest' });
    sys.addFwctl('fwctl5', 'pci0000:00/0000:05:00.0', NULL_DEV.major, NULL_DEV.minor);
    fs.symlinkSync('/dev/null', path.join(sys.dev, 'fwctl', 'fwctl5'));
    process.env.FWCTL_SYSFS_ROOT = sys.sys;
    process.env.FWCTL_DEV_ROOT = sys.dev;
    setBindingForTesting(new FakeBinding(() => new FakeHandle((c) => {
      if (c.request !== 0x9a00) return -22;
      new DataView(c.arg.buffer, c.arg.byteOffset).setUint32(8, TEST_TYPE, HOST_LE);
      new DataView(c.arg.buffer, c.arg.byteOffset).setUint32(12, 0, HOST_LE);
      return 0;
    }, [fs.constants.S_IFCHR, NULL_DEV.major, NULL_DEV.minor])));
  });
  afterEach(() => {
    setBindingForTesting(undefined);
    delete process.env.FWCTL_SYSFS_ROOT;
    delete process.env.FWCTL_DEV_ROOT;
    sys.remove();
    unregisterDeviceTypeForTesting(TEST_TYPE);
  });

  test('get (the default) and items, as tables and --json', async () => {
    const g = await cli('config', 'fwctl5');
    expect(g.code).toBe(0);
    expect(g.out).toMatch(/^x +5 +5 +1 +adapter/m);
    expect(g.out).toMatch(/^caps +7 +7 +7 +adapter +read-only/m);
    const j = await cli('config', '--all', 'get', 'x', '--json');
    expect(JSON.parse(j.out)).toEqual([{ device: path.join(sys.dev, 'fwctl', 'fwctl5'), items: [expect.objectContaining({ name: 'x', next: 5 })] }]);
    expect((await cli('config', 'fwctl5', 'items')).out).toMatch(/^flag, FLAG_EN +boolean +true\|false +function/m);
  });

  test('set without a terminal: the diff, then nothing written without --yes (exit 2); --yes writes and says when it takes effect', async () => {
    const no = await cli('config', 'fwctl5', 'set', 'x=0x10', 'FLAG_EN=true');
    expect(no.code).toBe(2);
    expect(no.err).toMatch(/^x +5 +16$/m);
    expect(no.err).toMatch(/pass --yes/);
    expect(m.writes).toEqual([]);
    const dry = await cli('config', 'fwctl5', 'set', 'x=16', '--dry-run');
    expect([dry.code, m.writes]).toEqual([0, []]);
    expect(dry.err).toMatch(/dry run: nothing written/);
    const yes = await cli('config', 'fwctl5', 'set', 'x=16', 'FLAG_EN=true', '--yes');
    expect(yes.code).toBe(0);
    expect(m.writes).toEqual(['x=16', 'flag=true']);
    expect(yes.err).toMatch(/takes effect at the next firmware reset/);
    const j = await cli('config', 'fwctl5', 'set', 'x=17', '--yes', '--json');
    expect(JSON.parse(j.out)).toEqual([expect.objectContaining({ written: true, takesEffect: 'next-reset', changes: [{ name: 'x', from: 16, to: 17 }] })]);
    expect((await cli('config', 'fwctl5', 'set', 'x=abc', '--yes')).err).toMatch(/ERR_FWCTL_INVALID_ARG_VALUE/);
    expect((await cli('config', 'fwctl5', 'set', 'zz=1', '--yes')).err).toMatch(/ERR_FWCTL_NV_UNKNOWN_ITEM.*known: x, flag, mode, caps/);
  });

  test('on a terminal it asks: no writes nothing (exit 1), yes writes', async () => {
    const ask = async (answer: boolean, ...argv: string[]) => {
      const io = new CaptureIo();
      const questions: string[] = [];
      (io as CaptureIo & { confirm: (q: string) => Promise<boolean> }).confirm = async (q) => { questions.push(q); return answer; };
      return { code: await main(argv, io), io, questions };
    };
    const no = await ask(false, 'config', 'fwctl5', 'set', 'mode=full');
    expect([no.code, m.writes, no.questions]).toEqual([1, [], ['Write 1 change(s) on 1 device(s)? [y/N] ']]);
    const yes = await ask(true, 'config', 'fwctl5', 'set', 'mode=full');
    expect([yes.code, m.writes]).toEqual([0, ['mode=full']]);
  });

  test('export, then apply FILE --dry-run (the diff) and apply --yes; reset shows the defaults it writes', async () => {
    const ex = await cli('config', 'fwctl5', 'export');
    const doc = JSON.parse(ex.out);
    expect(doc).toMatchObject({ fwctlNvConfig: 1, type: 'nvtest', values: { x: 5, flag: false, mode: 'off' } });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-nv-')), 'nv.json');
    fs.writeFileSync(file, JSON.stringify({ ...doc, values: { ...doc.values, x: 42 } }));
    const dry = await cli('config', 'fwctl5', 'apply', file, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.err).toMatch(/^x +5 +42$/m);
    expect(m.writes).toEqual([]);
    expect((await cli('config', 'fwctl5', 'apply', file, '--yes')).code).toBe(0);
    expect(m.writes).toEqual(['x=42']);
    const r = await cli('config', 'fwctl5', 'reset', '--yes');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^x +42 +1$/m);
    expect(m.writes).toEqual(['x=42', 'x=1']);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  test('inventory({ nvConfig: true }): the boolean and integer items, current and next, as fwctl_nv_config; a failure is recorded', async () => {
    expect((await inventory())[0].nvConfig).toBeUndefined(); // opt-in
    const [rec] = await inventory({ nvConfig: true });
    expect(rec.nvConfig!.items.map((i) => i.name)).toEqual(['x', 'flag', 'caps']); // not the enum
    const text = toPrometheus([rec]);
    expect(text).toContain('# TYPE fwctl_nv_config gauge\n');
    expect(text).toContain('fwctl_nv_config{device="fwctl5",name="x",when="current"} 5\n');
    expect(text).toContain('fwctl_nv_config{device="fwctl5",name="flag",when="next"} 0\n');
    m.hooks.get = async () => { throw new NvConfigError('ERR_FWCTL_NV_WRITE_FAILED', 'boom'); };
    const [bad] = await inventory({ nvConfig: true });
    expect(bad).toMatchObject({ error: null, nvConfig: { items: [], error: { code: 'ERR_FWCTL_NV_WRITE_FAILED', message: 'boom' } } });
  });

  test('usage errors: no device, an unknown subcommand', async () => {
    expect((await cli('config')).code).toBe(2);
    expect((await cli('config', 'fwctl5', 'frob')).err).toMatch(/unknown config subcommand 'frob'/);
  });
});
