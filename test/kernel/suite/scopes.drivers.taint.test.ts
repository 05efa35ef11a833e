// The library's scope tables proven against the kernel's own drivers: every
// request type lib/ knows (lib/uapi/mlx5-opcodes.ts and bnxt-commands.ts,
// generated from the driver source by scripts/gen-tables.js; pds's table is
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

  /** A request the driver accepts structurally: DMA commands at their size, each length field one unit, buffers attached. */
  function request(e: fwctl.bnxt.BnxtCommandEntry, length = e.dmaRequestSize) {
    const req = bnxt.encodeRequest(e.reqType, { length });
    const attach: fwctl.RpcAttachment[] = [];
    for (const f of e.dma ?? []) {
      if (f.lenOffset !== undefined && f.lenOffset + f.lenWidth! <= req.length) {
        if (f.lenWidth === 2) req.writeUInt16LE(1, f.lenOffset);
        else req.writeUInt32LE(1, f.lenOffset);
      }
      if (f.addrOffset + 8 <= req.length) attach.push({ at: f.addrOffset, buffer: Buffer.alloc(f.fixedLength ?? f.unit), direction: f.direction });
    }
    return { req, attach };
  }

  test('every known request type, and some unknown ones, at every scope', async () => {
    await using d = await fwctl.open(emu.device('bnxt').name);
    const bad: Mismatch[] = [];
    const entries: fwctl.bnxt.BnxtCommandEntry[] = [...bnxt.BNXT_COMMAND_TABLE];
    const known = new Set(entries.map((e) => e.reqType));
    for (const reqType of [0x1, 0x1234, 0xfff3, 0xfffe]) {
      // (validate() looks the type up in its own table: this entry's scope is never read)
      if (!known.has(reqType)) entries.push({ reqType, name: `unknown 0x${reqType.toString(16)}`, scope: Scope.DebugWriteFull });
    }
    for (const e of entries) {
      const { req, attach } = request(e);
      for (const scope of SCOPES) {
        const library = bnxt.validate(req, scope, 64) ?? 'pass';
        const driver = await answer(d.rpc(req, { scope, responseLength: 64, attach, allowKernelTaint: true }));
        if (library !== driver) bad.push({ what: e.name, scope, library, driver });
      }
    }
    expect(bad).toEqual([]);
  });

  test('DMA commands: the exact request size (EINVAL otherwise) and a length field of 0 (EINVAL), at the least scope', async () => {
    await using d = await fwctl.open(emu.device('bnxt').name);
    const bad: Mismatch[] = [];
    for (const e of bnxt.BNXT_COMMAND_TABLE.filter((x) => x.dma)) {
      const scope = e.scope as fwctl.Scope;
      for (const len of [e.dmaRequestSize! - 8, e.dmaRequestSize! + 8]) {
        const { req, attach } = request(e, len);
        const library = bnxt.validate(req, scope, 64) ?? 'pass';
        const driver = await answer(d.rpc(req, { scope, responseLength: 64, attach, allowKernelTaint: true }));
        if (library !== driver || driver !== 'EINVAL') bad.push({ what: `${e.name} at ${len} bytes`, scope, library, driver });
      }
      // Each length field zeroed in turn: the driver refuses a 0-byte bounce, which proves lenOffset.
      for (const f of e.dma!) {
        if (f.lenOffset === undefined) continue;
        const { req, attach } = request(e);
        req.fill(0, f.lenOffset, f.lenOffset + f.lenWidth!);
        const driver = await answer(d.rpc(req, { scope, responseLength: 64, attach, allowKernelTaint: true }));
        if (driver !== 'EINVAL') bad.push({ what: `${e.name} length at ${f.lenOffset} = 0`, scope, library: 'EINVAL', driver });
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
    for (const ep of (await pds.endpoints(d)).entries) {
      for (const op of (await pds.operations(d, ep.id)).entries) {
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
