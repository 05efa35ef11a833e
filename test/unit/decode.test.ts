import { decodeInfo } from '../../lib/decode';
import { DeviceType, deviceTypeOf } from '../../lib/uapi/constants';
import { asU8, HOST_LE } from '../../lib/uapi/layout';

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (HOST_LE ? b.writeUInt32LE(v, i * 4) : b.writeUInt32BE(v, i * 4)));
  return b;
}

describe('device types', () => {
  test.each([[0, 'error'], [1, 'mlx5'], [2, 'cxl'], [3, 'bnxt'], [4, 'pds'], [5, 'unknown'], [8, 'unknown'], [0xfff0, 'unknown']])(
    'type %i is %s', (id, name) => expect(deviceTypeOf(id)).toBe(name));
  test('DeviceType values are the strings', () => {
    expect(DeviceType.Mlx5).toBe('mlx5');
    expect(Object.values(DeviceType).sort()).toEqual(['bnxt', 'cxl', 'error', 'mlx5', 'pds', 'unknown']);
  });
});

describe('decodeInfo', () => {
  test('mlx5: uid and uctx_caps', () => {
    const info = decodeInfo(1, u32s(7, 0x4));
    expect(info).toMatchObject({ type: 'mlx5', typeId: 1, decoded: { uid: 7, uctxCaps: 4 } });
    expect(info.data.length).toBe(8);
  });

  test('bnxt and pds: uctx_caps', () => {
    expect(decodeInfo(3, u32s(0x7)).decoded).toEqual({ uctxCaps: 7 });
    expect(decodeInfo(4, u32s(0x3)).decoded).toEqual({ uctxCaps: 3 });
  });

  test.each([[1, 7], [1, 0], [3, 3], [4, 0], [4, 2]])('type %i with %i bytes (too short): no decoded, no throw', (id, len) => {
    const info = decodeInfo(id, Buffer.alloc(len, 0xff));
    expect(info.decoded).toBeUndefined();
    expect('decoded' in info).toBe(false);
    expect(info.data.length).toBe(len);
  });

  test('longer than the struct (a newer kernel): the known prefix decodes, data keeps everything', () => {
    const info = decodeInfo(1, Buffer.concat([u32s(9, 1), Buffer.alloc(100, 0xaa)].map(asU8)));
    expect(info.decoded).toEqual({ uid: 9, uctxCaps: 1 });
    expect(info.data.length).toBe(108);
  });

  test('cxl, error and unknown types are never decoded', () => {
    for (const id of [0, 2, 99]) expect(decodeInfo(id, Buffer.alloc(16, 1)).decoded).toBeUndefined();
  });

  test('a view into a larger buffer decodes from its own start', () => {
    const big = Buffer.concat([Buffer.alloc(3, 0xee), u32s(5, 6)].map(asU8));
    expect(decodeInfo(1, big.subarray(3)).decoded).toEqual({ uid: 5, uctxCaps: 6 });
  });
});
