// lib/ground.ts: the sysfs reads and node stats of the core, plain fs unless a layer is installed.

import { setSysLayerSource, statNode, statNodeSync, statRecordSync, sysLayer, type SysLayer, type SysOp } from '../../lib/ground';
import { caught } from './helpers/errors';

afterEach(() => setSysLayerSource(undefined));

test('no source, no layer: stat is the real one', async () => {
  expect(sysLayer()).toBeUndefined();
  expect(statNodeSync('/dev/null').isCharacterDevice()).toBe(true);
  expect((await statNode('/dev/null')).isCharacterDevice()).toBe(true);
  expect(statRecordSync('/nonexistent/fwctl0')).toEqual({ error: 'ENOENT' });
});

test('a layer answers the stat (a transcript\'s record), its recorded error thrown as open() reports it', async () => {
  const seen: [SysOp, string][] = [];
  const answers: Record<string, unknown> = {
    '/dev/fwctl/fwctl0': { mode: 0o20600, rdev: '61439' },
    '/dev/fwctl/fwctl9': { error: 'ENOENT' },
  };
  const layer: SysLayer = {
    sync: (op, p) => (seen.push([op, p]), answers[p]),
    async: async (op, p) => (seen.push([op, p]), answers[p]),
  };
  setSysLayerSource(() => layer);
  expect(sysLayer()).toBe(layer);
  const st = statNodeSync('/dev/fwctl/fwctl0');
  expect([st.isCharacterDevice(), st.isFile(), st.rdev]).toEqual([true, false, 61439n]);
  expect((await statNode('/dev/fwctl/fwctl0')).mode).toBe(BigInt(0o20600));
  expect(caught(() => statNodeSync('/dev/fwctl/fwctl9'))).toMatchObject({ code: 'ENOENT', path: '/dev/fwctl/fwctl9' });
  await expect(statNode('/dev/fwctl/fwctl9')).rejects.toMatchObject({ code: 'ENOENT' });
  expect(seen).toEqual([['stat', '/dev/fwctl/fwctl0'], ['stat', '/dev/fwctl/fwctl0'], ['stat', '/dev/fwctl/fwctl9'], ['stat', '/dev/fwctl/fwctl9']]);
});

test('the source is asked at each read (the chain may change between reads)', () => {
  let n = 0;
  setSysLayerSource(() => (n++, undefined));
  sysLayer();
  statNodeSync('/dev/null');
  expect(n).toBe(2);
});
