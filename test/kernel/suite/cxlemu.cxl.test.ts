// fwctl.cxl against the real drivers/cxl fwctl code over this project's
// emulated CXL memdev (test/kernel/cxlemu/fwctl_cxlemu.c), which has what
// cxl_test's mock lacks: the eight kernel-known features with spec data, more
// entries than one Get Supported Features answer holds, a vendor feature with
// immediate effects (Set needs DebugWriteFull and CAP_SYS_RAWIO), one with
// reset-only effects, one larger than the mailbox payload, and mailbox
// errors on demand. Runs in the cxl boot (test/kernel/guest/cxl-setup.sh
// loads the module next to cxl_test); skipped when the module tree has none.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import { CxlMailboxError } from '../../../lib/cxl';
import { CLI_MAIN as cli } from '../../unit/helpers/cli';

const { cxl, Scope, FwctlError } = fwctl;
const inVm = process.env.FWCTL_IN_VM === '1';
const emuMemdev = process.env.FWCTL_CXLEMU_MEMDEV ?? '';
const libPath = require.resolve('../../../lib');
const FAIL_RC = '/sys/module/fwctl_cxlemu/parameters/fail_rc';

// The emulator's features, in its order (fwctl_cxlemu.c emu_build).
const vendor = (n: number) => `7c1d0000-f3c7-4e2b-9a61-0000000000${n.toString(16).padStart(2, '0')}`;
const IMMEDIATE = vendor(1);
const RESET = vendor(2);
const LARGE = vendor(3);
const LARGE_SIZE = 2000;
const PAYLOAD = 512;
const FILLERS = 6;
const U = cxl.CxlFeatureUuid;
const ORDER = [U.PatrolScrub, U.Ecs, U.SoftPpr, U.HardPpr, U.CachelineSparing, U.RowSparing, U.BankSparing,
  U.RankSparing, IMMEDIATE, RESET, LARGE, ...Array.from({ length: FILLERS }, (_, i) => vendor(0x10 + i))];

// What the emulator holds for the eight known features (the byte vectors of fwctl_cxlemu.c).
const ppr = (sub: number) => {
  const b = Buffer.alloc(20);
  b[0] = 0x25; b[5] = 1; b[6] = sub; b[16] = 0x03; b.writeUInt16LE(1, 17);
  return b;
};
const sparing = (sub: number) => {
  const b = Buffer.alloc(19);
  b[0] = 0x13; b[5] = 2; b[6] = sub; b.writeUInt16LE(6, 17);
  return b;
};
const HELD: Record<string, Buffer> = {
  [U.PatrolScrub]: Buffer.from([0x03, 12, 1, 0x01]),
  [U.Ecs]: Buffer.from([0x01, 0x01, 0x0b, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00]),
  [U.SoftPpr]: ppr(0), [U.HardPpr]: ppr(1),
  [U.CachelineSparing]: sparing(0), [U.RowSparing]: sparing(1), [U.BankSparing]: sparing(2), [U.RankSparing]: sparing(3),
};

const pattern = (seed: number) => Buffer.from(Array.from({ length: LARGE_SIZE }, (_, i) => (i * 7 + seed) & 0xff));

/** The next Get/Set Feature of the emulator answers this CXL return code. */
const failNext = (rc: number) => fs.writeFileSync(FAIL_RC, `${rc}\n`);

