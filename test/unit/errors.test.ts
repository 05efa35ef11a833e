import { constants } from 'node:os';
import { ERRNO_TABLE, FwctlError, describeErrno, errnoName, closedError } from '../../lib/errors';

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
  test('Node fs shape: code, positive errno, syscall, path, and a message saying what it means', () => {
    const e = FwctlError.fromErrno(-constants.errno.ENODEV, 'ioctl(FWCTL_RPC)', '/dev/fwctl/fwctl0');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(FwctlError);
    expect(e.name).toBe('FwctlError');
    expect(e).toMatchObject({ code: 'ENODEV', errno: constants.errno.ENODEV, syscall: 'ioctl(FWCTL_RPC)', path: '/dev/fwctl/fwctl0' });
    expect(e.message).toMatch(/^ENODEV: .*unplugged.*\(ioctl\(FWCTL_RPC\) \/dev\/fwctl\/fwctl0\)$/);
  });

  test('an errno the table does not know keeps its number', () => {
    const e = FwctlError.fromErrno(-constants.errno.EXDEV, 'ioctl(FWCTL_RPC)');
    expect(e.code).toBe('EXDEV');
    expect(e.errno).toBe(constants.errno.EXDEV);
    expect(e.message).toMatch(/unexpected/);
    expect(FwctlError.fromErrno(-4000, 'open')).toMatchObject({ code: 'E4000', errno: 4000 });
    // Linux errnos libuv does not name still get their name.
    expect(FwctlError.fromErrno(-121, 'ioctl(FWCTL_RPC)')).toMatchObject({ code: 'EREMOTEIO', errno: 121 });
  });

  test('a closed handle: EBADF with no syscall', () => {
    const e = closedError('/dev/fwctl/fwctl3');
    expect(e).toMatchObject({ code: 'EBADF', errno: constants.errno.EBADF, path: '/dev/fwctl/fwctl3' });
    expect(e.syscall).toBeUndefined();
    expect(e.message).toMatch(/device handle is closed/);
  });
});
