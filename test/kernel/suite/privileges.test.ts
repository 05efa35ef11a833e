// Privileges and the kernel's taint state, in the test VM (run as root; the
// unprivileged cases run in a child, under setpriv or after setuid).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import * as mock from '../mock/protocol';

const TAINT_FWCTL = 1 << 19;
const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));
const libPath = require.resolve('../../../lib');
const protocolPath = require.resolve('../mock/protocol');
const bindingPath = require.resolve('../../../lib/binding');

/**
 * Run a script in a child node (under setpriv when given its arguments);
 * returns its JSON line. With `asUser` the child loads the package as root
 * and then drops to that uid/gid before the script runs, so it can do so
 * even when the checkout itself is not readable by that user (/root).
 */
function asChild(
  setprivArgs: string[],
  script: string,
  env: Record<string, string>,
  asUser?: number,
): Record<string, unknown> {
  // The addon is loaded lazily: load it while the checkout is still readable.
  const drop = asUser === undefined ? '' :
    `require(${JSON.stringify(bindingPath)}).binding(); process.setgroups([]); process.setgid(${asUser}); process.setuid(${asUser});`;
  const code = `
    const fwctl = require(${JSON.stringify(libPath)});
    const mock = require(${JSON.stringify(protocolPath)});
    ${drop}
    (async () => { ${script} })().then(
      (r) => console.log(JSON.stringify({ ok: r })),
      (e) => console.log(JSON.stringify({ name: e.name, code: e.code, errno: e.errno, message: e.message })));
  `;
  const [cmd, args] = setprivArgs.length
    ? ['setpriv', [...setprivArgs, '--', process.execPath, '-e', code]]
    : [process.execPath, ['-e', code]];
  const r = spawnSync(cmd, args as string[], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const NOBODY = 65534;

let dev: mock.MockDevice;
beforeAll(() => {
  dev = mock.add();
});
afterAll(() => mock.del(dev.name));

test('this boot starts untainted by fwctl (tainting tests run in their own boot)', () => {
  expect(tainted() & TAINT_FWCTL).toBe(0);
});

test('tainting scopes without allowKernelTaint never reach the kernel', async () => {
  await using d = await fwctl.open(dev.name);
  for (const scope of [fwctl.Scope.DebugWrite, fwctl.Scope.DebugWriteFull]) {
    expect(() => d.rpcSync(mock.request(mock.Op.Scope), { scope })).toThrow(/taint/i);
    await expect(d.rpc(mock.request(mock.Op.Scope), { scope })).rejects.toThrow(/allowKernelTaint/);
  }
  expect(tainted() & TAINT_FWCTL).toBe(0);
  // The refused calls never reached the driver: this is its first RPC on this fd.
  const r = d.rpcSync(mock.request(mock.Op.Scope), { scope: fwctl.Scope.DebugReadOnly, responseLength: 16 });
  expect(Buffer.from(r.response).readUInt32LE(8)).toBe(1);
});

test('DebugWriteFull without CAP_SYS_RAWIO: EPERM naming the capability, kernel not tainted', () => {
  const res = asChild(
    ['--inh-caps=-sys_rawio', '--bounding-set=-sys_rawio'],
    `const d = await fwctl.open(process.env.DEV);
     return d.rpc(mock.request(mock.Op.Scope), { scope: fwctl.Scope.DebugWriteFull, allowKernelTaint: true });`,
    { DEV: dev.name },
  );
  expect(res).toMatchObject({ name: 'FwctlError', code: 'EPERM', errno: -1 });
  expect(String(res.message)).toMatch(/CAP_SYS_RAWIO/);
  expect(tainted() & TAINT_FWCTL).toBe(0);
});

test('opening a root-only node as another user: EACCES pointing at permissions', () => {
  const res = asChild([], `await fwctl.open(process.env.DEV); return 'opened';`, { DEV: dev.name }, NOBODY);
  expect(res).toMatchObject({ name: 'FwctlError', code: 'EACCES' });
  expect(String(res.message)).toMatch(/udev|permission/i);
});

test('list() needs no privileges', () => {
  const res = asChild([], `return (await fwctl.list()).map((d) => d.name);`, {}, NOBODY);
  expect(res.ok).toContain(dev.name);
});
