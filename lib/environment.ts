// The environment's backends: FWCTL_REPLAY (answers from a transcript),
// FWCTL_RECORD (writes one) and FWCTL_AUDIT (logs tainting and writing
// calls), plugged into the backend chain (lib/backend.ts). Reached from the
// entries (lib/index.ts, lib/cli/main.ts), never from the core. The plug-ins
// are loaded only when their variable is set, at the chain's first use.

import { setEnvironmentBackends, type Backend } from './backend';

/** The backends `env` asks for, innermost (replay) first. */
export function environmentBackends(env: NodeJS.ProcessEnv = process.env): Backend[] {
  const out: Backend[] = [];
  if (env.FWCTL_REPLAY) out.push((require('./replay') as typeof import('./replay')).replayBackend(env.FWCTL_REPLAY, {
    mode: env.FWCTL_REPLAY_MODE === 'match' ? 'match' : 'strict',
  }));
  if (env.FWCTL_RECORD) out.push((require('./record') as typeof import('./record')).recordBackend(env.FWCTL_RECORD, {
    redact: env.FWCTL_RECORD_REDACT === '1',
  }));
  if (env.FWCTL_AUDIT) out.push((require('./audit') as typeof import('./audit')).auditBackend(env.FWCTL_AUDIT));
  return out;
}

setEnvironmentBackends(() => environmentBackends());
