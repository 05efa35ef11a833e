// The `fwctl` commands, loaded on demand (only the command being run is
// loaded; `list` never loads the native addon). Per-device-type commands
// (cxl, mlx5, ...) are added here the same way. lib/cli/main.ts runs them,
// lib/cli/commands/completion.ts completes their names (handed over here:
// completion does not import this list, which loads it).

import type { Command } from './command';
import { useCommandList } from './commands/completion';

export const COMMANDS: Readonly<Record<string, () => Command>> = {
  list: () => (require('./commands/list') as typeof import('./commands/list')).command,
  doctor: () => (require('./commands/doctor') as typeof import('./commands/doctor')).command,
  info: () => (require('./commands/info') as typeof import('./commands/info')).command,
  inventory: () => (require('./commands/inventory') as typeof import('./commands/inventory')).command,
  rpc: () => (require('./commands/rpc') as typeof import('./commands/rpc')).command,
  cxl: () => (require('./commands/cxl') as typeof import('./commands/cxl')).command,
  mlx5: () => (require('./commands/mlx5') as typeof import('./commands/mlx5')).command,
  pds: () => (require('./commands/pds') as typeof import('./commands/pds')).command,
  bnxt: () => (require('./commands/bnxt') as typeof import('./commands/bnxt')).command,
  completion: () => (require('./commands/completion') as typeof import('./commands/completion')).command,
  transcript: () => (require('./commands/transcript') as typeof import('./commands/transcript')).command,
  flash: () => (require('./commands/flash') as typeof import('./commands/flash')).command,
  config: () => (require('./commands/config') as typeof import('./commands/config')).command,
};

useCommandList(COMMANDS);
