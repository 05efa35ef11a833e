// lib/call-args.ts: the call options' checks, before any syscall.
import { checkInfoOptions, checkRpcArgs } from '../../lib/call-args';
import { Scope } from '../../lib/uapi/constants';

describe('checkRpcArgs', () => {
  test('each option is read exactly once: a getter cannot answer the check one value and the call another', () => {
    const reads: string[] = [];
    const o = {};
    for (const k of ['scope', 'responseLength', 'allowKernelTaint', 'attach', 'signal', 'responseBuffer', 'result']) {
      Object.defineProperty(o, k, { get: () => { reads.push(k); return k === 'scope' ? Scope.Configuration : undefined; } });
    }
    const c = checkRpcArgs(new Uint8Array(8), o);
    expect(c.scope).toBe(Scope.Configuration);
    expect(c.responseLength).toBe(4096);
    expect(reads.sort()).toEqual(['allowKernelTaint', 'attach', 'responseBuffer', 'responseLength', 'result', 'scope', 'signal']);
  });

  test('a lying own byteLength changes nothing: the engine\'s length is used', () => {
    const buf = new Uint8Array(16);
    Object.defineProperty(buf, 'byteLength', { value: 4096 });
    expect(checkRpcArgs(new Uint8Array(8), { scope: 0, responseBuffer: buf }).responseLength).toBe(16);
  });

  test('the removed option `result` is refused by name, with what to use instead', () => {
    expect(() => checkRpcArgs(new Uint8Array(8), { scope: 0, result: {} })).toThrow(
      expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE', message: expect.stringMatching(/options\.result was removed in 0\.2: pass responseBuffer/) }));
  });

  test('tainting scopes need the opt-in; DebugWriteFull names CAP_SYS_RAWIO', () => {
    expect(() => checkRpcArgs(new Uint8Array(8), { scope: Scope.DebugWrite })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_TAINT_REFUSED' }));
    expect(() => checkRpcArgs(new Uint8Array(8), { scope: Scope.DebugWriteFull })).toThrow(/CAP_SYS_RAWIO/);
    expect(checkRpcArgs(new Uint8Array(8), { scope: Scope.DebugWrite, allowKernelTaint: true }).scope).toBe(Scope.DebugWrite);
  });

  test('a detached request or response buffer is a typed error naming it', () => {
    const req = new Uint8Array(8);
    structuredClone(req.buffer, { transfer: [req.buffer] });
    expect(() => checkRpcArgs(req, { scope: 0 })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE', message: expect.stringMatching(/^request is detached/) }));
    const out = new Uint8Array(8);
    structuredClone(out.buffer, { transfer: [out.buffer] });
    expect(() => checkRpcArgs(new Uint8Array(8), { scope: 0, responseBuffer: out })).toThrow(/options\.responseBuffer is detached/);
  });
});

describe('checkInfoOptions', () => {
  test('data is checked; the removed decode and result options are refused by name', () => {
    const data = new Uint8Array(8);
    expect(checkInfoOptions({ data })).toBe(data);
    expect(checkInfoOptions(undefined)).toBeUndefined();
    expect(() => checkInfoOptions({ data: 'x' as unknown as Uint8Array })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_TYPE' }));
    expect(() => checkInfoOptions({ data, decode: false } as never)).toThrow(/options\.decode was removed in 0\.2/);
    expect(() => checkInfoOptions({ result: {} } as never)).toThrow(/options\.result was removed in 0\.2/);
  });
});
