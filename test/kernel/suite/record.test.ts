// Record and replay against the real drivers: a library session and CLI
// sessions over the kernel's mlx5, bnxt and pds fwctl drivers (errors and a
// hot-unplug included) are recorded, then replayed in child processes that
// cannot load the native addon: deep-equal library results, byte-identical
// CLI output; a modified program fails naming the diverging call; --redact
// leaves no PSID in the file. The transcripts and the expected results are
// written to $FWCTL_RESULTS_DIR/transcripts: test/fixtures/vm/ holds a copy
// (scripts/update-transcript-fixtures.sh), which the host's unit tests
// replay without a VM (test/unit/replay-fixtures.test.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../../lib';
import { readTranscript } from '../../../lib/transcript';
import * as emu from '../emu/emu';
import { librarySession, type SessionDevices, type SessionHooks } from '../../fixtures/session';
import { CLI_MAIN as cli } from '../../unit/helpers/cli';

const repo = path.resolve(__dirname, '../../../..');
const noAddon = path.join(repo, 'dist/test/fixtures/no-addon.js');
const replayer = path.join(repo, 'dist/test/fixtures/replay-session.js');
const outDir = process.env.FWCTL_RESULTS_DIR
  ? path.join(process.env.FWCTL_RESULTS_DIR, 'transcripts')
  : fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-transcripts-'));

const hooks: SessionHooks = {
  unplug: (kind) => fs.writeFileSync(`/sys/bus/pci/drivers/fwctl_emu_${kind}/unbind`, emu.pciOf(kind)),
  replug: (kind) => fs.writeFileSync(`/sys/bus/pci/drivers/fwctl_emu_${kind}/bind`, emu.pciOf(kind)),
};

