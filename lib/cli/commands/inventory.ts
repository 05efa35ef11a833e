// fwctl inventory [--json | --prometheus]: every device with its firmware facts.

import { inventory, toPrometheus, type InventoryRecord } from '../../inventory';
import { deviceTypeModules } from '../../registry';
import { COMMON_OPTIONS, Exit, UsageError, type Command } from '../command';
import { codeText, table } from '../format';

/** The one-line firmware summary of a record for the table. */
export function factsText(r: InventoryRecord): string {
  if (r.error) return `error ${codeText(r.error.code, r.error.message.split('\n')[0])}`;
  for (const m of deviceTypeModules()) {
    const summary = m.inventory?.summary?.(r);
    if (summary !== undefined) return summary;
  }
  return r.note ?? '-';
}

export const INVENTORY_HEADER = ['NAME', 'TYPE', 'PARENT', 'SUBSYSTEM', 'DRIVER', 'FIRMWARE'];

export function inventoryRows(records: readonly InventoryRecord[]): string[][] {
  return records.map((r) => [
    r.name,
    r.type ? `${r.type.name}(${r.type.id})` : '-',
    r.parent?.name ?? '-',
    r.parent?.subsystem ?? '-',
    r.driver ?? '-',
    factsText(r),
  ]);
}

export const command: Command = {
  name: 'inventory',
  summary: 'every device with its firmware facts (versions, adapter identity, CXL features)',
  help: `usage: fwctl inventory [--json | --prometheus] [--nv-config]

One record per fwctl device (in 'fwctl list' order): parent, driver, type and
what the firmware tells at the least-privileged scope: bnxt HWRM_VER_GET
versions, mlx5 QUERY_ADAPTER (PSID, VSD, vendor ids), CXL supported features
with the patrol scrub cycle and DDR5 ECS mode per memdev when it has them.
pds and unknown types: FWCTL_INFO only. Never taints the kernel.

A device that refuses (EACCES when not root, EPERM, ENODEV, a firmware or
decode error) is reported in its record as error { code, message }: the
command still prints every device and exits 0. Exit 1 only if listing fails.

  --json         an array of fwctl.inventory() records:
                 { name, path, parent { name, subsystem, pciAddress } | null,
                   driver, type { name, id } | null, bnxt? | mlx5? | cxl?,
                   note?, error { code, message } | null }
  --prometheus   node_exporter textfile-collector format (fwctl_device_info,
                 fwctl_firmware_version_info, fwctl_mlx5_adapter_info,
                 fwctl_cxl_features, fwctl_cxl_patrol_scrub_cycle_seconds,
                 fwctl_cxl_patrol_scrub_min_cycle_seconds, fwctl_cxl_patrol_scrub_enabled,
                 fwctl_cxl_ecs_mode, fwctl_cxl_ecs_threshold, fwctl_query_error)
  --nv-config    also each device's named boolean and integer NV configuration
                 items (record.nvConfig; fwctl_nv_config{device,name,when}),
                 read at the lowest scope; a failure is recorded in nvConfig.error
`,
  options: { ...COMMON_OPTIONS, prometheus: { type: 'boolean' }, 'nv-config': { type: 'boolean' } },
  async run(positionals, values, io) {
    if (positionals.length > 0) throw new UsageError(`inventory takes no arguments, got ${positionals.join(' ')}`);
    if (values.json && values.prometheus) throw new UsageError('give --json or --prometheus, not both');
    const records = await inventory({ signal: io.signal, nvConfig: values['nv-config'] === true });
    if (values.json) io.stdout(JSON.stringify(records, null, 2) + '\n');
    else if (values.prometheus) io.stdout(toPrometheus(records));
    else if (records.length === 0) io.stderr('no fwctl devices (is a fwctl driver loaded? see /sys/class/fwctl)\n');
    else io.stdout(table(INVENTORY_HEADER, inventoryRows(records)));
    return Exit.Ok;
  },
};
