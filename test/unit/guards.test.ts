// lib/guards.ts: the pointer-guard table the addon takes at load, laid out
// from what each registered device type declares. registry.test.ts covers
// the sealing (a guarded type registered after the table was taken is
// refused) and which types hold guards; this file covers the entries, the
// table's word layout and guardsFor().
//
// The bnxt values are checked against Linux 7.3.4
// (~/.cache/fwctl-node/src/linux-source-7.3): drivers/fwctl/bnxt/main.c
// bnxtctl_dma_cmds (CMD_DMA_LEN / CMD_DATA_UNIT / CMD_DATA_FIXED), the
// offsets of the hwrm_*_input structs and the HWRM_* request types in
// include/linux/bnxt/hsi.h, FWCTL_BNXT_MAX_DMABUF in include/uapi/fwctl/bnxt.h.

import { BNXT_COMMAND_TABLE } from '../../lib/bnxt';
import { DIR_IN, DIR_OUT, LEN_BE, PTR_LE } from '../../lib/binding-flags';
import { ANY_KEY, GUARD_WORDS, guardsFor, pointerGuards, pointerGuardTable, type PointerGuard } from '../../lib/guards';
import { registerDeviceType, unregisterDeviceTypeForTesting, type PointerGuardSpec } from '../../lib/registry';
import { pdsType } from '../../lib/pds/type';
import { DeviceTypeId } from '../../lib/uapi/constants';

// A test-only device type (not 5, which an out-of-tree driver uses) with one
// keyed guard and one for any request, registered before the table is taken.
const TEST_ID = 0xfff4;
const KEYED: PointerGuardSpec = { key: 0x0102, ptrOffset: 8, lenOffset: 4, lenFlags: 2 | LEN_BE, unit: 8, fixedLength: 0, direction: DIR_IN | DIR_OUT };
const ANY: PointerGuardSpec = { key: ANY_KEY, ptrOffset: 24, lenOffset: 0, lenFlags: PTR_LE, unit: 1, fixedLength: 4096, direction: DIR_OUT };
beforeAll(() => registerDeviceType({ id: TEST_ID, name: 'guards-test', pointerGuards: () => [KEYED, ANY] }));
afterAll(() => unregisterDeviceTypeForTesting(TEST_ID));

const bnxt = (name: string) => {
  const e = BNXT_COMMAND_TABLE.find((c) => c.name === name);
  if (!e) throw new Error(`no bnxt command ${name}`);
  return guardsFor(DeviceTypeId.Bnxt, e.reqType);
};

describe('the entries', () => {
  test('the constants the addon reads the table with', () => {
    expect(ANY_KEY).toBe(0xffffffff);
    expect(GUARD_WORDS).toBe(8);
  });

  test('each registered type\'s guards, tagged with its type id; a type without guards adds none', () => {
    registerDeviceType({ id: TEST_ID + 1, name: 'no-guards' });
    try {
      const g = pointerGuards();
      expect(g.filter((e) => e.type === TEST_ID)).toEqual([{ type: TEST_ID, ...KEYED }, { type: TEST_ID, ...ANY }]);
      expect(g.some((e) => e.type === TEST_ID + 1)).toBe(false);
      expect(g.filter((e) => e.type === DeviceTypeId.Mlx5 || e.type === DeviceTypeId.Cxl)).toEqual([]);
    } finally {
      unregisterDeviceTypeForTesting(TEST_ID + 1);
    }
  });

  test('pds: its module\'s two ANY_KEY guards (their offsets: pds.test.ts) apply to every request', () => {
    const mine = pdsType.pointerGuards!().map((g) => ({ type: DeviceTypeId.Pds, ...g }));
    expect(mine).toHaveLength(2);
    for (const key of [0, 1, 0xffff, ANY_KEY]) expect(guardsFor(DeviceTypeId.Pds, key)).toEqual(mine);
  });

  test('bnxt: one guard per DMA field of bnxtctl_dma_cmds, keyed by req_type; little-endian pointers and lengths', () => {
    const dmaFields = BNXT_COMMAND_TABLE.reduce((n, c) => n + (c.dma?.length ?? 0), 0);
    const g = pointerGuards().filter((e) => e.type === DeviceTypeId.Bnxt);
    expect(g).toHaveLength(dmaFields);
    expect(g.every((e) => e.key !== ANY_KEY && (e.lenFlags & PTR_LE) !== 0 && (e.lenFlags & LEN_BE) === 0)).toBe(true);
    expect(new Set(g.map((e) => e.key))).toEqual(new Set(BNXT_COMMAND_TABLE.filter((c) => c.dma).map((c) => c.reqType)));
  });

  test.each<[string, Omit<PointerGuard, 'type'>[]]>([
    // CMD_DMA_LEN(HWRM_NVM_SET_VARIABLE, ..., DMA_TO_DEVICE, hwrm_nvm_set_variable_input, src_data_addr, data_len): __le16 data_len at 24
    ['NVM_SET_VARIABLE', [{ key: 0xfff2, ptrOffset: 16, lenOffset: 24, lenFlags: 2 | PTR_LE, unit: 1, fixedLength: 0, direction: DIR_IN }]],
    // CMD_DMA_LEN(HWRM_NVM_READ, ..., DMA_FROM_DEVICE, hwrm_nvm_read_input, host_dest_addr, len): __le32 len at 32
    ['NVM_READ', [{ key: 0xfffd, ptrOffset: 16, lenOffset: 32, lenFlags: 4 | PTR_LE, unit: 1, fixedLength: 0, direction: DIR_OUT }]],
    // CMD_DATA_UNIT(hwrm_dbg_read_direct_input, DMA_FROM_DEVICE, host_dest_addr, read_len32, 4)
    ['DBG_READ_DIRECT', [{ key: 0xff10, ptrOffset: 16, lenOffset: 28, lenFlags: 4 | PTR_LE, unit: 4, fixedLength: 0, direction: DIR_OUT }]],
    // CMD_DATA_FIXED(hwrm_nvm_get_dir_entries_input, DMA_FROM_DEVICE, host_dest_addr, FWCTL_BNXT_MAX_DMABUF): no length field
    ['NVM_GET_DIR_ENTRIES', [{ key: 0xfffa, ptrOffset: 16, lenOffset: 0, lenFlags: PTR_LE, unit: 1, fixedLength: 0x10000, direction: DIR_OUT }]],
    // two CMD_DATA_FIXED: sizeof(struct tx_port_stats) = 51 __le64, sizeof(struct rx_port_stats) = 66 __le64
    ['PORT_QSTATS', [
      { key: 0x23, ptrOffset: 24, lenOffset: 0, lenFlags: PTR_LE, unit: 1, fixedLength: 51 * 8, direction: DIR_OUT },
      { key: 0x23, ptrOffset: 32, lenOffset: 0, lenFlags: PTR_LE, unit: 1, fixedLength: 66 * 8, direction: DIR_OUT },
    ]],
  ])('bnxt %s: the kernel\'s descriptor', (name, want) => {
    expect(bnxt(name)).toEqual(want.map((w) => ({ type: DeviceTypeId.Bnxt, ...w })));
  });

  test('reading the guards (pointerGuards, guardsFor) does not seal the registry; only taking the table does', () => {
    pointerGuards();
    guardsFor(TEST_ID, 0);
    const late = { id: TEST_ID + 2, name: 'late-but-before-load', pointerGuards: () => [ANY] };
    try {
      registerDeviceType(late);
      expect(guardsFor(TEST_ID + 2, 7)).toEqual([{ type: TEST_ID + 2, ...ANY }]);
    } finally {
      unregisterDeviceTypeForTesting(TEST_ID + 2);
    }
    expect(guardsFor(TEST_ID + 2, 7)).toEqual([]);
  });
});