/** A child node; with `replay`, the addon cannot be loaded and no FWCTL_* recording is inherited. */
function node(args: string[], replay = false) {
  const env = { ...process.env };
  delete env.FWCTL_RECORD;
  delete env.FWCTL_REPLAY;
  delete env.FWCTL_AUDIT;
  const r = spawnSync(process.execPath, [...(replay ? ['-r', noAddon] : []), ...args], { encoding: 'utf8', env, timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => fs.mkdirSync(outDir, { recursive: true }));

describe('a library session, recorded over the real drivers and replayed without the addon', () => {
  let devs: SessionDevices;
  let recorded: Record<string, unknown>;
  const file = path.join(outDir, 'library.jsonl');

  beforeAll(async () => {
    devs = { mlx5: emu.device('mlx5').name, bnxt: emu.device('bnxt').name, pds: emu.device('pds').name };
    const rec = fwctl.record(file);
    try {
      recorded = await librarySession(devs, hooks);
    } finally {
      rec.stop();
    }
    fs.writeFileSync(path.join(outDir, 'library.json'), JSON.stringify({ devices: devs, result: recorded }, null, 1));
  });

  test('the session did what the drivers do: answers, errors (EBADMSG, ENOENT, the taint refusal) and ENODEV after the unplug', () => {
    const r = recorded as Record<string, any>;
    expect(r.mlx5.ok.adapter.psid).toBe(emu.MLX5.PSID);
    expect(r.mlx5.ok.truncated.response.hex).toHaveLength(2 * Math.min(24, r.mlx5.ok.truncated.length));
    expect(r.mlx5.ok.badOpcode.threw.code).toBe('EBADMSG');
    expect(r.bnxt.ok.sameBuffer).toBe(true);
    expect(r.noSuchDevice.threw.code).toBe('ENOENT');
    expect(r.taintRefused.threw.code).toBe('ERR_FWCTL_TAINT_REFUSED');
    expect(r.unplug.ok.info.threw.errno).toBe(-os.constants.errno.ENODEV);
    expect(r.unplug.ok.info.threw.code).toBe('ENODEV');
    expect(r.unplug.ok.infoSync.threw.code).toBe('ENODEV');
    expect(r.unplug.ok.listed).not.toContain(devs.pds);
  });

  test('the transcript: header, every device listed or opened, calls of all three types with errnos', () => {
    const t = readTranscript(file);
    expect(t.header).toMatchObject({ format: 'fwctl-transcript', version: 1, host: { kernel: os.release() } });
    const names = t.devices.map((d) => d.name);
    for (const n of Object.values(devs)) expect(names).toContain(n);
    const typeIds = new Set(t.calls.filter((c) => c.t === 'open' && c.typeId !== undefined).map((c) => (c as { typeId: number }).typeId));
    for (const id of [1, 3, 4]) expect(typeIds).toContain(id);
    expect(t.calls.some((c) => c.errno === 'ENODEV')).toBe(true);
    expect(t.calls.some((c) => c.errno === 'EBADMSG')).toBe(true);
    expect(t.calls.some((c) => c.t === 'rpc' && c.attach?.[0]?.out !== undefined)).toBe(true);
  });

  test('replayed in a child that cannot load the addon: deep-equal results, every call made', () => {
    const r = node([replayer, file, JSON.stringify(devs)], true);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { result, unused } = JSON.parse(r.stdout) as { result: unknown; unused: string | null };
    expect(result).toEqual(recorded);
    expect(unused).toBeNull();
  });

  test('matched by request bytes (mode match): the same results', () => {
    const r = node([replayer, file, JSON.stringify(devs), '--match'], true);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { result: unknown }).result).toEqual(recorded);
  });

  test('a modified program fails at the diverging call, named with its position and the first differing byte', () => {
    const r = node([replayer, file, JSON.stringify(devs), '--modified'], true);
    expect(r.status).toBe(0);
    const { firstFailure } = JSON.parse(r.stdout) as { firstFailure: string };
    expect(firstFailure).toMatch(/rpc opcode 0x7ff1 \(scope 0\) on \/dev\/fwctl\/fwctl\d+ is the \d+th call on this device/);
    expect(firstFailure).toMatch(/the request differs at byte 1 \(this call 0xf1, the transcript 0xf0/);
  });
});

describe('CLI sessions, recorded and replayed byte for byte', () => {
  const sessions = (): string[][] => {
    const m = emu.device('mlx5').name, b = emu.device('bnxt').name, p = emu.device('pds').name;
    return [
      ['list'], ['list', '--json'], ['info', m], ['info', b, '--json'], ['info', emu.pciOf('pds')],
      ['mlx5', 'query-adapter', m], ['mlx5', 'cap', m], ['bnxt', 'ver-get', b, '--json'],
      ['inventory'], ['inventory', '--json'], ['info', 'fwctl99'],
      ['rpc', m, '--scope', 'configuration', '--hex', '7ff000000000000000000000000000000000'],
      ['rpc', p, '--scope', 'debug-write', '--hex', '00'],
    ];
  };

  test('each command: same stdout, stderr and exit code from the transcript, without the addon', () => {
    const all: { args: string[]; status: number | null; stdout: string; stderr: string }[] = [];
    sessions().forEach((args, i) => {
      const file = path.join(outDir, `cli-${i}.jsonl`);
      const live = node([cli, '--record', file, ...args]);
      const replayed = node([cli, '--replay', file, ...args], true);
      expect({ args, ...replayed }).toEqual({ args, ...live });
      all.push({ args, ...live });
    });
    // Some commands failed (as recorded), most did not.
    expect(all.filter((x) => x.status !== 0).map((x) => x.args[0])).toEqual(['info', 'rpc', 'rpc']);
    fs.writeFileSync(path.join(outDir, 'cli.json'), JSON.stringify(all, null, 1));
  });

  test('--redact: the PSID is nowhere in the file (text or hex); the replay shows the stand-in', () => {
    const m = emu.device('mlx5').name;
    const file = path.join(outDir, 'redacted.jsonl');
    const live = node([cli, '--record', file, '--redact', 'mlx5', 'query-adapter', m]);
    expect(live.stdout).toContain(emu.MLX5.PSID);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(emu.MLX5.PSID);
    expect(text).not.toContain(Buffer.from(emu.MLX5.PSID).toString('hex'));
    expect(text).not.toContain(Buffer.from(emu.MLX5.VSD).toString('hex'));
    expect(readTranscript(file).header.redacted).toMatchObject({ psid: 1, vsd: 1 });
    const replayed = node([cli, '--replay', file, 'mlx5', 'query-adapter', m], true);
    expect(replayed.status).toBe(0);
    expect(replayed.stdout).toMatch(/REDACTED-PSID/);
    expect(replayed.stdout).not.toContain(emu.MLX5.PSID);
  });
});

describe('tracing over the real mlx5 driver: events in order for sync, async, failed and aborted calls', () => {
  const dc = require('node:diagnostics_channel') as typeof import('node:diagnostics_channel');
  const events: string[] = [];
  const contexts: Record<string, unknown>[] = [];
  const sub = Object.fromEntries(['start', 'end', 'asyncStart', 'asyncEnd', 'error'].map((ev) => [ev, (ctx: Record<string, unknown>) => {
    events.push(ev);
    contexts.push({ ...ctx });
  }])) as unknown as import('node:diagnostics_channel').TracingChannelSubscribers<object>;
  beforeAll(() => dc.tracingChannel('fwctl:rpc').subscribe(sub));
  afterAll(() => dc.tracingChannel('fwctl:rpc').unsubscribe(sub));
  beforeEach(() => {
    events.length = 0;
    contexts.length = 0;
  });

  test('sync and async: the device, its PCI parent, type, scope, request and response', async () => {
    await using d = await fwctl.open(emu.device('mlx5').name);
    const req = fwctl.mlx5.encodeIn(fwctl.mlx5.Mlx5Opcode.QUERY_ADAPTER);
    const r = d.rpcSync(req, { scope: fwctl.Scope.Configuration, responseLength: 512 });
    await d.rpc(req, { scope: fwctl.Scope.Configuration, responseLength: 512 });
    expect(events).toEqual(['start', 'end', 'start', 'end', 'asyncStart', 'asyncEnd']);
    expect(contexts[1]).toMatchObject({ device: d.path, parent: emu.pciOf('mlx5'), type: 'mlx5', typeId: 1, scope: 0, sync: true,
      length: r.length, truncated: false });
    expect(contexts[1].request).toBe(req);
    expect(contexts[5]).toMatchObject({ sync: false, length: r.length, durationMs: expect.any(Number) });
  });

  test('failed (the driver\'s EBADMSG) and aborted (a slow firmware command) calls publish error', async () => {
    await using d = await fwctl.open(emu.device('mlx5').name);
    expect(() => d.rpcSync(fwctl.mlx5.encodeIn(0x7ff0), { scope: fwctl.Scope.Configuration })).toThrow(/EBADMSG/);
    expect(events).toEqual(['start', 'error', 'end']);
    expect(contexts[1]).toMatchObject({ code: 'EBADMSG', errno: -os.constants.errno.EBADMSG });
    events.length = 0;
    await emu.withKnobs('mlx5', { latency_ms: 400 }, async () => {
      const p = d.rpc(fwctl.mlx5.encodeIn(0x80d), { scope: fwctl.Scope.DebugReadOnly, signal: AbortSignal.timeout(50) });
      await expect(p).rejects.toMatchObject({ code: 'ABORT_ERR', cause: { name: 'TimeoutError' } });
      await new Promise((r) => setTimeout(r, 500)); // the firmware command finishes in the background
    });
    expect(events).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
  });
});
