// mlx5 (FWCTL_DEVICE_TYPE_MLX5): PRM command mailboxes, big-endian. The
// entry point of 'fwctl/mlx5'; the modules are in lib/mlx5/:
//   core.ts      headers, scopes, status, errors, commands by opcode, QUERY_ADAPTER
//   typed.ts     commands by name with mlx5_ifc.h fields, capabilities, registers
//   commands.ts  the driver's opcodes and their _in/_out layouts
//   facts.ts     firmware version, identity, temperatures, transceivers (for inventories)
//   ifc.ts       decode/encode any mlx5_ifc.h layout
//   nvconfig.ts  NV configuration over MNVDA (the type's nvConfig hooks, what fwctl.config asks)
//   firmware.ts  firmware update (MCC/MCDA), what fwctl.firmware asks; mfa2.ts reads MFA2 archives
//   generated/   the layout table and enums, the driver's opcode table (npm run gen)
//   type.ts      mlx5 as a device type (lib/registry.ts): registered on import

import './mlx5/type';
export {
  HEADER_LENGTH, MLX5_OPCODE_TABLE, type Mlx5OpcodeEntry, FwctlDecodeError, Mlx5Opcode, opcodeName, minScope, validate,
  Mlx5Status, statusText, encodeIn, decodeOutHeader, type Mlx5OutHeader, type Mlx5Result, Mlx5FirmwareError,
  type Mlx5ExecOptions, type Plan, runPlan, runPlanSync, opcodePlan, HcaCapType, type QueryHcaCapOptions, type HcaCap,
  decodeHcaCap, queryHcaCap, queryHcaCapSync, type Adapter, decodeAdapter, queryAdapter, queryAdapterSync,
} from './mlx5/core';
export {
  exec, execSync, commandPlan, capPlan, regPlan, type Mlx5CommandName, type Mlx5CapType, type Mlx5RegId, type Mlx5Fields, type Mlx5TypedOptions, type Mlx5TypedResult,
  capabilities, capabilitiesSync, capType, type CapabilityOptions, type Mlx5Capabilities, type Mlx5CapName,
  register, registers, readRegister, readRegisterSync, writeRegister, writeRegisterSync, type Mlx5Register,
  type Mlx5RegisterResult, type Mlx5RegName, type RegisterOptions,
} from './mlx5/typed';
export { MLX5_COMMANDS, command, type Mlx5Command } from './mlx5/commands';
export {
  facts, factsSync, factSteps, steps, stepsSync, fwVersionText, type Steps, type Mlx5Facts, type FirmwareVersion,
  type Temperature, type ModuleIdentity, type FactError,
} from './mlx5/facts';
export * as ifc from './mlx5/ifc';
/** Firmware update over MCC/MCDA at Configuration (docs/api/firmware.md): mlx5.firmware.components(dev), mlx5.firmware.update(dev, image). */
export * as firmware from './mlx5/firmware-api';
export { Mlx5FlashError } from './mlx5/firmware';
export * as mfa2 from './mlx5/mfa2';
export { mlx5NvConfig as nvConfig, MLX5_REG_MNVQC, MLX5_REG_MNVIA } from './mlx5/nvconfig';
export { NV_SOURCE, NV_ITEMS, NV_DEVLINK_PARAMS } from './mlx5/generated/nv-param';
export {
  IFC_SOURCE, MLX5_CMD_OP, MLX5_CAP, MLX5_CAP_LAYOUT, HCA_CAP_OPMOD, MLX5_REG, MLX5_PPCNT_GROUP, MLX5_MPCNT_GROUP,
} from './mlx5/generated/ifc-data';
