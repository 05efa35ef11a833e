// Adding a device type is its own module plus one registration line: a
// minimal example type (a test-only id, 0xfff1: not 5, which an
// out-of-tree driver uses) registered here only, and seen by the core
// (info decoding), the session layer (naming, audit, redaction, status) and
// the fleet layer (inventory, Prometheus) through lib/registry.ts alone.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DeviceLike } from '../../lib/device-like';
import { setBindingForTesting, splitRdev } from '../../lib/device';
import { inventory, toPrometheus, type InventoryRecord } from '../../lib/inventory';
import { commandOf, registerDeviceType, typeDisplayName, type DeviceTypeModule } from '../../lib/registry';
import { redactLines } from '../../lib/redact';
import { hex, type TranscriptLine } from '../../lib/transcript';
import { auditLineOf } from '../../lib/audit';
import { describeCall } from '../../lib/cli/commands/transcript';
import { infoText } from '../../lib/cli/commands/info';
import { HOST_LE } from '../../lib/uapi/layout';
import { FakeBinding, FakeHandle } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';

// ---- the type's own module (what lib/<type>/type.ts would hold) ----

const EXAMPLE_ID = 0xfff1;
/** Its request: opcode u32 LE @0. GET_SERIAL (1) answers status u32 @0, serial[16] @4; SET_NAME (2) writes. */
const GET_SERIAL = 1, SET_NAME = 2;

interface ExampleData { version: number }
interface ExampleFacts { serial: string }

declare module '../../lib/inventory' {
  interface InventoryRecord {
    example?: ExampleFacts;
  }
}

const u32 = (b: Uint8Array, o: number) => (b.byteLength >= o + 4 ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).readUInt32LE(o) : -1);
const serialOf = (r: Buffer) => r.subarray(4, 20).subarray(0, Math.max(0, r.subarray(4, 20).indexOf(0)));

const exampleType: DeviceTypeModule<ExampleData> = {
  id: EXAMPLE_ID,
  name: 'example',
  decodeDeviceData: (d) => (d.length < 4 ? undefined : { version: d.readUInt32LE(0) }),
  commandOf: (r) => ({ name: u32(r, 0) === GET_SERIAL ? 'GET_SERIAL' : u32(r, 0) === SET_NAME ? 'SET_NAME' : `op ${u32(r, 0)}`, write: u32(r, 0) === SET_NAME }),
  secretsOf: (req, res) => (u32(req, 0) === GET_SERIAL && serialOf(res).length >= 4 ? [{ kind: 'serial', bytes: Buffer.from(serialOf(res)) }] : []),
  firmwareStatus: (r) => (r.length < 4 ? '' : `status ${r.readUInt32LE(0)}`),
  describeInfo: (d) => (d ? [['version', String(d.version)]] : []),
  inventory: {
    async facts(dev: DeviceLike, rec: InventoryRecord, signal) {
      const r = await dev.rpc(Uint8Array.from([GET_SERIAL, 0, 0, 0]), { scope: 0, responseLength: 20, signal });
      rec.example = { serial: serialOf(r.response).toString('latin1') };
    },
    families: { fwctl_example_info: 'The example type\'s serial number.' },
    samples(r, add) {
      if (r.example) add('fwctl_example_info', { device: r.name, serial: r.example.serial }, 1);
    },
  },
};

// ---- the one registration line ----
registerDeviceType(exampleType);

// ---- a device of that type: fake sysfs and addon ----

const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);
const SERIAL = 'SN-EXAMPLE-0042';
let sys: FakeSys;

function answer(c: { request: number; arg: Uint8Array; buffers: Uint8Array[] }): number {
  const dv = new DataView(c.arg.buffer, c.arg.byteOffset, c.arg.byteLength);
  if (c.request === 0x9a00) { // FWCTL_INFO: version 7
    new DataView(c.buffers[0].buffer, c.buffers[0].byteOffset).setUint32(0, 7, true);
    dv.setUint32(12, 4, HOST_LE);
    dv.setUint32(8, EXAMPLE_ID, HOST_LE);
    return 0;
  }
  const out = Buffer.from(c.buffers[1].buffer, c.buffers[1].byteOffset, c.buffers[1].byteLength);
  out.fill(0);
  out.write(SERIAL, 4, 'latin1');
  dv.setUint32(12, 20, HOST_LE);
  return 0;
}

