// A JavaScript model of the mlx5 firmware's update registers (MCQS, MCQI,
// MCC, MCDA, MCAM, MIRC, QUERY_ADAPTER) behind a DeviceLike, for unit tests
// of the update flow's logic (lib/mlx5/firmware.ts): which command comes when,
// that every way out leaves the state machine idle. It follows the contract
// of the emulated firmware (test/kernel/emu/fwctl_emu_mlx5.c); the proof that
// the flow works through the kernel's driver is the kernel suite's
// flash.test.ts, not this.

import type { DeviceInfo } from '../../../lib/decode';
import type { DeviceLike } from '../../../lib/device-like';
import type { RpcOptions, RpcResult } from '../../../lib/device';
import { decode, encode, sizeOf } from '../../../lib/mlx5/ifc';

export const PSID = 'MT_0000000EMU';
export const RUNNING = (28 << 24) | (39 << 16) | 1002;
export const PENDING = (28 << 24) | (40 << 16) | 1000;
export const MAX_SIZE = 2 * 1024 * 1024;
export const MCDA_MAX = 128;

export interface FakeFlash {
  dev: DeviceLike;
  /** Instructions and registers written, in order ('MCC 1', 'MCDA', 'MIRC'). */
  writes: string[];
  state: number;
  error: number;
  handle: number;
  running: number;
  pending: number | undefined;
  /** Bytes the firmware received (un-swapped). */
  received: Buffer;
  /** Inject: the next instruction `at` (3, 4, 6, or 0x63 for MCDA) sets error_code `code`. */
  inject?: { at: number; code: number };
  mirc: boolean;
  uctxCaps: number;
  /** Called before each command reaches the model (tests abort from here). */
  onCommand?: (what: string) => void;
}

const REG = { MCQS: 0x9060, MCQI: 0x9061, MCC: 0x9062, MCDA: 0x9063, MCAM: 0x907f, MIRC: 0x9162 };

