// A request in memory another thread writes while the call runs (a view over
// a SharedArrayBuffer): every decision the addon makes about what the kernel
// may touch (the raw-pointer guard, which DMA descriptor applies) must be
// made on the copy the kernel reads, not on the caller's bytes. A racing
// worker rewrites the pointer fields (pds) or the command (bnxt) of a shared
// request while the main thread calls, sync and async, over the kernel's own
// pds_fwctl and bnxt_fwctl drivers and the emulated firmware. The firmware
// counts what reached it (emu.watching); a victim buffer shows whether the
// driver wrote through a raw pointer. The racer counts its writes that
// landed inside call windows: the test needs hundreds, so it cannot pass
// without the race.
import { Worker } from 'node:worker_threads';
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';

/** Per case: each one stays well under 10 s in the emulated guest. */
const RACE_MS = 2500;
/** Racer writes that must land inside call windows for a case to count. */
const MIN_IN_WINDOW = 300;

// struct fwctl_rpc_pds (include/uapi/fwctl/pds.h)
const PDS = { op: 0, ep: 4, inLen: 12, inPayload: 16, outLen: 36, outPayload: 40, size: 48 } as const;
const PDS_ECHO = 0x10001; // ep 1, READ: scope Configuration
/** The victim's bytes: what the firmware sees only if the driver read through a raw pointer. */
const MARKER = Buffer.from('fwctl-race-probe');
const HWRM_VER_GET = 0x0000;
const HWRM_NVM_READ = 0xfffd;

/**
 * The address the kernel sees for `buf`: a sync pds ECHO with `buf` attached
 * as in.payload; the pds driver answers the request struct as it got it.
 */
function addressOf(pdsDev: fwctl.Device, buf: Buffer): bigint {
  const req = Buffer.alloc(PDS.size);
  req.writeUInt32LE(PDS_ECHO, PDS.op);
  req.writeUInt32LE(1, PDS.ep);
  const r = pdsDev.rpcSync(req, { scope: fwctl.Scope.Configuration, responseLength: PDS.size, attach: [{ at: PDS.inPayload, buffer: buf, direction: 'in' }] });
  const a = r.response.readBigUInt64LE(PDS.inPayload);
  expect(a).not.toBe(0n);
  return a;
}

/** The racer: `writes` is a list of [evil, clean] states, each a list of [kind, index, value] stores. */
const RACER = `
  const { workerData, parentPort } = require('node:worker_threads');
  const { sab, flag, evil, clean } = workerData;
  const views = { u16: new Uint16Array(sab), u32: new Uint32Array(sab), u64: new BigUint64Array(sab) };
  const f = new Int32Array(flag); // [0]: a call window is open, [1]: stop
  const store = (s) => { for (const [k, i, v] of s) Atomics.store(views[k], i, k === 'u64' ? BigInt(v) : v); };
  let writes = 0, inWindow = 0;
  Atomics.store(f, 2, 1); // running
  while (Atomics.load(f, 1) === 0) {
    store(evil);
    writes++;
    if (Atomics.load(f, 0) !== 0) inWindow++;
    store(clean);
  }
  store(clean);
  parentPort.postMessage({ writes, inWindow });
`;

interface RaceResult { ok: number; refused: number; efault: number; writes: number; inWindow: number }

/**
 * Runs `call` for RACE_MS while a worker alternates the shared request
 * between `evil` and `clean`. Each call must succeed, be refused by the addon
 * (ERR_FWCTL_OUT_OF_RANGE, a raw pointer), or be EFAULT (a torn but
 * pointer-free copy: the kernel refused a null payload pointer).
 */
async function race(sab: SharedArrayBuffer, evil: unknown[], clean: unknown[], call: () => Promise<unknown> | unknown, batch: number): Promise<RaceResult> {
  const flag = new SharedArrayBuffer(12);
  const f = new Int32Array(flag);
  const w = new Worker(RACER, { eval: true, workerData: { sab, flag, evil, clean } });
  const done = new Promise<{ writes: number; inWindow: number }>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  const r = { ok: 0, refused: 0, efault: 0 };
  const settle = (p: Promise<unknown>) => p.then(() => { r.ok++; }, (e: unknown) => {
    const code = (e as fwctl.FwctlError).code;
    if (code === 'ERR_FWCTL_OUT_OF_RANGE' && /raw user pointer/.test((e as Error).message)) r.refused++;
    else if (code === 'EFAULT') r.efault++;
    else throw e;
  });
  try {
    while (Atomics.load(f, 2) === 0) await new Promise((res) => setTimeout(res, 1));
    const end = Date.now() + RACE_MS;
    while (Date.now() < end) {
      const pending: Promise<unknown>[] = [];
      Atomics.store(f, 0, 1);
      for (let i = 0; i < batch; i++) {
        let p: Promise<unknown>;
        try {
          p = Promise.resolve(call());
        } catch (e) {
          p = Promise.reject(e);
        }
        pending.push(settle(p));
      }
      Atomics.store(f, 0, 0);
      await Promise.all(pending);
    }
  } finally {
    Atomics.store(f, 1, 1);
  }
  return { ...r, ...(await done) };
}

