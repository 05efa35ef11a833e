import { constants } from 'node:os';
import * as fs from 'node:fs';
import {
  ERRNO_TABLE, FwctlAbortError, FwctlError, FwctlRangeError, FwctlTypeError, closedError, codes, describeErrno, errnoName,
  nativeArgumentError, throwIfAborted,
} from '../../lib/errors';
import { caught } from './helpers/errors';

const REQUIRED = ['ENOTTY', 'E2BIG', 'EOPNOTSUPP', 'EINVAL', 'ENOMEM', 'ENODEV', 'EMSGSIZE', 'EPERM',
  'EFAULT', 'EBADMSG', 'EACCES', 'ENOENT', 'EBADF'];

describe('the errno table', () => {
  test.each(REQUIRED)('%s has a meaning', (code) => {
    expect(ERRNO_TABLE[code]?.any.length).toBeGreaterThan(5);
  });

  test.each(Object.keys(ERRNO_TABLE))('%s is a real errno name', (code) => {
    expect((constants.errno as Record<string, number>)[code]).toBeGreaterThan(0);
  });

  test('remedies where there is one', () => {
    expect(describeErrno('ENODEV', 'ioctl(FWCTL_RPC)')).toMatch(/unplugged.*orphaned.*close/);
    expect(describeErrno('EACCES', 'open')).toMatch(/udev/);
    expect(describeErrno('EPERM', 'ioctl(FWCTL_RPC)')).toMatch(/CAP_SYS_RAWIO/);
  });

  test('per-ioctl meanings win over the generic one', () => {
    expect(describeErrno('EBADMSG', 'ioctl(FWCTL_RPC)')).toMatch(/mlx5/);
    expect(describeErrno('EOPNOTSUPP', 'ioctl(FWCTL_INFO)')).toMatch(/flags/);
    expect(describeErrno('EMSGSIZE', 'ioctl(FWCTL_RPC)')).toMatch(/2 MiB/);
  });

  test('names come from os.constants.errno, preferring the table\'s spelling of aliases', () => {
    expect(errnoName(constants.errno.ENODEV)).toBe('ENODEV');
    expect(errnoName(constants.errno.EOPNOTSUPP)).toBe('EOPNOTSUPP');
    expect(errnoName(constants.errno.EAGAIN)).toBe('EAGAIN');
    expect(errnoName(99999)).toBe('E99999');
  });
});

describe('FwctlError', () => {
  test('Node fs shape: code, NEGATIVE errno (as Node\'s), syscall, path, and a message saying what it means', () => {
    const e = FwctlError.fromErrno(-constants.errno.ENODEV, 'ioctl(FWCTL_RPC)', '/dev/fwctl/fwctl0');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(FwctlError);
    expect(e.name).toBe('FwctlError');
    expect(e).toMatchObject({ code: 'ENODEV', errno: -constants.errno.ENODEV, syscall: 'ioctl(FWCTL_RPC)', path: '/dev/fwctl/fwctl0' });
    expect(e.message).toMatch(/^ENODEV: .*unplugged.*\(ioctl\(FWCTL_RPC\) \/dev\/fwctl\/fwctl0\)$/);
    // The same convention as Node's own fs errors.
    let fsErr: NodeJS.ErrnoException | undefined;
    try {
      fs.openSync('/nonexistent/fwctl0', 'r');
    } catch (x) {
      fsErr = x as NodeJS.ErrnoException;
    }
    expect(Math.sign(fsErr!.errno!)).toBe(Math.sign(FwctlError.fromErrno(2, 'open').errno!));
    // A positive number is taken as the errno too, and stored negative.
    expect(FwctlError.fromErrno(constants.errno.EPERM, 'open').errno).toBe(-constants.errno.EPERM);
    expect(new FwctlError({ code: 'EIO', errno: 5 }).errno).toBe(-5);
  });

  test('an errno the table does not know keeps its number', () => {
    const e = FwctlError.fromErrno(-constants.errno.EXDEV, 'ioctl(FWCTL_RPC)');
    expect(e.code).toBe('EXDEV');
    expect(e.errno).toBe(-constants.errno.EXDEV);
    expect(e.message).toMatch(/unexpected/);
    expect(FwctlError.fromErrno(-4000, 'open')).toMatchObject({ code: 'E4000', errno: -4000 });
    // Linux errnos libuv does not name still get their name.
    expect(FwctlError.fromErrno(-121, 'ioctl(FWCTL_RPC)')).toMatchObject({ code: 'EREMOTEIO', errno: -121 });
  });

  test('a closed handle: ERR_FWCTL_CLOSED, no errno, no syscall', () => {
    const e = closedError('/dev/fwctl/fwctl3');
    expect(e).toMatchObject({ code: 'ERR_FWCTL_CLOSED', path: '/dev/fwctl/fwctl3' });
    expect(e.errno).toBeUndefined();
    expect(e.syscall).toBeUndefined();
    expect(e.message).toBe('device handle is closed; open the device again (/dev/fwctl/fwctl3)');
  });

  test('library codes: the message is the detail (no code prefix), or the registry\'s meaning', () => {
    expect(new FwctlError({ code: 'ERR_FWCTL_WRONG_TYPE', detail: 'not mlx5' }).message).toBe('not mlx5');
    expect(new FwctlError({ code: 'ERR_FWCTL_INTERNAL' }).message).toBe(codes.ERR_FWCTL_INTERNAL.meaning);
  });
});