describe('guardsFor(type, key)', () => {
  test('a keyed guard for its key only; an ANY_KEY guard for every key', () => {
    expect(guardsFor(TEST_ID, 0x0102)).toEqual([{ type: TEST_ID, ...KEYED }, { type: TEST_ID, ...ANY }]);
    expect(guardsFor(TEST_ID, 0x0103)).toEqual([{ type: TEST_ID, ...ANY }]);
    expect(guardsFor(TEST_ID, 0)).toEqual([{ type: TEST_ID, ...ANY }]);
  });

  test('a bnxt request without DMA fields, an unknown req_type, mlx5, cxl and unregistered types: none', () => {
    const plain = BNXT_COMMAND_TABLE.find((c) => !c.dma);
    expect(plain).toBeDefined();
    expect(guardsFor(DeviceTypeId.Bnxt, plain!.reqType)).toEqual([]);
    expect(guardsFor(DeviceTypeId.Bnxt, 0xfffe0000)).toEqual([]);
    expect(guardsFor(DeviceTypeId.Mlx5, 0x101)).toEqual([]);
    expect(guardsFor(DeviceTypeId.Cxl, 0)).toEqual([]);
    expect(guardsFor(5, 0)).toEqual([]);
    expect(guardsFor(0xffff, ANY_KEY)).toEqual([]);
  });

  test('guards of one type are never returned for another with the same key', () => {
    const nvmRead = BNXT_COMMAND_TABLE.find((c) => c.name === 'NVM_READ')!.reqType;
    expect(guardsFor(TEST_ID, nvmRead)).toEqual([{ type: TEST_ID, ...ANY }]);
    expect(guardsFor(DeviceTypeId.Pds, nvmRead).every((g) => g.type === DeviceTypeId.Pds)).toBe(true);
  });
});

describe('pointerGuardTable(): GUARD_WORDS u32 per entry', () => {
  // Last in the file: taking the table seals the registry's guards.
  test('every guard in pointerGuards() order: type, key, ptrOffset, lenOffset, lenFlags, unit, fixedLength, direction', () => {
    const g = pointerGuards();
    const t = pointerGuardTable();
    expect(t).toBeInstanceOf(Uint32Array);
    expect(t.length).toBe(g.length * GUARD_WORDS);
    g.forEach((e, i) => {
      expect([...t.subarray(i * GUARD_WORDS, (i + 1) * GUARD_WORDS)])
        .toEqual([e.type, e.key, e.ptrOffset, e.lenOffset, e.lenFlags, e.unit, e.fixedLength, e.direction]);
    });
    // the test type's rows, word for word (ANY_KEY stays 0xffffffff in a u32)
    const row = (i: number) => [...t.subarray(i * GUARD_WORDS, (i + 1) * GUARD_WORDS)];
    const mine = g.map((e, i) => [e, i] as const).filter(([e]) => e.type === TEST_ID).map(([, i]) => row(i));
    expect(mine).toEqual([[TEST_ID, 0x0102, 8, 4, 2 | LEN_BE, 8, 0, 3], [TEST_ID, 0xffffffff, 24, 0, PTR_LE, 1, 4096, 2]]);
  });

  test('taking it again gives the same table (a second environment loading the addon)', () => {
    expect([...pointerGuardTable()]).toEqual([...pointerGuardTable()]);
  });
});
