// The library's scope tables proven against the kernel's own drivers: every
// request type lib/ knows (lib/mlx5/generated/opcodes.ts and lib/bnxt/generated/commands.ts,
// generated from the driver source by npm run gen; pds's table is
// the firmware's, translated by scopeOfAttr) x every scope, sent through
// mlx5_fwctl, bnxt_fwctl and pds_fwctl over the emulated firmware. What the
// library predicts (validate(), minScope, scopeOfAttr) must be what the
// driver answers: success (any firmware status), EBADMSG, EPERM or EINVAL.
// The DebugWrite scopes taint the kernel: its own boot (*.taint.test.ts).
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';

const { Scope } = fwctl;
const SCOPES = [Scope.Configuration, Scope.DebugReadOnly, Scope.DebugWrite, Scope.DebugWriteFull];

type Answer = 'pass' | string;
async function answer(p: Promise<unknown>): Promise<Answer> {
  try {
    await p;
    return 'pass';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

interface Mismatch { what: string; scope: number; library: Answer; driver: Answer }

describe('mlx5: MLX5_OPCODE_TABLE x scopes against mlx5ctl_validate_rpc()', () => {
  test('every known opcode (both op_mods where the rule depends on it) and some unknown ones, at every scope', async () => {
    const { mlx5 } = fwctl;
    await using d = await fwctl.open(emu.device('mlx5').name);
    const bad: Mismatch[] = [];
    const cases: { what: string; opcode: number; opMod: number }[] = [];
    for (const e of mlx5.MLX5_OPCODE_TABLE) {
      for (const opMod of e.byOpMod ? [0, 1] : [0]) cases.push({ what: `${e.name} op_mod ${opMod}`, opcode: e.opcode, opMod });
    }
    // Not in the driver's table (CREATE_UCTX and DESTROY_UCTX are the driver's own, at open/close).
    const known = new Set(mlx5.MLX5_OPCODE_TABLE.map((e) => e.opcode));
    for (const opcode of [0x0, 0x0a04, 0x0a06, 0x0fff, 0x200, 0xffff]) {
      if (!known.has(opcode)) cases.push({ what: `unknown 0x${opcode.toString(16)}`, opcode, opMod: 0 });
    }
    for (const c of cases) {
      const req = mlx5.encodeIn(c.opcode, { opMod: c.opMod });
      for (const scope of SCOPES) {
        const library = mlx5.validate(req, scope, 16) ?? 'pass';
        const driver = await answer(d.rpc(req, { scope, responseLength: 16, allowKernelTaint: true }));
        if (library !== driver) bad.push({ what: c.what, scope, library, driver });
      }
      // minScope agrees with validate()
      const least = mlx5.minScope(c.opcode, c.opMod);
      const firstPass = SCOPES.find((s) => mlx5.validate(req, s, 16) === null);
      expect([c.what, least]).toEqual([c.what, firstPass]);
    }
    expect(cases.length).toBeGreaterThan(mlx5.MLX5_OPCODE_TABLE.length);
    expect(bad).toEqual([]);
  });
});

describe('bnxt: BNXT_COMMAND_TABLE x scopes against bnxtctl_validate_rpc() and bnxtctl_dma_cmds', () => {
  const { bnxt } = fwctl;

  /**
   * A request the driver accepts structurally: DMA commands at their size, a
   * buffer of one unit (or the fixed length) attached to each address field;
   * the addon writes each length field from the table. Two fields sharing one
   * length field (PORT_QSTATS_EXT_PFC_ADV, DBG_PTRACE) cannot both be attached
   * (the addon refuses overlapping length fields): the second stays 0 and
   * `partial` is set, so past validation the driver's copy to or from address
   * 0 answers EFAULT, which counts as getting through.
   */
  function request(e: fwctl.bnxt.BnxtCommandEntry, zeroField = -1) {
    const req = bnxt.encodeRequest(e.reqType, { length: e.dmaRequestSize });
    const attach: fwctl.RpcAttachment[] = [];
    const lens = new Set<number>();
    let partial = false;
    (e.dma ?? []).forEach((f, i) => {
      if (f.lenOffset !== undefined && lens.has(f.lenOffset)) {
        partial = true;
        return;
      }
      if (f.lenOffset !== undefined) lens.add(f.lenOffset);
      const size = i === zeroField ? 0 : f.fixedLength ?? f.unit;
      attach.push({ at: f.addrOffset, buffer: Buffer.alloc(size), direction: f.direction });
    });
    return { req, attach, partial };
  }

  test('every known request type, and some unknown ones, at every scope', async () => {
    await using d = await fwctl.open(emu.device('bnxt').name);
    const bad: Mismatch[] = [];
    const entries: fwctl.bnxt.BnxtCommandEntry[] = [...bnxt.BNXT_COMMAND_TABLE];
    const known = new Set(entries.map((e) => e.reqType));
    for (const reqType of [0x1, 0x1234, 0xfff3, 0xfffe]) {
      // (validate() looks the type up in its own table: this entry's scope is never read)
      if (!known.has(reqType)) entries.push({ reqType, name: `unknown 0x${reqType.toString(16)}`, scope: Scope.DebugWriteFull, input: null, output: null });
    }
    let partial = 0;
    for (const e of entries) {
      const r = request(e);
      if (r.partial) partial++;
      for (const scope of SCOPES) {
        const library = bnxt.validate(r.req, scope, 64) ?? 'pass';
        let driver = await answer(d.rpc(r.req, { scope, responseLength: 64, attach: r.attach, allowKernelTaint: true }));
        if (r.partial && driver === 'EFAULT') driver = 'pass';
        if (library !== driver) bad.push({ what: e.name, scope, library, driver });
      }
    }
    expect(partial).toBe(2);
    expect(bad).toEqual([]);
  });

  test('DMA commands: another request size is EINVAL, as validate() says; a 0-byte buffer is EINVAL', async () => {
    await using d = await fwctl.open(emu.device('bnxt').name);
    const bad: Mismatch[] = [];
    for (const e of bnxt.BNXT_COMMAND_TABLE.filter((x) => x.dma)) {
      const scope = e.scope as fwctl.Scope;
      // no buffers: the address fields stay 0 and the driver refuses on the size alone
      for (const len of [e.dmaRequestSize! - 8, e.dmaRequestSize! + 8]) {
        const req = bnxt.encodeRequest(e.reqType, { length: len });
        const library = bnxt.validate(req, scope, 64) ?? 'pass';
        const driver = await answer(d.rpc(req, { scope, responseLength: 64, allowKernelTaint: true }));
        if (library !== 'EINVAL' || driver !== 'EINVAL') bad.push({ what: `${e.name} at ${len} bytes`, scope, library, driver });
      }
      // each field with a length field, given a 0-byte buffer (length 0): bnxtctl_check_dma_lens() refuses
      for (const [i, f] of e.dma!.entries()) {
        if (f.lenOffset === undefined) continue;
        const r = request(e, i);
        if (!r.attach.some((a) => a.buffer.byteLength === 0)) continue; // the shared second field
        const driver = await answer(d.rpc(r.req, { scope, responseLength: 64, attach: r.attach, allowKernelTaint: true }));
        if (driver !== 'EINVAL') bad.push({ what: `${e.name} field ${i} of 0 bytes`, scope, library: 'EINVAL', driver });
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('pds: the firmware\'s operations x scopes against pdsfc_validate_rpc()', () => {
  test('scopeOfAttr(attr) is the scope the driver requires, for every operation of every endpoint', async () => {
    const { pds } = fwctl;
    await using d = await fwctl.open(emu.device('pds').name);
    const bad: Mismatch[] = [];
    let n = 0;
    for (const ep of (await pds.endpoints(d, pds.MOCK_QUERY_ROUTE)).entries) {
      for (const op of (await pds.operations(d, ep.id, pds.MOCK_QUERY_ROUTE)).entries) {
        n++;
        for (const scope of SCOPES) {
          const library = scope >= pds.scopeOfAttr(op.attr) ? 'pass' : 'EPERM';
          const driver = await answer(pds.call(d, { ep: ep.id, op: op.id, scope, allowKernelTaint: true }));
          if (library !== driver) bad.push({ what: `ep ${ep.id} op 0x${op.id.toString(16)} attr 0x${op.attr.toString(16)}`, scope, library, driver });
        }
      }
    }
    // one operation of each attribute: read, debug read, debug write, unknown, write, sync
    expect(n).toBeGreaterThanOrEqual(7);
    expect(bad).toEqual([]);
  });
});