export function fakeFlash(path = '/dev/fwctl/fwctl0'): FakeFlash {
  let nextHandle = 0x1234;
  let size = 0;
  let staged: Buffer | undefined;
  let transient: number | undefined; // a state shown for one query, then `after`
  let after = 0;
  let mircBusy = false;
  const f: FakeFlash = {
    dev: undefined as unknown as DeviceLike, writes: [], state: 0, error: 0, handle: 0,
    running: RUNNING, pending: PENDING, received: Buffer.alloc(0), mirc: true, uctxCaps: 0x7,
  };
  const out = (len: number) => Buffer.alloc(len);
  const answer = (req: Buffer, responseLength: number): Buffer => {
    const o = out(responseLength);
    const opcode = req.readUInt16BE(0);
    const opMod = req.readUInt16BE(6);
    if (opcode === 0x101) { // QUERY_ADAPTER
      const p = encode('query_adapter_param_block', { ieee_vendor_id: 0x2c9, vsd_contd_psid: Buffer.from(PSID.padEnd(16, '\0'), 'latin1') });
      p.copy(o, 16);
      return o;
    }
    if (opcode !== 0x805) { o[0] = 0x2; return o; }
    const reg = req.readUInt16BE(10); // access_register_in.register_id (bit 0x50)
    const data = req.subarray(16);
    const write = opMod === 0;
    const status = (s: number) => { o[0] = s; return o; };
    const put = (layout: string, fields: Record<string, unknown>) => { encode(layout, fields as never).copy(o, 16); return o; };
    f.onCommand?.(`${write ? 'write' : 'read'} ${reg.toString(16)}`);
    switch (reg) {
      case REG.MCAM: {
        const g = decode('mcam_reg', data).access_reg_group as number;
        if (g === 0) return put('mcam_reg', { mng_access_reg_cap_mask: { access_regs: { mcqi: 1, mcqs: 1, mcc: 1, mcda: 1 } } });
        if (g === 2) return put('mcam_reg', { access_reg_group: 2, mng_access_reg_cap_mask: { access_regs2: { mirc: f.mirc ? 1 : 0 } } });
        return status(3);
      }
      case REG.MCQS:
        if (decode('mcqs_reg', data).component_index !== 0) return status(3);
        return put('mcqs_reg', { last_index_flag: 1, identifier: 1, component_update_state: f.pending !== undefined ? 4 : 0 });
      case REG.MCQI: {
        const q = decode('mcqi_reg', data);
        if (q.component_index !== 0) return status(3);
        const hdr = encode('mcqi_reg', { info_type: q.info_type as number, data_size: q.data_size as number });
        hdr.copy(o, 16);
        const at = 16 + sizeOf('mcqi_reg');
        if (q.info_type === 0) encode('mcqi_cap', { max_component_size: MAX_SIZE, log_mcda_word_size: 2, mcda_max_write_size: MCDA_MAX }).copy(o, at);
        else if (q.info_type === 1) {
          const v = q.read_pending_component ? f.pending : f.running;
          if (v === undefined) return status(3);
          encode('mcqi_version', { version: v }).copy(o, at);
        } else return status(3);
        return o;
      }
      case REG.MCC: {
        const m = decode('mcc_reg', data);
        if (!write) {
          const shown = transient ?? f.state;
          if (transient !== undefined) { transient = undefined; f.state = after; }
          return put('mcc_reg', { update_handle: f.state === 0 ? nextHandle : f.handle, control_state: shown, error_code: f.error, handle_owner_type: f.state ? 4 : 0 });
        }
        const instr = m.instruction as number;
        f.writes.push(`MCC ${instr}`);
        const h = m.update_handle as number;
        if (f.inject && f.inject.at === instr) { f.error = f.inject.code; f.inject = undefined; return o; }
        switch (instr) {
          case 1: if (f.state !== 0 || h !== nextHandle) return status(3); f.handle = h; nextHandle++; f.state = 1; return o;
          case 2: if (f.state === 0 || h !== f.handle) return status(3); f.state = 0; f.error = 0; staged = undefined; return o;
          case 3:
            if (f.state !== 1 || h !== f.handle || m.component_index !== 0) return status(3);
            if (f.pending !== undefined && !mircDone) { f.error = 9; return o; }
            size = m.component_size as number; f.received = Buffer.alloc(size); transient = 2; after = 3; f.state = 2; return o;
          case 4: if (f.state !== 3 || h !== f.handle) return status(3); staged = f.received; transient = 4; after = 1; f.state = 4; return o;
          case 6: if (f.state !== 1 || h !== f.handle || !staged) return status(3); f.pending = staged.length ? 0x1c2903e8 : f.pending; transient = 6; after = 1; f.state = 6; return o;
          case 8: if (f.state === 0 || h !== f.handle) return status(3); f.state = 1; f.error = 0; return o;
          default: return status(3);
        }
      }
      case REG.MCDA: {
        f.writes.push('MCDA');
        const m = decode('mcda_reg', data);
        const off = m.offset as number, n = m.size as number;
        if (f.inject && f.inject.at === 0x63) { f.error = f.inject.code; f.inject = undefined; return o; }
        if (f.state !== 3 || m.update_handle !== f.handle || off % 4 || n > MCDA_MAX || off + n > size) return status(3);
        const words = data.subarray(sizeOf('mcda_reg'));
        for (let i = 0; i < n; i++) f.received[off + i] = words[(i & ~3) + 3 - (i & 3)];
        return o;
      }
      case REG.MIRC:
        if (write) { f.writes.push('MIRC'); mircBusy = true; return o; }
        if (mircBusy) { mircBusy = false; return put('mirc_reg', { status_code: 1 }); }
        if (f.pending !== undefined) { f.pending = undefined; mircDone = true; return put('mirc_reg', { status_code: 0 }); }
        mircDone = true;
        return put('mirc_reg', { status_code: 7 });
      default:
        return status(3);
    }
  };
  let mircDone = false;
  const rpc = (request: Uint8Array, options: RpcOptions): RpcResult => {
    const resp = answer(Buffer.from(request), options.responseLength ?? 4096);
    return { response: resp, length: resp.length, truncated: false };
  };
  const info = (): DeviceInfo => ({ type: 'mlx5', typeId: 1, data: Buffer.alloc(8), decoded: { uid: 1, uctxCaps: f.uctxCaps } }) as DeviceInfo;
  f.dev = {
    path, typeId: 1,
    info: async () => info(), infoSync: info,
    rpc: async (r, o) => { await new Promise((res) => setImmediate(res)); return rpc(r as Uint8Array, o); },
    rpcSync: (r, o) => rpc(r as Uint8Array, o),
  };
  return f;
}
