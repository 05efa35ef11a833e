// lib/cxl/decode.ts: the eight kernel-known CXL features' data, decoded
// from byte vectors written field by field from the CXL r3.2 tables that
// drivers/cxl/core/edac.c cites (patrol scrub Table 8-222, DDR5 ECS Table
// 8-225, sPPR/hPPR Tables 8-128/8-131, memory sparing Table 8-134), with
// each field at the offset edac.c's packed structs give it.

import * as cxl from '../../lib/cxl';
import { FwctlDecodeError } from '../../lib/wire';
import { FwctlTypeError } from '../../lib/errors';

/** Little-endian bytes from [value, width] pairs, in field order. */
function le(...fields: [number, number][]): Buffer {
  const out: number[] = [];
  for (const [v, w] of fields) for (let i = 0; i < w; i++) out.push((v >>> (8 * i)) & 0xff);
  return Buffer.from(out);
}

/** The 16-byte head of every maintenance feature (Tables 8-128, 8-131, 8-134, bytes 0-15). */
const maintHead = (latency: number, caps: number, mode: number, cls: number, sub: number) =>
  le([latency, 1], [caps, 2], [mode, 2], [cls, 1], [sub, 1], [0, 9]);

describe('patrol scrub (Table 8-222: capabilities u8, cycle u16, flags u8)', () => {
  test('every field', () => {
    // changeable + realtime report; current cycle 12 h, minimum 1 h; enabled
    const data = le([0b11, 1], [12 | (1 << 8), 2], [1, 1]);
    expect(data.toString('hex')).toBe('030c0101');
    expect(cxl.decodePatrolScrub(data)).toEqual({
      feature: 'patrol-scrub',
      capabilities: { raw: 3, scrubCycleChangeable: true, realtimeReportCapable: true },
      scrubCycle: { raw: 0x010c, currentHours: 12, minimumHours: 1 },
      flags: { raw: 1, enabled: true },
    });
  });

  test('the other values: not changeable, 255 h cycle, minimum 24 h, disabled, reserved bits kept raw', () => {
    const d = cxl.decodePatrolScrub(le([0xfc, 1], [255 | (24 << 8), 2], [0xfe, 1]));
    expect(d.capabilities).toEqual({ raw: 0xfc, scrubCycleChangeable: false, realtimeReportCapable: false });
    expect(d.scrubCycle).toMatchObject({ currentHours: 255, minimumHours: 24 });
    expect(d.flags).toEqual({ raw: 0xfe, enabled: false });
  });

  test('shorter than 4 bytes: FwctlDecodeError; longer: decoded up to the layout', () => {
    let e: unknown;
    try {
      cxl.decodePatrolScrub(Buffer.from([3, 12, 1]));
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(FwctlDecodeError);
    expect(e).toMatchObject({ code: 'ERR_FWCTL_DECODE', need: 4, got: 3 });
    expect(cxl.decodePatrolScrub(Buffer.from([1, 6, 2, 0, 0xff])).scrubCycle.currentHours).toBe(6);
    expect(() => cxl.decodePatrolScrub('030c0101' as never)).toThrow(FwctlTypeError);
  });

  test('a view into a larger buffer reads its own bytes', () => {
    const big = Buffer.from([0xaa, 0xaa, 1, 48, 4, 1, 0xaa]);
    expect(cxl.decodePatrolScrub(big.subarray(2, 6)).scrubCycle).toEqual({ raw: 48 | (4 << 8), currentHours: 48, minimumHours: 4 });
  });
});

describe('DDR5 ECS (Table 8-225: log capabilities u8, then per media FRU: capabilities u8, configuration u16, flags u8)', () => {
  // ECS Configuration: bits 2:0 threshold count (3 = 256, 4 = 1024, 5 = 4096), bit 3 codeword/row count mode, bit 4 reset counter
  const cfg = (threshold: number, mode: number, reset = 0) => threshold | (mode << 3) | (reset << 4);

  test('three FRUs, every field', () => {
    const data = Buffer.concat([
      le([0b01, 1]), // log entry type 01b: per memory media FRU
      le([1, 1], [cfg(3, 1), 2], [0, 1]), // FRU 0: realtime report; 256, codewords
      le([0, 1], [cfg(5, 0), 2], [0x80, 1]), // FRU 1: 4096, rows, flags 0x80
      le([1, 1], [cfg(4, 0, 1), 2], [0, 1]), // FRU 2: 1024, rows, reset counter set
    ]);
    expect(data).toHaveLength(1 + 3 * 4);
    const d = cxl.decodeEcs(data);
    expect(d.logCapabilities).toEqual({ raw: 1, logEntryType: 1, logEntryTypeName: 'per-memory-media-fru' });
    expect(d.frus).toEqual([
      { fru: 0, capabilities: { raw: 1, realtimeReportCapable: true },
        configuration: { raw: 0x0b, thresholdCountEncoding: 3, thresholdCount: 256, countMode: 1, countModeName: 'codewords', resetCounter: false },
        flags: { raw: 0 } },
      { fru: 1, capabilities: { raw: 0, realtimeReportCapable: false },
        configuration: { raw: 0x05, thresholdCountEncoding: 5, thresholdCount: 4096, countMode: 0, countModeName: 'rows', resetCounter: false },
        flags: { raw: 0x80 } },
      { fru: 2, capabilities: { raw: 1, realtimeReportCapable: true },
        configuration: { raw: 0x14, thresholdCountEncoding: 4, thresholdCount: 1024, countMode: 0, countModeName: 'rows', resetCounter: true },
        flags: { raw: 0 } },
    ]);
  });

  test('per DRAM, reserved encodings, and the FRU count edac.c computes ((size - 1) / 4, whole FRUs only)', () => {
    expect(cxl.decodeEcs(le([0, 1])).logCapabilities.logEntryTypeName).toBe('per-dram');
    expect(cxl.decodeEcs(le([0, 1])).frus).toEqual([]);
    expect(cxl.decodeEcs(le([0b10, 1])).logCapabilities.logEntryTypeName).toBe('reserved');
    const d = cxl.decodeEcs(Buffer.concat([le([0xfd, 1], [0, 1], [cfg(7, 0), 2], [0, 1]), Buffer.from([1, 2, 3])]));
    expect(d.logCapabilities.logEntryType).toBe(1); // bits 1:0 only
    expect(d.frus).toHaveLength(1); // the 3 trailing bytes are not a FRU
    expect(d.frus[0].configuration).toMatchObject({ thresholdCountEncoding: 7, thresholdCount: null });
    expect(cxl.ECS_THRESHOLDS).toEqual({ 3: 256, 4: 1024, 5: 4096 });
    expect(() => cxl.decodeEcs(Buffer.alloc(0))).toThrow(FwctlDecodeError);
  });
});

describe('sPPR / hPPR (Tables 8-128, 8-131: 16-byte head, PPR flags u8, restriction flags u16, operation mode u8)', () => {
  test('every field of soft PPR (maintenance class 01h, subclass 00h)', () => {
    const data = Buffer.concat([
      maintHead(0x25, 0x0001, 0x0001, 0x01, 0x00),
      le([0b1111, 1]), // DPA, nibble, memory sparing event record, device-initiated at boot
      le([0b0001, 2]), // bit 0: media not accessible during the repair; bit 2 clear: data retained
      le([0b11, 1]),
    ]);
    expect(data).toHaveLength(cxl.PPR_SIZE);
    expect(cxl.decodePpr(data)).toEqual({
      feature: 'soft-ppr',
      maxMaintenanceOperationLatency: 0x25,
      operationCapabilities: { raw: 1, deviceInitiated: true },
      operationMode: { raw: 1, deviceInitiated: true },
      maintenanceOperationClass: 1,
      maintenanceOperationSubclass: 0,
      pprFlags: { raw: 0xf, dpaSupport: true, nibbleSupport: true, memorySparingEventRecordSupport: true, deviceInitiatedAtBootCapable: true },
      restrictionFlags: { raw: 1, mediaAccessible: false, dataRetained: true, safeWhenInUse: false },
      pprOperationMode: { raw: 3, memorySparingEventRecordEnable: true, deviceInitiatedAtBootEnable: true },
    });
  });

  test('hard PPR (subclass 01h): same layout; the restriction bits one at a time', () => {
    const mk = (flags: number, restr: number) =>
      Buffer.concat([maintHead(0, 0, 0, 0x01, 0x01), le([flags, 1], [restr, 2], [0, 1])]);
    const h = cxl.decodePpr(mk(0b01, 0), 'hard-ppr');
    expect(h).toMatchObject({ feature: 'hard-ppr', maintenanceOperationSubclass: 1,
      operationCapabilities: { deviceInitiated: false }, pprFlags: { dpaSupport: true, nibbleSupport: false } });
    expect(h.restrictionFlags).toEqual({ raw: 0, mediaAccessible: true, dataRetained: true, safeWhenInUse: true });
    expect(cxl.decodePpr(mk(0, 0b100), 'hard-ppr').restrictionFlags)
      .toEqual({ raw: 4, mediaAccessible: true, dataRetained: false, safeWhenInUse: false });
    expect(() => cxl.decodePpr(Buffer.alloc(19))).toThrow(/needs 20 bytes, got 19/);
  });
});

describe('memory sparing (Table 8-134: 16-byte head, reserved u8, restriction flags u16)', () => {
  const names: cxl.CxlSparingName[] = ['cacheline-sparing', 'row-sparing', 'bank-sparing', 'rank-sparing'];
  test.each(names.map((n, i) => [n, i] as const))('%s (maintenance class 02h, subclass %d)', (name, sub) => {
    // bit 0 clear: safe when in use; bit 1 hard sparing; bit 2 soft sparing
    const data = Buffer.concat([maintHead(0x13, 0, 0, 0x02, sub), le([0xee, 1]), le([0b110, 2])]);
    expect(data).toHaveLength(cxl.SPARING_SIZE);
    expect(cxl.decodeSparing(data, name)).toEqual({
      feature: name,
      maxMaintenanceOperationLatency: 0x13,
      operationCapabilities: { raw: 0, deviceInitiated: false },
      operationMode: { raw: 0, deviceInitiated: false },
      maintenanceOperationClass: 2,
      maintenanceOperationSubclass: sub,
      restrictionFlags: { raw: 6, safeWhenInUse: true, hardSparingSupported: true, softSparingSupported: true },
    });
  });

  test('not safe when in use, hard only; 18 bytes are too few', () => {
    const d = cxl.decodeSparing(Buffer.concat([maintHead(0, 0, 0, 2, 1), le([0, 1], [0b011, 2])]), 'row-sparing');
    expect(d.restrictionFlags).toEqual({ raw: 3, safeWhenInUse: false, hardSparingSupported: true, softSparingSupported: false });
    expect(() => cxl.decodeSparing(Buffer.alloc(18), 'bank-sparing')).toThrow(FwctlDecodeError);
  });
});

describe('by UUID, text rows and the EDAC controls', () => {
  test('decodeFeatureData picks the layout by UUID; null for a feature with none', () => {
    const U = cxl.CxlFeatureUuid;
    expect(cxl.decodeFeatureData(U.PatrolScrub, le([1, 1], [12, 2], [1, 1]))).toMatchObject({ feature: 'patrol-scrub' });
    expect(cxl.decodeFeatureData(U.Ecs.toUpperCase(), le([0, 1]))).toMatchObject({ feature: 'ecs' });
    expect(cxl.decodeFeatureData(U.SoftPpr, Buffer.alloc(20))).toMatchObject({ feature: 'soft-ppr' });
    expect(cxl.decodeFeatureData(U.HardPpr, Buffer.alloc(20))).toMatchObject({ feature: 'hard-ppr' });
    expect(cxl.decodeFeatureData(U.CachelineSparing, Buffer.alloc(19))).toMatchObject({ feature: 'cacheline-sparing' });
    expect(cxl.decodeFeatureData(U.RowSparing, Buffer.alloc(19))).toMatchObject({ feature: 'row-sparing' });
    expect(cxl.decodeFeatureData(U.BankSparing, Buffer.alloc(19))).toMatchObject({ feature: 'bank-sparing' });
    expect(cxl.decodeFeatureData(U.RankSparing, Buffer.alloc(19))).toMatchObject({ feature: 'rank-sparing' });
    expect(cxl.decodeFeatureData('ffffffff-ffff-ffff-ffff-ffffffffffff', Buffer.alloc(64))).toBeNull();
    expect(cxl.featureName(U.RankSparing)).toBe('rank-sparing');
    expect(cxl.featureName('ffffffff-ffff-ffff-ffff-ffffffffffff')).toBeUndefined();
  });

  test('decodedRows names every field', () => {
    expect(cxl.decodedRows(cxl.decodePatrolScrub(le([1, 1], [12 | (1 << 8), 2], [1, 1])))).toEqual([
      ['scrub cycle changeable', 'yes'], ['realtime report capable', 'no'], ['scrub cycle', '12 h'],
      ['minimum scrub cycle', '1 h'], ['enabled', 'yes'],
    ]);
    const ecs = cxl.decodedRows(cxl.decodeEcs(le([1, 1], [1, 1], [0x0b, 2], [0, 1])));
    expect(ecs).toEqual([['log entry type', '1 (per-memory-media-fru)'],
      ['fru 0', 'mode 1 (codewords), threshold 256, realtime report yes, flags 0x0']]);
    expect(cxl.decodedRows(cxl.decodePpr(Buffer.alloc(20))).map(([k]) => k)).toContain('media accessible during repair');
    expect(cxl.decodedRows(cxl.decodeSparing(Buffer.alloc(19), 'rank-sparing')).map(([k]) => k))
      .toEqual(expect.arrayContaining(['safe when in use', 'hard sparing supported', 'soft sparing supported']));
  });

  test('the EDAC attribute that changes each kernel-exclusive feature (drivers/edac/{scrub,ecs,mem_repair}.c names)', () => {
    const U = cxl.CxlFeatureUuid;
    const e = (u: string) => cxl.featureEdacInfo(u, 'mem0');
    expect(e(U.PatrolScrub)).toMatchObject({ readOnlyThroughFwctl: true,
      control: { directory: '/sys/bus/edac/devices/cxl_mem0/scrub0', attributes: ['enable_background', 'current_cycle_duration'] } });
    expect(e(U.Ecs)?.control).toEqual({ directory: '/sys/bus/edac/devices/cxl_mem0/ecs_fruN',
      attributes: ['log_entry_type', 'mode', 'threshold', 'reset'] });
    expect(e(U.SoftPpr)?.control).toMatchObject({ directory: '/sys/bus/edac/devices/cxl_mem0/mem_repairN', repairType: 'ppr' });
    for (const [u, t] of [[U.CachelineSparing, 'cacheline-sparing'], [U.RowSparing, 'row-sparing'],
      [U.BankSparing, 'bank-sparing'], [U.RankSparing, 'rank-sparing']]) {
      expect(e(u)?.control).toMatchObject({ repairType: t, attributes: expect.arrayContaining(['persist_mode', 'dpa', 'repair']) });
    }
    expect(e(U.CachelineSparing)?.control?.attributes).toContain('sub_channel');
    expect(e(U.RankSparing)?.control?.attributes).not.toContain('bank');
    expect(e(U.HardPpr)).toMatchObject({ control: null, note: expect.stringMatching(/no EDAC control.*soft PPR only/) });
    expect(cxl.featureEdacInfo(U.PatrolScrub, null)?.control?.directory).toBe('/sys/bus/edac/devices/cxl_<memdev>/scrub0');
    expect(cxl.featureEdacInfo('ffffffff-ffff-ffff-ffff-ffffffffffff', 'mem0')).toBeUndefined();
  });
});
