// lib/dispose: Device's `using` keys are the runtime's Symbol.dispose /
// Symbol.asyncDispose where it has them, else the registry symbols Node's
// own polyfill uses, and the global Symbol is never patched.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { Device } from '../../lib/device';
import { asyncDisposeSymbol, disposeSymbol } from '../../lib/dispose';

/** Runs the compiled lib/dispose.js in a context whose Symbol is `symbolCtor`. */
function loadWith(symbolCtor: unknown): { disposeSymbol: symbol; asyncDisposeSymbol: symbol } {
  const code = fs.readFileSync(path.join(__dirname, '../../lib/dispose.js'), 'utf8');
  const module = { exports: {} as Record<string, symbol> };
  vm.runInNewContext(code, { Symbol: symbolCtor, module, exports: module.exports });
  return module.exports as unknown as { disposeSymbol: symbol; asyncDisposeSymbol: symbol };
}

test('the runtime has Symbol.dispose: Device uses it', () => {
  expect(disposeSymbol).toBe(Symbol.dispose);
  expect(asyncDisposeSymbol).toBe(Symbol.asyncDispose);
  expect(typeof Device.prototype[Symbol.dispose]).toBe('function');
  expect(typeof Device.prototype[Symbol.asyncDispose]).toBe('function');
});

test('a runtime without Symbol.dispose: the registry symbols, and Symbol is left alone', () => {
  const bare = { for: (k: string) => Symbol.for(k) };
  const got = loadWith(Object.freeze(bare)); // frozen: an assignment would throw in strict code
  expect(got.disposeSymbol).toBe(Symbol.for('nodejs.dispose'));
  expect(got.asyncDisposeSymbol).toBe(Symbol.for('nodejs.asyncDispose'));
  expect(Object.keys(bare)).toEqual(['for']);
});

test('a runtime with its own symbols: those, unchanged', () => {
  const own = { dispose: Symbol('d'), asyncDispose: Symbol('ad'), for: (k: string) => Symbol.for(k) };
  const got = loadWith(own);
  expect(got.disposeSymbol).toBe(own.dispose);
  expect(got.asyncDisposeSymbol).toBe(own.asyncDispose);
});