describe('argument errors', () => {
  test('FwctlTypeError / FwctlRangeError: the platform\'s TypeError / RangeError, and FwctlErrors with the ERR_FWCTL_* codes', () => {
    const t = new FwctlTypeError('x must be a string');
    expect(t).toBeInstanceOf(FwctlError);
    expect(t).toBeInstanceOf(TypeError);
    expect(t).not.toBeInstanceOf(RangeError);
    expect(t).not.toBeInstanceOf(FwctlRangeError);
    expect(t).toMatchObject({ name: 'FwctlTypeError', code: 'ERR_FWCTL_INVALID_ARG_TYPE', message: 'x must be a string' });
    expect(t.errno).toBeUndefined();
    expect(new FwctlTypeError('unknown field', 'ERR_FWCTL_INVALID_ARG_VALUE').code).toBe('ERR_FWCTL_INVALID_ARG_VALUE');
    const r = new FwctlRangeError('n must be a u16');
    expect(r).toBeInstanceOf(FwctlError);
    expect(r).toBeInstanceOf(RangeError);
    expect(r).not.toBeInstanceOf(TypeError);
    expect(r).not.toBeInstanceOf(FwctlTypeError);
    expect(r).toMatchObject({ name: 'FwctlRangeError', code: 'ERR_FWCTL_OUT_OF_RANGE' });
    expect(String(r)).toBe('FwctlRangeError: n must be a u16');
    expect(Object.getOwnPropertySymbols(t)).toEqual([]); // the brand is on the prototype
  });

  test('the FwctlError brand: subclasses test as usual, plain errors are not FwctlErrors', () => {
    class Sub extends FwctlError {}
    const sub = new Sub({ code: 'ERR_FWCTL_INTERNAL' });
    expect([sub instanceof FwctlError, sub instanceof Sub]).toEqual([true, true]);
    expect(new FwctlError({ code: 'ERR_FWCTL_INTERNAL' }) instanceof Sub).toBe(false);
    expect(new FwctlTypeError('x') instanceof Sub).toBe(false);
    for (const v of [new TypeError('x'), new RangeError('x'), new Error('x'), {}, null, undefined, 1, 'ERR_FWCTL_INTERNAL']) {
      expect(v instanceof FwctlError).toBe(false);
    }
    // Another copy of the package (another realm's class) is recognised by the registered brand.
    expect(Object.create(null, { [Symbol.for('fwctl.FwctlError')]: { value: true } }) instanceof FwctlError).toBe(true);
  });

  test('the addon\'s factory: kind 1 (or true) -> FwctlRangeError, 2 -> ERR_FWCTL_INVALID_ARG_VALUE, else FwctlTypeError', () => {
    expect(nativeArgumentError(true, 'm')).toBeInstanceOf(FwctlRangeError);
    expect(nativeArgumentError(1, 'm')).toBeInstanceOf(RangeError);
    expect(nativeArgumentError(2, 'm')).toMatchObject({ name: 'FwctlTypeError', code: 'ERR_FWCTL_INVALID_ARG_VALUE', message: 'm' });
    expect(nativeArgumentError(0, 'm')).toMatchObject({ name: 'FwctlTypeError', code: 'ERR_FWCTL_INVALID_ARG_TYPE', message: 'm' });
    expect(nativeArgumentError(false, 'm')).toBeInstanceOf(TypeError);
  });
});

describe('abort', () => {
  test('ABORT_ERR, named AbortError (as Node\'s), its cause the signal\'s reason', () => {
    const c = new AbortController();
    c.abort();
    const e = caught(() => throwIfAborted(c.signal, '/dev/fwctl/fwctl0'));
    expect(e).toBeInstanceOf(FwctlAbortError);
    expect(e).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', path: '/dev/fwctl/fwctl0', cause: c.signal.reason });
    expect((e as Error).message).toMatch(/aborted/);
    expect(new FwctlAbortError(new DOMException('t', 'TimeoutError')).message).toMatch(/timed out/);
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
    // Node's own AbortError has the same name and code.
    expect(codes.ABORT_ERR.class).toBe('FwctlAbortError');
  });
});

describe('the codes registry', () => {
  test('frozen, every entry with a kind, a class, a one-line meaning and its fields', () => {
    expect(Object.isFrozen(codes)).toBe(true);
    for (const [code, e] of Object.entries(codes)) {
      expect(Object.isFrozen(e)).toBe(true);
      expect(Object.isFrozen(e.fields)).toBe(true);
      expect([code, ['kernel', 'library', 'device', 'abort'].includes(e.kind)]).toEqual([code, true]);
      expect([code, /^[A-Z]\w+$/.test(e.class)]).toEqual([code, true]);
      expect([code, e.meaning.length > 10 && !e.meaning.includes('\n')]).toEqual([code, true]);
    }
  });

  test('errno names for the kernel, ERR_FWCTL_* for the package and the devices, ABORT_ERR for a signal', () => {
    for (const [code, e] of Object.entries(codes)) {
      const want = e.kind === 'kernel' ? /^E[A-Z0-9]+$/ : e.kind === 'abort' ? /^ABORT_ERR$/ : /^ERR_FWCTL_[A-Z0-9_]+$/;
      expect([code, want.test(code)]).toEqual([code, true]);
    }
    expect(Object.keys(codes).filter((c) => codes[c].kind === 'kernel').sort()).toEqual(Object.keys(ERRNO_TABLE).sort());
    for (const c of ['ERR_FWCTL_MLX5_STATUS', 'ERR_FWCTL_CXL_MAILBOX', 'ERR_FWCTL_BNXT_HWRM', 'ERR_FWCTL_PDS_RETVAL', 'ERR_FWCTL_DECODE']) {
      expect(codes[c]?.kind).toBe('device');
    }
    expect(codes.ERR_FWCTL_MLX5_STATUS.fields).toEqual(expect.arrayContaining(['status', 'syndrome']));
    expect(codes.ERR_FWCTL_CXL_MAILBOX.fields).toEqual(expect.arrayContaining(['returnCode']));
  });
});