(inVm && emuMemdev ? describe : describe.skip)('CXL Features through drivers/cxl over the emulated memdev (fwctl_cxlemu)', () => {
  let entry: fwctl.FwctlDeviceEntry;
  let dev: fwctl.Device;

  beforeAll(async () => {
    const e = fwctl.listSync().find((x) => x.parent?.cxlMemdev === emuMemdev);
    if (!e) throw new Error(`no fwctl device for the emulated memdev ${emuMemdev}`);
    entry = e;
    expect(entry.parent!.sysfsPath).toMatch(/\/platform\/fwctl_cxlemu\/mem\d+$/);
    dev = await fwctl.open(entry.name);
    process.stderr.write(`[cxlemu] ${emuMemdev} = ${dev.path}\n`);
  });
  afterAll(async () => {
    if (fs.existsSync(FAIL_RC)) failNext(0);
    await dev?.close();
  });

  test('Get Supported Features: every entry, over several pages, the same at every page size', async () => {
    const feats = await cxl.getSupportedFeatures(dev);
    expect(feats.map((f) => f.uuid)).toEqual(ORDER);
    expect(feats.map((f) => f.id)).toEqual(ORDER.map((_, i) => i));
    // more than one device answer holds: the kernel paged them in at probe ((PAYLOAD - 8) / 48 per answer)
    expect(feats.length).toBeGreaterThan(Math.floor((PAYLOAD - 8) / 48));
    for (const pageSize of [1, 3, 10, 16]) {
      const calls: number[] = [];
      const orig = dev.rpc.bind(dev);
      dev.rpc = ((req: Uint8Array, o: fwctl.RpcOptions) => {
        calls.push(req.length);
        return orig(req, o);
      }) as typeof dev.rpc;
      try {
        expect(await cxl.getSupportedFeatures(dev, { pageSize })).toEqual(feats);
      } finally {
        dev.rpc = orig;
      }
      expect(calls).toHaveLength(1 + Math.ceil(ORDER.length / pageSize)); // the count, then the pages
      expect(cxl.getSupportedFeaturesSync(dev, { pageSize })).toEqual(feats);
    }
    const by = new Map(feats.map((f) => [f.uuid, f]));
    for (const u of Object.values(U)) {
      // kernel-exclusive: listed with setSize 0 and not changeable, whatever the device says
      expect(by.get(u)).toMatchObject({ kernelExclusive: true, setSize: 0, requiredScope: null, flags: { changeable: false } });
    }
    expect(by.get(IMMEDIATE)).toMatchObject({ getSize: 8, setSize: 8, requiredScope: Scope.DebugWriteFull,
      effects: { configChangeImmediate: true }, flags: { raw: 0x61 } });
    expect(by.get(RESET)).toMatchObject({ getSize: 4, setSize: 4, requiredScope: Scope.DebugWrite,
      effects: { configChangeColdReset: true, configChangeImmediate: false } });
    expect(by.get(LARGE)).toMatchObject({ getSize: LARGE_SIZE, setSize: LARGE_SIZE, requiredScope: Scope.DebugWrite });
    expect(by.get(vendor(0x10))).toMatchObject({ setSize: 0, requiredScope: null, notSettableReason: 'not changeable (flags)' });
  });

  test('every kernel-known feature decoded, equal to what the device holds', async () => {
    for (const [uuid, held] of Object.entries(HELD)) {
      const data = await cxl.getFeature(dev, uuid);
      expect(Buffer.from(data)).toEqual(held);
      expect(data.decoded).not.toBeNull();
      expect(data.decoded).toEqual(cxl.decodeFeatureData(uuid, held));
      expect(data.decoded!.feature).toBe(cxl.featureName(uuid));
    }
    const s = (await cxl.getFeature(dev, U.PatrolScrub)).decoded as fwctl.cxl.CxlPatrolScrub;
    expect([s.capabilities.scrubCycleChangeable, s.scrubCycle.currentHours, s.scrubCycle.minimumHours, s.flags.enabled])
      .toEqual([true, 12, 1, true]);
    const e = cxl.getFeatureSync(dev, U.Ecs).decoded as fwctl.cxl.CxlEcs;
    expect(e.logCapabilities.logEntryTypeName).toBe('per-memory-media-fru');
    expect(e.frus.map((f) => [f.configuration.countModeName, f.configuration.thresholdCount, f.capabilities.realtimeReportCapable]))
      .toEqual([['codewords', 256, true], ['rows', 4096, true]]);
    const h = (await cxl.getFeature(dev, U.HardPpr)).decoded as fwctl.cxl.CxlPpr;
    expect(h).toMatchObject({ maintenanceOperationClass: 1, maintenanceOperationSubclass: 1,
      pprFlags: { dpaSupport: true, nibbleSupport: true }, restrictionFlags: { mediaAccessible: false, dataRetained: true } });
    const r = (await cxl.getFeature(dev, U.RankSparing)).decoded as fwctl.cxl.CxlSparing;
    expect(r).toMatchObject({ maintenanceOperationSubclass: 3,
      restrictionFlags: { safeWhenInUse: true, hardSparingSupported: true, softSparingSupported: true } });
    // read-only through fwctl: refused before the kernel, and by the kernel when sent raw
    await expect(cxl.setFeature(dev, U.PatrolScrub, Buffer.from([24, 1]), { allowKernelTaint: true }))
      .rejects.toMatchObject({ code: 'ERR_FWCTL_CXL_NOT_SETTABLE' });
  });

  test('a raw Set of a listed kernel-exclusive feature: EINVAL below its scope, EPERM at it; the device is not reached', async () => {
    // The kernel's cache keeps the device's CHANGEABLE flag (only what fwctl lists is cleared), so
    // cxlctl_validate_set_features passes at the effects' scope and cxlctl_set_feature answers EPERM.
    const req = cxl.encodeSetFeature(cxl.uuidBytes(U.PatrolScrub), Buffer.from([24, 0]), 0, 0, 1);
    const send = (scope: fwctl.Scope) => dev.rpc(req, { scope, allowKernelTaint: true, responseLength: 64 });
    await expect(send(Scope.DebugWrite)).rejects.toMatchObject({ name: 'FwctlError', code: 'EINVAL' });
    await expect(send(Scope.DebugWriteFull)).rejects.toMatchObject({ name: 'FwctlError', code: 'EPERM' });
    expect(Buffer.from(await cxl.getFeature(dev, U.PatrolScrub))).toEqual(HELD[U.PatrolScrub]);
  });

  test('immediate effects: Set at DebugWriteFull (root holds CAP_SYS_RAWIO); EINVAL below it', async () => {
    const f = (await cxl.getSupportedFeatures(dev)).find((x) => x.uuid === IMMEDIATE)!;
    const next = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const scope of [Scope.DebugReadOnly, Scope.DebugWrite]) {
      const err = await cxl.setFeature(dev, IMMEDIATE, next, { feature: f, scope, allowKernelTaint: true }).catch((x) => x);
      expect(err).toBeInstanceOf(FwctlError);
      expect(err).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/need scope DebugWriteFull/) });
    }
    expect([...await cxl.getFeature(dev, IMMEDIATE)]).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    await cxl.setFeature(dev, IMMEDIATE, next, { feature: f, allowKernelTaint: true });
    expect([...await cxl.getFeature(dev, IMMEDIATE)]).toEqual([...next]);
    expect([...await cxl.getFeature(dev, IMMEDIATE, { selection: 'saved' })]).toEqual([...next]);
    expect([...await cxl.getFeature(dev, IMMEDIATE, { selection: 'default' })]).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
  });

  test('immediate effects without CAP_SYS_RAWIO: EPERM', () => {
    const code = `
      const fwctl = require(${JSON.stringify(libPath)});
      (async () => {
        const d = await fwctl.open(${JSON.stringify(entry.name)});
        return fwctl.cxl.setFeature(d, ${JSON.stringify(IMMEDIATE)}, Buffer.alloc(8), { allowKernelTaint: true });
      })().then(() => console.log(JSON.stringify({ ok: true })),
        (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })));`;
    const r = spawnSync('setpriv', ['--inh-caps=-sys_rawio', '--bounding-set=-sys_rawio', '--', process.execPath, '-e', code],
      { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ name: 'FwctlError', code: 'EPERM',
      message: expect.stringMatching(/CAP_SYS_RAWIO/) });
  });

  test('reset-only effects: Set at DebugWrite; EINVAL at DebugReadOnly; a wrong version is the device\'s FEATUREVERSION', async () => {
    await expect(cxl.setFeature(dev, RESET, Buffer.from([1, 0, 0, 0]), { scope: Scope.DebugReadOnly, allowKernelTaint: true }))
      .rejects.toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/need scope DebugWrite/) });
    cxl.setFeatureSync(dev, RESET, Buffer.from([0x78, 0x56, 0x34, 0x12]), { allowKernelTaint: true });
    expect(cxl.getFeatureSync(dev, RESET).readUInt32LE(0)).toBe(0x12345678);
    const e = await cxl.setFeature(dev, RESET, Buffer.from([0, 0, 0, 0]), { allowKernelTaint: true, version: 2 }).catch((x) => x);
    expect(e).toBeInstanceOf(CxlMailboxError);
    expect(e).toMatchObject({ returnCodeName: 'FEATUREVERSION', opcode: 0x502 });
    expect(cxl.getFeatureSync(dev, RESET).readUInt32LE(0)).toBe(0x12345678);
  });

  test('a feature larger than the mailbox payload: offset reads, and the kernel\'s chunked Set read back whole', async () => {
    const before = await cxl.getFeature(dev, LARGE);
    expect(before).toHaveLength(LARGE_SIZE);
    expect([...before.subarray(0, 4)]).toEqual([0, 1, 2, 3]);
    expect(before.decoded).toBeNull();
    for (const [offset, length] of [[0, 100], [1000, 500], [PAYLOAD - 3, 7], [LARGE_SIZE - 1, 1]]) {
      expect(Buffer.from(await cxl.getFeature(dev, LARGE, { offset, length }))).toEqual(before.subarray(offset, offset + length));
    }
    const next = pattern(5);
    await cxl.setFeature(dev, LARGE, next, { allowKernelTaint: true }); // > payload: initiate, continue..., finish
    expect(Buffer.from(await cxl.getFeature(dev, LARGE))).toEqual(next);
    expect(Buffer.from(cxl.getFeatureSync(dev, LARGE, { selection: 'saved' }))).toEqual(next);
    // a partial Set at an offset, also chunked
    const part = pattern(9).subarray(0, 900);
    await cxl.setFeature(dev, LARGE, part, { allowKernelTaint: true, offset: 700 });
    const want = Buffer.from(next);
    part.copy(want, 700);
    expect(Buffer.from(await cxl.getFeature(dev, LARGE))).toEqual(want);
  });

  test('mailbox errors on demand come back as CxlMailboxError with the return code\'s name', async () => {
    failNext(4);
    const g = await cxl.getFeature(dev, RESET).catch((x) => x);
    expect(g).toBeInstanceOf(CxlMailboxError);
    expect(g).toMatchObject({ code: 'ERR_FWCTL_CXL_MAILBOX', returnCode: 4, returnCodeName: 'INTERNAL', opcode: 0x501 });
    failNext(6);
    const s = await cxl.setFeature(dev, RESET, Buffer.from([1, 2, 3, 4]), { allowKernelTaint: true }).catch((x) => x);
    expect(s).toMatchObject({ name: 'CxlMailboxError', returnCodeName: 'BUSY', opcode: 0x502 });
    expect(cxl.getFeatureSync(dev, RESET).readUInt32LE(0)).toBe(0x12345678); // the failed Set changed nothing
    // the device's own refusals: a selection it does not support, a read past the end
    await expect(cxl.getFeature(dev, U.PatrolScrub, { selection: 'saved' })).rejects.toMatchObject({ returnCodeName: 'FEATURESELVALUE' });
    await expect(cxl.getFeature(dev, RESET, { offset: 2, length: 4 })).rejects.toMatchObject({ returnCodeName: 'INPUT' });
  });

  test('CLI: fwctl cxl features --json decodes every kernel-known feature by name; inventory has scrub and ECS', async () => {
    const out = execFileSync(process.execPath, [cli, 'cxl', 'features', emuMemdev, '--json'], { encoding: 'utf8' });
    const j = JSON.parse(out);
    expect(j.memdev).toBe(emuMemdev);
    const known = j.features.filter((f: { kernelExclusive: boolean }) => f.kernelExclusive);
    expect(known.map((f: { name: string }) => f.name).sort()).toEqual(['bank-sparing', 'cacheline-sparing', 'ecs', 'hard-ppr',
      'patrol-scrub', 'rank-sparing', 'row-sparing', 'soft-ppr']);
    for (const f of known) {
      expect(f.decoded.feature).toBe(f.name);
      expect(f.data).toBe(HELD[f.uuid].toString('hex'));
      expect(f.edac.readOnlyThroughFwctl).toBe(true);
    }
    const text = execFileSync(process.execPath, [cli, 'cxl', 'features', emuMemdev], { encoding: 'utf8' });
    process.stderr.write(`[cxlemu] fwctl cxl features ${emuMemdev}:\n${text}`);
    expect(text).toMatch(/\npatrol-scrub \(96dad7d6[^\n]*\n(.*\n)* +scrub cycle +12 h\n/);
    const rec = (await fwctl.inventory()).find((r) => r.name === entry.name)!;
    expect(rec.cxl).toMatchObject({ featureCount: ORDER.length,
      patrolScrub: { cycleHours: 12, minCycleHours: 1, enabled: true, cycleChangeable: true },
      ecs: { logEntryType: 1, frus: [{ fru: 0, mode: 1, threshold: 256 }, { fru: 1, mode: 0, threshold: 4096 }] } });
    expect(fwctl.toPrometheus([rec])).toContain(`fwctl_cxl_patrol_scrub_cycle_seconds{device="${entry.name}",memdev="${emuMemdev}"} 43200\n`);
  });
});
