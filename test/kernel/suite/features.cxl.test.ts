// fwctl.cxl against the real drivers/cxl fwctl code (drivers/cxl/core/features.c)
// and the kernel's CXL test driver (tools/testing/cxl: cxl_test and its mock
// memdevs). Runs in its own boot on the cxl-profile kernel (scripts/test.js;
// test/kernel/guest/cxl-setup.sh loads cxl_test first). Set Feature taints
// the kernel, which is why this boot is separate.
//
// The mock (tools/testing/cxl/test/mem.c) implements one vendor test feature:
// UUID ff..ff, 4 bytes, flags CHANGEABLE|DEFAULT_SEL|SAVED_SEL (0x61),
// effects CONFIG_CHANGE_COLD_RESET|EFFECTS_VALID (0x201: reset-only, so a Set
// needs DebugWrite), initial value 0xdeadbeef; Set accepts only a full
// transfer at offset 0; any other UUID answers UNSUPPORTED.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fwctl from '../../../lib';
import { CxlMailboxError } from '../../../lib/cxl';
import { FwctlTypeError, FwctlRangeError } from '../../../lib/errors';
import { CLI_MAIN as cli } from '../../unit/helpers/cli';

const { cxl, Scope, FwctlError } = fwctl;
const inVm = process.env.FWCTL_IN_VM === '1';
const TEST_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
const TAINT_FWCTL = 1 << 19;
const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));
const repo = path.resolve(__dirname, '../../../..');

/**
 * cxl_test's CXL fwctl devices, found through sysfs (fwctlN numbers change
 * every boot); the emulated memdev (fwctl_cxlemu, cxlemu.cxl.test.ts) is not one.
 */
function cxlDevices(): fwctl.FwctlDeviceEntry[] {
  return fwctl.listSync().filter((e) => e.parent?.subsystem === 'cxl' && !/\/fwctl_cxlemu\//.test(e.parent.sysfsPath));
}

/** A raw fwctl_rpc_cxl request: header + payload, with op_size as given. */
function raw(opcode: number, payload: Uint8Array, opSize = payload.byteLength): Uint8Array {
  const req = new Uint8Array(16 + payload.byteLength);
  fwctl.uapi.write(req, fwctl.uapi.fwctlRpcCxl.fields.opcode, opcode);
  fwctl.uapi.write(req, fwctl.uapi.fwctlRpcCxl.fields.op_size, opSize);
  req.set(payload, 16);
  return req;
}

async function expectErrno(p: Promise<unknown>, code: string): Promise<fwctl.FwctlError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(FwctlError);
  expect((e as fwctl.FwctlError).code).toBe(code);
  return e as fwctl.FwctlError;
}

