// lib/registry.ts: device types register, the core asks by type id.

import { codes } from '../../lib/errors';
import { pointerGuards, pointerGuardTable } from '../../lib/guards';
import {
  commandOf, deviceTypeModule, deviceTypeModules, registerDeviceType, typeDisplayName, unregisterDeviceTypeForTesting,
  type DeviceTypeModule,
} from '../../lib/registry';
import { DeviceTypeId, deviceTypeOf } from '../../lib/uapi/constants';
import { caught } from './helpers/errors';

const TEST_ID = 0xfff3;
afterEach(() => unregisterDeviceTypeForTesting(TEST_ID));

describe('registration', () => {
  test('the built-in types are registered in the kernel numbering order, each under its UAPI name', () => {
    expect(deviceTypeModules().map((m) => [m.id, m.name])).toEqual([[1, 'mlx5'], [2, 'cxl'], [3, 'bnxt'], [4, 'pds']]);
    for (const m of deviceTypeModules()) expect(deviceTypeOf(m.id)).toBe(m.name);
  });

  test('the same module twice is one registration; another module under a taken id is a bug', () => {
    const m: DeviceTypeModule = { id: TEST_ID, name: 'test' };
    registerDeviceType(m);
    registerDeviceType(m);
    expect(deviceTypeModule(TEST_ID)).toBe(m);
    expect(caught(() => registerDeviceType({ id: TEST_ID, name: 'other' }))).toMatchObject({
      code: 'ERR_FWCTL_INTERNAL', message: expect.stringMatching(/device type 65523 is already registered \(test\), not other/),
    });
    expect(caught(() => registerDeviceType({ id: DeviceTypeId.Mlx5, name: 'mlx5' }))).toMatchObject({ code: 'ERR_FWCTL_INTERNAL' });
    expect(caught(() => registerDeviceType({ id: -1, name: 'neg' }))).toMatchObject({ code: 'ERR_FWCTL_INTERNAL' });
  });

  test('a type with pointer guards after the addon took the table is refused; one without guards is not', () => {
    const before = pointerGuards().length;
    pointerGuardTable(); // what binding() does at load
    const guard = { key: 0xffffffff, ptrOffset: 8, lenOffset: 0, lenFlags: 4, unit: 1, fixedLength: 0, direction: 1 };
    expect(caught(() => registerDeviceType({ id: TEST_ID, name: 'late', pointerGuards: () => [guard] }))).toMatchObject({
      code: 'ERR_FWCTL_INTERNAL', message: expect.stringMatching(/registers pointer guards after the addon was loaded/),
    });
    expect(deviceTypeModule(TEST_ID)).toBeUndefined();
    registerDeviceType({ id: TEST_ID, name: 'late' });
    expect(pointerGuards()).toHaveLength(before);
  });
});

describe('asking by type id', () => {
  test('display names: the module, else the UAPI enum, else unknown(N)', () => {
    expect(typeDisplayName(DeviceTypeId.Bnxt)).toBe('bnxt');
    expect(typeDisplayName(DeviceTypeId.Error)).toBe('error');
    expect(typeDisplayName(5)).toBe('unknown(5)');
    expect(typeDisplayName(0xfff0)).toBe('unknown(65520)');
    expect(typeDisplayName(undefined)).toBe('unknown');
  });

  test('an unregistered type is named by its first u32, nothing more', () => {
    expect(commandOf(5, Uint8Array.from([0x34, 0x12, 0, 0, 9]))).toEqual({ name: 'request 0x1234', write: false });
    expect(commandOf(5, new Uint8Array(3))).toEqual({ name: 'request', write: false });
    expect(commandOf(undefined, new Uint8Array(8))).toEqual({ name: 'request 0x0', write: false });
  });

  test('the guard table holds pds and bnxt guards only, each keyed by its type', () => {
    const types = new Set(pointerGuards().map((g) => g.type));
    expect([...types].sort()).toEqual([DeviceTypeId.Bnxt, DeviceTypeId.Pds]);
  });
});

describe('the built-in modules', () => {
  test.each(deviceTypeModules().map((m) => [m.name, m] as const))('%s: its error codes are in codes, named for it; its host facts are filled', (name, m) => {
    expect(m.errorCodes?.length).toBeGreaterThan(0);
    for (const c of m.errorCodes ?? []) {
      expect(codes).toHaveProperty(c);
      expect(c.startsWith(`ERR_FWCTL_${name.toUpperCase()}_`)).toBe(true);
    }
    expect(m.host?.kconfig).toContain('FWCTL');
    expect(m.host?.modules?.length).toBeGreaterThan(0);
    if (name !== 'cxl') {
      expect(m.host?.auxDevices).toEqual([`${m.host?.modules?.[1]}.fwctl`]);
      expect(m.host?.pciVendorIds?.length).toBe(1);
    }
  });

  test('every ERR_FWCTL_<TYPE>_* code is claimed by its type', () => {
    const claimed = new Set(deviceTypeModules().flatMap((m) => m.errorCodes ?? []));
    const typed = Object.keys(codes).filter((c) => /^ERR_FWCTL_(MLX5|CXL|BNXT|PDS)_/.test(c));
    expect(typed.filter((c) => !claimed.has(c))).toEqual([]);
  });
});