let pdsDev: fwctl.Device;
beforeAll(async () => {
  pdsDev = await fwctl.open(emu.device('pds').name);
});
afterAll(() => pdsDev?.closeSync());

describe.each([
  ['rpcSync', 1, (d: fwctl.Device, req: Uint8Array, o: fwctl.RpcOptions) => d.rpcSync(req, o)],
  ['rpc', 8, (d: fwctl.Device, req: Uint8Array, o: fwctl.RpcOptions) => d.rpc(req, o)],
])('%s: a request another thread rewrites', (_name, batch, call) => {
  test('pds: no raw in.payload pointer reaches the driver (the firmware never sees the victim\'s bytes)', async () => {
    const victim = Buffer.alloc(4096);
    MARKER.copy(victim);
    const addr = addressOf(pdsDev, victim);
    // A 4 KiB request (the driver takes any in_len from the struct's 48
    // bytes on): the addon copies it to the heap. in.len stays 16; only the
    // pointer flips, one store per state, so the clean state is a null
    // payload pointer (EFAULT from the driver's memdup_user).
    const sab = new SharedArrayBuffer(4096);
    const req = new Uint8Array(sab);
    const dv = new DataView(sab);
    dv.setUint32(PDS.op, PDS_ECHO, true);
    dv.setUint32(PDS.ep, 1, true);
    dv.setUint32(PDS.inLen, MARKER.length, true);
    const evil = [['u64', PDS.inPayload / 8, String(addr)]], clean = [['u64', PDS.inPayload / 8, '0']];
    const o = { scope: fwctl.Scope.Configuration, responseLength: PDS.size };
    const { value: r, hits } = await emu.watching('pds', MARKER.readBigUInt64LE(0), () => race(sab, evil, clean, () => call(pdsDev, req, o), batch));
    process.stderr.write(`[race] pds ${_name}: ${JSON.stringify(r)}, firmware saw the victim's bytes ${hits} times\n`);
    expect(r.inWindow).toBeGreaterThanOrEqual(MIN_IN_WINDOW);
    expect(r.efault).toBeGreaterThan(0); // clean copies reached the driver
    expect(r.refused).toBeGreaterThan(0); // the addon saw the evil state in its copy
    expect(hits).toBe(0);
  }, 60000);

  test('bnxt: the DMA descriptor is chosen on the bytes the kernel gets (no NVM_READ through a raw address)', async () => {
    await using dev = await fwctl.open(emu.device('bnxt').name);
    const e = fwctl.bnxt.BNXT_COMMAND_TABLE.find((c) => c.reqType === HWRM_NVM_READ)!;
    const f = e.dma![0];
    expect(f.addrOffset % 8).toBe(0);
    const victim = Buffer.alloc(4096);
    const addr = addressOf(pdsDev, victim);
    const init = fwctl.bnxt.encodeRequest(HWRM_VER_GET, { length: e.dmaRequestSize });
    init.writeBigUInt64LE(addr, f.addrOffset); // constant: only the command flips
    init.writeUInt16LE(2, 24); // NVM_READ's dir_idx 2, offset 10: the emulated NVM item
    init.writeUInt32LE(10, 28);
    init.writeUInt32LE(16, f.lenOffset!);
    const sab = new SharedArrayBuffer(init.length);
    const req = new Uint8Array(sab);
    req.set(init);
    const evil = [['u16', 0, HWRM_NVM_READ]], clean = [['u16', 0, HWRM_VER_GET]];
    const o = { scope: fwctl.Scope.DebugReadOnly, responseLength: 64 };
    const { value: r, hits } = await emu.watching('bnxt', BigInt(HWRM_NVM_READ), () => race(sab, evil, clean, () => call(dev, req, o), batch));
    process.stderr.write(`[race] bnxt ${_name}: ${JSON.stringify(r)}, NVM_READ reached the firmware ${hits} times\n`);
    expect(r.inWindow).toBeGreaterThanOrEqual(MIN_IN_WINDOW);
    expect(r.ok).toBeGreaterThan(0);
    expect(r.refused).toBeGreaterThan(0);
    expect({ hits, victimWritten: !victim.every((b) => b === 0) }).toEqual({ hits: 0, victimWritten: false });
  }, 60000);
});
