// Symbol.dispose / Symbol.asyncDispose for `using` / `await using`. Node 20.20
// and 22 define them; older Node 20 releases do not, and a class keyed on an
// undefined symbol would silently get a property named "undefined".
// Node's own polyfill uses these registry keys, so both sides agree.

const S = Symbol as unknown as { dispose?: symbol; asyncDispose?: symbol };
S.dispose ??= Symbol.for('nodejs.dispose');
S.asyncDispose ??= Symbol.for('nodejs.asyncDispose');

export {};
