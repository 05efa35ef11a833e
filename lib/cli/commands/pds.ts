// fwctl pds endpoints|operations <device> [ep]

import * as pds from '../../pds';
import { UsageError, type Values } from '../command';
import { table } from '../format';
import { jsonSafe, typedCommand, u } from './typed';
import { SCOPE_NAMES } from '../../uapi/constants';

function route(values: Values): pds.QueryRoute {
  const num = (k: string) => {
    const v = values[k];
    if (v === undefined) {
      throw new UsageError('--query-ep and --query-op are required: the in-tree driver keeps its endpoint and operation ' +
        'lists to itself, and only your firmware knows which operation (if any) serves them over RPC');
    }
    if (typeof v !== 'string' || !/^(0x[0-9a-f]+|\d+)$/i.test(v)) throw new UsageError(`--${k} must be a number, got '${String(v)}'`);
    return Number(v);
  };
  return { ep: num('query-ep'), op: num('query-op') };
}

export const command = typedCommand('pds', {
  endpoints: {
    args: ' --query-ep N --query-op N',
    summary: 'the firmware\'s RPC endpoints',
    async run(dev, _extra, values, signal) {
      const r = await pds.endpoints(dev, route(values), { signal });
      return { json: jsonSafe(r), text: table(['ENDPOINT'], r.entries.map((e) => [String(e.id)])) };
    },
  },
  operations: {
    args: ' <ep> --query-ep N --query-op N',
    summary: 'the operations of endpoint <ep>, with the scope the driver requires for each',
    extra: 1,
    async run(dev, [ep], values, signal) {
      if (!/^\d+$/.test(ep)) throw new UsageError(`<ep> must be a number, got '${ep}'`);
      const r = await pds.operations(dev, Number(ep), route(values), { signal });
      return {
        json: jsonSafe(r),
        text: table(['OP', 'COMMAND', 'VERSION', 'ATTR', 'SCOPE'],
          r.entries.map((o) => [u(o.id, 8), u(o.command, 4), String(o.version), u(o.attr, 2), SCOPE_NAMES[o.scope]])),
      };
    },
  },
}, { 'query-ep': { type: 'string' }, 'query-op': { type: 'string' } },
`The in-tree pds driver keeps its endpoint/operation lists internal; these
commands ask the firmware over RPC at the endpoint and operation you name
with --query-ep/--query-op (no default: on real firmware a guessed operation
could be a write; the project's emulated firmware serves them at ep 0, op 1).
A non-zero firmware retval is an error.
`);
