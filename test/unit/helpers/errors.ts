// Checking errors by code: the one error model (lib/errors.ts).

import { FwctlError, FwctlRangeError, FwctlTypeError, type ArgumentCode } from '../../../lib/errors';

/** What fn threw; fails the test when it returns. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw, got a return');
}

/** The class the library throws an argument error of this code with. */
export function argumentClass(code: ArgumentCode): typeof FwctlTypeError | typeof FwctlRangeError {
  return code === 'ERR_FWCTL_OUT_OF_RANGE' ? FwctlRangeError : FwctlTypeError;
}

/** Asserts e is an FwctlError of this code (and, for argument codes, of its class). */
export function expectCode(e: unknown, code: string): void {
  expect(e).toBeInstanceOf(FwctlError);
  expect((e as FwctlError).code).toBe(code);
  if (code === 'ERR_FWCTL_OUT_OF_RANGE' || code.startsWith('ERR_FWCTL_INVALID_ARG_')) {
    expect(e).toBeInstanceOf(argumentClass(code as ArgumentCode));
  }
}
