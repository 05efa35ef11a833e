// lib/backend.ts: the backend chain the core asks for its binding and sysfs layer.

import { activeBinding, installBackend, replaying, setEnvironmentBackends, type Backend } from '../../lib/backend';
import type { NativeBinding } from '../../lib/binding';
import { sysLayer, type SysLayer } from '../../lib/ground';
import { FakeBinding } from './helpers/fake-binding';

/** A backend that wraps the binding it is given, naming itself on open(). */
function tagging(tag: string, log: string[]): Backend {
  return {
    binding: (load) => {
      const inner = load();
      return { ...inner, open: (p: string) => (log.push(tag), inner.open(p)) } as NativeBinding;
    },
  };
}

function sysTagging(tag: string, log: string[]): SysLayer {
  return {
    sync: (op, p, real) => (log.push(`${tag}>`), real()),
    async: async (op, p, real) => (log.push(`${tag}>`), real()),
  };
}

test('the environment is asked once, at the first use; its backends are innermost; installs stack and come off', () => {
  const log: string[] = [];
  let asked = 0;
  const replayLike: Backend = { replay: true, binding: () => new FakeBinding(-2), sys: sysTagging('env', log) };
  setEnvironmentBackends(() => (asked++, [replayLike]));
  setEnvironmentBackends(() => { throw new Error('a second environment is ignored'); });
  expect(asked).toBe(0);
  expect(replaying()).toBe(true);
  expect(asked).toBe(1);

  const remove = installBackend({ ...tagging('outer', log), sys: sysTagging('outer', log) });
  const b = activeBinding();
  expect(b.open('/dev/fwctl/fwctl0')).toBe(-2); // the replay-like backend answered, observed by the outer one
  expect(log).toEqual(['outer']);
  // The chain's sysfs layers are the ground's: the environment's innermost, the installed one around it.
  log.length = 0;
  expect(sysLayer()!.sync('readdir', '/sys/class/fwctl', () => 'real')).toBe('real');
  expect(log).toEqual(['outer>', 'env>']);

  remove();
  log.length = 0;
  expect(activeBinding().open('/x')).toBe(-2);
  expect(log).toEqual([]);
  expect(sysLayer()).toBe(replayLike.sys);
  expect(asked).toBe(1);
});
