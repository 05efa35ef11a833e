// Sessions recorded in the test VM against the kernel's real mlx5, bnxt and
// pds fwctl drivers (test/fixtures/vm/, written by test/fixtures/record-vm.sh
// from test/kernel/suite/record.test.ts: errors and a hot-unplug included),
// replayed here on the host with no device and no VM: the library session
// gives deep-equal results (also in a child that cannot load the addon),
// each CLI command prints byte-identical output with the same exit code,
// and a modified program fails naming the diverging call.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fwctl from '../../lib';
import { main } from '../../lib/cli/main';
import { readTranscript } from '../../lib/transcript';
import { librarySession, type SessionDevices } from '../fixtures/session';
import { CaptureIo } from './helpers/capture-io';

const fixtures = path.join(__dirname, '../../../test/fixtures/vm');
const dist = path.join(__dirname, '..');
const library = path.join(fixtures, 'library.jsonl');
const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'library.json'), 'utf8')) as { devices: SessionDevices; result: unknown };
const cli = JSON.parse(fs.readFileSync(path.join(fixtures, 'cli.json'), 'utf8')) as { args: string[]; status: number; stdout: string; stderr: string }[];

describe('the library session recorded in the VM', () => {
  test('the transcript holds the three real drivers\' devices, an ENODEV after the unplug, and attachments', () => {
    const t = readTranscript(library);
    expect(t.header.host.kernel).toMatch(/^7\./);
    const types = new Set(t.calls.flatMap((c) => (c.t === 'open' && c.typeId !== undefined ? [c.typeId] : [])));
    for (const id of [1, 3, 4]) expect(types).toContain(id);
    expect(t.calls.filter((c) => c.errno === 'ENODEV').length).toBeGreaterThan(0);
    expect(t.devices.filter((d) => d.parent?.subsystem === 'pci').map((d) => d.parent!.driver).sort())
      .toEqual(expect.arrayContaining(['fwctl_emu_bnxt', 'fwctl_emu_mlx5', 'fwctl_emu_pds']));
  });

  test('replayed in this process: deep-equal results, every call made', async () => {
    const r = fwctl.replay(library);
    try {
      expect(await librarySession(expected.devices)).toEqual(expected.result);
      expect(r.failures).toEqual([]);
      r.verify();
    } finally {
      r.stop();
    }
  });

  test('replayed in a child that cannot load a native addon', () => {
    const r = spawnSync(process.execPath, ['-r', path.join(dist, 'fixtures/no-addon.js'), path.join(dist, 'fixtures/replay-session.js'),
      library, JSON.stringify(expected.devices)], { encoding: 'utf8', env: { ...process.env, FWCTL_RECORD: '', FWCTL_AUDIT: '' } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ result: expected.result, unused: null, firstFailure: null });
  });

  test('a modified program fails at the diverging call: named, with its position and first differing byte', async () => {
    const r = fwctl.replay(library);
    try {
      await librarySession(expected.devices, undefined, 'modified');
      expect(r.failures[0]?.message).toMatch(
        /^replay \(.*library\.jsonl\): rpc opcode 0x7ff1 \(scope 0\) on \/dev\/fwctl\/fwctl\d+ is the \d+th call on this device \(seq \d+\): the request differs at byte 1 \(this call 0xf1, the transcript 0xf0; lengths 16 and 16\)$/);
      expect(r.failures[0]).toMatchObject({ code: 'ERR_FWCTL_REPLAY_MISMATCH', offset: 1 });
    } finally {
      r.stop();
    }
  });
});

describe('the CLI sessions recorded in the VM', () => {
  test.each(cli.map((c, i) => [c.args.join(' '), i] as const))('fwctl %s: byte-identical output and exit code', async (_name, i) => {
    const c = cli[i];
    const io = new CaptureIo();
    const code = await main(['--replay', path.join(fixtures, `cli-${i}.jsonl`), ...c.args], io);
    expect({ stdout: io.out, stderr: io.err, status: code }).toEqual({ stdout: c.stdout, stderr: c.stderr, status: c.status });
  });

  test('fwctl transcript show names the calls of the real drivers', async () => {
    const io = new CaptureIo();
    expect(await main(['transcript', 'show', path.join(fixtures, 'cli-5.jsonl')], io)).toBe(0);
    expect(io.out).toMatch(/rpc QUERY_ADAPTER scope Configuration, 16 bytes in, \d+ out -> \d+ bytes, status OK/);
  });
});
