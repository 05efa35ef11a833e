// `fwctl flash` argument handling on the host (no device): usage errors are
// exit 2 before anything is opened. The real runs (kill -9, SIGINT, --all)
// are the kernel suite's flash-cli.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from './helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-flash-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each([
  [['flash'], /usage: fwctl flash/],
  [['flash', 'fwctl0'], /usage: fwctl flash/],
  [['flash', '--all'], /usage: fwctl flash/],
  [['flash', 'fwctl0', 'a', 'b'], /usage: fwctl flash/],
  [['flash', 'fwctl0', '/nonexistent/fw.mfa2'], /cannot read \/nonexistent\/fw.mfa2/],
  [['flash', 'fwctl0', 'x', '--bogus'], /Unknown option '--bogus'/],
])('fwctl %j: a usage error (exit 2)', async (argv, msg) => {
  const r = await cli(...argv);
  expect({ code: r.code, err: r.err }).toEqual({ code: 2, err: expect.stringMatching(msg) });
});

test('--help lists every option', async () => {
  const r = await cli('flash', '--help');
  expect(r.code).toBe(0);
  for (const o of ['--all', '--psid', '--allow-psid-change', '--allow-downgrade', '--dry-run', '--recover', '--yes', '--timeout', '--json']) expect(r.out).toContain(o);
});

test('--json usage errors are JSON', async () => {
  const f = path.join(dir, 'fw.bin');
  fs.writeFileSync(f, Buffer.alloc(16));
  const r = await cli('flash', '--all', f, 'extra', '--json');
  expect(r.code).toBe(2);
  expect(JSON.parse(r.err).error.code).toBe('ERR_FWCTL_USAGE');
});
