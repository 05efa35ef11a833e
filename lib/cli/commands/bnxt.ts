// fwctl bnxt ver-get <device>

import * as bnxt from '../../bnxt';
import { fields } from '../format';
import { jsonSafe, typedCommand, u } from './typed';

export const command = typedCommand('bnxt', {
  'ver-get': {
    args: '',
    summary: 'HWRM_VER_GET: interface and firmware versions, names, chip (scope debug-read-only)',
    async run(dev, _extra, _values, signal) {
      const v = await bnxt.verGet(dev, { signal });
      const { response: _r, ...rest } = v;
      void _r;
      const ver = (x: number[]) => x.join('.');
      return {
        json: jsonSafe(rest),
        text: fields([
          ['hwrm interface', ver(v.interfaceVersion)],
          ['firmware', `${ver(v.firmwareVersion)} (${v.firmwareName})`],
          ['management', `${ver(v.managementVersion)} (${v.managementName})`],
          ['netctrl', `${ver(v.netctrlVersion)} (${v.netctrlName})`],
          ['roce', `${ver(v.roceVersion)} (${v.roceName})`],
          ['active package', v.activePackage],
          ['chip', `${u(v.chipNum, 4)} rev ${v.chipRev} metal ${v.chipMetal}`],
          ['dev_caps_cfg', u(v.devCapsCfg, 8)],
          ['max request', `${v.maxReqWinLen} bytes (ext ${v.maxExtReqLen})`],
          ['max response', `${v.maxRespLen} bytes`],
          ['timeouts', `default ${v.defReqTimeout} ms, max ${v.maxReqTimeout} s`],
        ]),
      };
    },
  },
}, {}, `A non-zero error_code is an error (exit 1, code ERR_BNXT_ERROR_CODE): a firmware
HWRM_ERR_CODE_*, or a send the driver could not complete (a negative errno).
`);