beforeEach(() => {
  sys = new FakeSys();
  sys.addParent('faux/fwctl-example0', { subsystem: 'faux' });
  sys.addFwctl('fwctl0', 'faux/fwctl-example0', NULL_DEV.major, NULL_DEV.minor);
  fs.symlinkSync('/dev/null', path.join(sys.dev, 'fwctl', 'fwctl0'));
  setBindingForTesting(new FakeBinding(() => new FakeHandle(answer, [fs.constants.S_IFCHR, NULL_DEV.major, NULL_DEV.minor])));
});
afterEach(() => {
  setBindingForTesting(undefined);
  sys.remove();
});

const request = (op: number) => Buffer.from([op, 0, 0, 0]);
const response = () => {
  const b = Buffer.alloc(20);
  b.write(SERIAL, 4, 'latin1');
  return b;
};

test('decode: info() carries the module\'s decoding; type stays "unknown" (not in the UAPI enum), displayed by name', async () => {
  const [rec] = await inventory(sys.roots);
  expect(rec.type).toEqual({ name: 'unknown', id: EXAMPLE_ID });
  const { open } = await import('../../lib/device');
  const dev = await open('fwctl0', sys.roots);
  const info = await dev.info();
  await dev.close();
  expect(info).toMatchObject({ type: 'unknown', typeId: EXAMPLE_ID, decoded: { version: 7 } });
  expect(typeDisplayName(EXAMPLE_ID)).toBe('example');
  expect(infoText('/dev/fwctl/fwctl0', info)).toMatch(/^type +unknown \(65521\)\n.*\nversion +7\n/ms);
});

test('naming: transcripts and the audit trail name its commands and its writes', () => {
  expect(commandOf(EXAMPLE_ID, request(GET_SERIAL))).toEqual({ name: 'GET_SERIAL', write: false });
  const line = { t: 'rpc', seq: 3, sync: true, path: '/dev/fwctl/fwctl0', h: 1, scope: 0, request: hex(request(SET_NAME)),
    responseLength: 20, length: 20, response: hex(response()), typeId: EXAMPLE_ID } as const;
  expect(describeCall(line, new Map())).toBe('#3 fwctl0 h1 sync rpc SET_NAME scope Configuration, 4 bytes in, 20 out -> 20 bytes, status 0');
  const audit = auditLineOf({
    op: 'rpc', sync: true, path: '/dev/fwctl/fwctl0', type: EXAMPLE_ID, scope: 0, request: request(SET_NAME), rc: 20,
  } as unknown as Parameters<typeof auditLineOf>[0]);
  expect(audit).toMatchObject({ type: 'example', command: 'SET_NAME' });
});

test('redaction: the serial its module points at is replaced everywhere', () => {
  const lines: TranscriptLine[] = [
    { t: 'open', seq: 1, sync: true, path: '/dev/fwctl/fwctl0', h: 1, typeId: EXAMPLE_ID },
    { t: 'rpc', seq: 2, sync: true, path: '/dev/fwctl/fwctl0', h: 1, scope: 0, request: hex(request(GET_SERIAL)), responseLength: 20, length: 20, response: hex(response()) },
    { t: 'sys', op: 'readFile', path: '/sys/class/fwctl/fwctl0/device/serial', result: `${SERIAL}\n` },
  ];
  const { lines: out, counts } = redactLines(lines);
  expect(counts).toEqual({ serial: 1 });
  expect(JSON.stringify(out)).not.toContain(SERIAL);
  expect(JSON.stringify(out)).not.toContain(Buffer.from(SERIAL).toString('hex'));
});

test('inventory: its facts in the record, its family in the Prometheus text', async () => {
  const recs = await inventory(sys.roots);
  expect(recs[0]).toMatchObject({ name: 'fwctl0', example: { serial: SERIAL }, error: null });
  expect(recs[0].note).toBeUndefined();
  const text = toPrometheus(recs);
  expect(text).toContain(`# HELP fwctl_example_info The example type's serial number.\n# TYPE fwctl_example_info gauge\nfwctl_example_info{device="fwctl0",serial="${SERIAL}"} 1\n`);
  expect(text.indexOf('fwctl_example_info')).toBeLessThan(text.indexOf('fwctl_query_error') >>> 0);
});

test('an unregistered id still works everywhere, displayed as unknown(N)', async () => {
  expect(typeDisplayName(0xfff2)).toBe('unknown(65522)');
  expect(commandOf(0xfff2, request(GET_SERIAL))).toEqual({ name: 'request 0x1', write: false });
  expect(redactLines([{ t: 'rpc', seq: 1, sync: true, path: 'p', h: 1, scope: 0, request: '01000000', responseLength: 20, response: hex(response()), typeId: 0xfff2 }]).counts).toEqual({});
});
