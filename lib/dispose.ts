// The keys of Device's `using` / `await using` methods, without touching the
// global Symbol: the runtime's Symbol.dispose / Symbol.asyncDispose where it
// has them (Node >= 20.4, 22, 24, 26), otherwise the registry symbols Node's
// own polyfill uses (Symbol.for('nodejs.dispose'), ...), so both sides agree
// on any runtime that adds them later. Typed as the well-known symbols, so a
// Device is Disposable / AsyncDisposable to TypeScript.

const S = Symbol as unknown as { dispose?: symbol; asyncDispose?: symbol };

export const disposeSymbol: typeof Symbol.dispose = (S.dispose ?? Symbol.for('nodejs.dispose')) as typeof Symbol.dispose;
export const asyncDisposeSymbol: typeof Symbol.asyncDispose = (S.asyncDispose ??
  Symbol.for('nodejs.asyncDispose')) as typeof Symbol.asyncDispose;