(inVm ? describe : describe.skip)('CXL Features through drivers/cxl (cxl_test)', () => {
  let entries: fwctl.FwctlDeviceEntry[];
  let dev: fwctl.Device;

  beforeAll(async () => {
    entries = cxlDevices();
    if (entries.length === 0) throw new Error('no CXL fwctl devices: cxl-setup.sh should have loaded cxl_test');
    // The device under test: the first memdev by name, whatever fwctlN it got.
    entries.sort((a, b) => (a.parent!.name < b.parent!.name ? -1 : 1));
    dev = await fwctl.open(entries[0].name);
    process.stderr.write(`[cxl] ${entries.length} CXL fwctl devices: ` +
      `${entries.map((e) => `${e.parent!.cxlMemdev ?? e.parent!.name}=${e.name}`).join(' ')}; under test: ${dev.path}\n`);
  });
  afterAll(async () => {
    await dev?.close();
  });

  test('every CXL fwctl device belongs to a cxl memdev, has type cxl (2) and no device_data', async () => {
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(e.parent!.subsystem).toBe('cxl');
      expect(e.parent!.cxlMemdev).toMatch(/^mem\d+$/);
      await using d = await fwctl.open(e.name);
      const info = await d.info();
      expect(info.type).toBe('cxl');
      expect(info.typeId).toBe(2);
      expect(info.data.length).toBe(0);
    }
    const fromSetup = (process.env.FWCTL_CXL_MEMDEVS ?? '').split(' ').filter(Boolean).sort();
    if (fromSetup.length) expect(entries.map((e) => e.parent!.name).sort()).toEqual(fromSetup);
  });

  test('getSupportedFeatures: the mock test feature, decoded', async () => {
    const feats = await cxl.getSupportedFeatures(dev);
    process.stderr.write(`[cxl] Get Supported Features: ${JSON.stringify(feats)}\n`);
    expect(feats).toHaveLength(1);
    const f = feats[0];
    expect(f).toMatchObject({
      uuid: TEST_UUID, id: 0, getSize: 4, setSize: 4, getVersion: 1, setVersion: 1,
      kernelExclusive: false, requiredScope: Scope.DebugWrite,
    });
    expect(f.name).toBeUndefined();
    expect(f.flags).toEqual({ raw: 0x61, changeable: true, persistsAcrossFirmwareUpdate: false,
      defaultSelection: true, savedSelection: true });
    expect(f.effects.raw).toBe(0x201);
    expect(f.effects.configChangeColdReset).toBe(true);
    expect(f.effects.effectsValid).toBe(true);
    expect(f.effects.configChangeImmediate).toBe(false);
    // every device, sync and async, any page size: the same list
    for (const e of entries) {
      await using d = await fwctl.open(e.name);
      expect(cxl.getSupportedFeaturesSync(d, { pageSize: 1 })).toEqual(feats);
      expect(await cxl.getSupportedFeatures(d, { pageSize: 7 })).toEqual(feats);
    }
  });

  test('Get Supported Features: count first, then entries (raw, as the library pages)', async () => {
    const count = await dev.rpc(cxl.encodeGetSupportedFeatures(0, 0), { scope: Scope.Configuration, responseLength: 64 });
    // out header + get_sup_feats_out header, no entries; the driver reports 8 bytes more than it writes
    // (sizeof(struct fwctl_rpc_cxl_out) + size)
    expect(count.length).toBe(24);
    const r = Buffer.from(count.response);
    expect([r.readUInt32LE(0), r.readUInt32LE(4), r.readUInt16LE(8), r.readUInt16LE(10)]).toEqual([8, 0, 0, 1]);
    const page = await dev.rpc(cxl.encodeGetSupportedFeatures(0, 1), { scope: Scope.Configuration, responseLength: 64 });
    expect(page.length).toBe(24 + 48);
    expect(Buffer.from(page.response).readUInt16LE(8)).toBe(1);
  });

  test('getFeature: current, default and saved values; length; sync', async () => {
    const cur = await cxl.getFeature(dev, TEST_UUID, { selection: 'current' });
    expect(cur).toHaveLength(4);
    process.stderr.write(`[cxl] Get Feature current: ${cur.toString('hex')}\n`);
    expect(cur.readUInt32LE(0)).toBe(0xdeadbeef); // cxl_mock_test_feat_init
    expect(await cxl.getFeature(dev, TEST_UUID, { selection: 'default' })).toHaveLength(4);
    expect(cxl.getFeatureSync(dev, TEST_UUID, { selection: 'saved' })).toHaveLength(4);
    const head = await cxl.getFeature(dev, TEST_UUID.toUpperCase(), { length: 2 });
    expect([...head]).toEqual([0xef, 0xbe]);
    // (offset > 0 is not exercised: the mock writes its answer at payload + offset, past the count asked for)
  });

  test('getFeature of a feature the device lacks: the mailbox return code, as CxlMailboxError', async () => {
    const e = await cxl.getFeature(dev, cxl.CxlFeatureUuid.PatrolScrub, { length: 4 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CxlMailboxError);
    expect(e).toMatchObject({ code: 'ERR_FWCTL_CXL_MAILBOX', returnCode: 3, returnCodeName: 'UNSUPPORTED', opcode: 0x501, path: dev.path });
    expect(() => cxl.getFeatureSync(dev, cxl.CxlFeatureUuid.Ecs, { length: 1 })).toThrow(/return code 3 UNSUPPORTED/);
    // without a length the entry is needed, and the device does not list it
    await expectErrno(cxl.getFeature(dev, cxl.CxlFeatureUuid.PatrolScrub), 'ERR_FWCTL_CXL_NO_FEATURE');
  });

  test('setFeature at the scope the driver requires (DebugWrite: reset-only effects) changes the value and taints', async () => {
    const before = await cxl.getFeature(dev, TEST_UUID);
    await cxl.setFeature(dev, TEST_UUID, Buffer.from([0x78, 0x56, 0x34, 0x12]), { allowKernelTaint: true });
    expect(tainted() & TAINT_FWCTL).toBe(TAINT_FWCTL);
    expect((await cxl.getFeature(dev, TEST_UUID)).readUInt32LE(0)).toBe(0x12345678);
    // a higher scope is accepted too (root holds CAP_SYS_RAWIO); sync variant
    cxl.setFeatureSync(dev, TEST_UUID, before, { allowKernelTaint: true, scope: Scope.DebugWriteFull });
    expect(cxl.getFeatureSync(dev, TEST_UUID)).toEqual(before);
    // other memdevs keep their own value
    const other = entries.find((e) => e.name !== path.basename(dev.path));
    if (other) {
      await using d2 = await fwctl.open(other.name);
      await cxl.setFeature(d2, TEST_UUID, Buffer.from([1, 2, 3, 4]), { allowKernelTaint: true });
      expect((await cxl.getFeature(dev, TEST_UUID))).toEqual(before);
      expect([...(await cxl.getFeature(d2, TEST_UUID))]).toEqual([1, 2, 3, 4]);
    }
  });

  test('setFeature below the required scope: the driver answers EINVAL, and the error says which scope is needed', async () => {
    for (const scope of [Scope.Configuration, Scope.DebugReadOnly]) {
      const e = await expectErrno(cxl.setFeature(dev, TEST_UUID, Buffer.alloc(4), { scope }), 'EINVAL');
      expect(e.syscall).toBe('ioctl(FWCTL_RPC)'); // the kernel's answer, not a refusal before the call
      expect(e.message).toMatch(/at scope (Configuration|DebugReadOnly).*ConfigChangeColdReset.*need scope DebugWrite/);
      expect(e.message).toMatch(/EINVAL, not EPERM/);
    }
    // the same request raw: the kernel's own EINVAL
    const req = cxl.encodeSetFeature(Buffer.alloc(16, 0xff), Buffer.alloc(4), 0, 0, 1);
    await expectErrno(dev.rpc(req, { scope: Scope.DebugReadOnly, responseLength: 8 }), 'EINVAL');
    expect((await cxl.getFeature(dev, TEST_UUID)).readUInt32LE(0)).toBe(0xdeadbeef);
  });

  test('kernel-exclusive UUIDs: refused before the kernel; the driver refuses them too', async () => {
    for (const uuid of Object.values(cxl.CxlFeatureUuid)) {
      const e = await expectErrno(cxl.setFeature(dev, uuid, Buffer.alloc(4), { allowKernelTaint: true }), 'ERR_FWCTL_CXL_NOT_SETTABLE');
      expect(e.syscall).toBeUndefined();
      expect(e.errno).toBeUndefined();
      expect(e.message).toMatch(/reserved to the kernel/);
      // raw, at the highest scope: drivers/cxl refuses (EINVAL: the mock does not list it; EPERM if listed)
      const req = cxl.encodeSetFeature(cxl.uuidBytes(uuid), Buffer.alloc(4), 0, 0, 1);
      const k = await dev.rpc(req, { scope: Scope.DebugWriteFull, allowKernelTaint: true, responseLength: 8 })
        .then(() => undefined, (x: unknown) => x as fwctl.FwctlError);
      expect(['EINVAL', 'EPERM']).toContain(k?.code);
    }
  });

  test('malformed requests: the driver answers EINVAL (raw), the library refuses before the call', async () => {
    const rpc = (req: Uint8Array, scope: fwctl.Scope = Scope.Configuration, responseLength = 64) =>
      dev.rpc(req, { scope, responseLength, allowKernelTaint: true });
    const getSup = (count: number, start: number) => fwctl.uapi.pack(fwctl.uapi.cxlGetSupFeatsIn, { count, start_idx: start });
    const getIn = (count: number) => fwctl.uapi.pack(fwctl.uapi.cxlGetFeatIn, { uuid: Buffer.alloc(16, 0xff), count });
    const cases: [string, Promise<unknown>][] = [
      ['request shorter than the 16-byte header', rpc(new Uint8Array(12))],
      ['op_size larger than the payload', rpc(raw(0x500, getSup(56, 0), 9))],
      ['Get Supported op_size 7', rpc(raw(0x500, getSup(56, 0).subarray(0, 7)))],
      ['Get Supported start_idx past the end', rpc(raw(0x500, getSup(56, 1)))],
      ['Get Feature count 0', rpc(raw(0x501, getIn(0)))],
      ['Get Feature response shorter than 8 + count', rpc(raw(0x501, getIn(4)), Scope.Configuration, 11)],
      ['Set Feature without data', rpc(cxl.encodeSetFeature(Buffer.alloc(16, 0xff), new Uint8Array(0), 0, 0, 1), Scope.DebugWrite)],
      ['unknown opcode 0x0400', rpc(raw(0x400, new Uint8Array(8)))],
    ];
    for (const [what, p] of cases) {
      const e = await p.then(() => undefined, (x: unknown) => x as fwctl.FwctlError);
      expect({ what, code: e?.code }).toEqual({ what, code: 'EINVAL' });
    }
    // The device's own rejection: the mock takes only offset 0 (a full transfer).
    const e = await cxl.setFeature(dev, TEST_UUID, Buffer.from([1, 2]), { offset: 2, allowKernelTaint: true })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'CxlMailboxError', returnCode: 2, returnCodeName: 'INPUT', opcode: 0x502 });
    // Refused before any syscall:
    await expect(cxl.setFeature(dev, TEST_UUID, Buffer.alloc(0), { allowKernelTaint: true })).rejects.toThrow(FwctlRangeError);
    await expect(cxl.setFeature(dev, TEST_UUID, Buffer.alloc(5), { allowKernelTaint: true })).rejects.toThrow(/setSize 4/);
    await expect(cxl.setFeature(dev, TEST_UUID, Buffer.alloc(4))).rejects.toThrow(/allowKernelTaint/);
    await expect(cxl.getFeature(dev, 'not-a-uuid')).rejects.toThrow(FwctlTypeError);
    await expect(cxl.getFeature(dev, TEST_UUID, { selection: 'latest' as never })).rejects.toThrow(FwctlTypeError);
    expect((await cxl.getFeature(dev, TEST_UUID)).readUInt32LE(0)).toBe(0xdeadbeef);
  });

  test('the docs/api/cxl.md CXL example runs as written (module path and memdev substituted)', () => {
    const doc = fs.readFileSync(path.join(repo, 'docs/api/cxl.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## CXL Features'));
    const code = /```js\n([\s\S]*?)```/.exec(section)![1];
    const memdev = entries[0].parent!.name;
    const file = path.join(fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'cxl-doc-')), 'cxl-example.mjs');
    fs.writeFileSync(file, code.replace("from 'fwctl'", `from '${path.join(repo, 'dist/lib/index.mjs')}'`)
      .replace("'mem0'", `'${memdev}'`));
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
    process.stderr.write(`[cxl] docs example on ${memdev}:\n${out}`);
    expect(out).toContain(`${TEST_UUID} - 4 2`);
    expect(out).toMatch(/current value <Buffer ef be ad de>/);
  });

  test('CLI: fwctl cxl features / get-feature / set-feature by memdev name', () => {
    const memdev = entries[0].parent!.name;
    const run = (...args: string[]) => execFileSync(process.execPath, [cli, 'cxl', ...args], { encoding: 'utf8' });
    const list = JSON.parse(run('features', memdev, '--json'));
    expect(list.features.map((f: { uuid: string }) => f.uuid)).toEqual([TEST_UUID]);
    const text = run('features', memdev);
    process.stderr.write(`[cxl] fwctl cxl features ${memdev}:\n${text}`);
    expect(text).toContain(TEST_UUID);
    expect(JSON.parse(run('get-feature', memdev, TEST_UUID, '--json')).data).toBe('efbeadde');
    run('set-feature', memdev, TEST_UUID, '--hex', '01020304', '--allow-kernel-taint');
    expect(run('get-feature', memdev, TEST_UUID, '--selection', 'current', '--length', '4', '--json')).toContain('01020304');
    run('set-feature', memdev, TEST_UUID, '--hex', 'efbeadde', '--allow-kernel-taint');
  });

  test('inventory() reports each CXL memdev with its supported feature count', async () => {
    const before = tainted();
    const names = new Set(entries.map((e) => e.name));
    const recs = (await fwctl.inventory()).filter((r) => r.parent?.subsystem === 'cxl' && names.has(r.name));
    expect(recs.map((r) => r.name).sort()).toEqual(entries.map((e) => e.name).sort());
    for (const r of recs) {
      using d = fwctl.openSync(r.name);
      const feats = cxl.getSupportedFeaturesSync(d);
      expect(r).toMatchObject({ type: { name: 'cxl', id: 2 }, error: null, parent: { name: expect.stringMatching(/^mem\d+$/) } });
      expect(r.cxl).toEqual({ featureCount: feats.length, features: feats.map((f) => ({ uuid: f.uuid, name: f.name ?? null })) });
    }
    expect(recs.find((r) => r.name === entries[0].name)!.cxl!.features.map((f) => f.uuid)).toContain(TEST_UUID);
    expect(fwctl.toPrometheus(recs)).toContain(`fwctl_cxl_features{device="${entries[0].name}"} `);
    expect(tainted()).toBe(before);
  });
});
