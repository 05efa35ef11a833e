// fwctl mlx5 query-hca-cap|query-adapter <device>

import * as mlx5 from '../../mlx5';
import { UsageError } from '../command';
import { fields, hexdump } from '../format';
import { jsonSafe, typedCommand, u } from './typed';

function strip<T extends mlx5.Mlx5Result>(r: T): Omit<T, 'response'> {
  const { response: _r, ...rest } = r;
  void _r;
  return rest;
}

export const command = typedCommand('mlx5', {
  'query-hca-cap': {
    args: ' [--cap-type N] [--max]',
    summary: 'QUERY_HCA_CAP: the 4096-byte capability (current values; --max for the maximum)',
    run(dev, _extra, values) {
      const capType = values['cap-type'] === undefined ? 0 : Number(values['cap-type']);
      if (!Number.isInteger(capType) || capType < 0) throw new UsageError(`--cap-type must be a number, got '${String(values['cap-type'])}'`);
      const r = mlx5.queryHcaCapSync(dev, { capType, current: values.max !== true });
      return {
        json: jsonSafe(strip(r)),
        text: fields([['status', `${u(r.status)} (${mlx5.statusText(r.status)})`], ['capability', `${r.capability.length} bytes`]]) +
          hexdump(r.capability),
      };
    },
  },
  'query-adapter': {
    args: '',
    summary: 'QUERY_ADAPTER: vendor ids, VSD and PSID',
    run(dev) {
      const a = mlx5.queryAdapterSync(dev);
      const { capability: _c, ...rest } = { capability: undefined, ...strip(a) };
      void _c;
      return {
        json: jsonSafe(rest),
        text: fields([['ieee vendor id', u(a.ieeeVendorId, 6)], ['vsd vendor id', u(a.vsdVendorId, 4)], ['vsd', a.vsd], ['psid', a.psid]]),
      };
    },
  },
}, { 'cap-type': { type: 'string' }, max: { type: 'boolean' } },
`A firmware status other than 0 is an error (exit 1, code ERR_MLX5_STATUS).
Scopes are the least the kernel allows: Configuration for both.
`);
