// fwctl completion: the candidates (commands, options, --scope values,
// per-type subcommands, device names) and the bash script driving them.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMANDS, main } from '../../lib/cli/main';
import { complete, deviceNames, subcommandsOf } from '../../lib/cli/commands/completion';
import { CaptureIo } from './helpers/capture-io';
import { writeCliBin } from './helpers/cli';
import { FakeSys } from './helpers/fake-sysfs';

const devices = () => ['eth0', 'fwctl0', 'fwctl12', 'mem0'];
const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

test('first word: every command, completion and help', () => {
  const all = complete(['']);
  for (const c of [...Object.keys(COMMANDS), 'completion', 'help']) expect(all).toContain(c);
  expect(complete(['in'])).toEqual(['info', 'inventory']);
  expect(complete(['help', 'ml'])).toEqual(['mlx5']);
  expect(complete(['completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  expect(complete(['nonsense', ''])).toEqual([]);
});

test('per-type subcommands match what each command accepts', async () => {
  for (const type of ['mlx5', 'cxl', 'pds', 'bnxt']) {
    const subs = subcommandsOf(COMMANDS[type]());
    // The command's own complaint about a missing subcommand lists them.
    const io = new CaptureIo();
    expect(await main([type, 'no-such-subcommand'], io)).toBe(2);
    const listed = /(?:give one of|needs a subcommand:) (.*)$/m.exec(io.err)?.[1].split(', ');
    expect(subs).toEqual(listed);
    expect(complete([type, ''], devices)).toEqual(subs);
  }
  expect(complete(['mlx5', 'query-'], devices)).toEqual(['query-hca-cap', 'query-adapter']);
  expect(complete(['cxl', 'get'], devices)).toEqual(['get-feature']);
});

test('device names where a command takes <device>', () => {
  expect(complete(['info', ''], devices)).toEqual(devices());
  expect(complete(['info', 'fw'], devices)).toEqual(['fwctl0', 'fwctl12']);
  expect(complete(['rpc', 'fwctl1'], devices)).toEqual(['fwctl12']);
  expect(complete(['mlx5', 'cap', ''], devices)).toEqual(devices());
  expect(complete(['cxl', 'get-feature', 'me'], devices)).toEqual(['mem0']);
  expect(complete(['mlx5', '--json', 'fw', 'e'], devices)).toEqual(['eth0']); // options before the subcommand
  expect(complete(['list', ''], devices)).toEqual([]);
  expect(complete(['info', 'fwctl0', ''], devices)).toEqual([]);
});

test('options, and values of the options that take one', () => {
  expect(complete(['list', '--'], devices)).toEqual(['--json', '--timeout', '--help']);
  expect(complete(['rpc', 'fwctl0', '--sc'], devices)).toEqual(['--scope']);
  expect(complete(['rpc', 'fwctl0', '--scope', 'debug'], devices)).toEqual(['debug-read-only', 'debug-write', 'debug-write-full']);
  expect(complete(['rpc', '--scope', 'configuration', ''], devices)).toEqual(devices()); // the value is not a positional
  expect(complete(['rpc', 'fwctl0', '--in', ''], devices)).toEqual([]); // a file: left to the shell
  expect(complete(['inventory', '--p'], devices)).toEqual(['--prometheus']);
});

test('device names come from /dev/fwctl and the class devices in sysfs', () => {
  const sys = new FakeSys();
  sys.addParent('pci0000:00/0000:01:00.0', { subsystem: 'pci', driver: 'mlx5_core', net: ['eth0'], infiniband: ['mlx5_0'] });
  sys.addFwctl('fwctl0', 'pci0000:00/0000:01:00.0', 1, 3);
  sys.addParent('faux/fwctl-mock7', { subsystem: 'faux' });
  sys.addFwctl('fwctl12', 'faux/fwctl-mock7', 240, 12);
  fs.mkdirSync(path.join(sys.dev, 'fwctl'), { recursive: true });
  fs.writeFileSync(path.join(sys.dev, 'fwctl', 'fwctl3'), ''); // a node sysfs does not list
  process.env.FWCTL_SYSFS_ROOT = sys.sys;
  process.env.FWCTL_DEV_ROOT = sys.dev;
  expect(deviceNames()).toEqual(['eth0', 'fwctl0', 'fwctl3', 'fwctl12', 'mlx5_0']);
  process.env.FWCTL_SYSFS_ROOT = path.join(sys.sys, 'missing');
  process.env.FWCTL_DEV_ROOT = path.join(sys.dev, 'missing');
  expect(deviceNames()).toEqual([]);
});

test('fwctl completion SHELL prints the script; --words the candidates', async () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const io = new CaptureIo();
    expect(await main(['completion', shell], io)).toBe(0);
    expect(io.out).toContain('completion --words --');
  }
  const io = new CaptureIo();
  expect(await main(['completion', '--words', '--', 'completion', 'b'], io)).toBe(0);
  expect(io.out).toBe('bash\n');
  const bad = new CaptureIo();
  expect(await main(['completion', 'tcsh'], bad)).toBe(2);
});

// The scripts run for real: the shell calls the CLI (dist/lib/cli/main.js via
// a wrapper named fwctl) as it would on TAB.
describe('the shell scripts', () => {
  let dir: string;
  let fwctlBin: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-completion-'));
    fwctlBin = writeCliBin(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = () => ({ ...process.env, PATH: `${dir}:${process.env.PATH}`, FWCTL_DEV_ROOT: path.join(dir, 'nodev'), FWCTL_SYSFS_ROOT: path.join(dir, 'nosys') });
  const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;

  test('bash', () => {
    const script = spawnSync(fwctlBin, ['completion', 'bash'], { encoding: 'utf8', env: env() }).stdout;
    const run = (...words: string[]) => {
      const r = spawnSync('bash', ['--norc', '-c', `${script}
COMP_WORDS=(fwctl ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}
_fwctl_completion; printf '%s\\n' "\${COMPREPLY[@]}"; complete -p fwctl`], { encoding: 'utf8', env: env() });
      expect(r.stderr).toBe('');
      return r.stdout.trim().split('\n');
    };
    expect(run('ml')).toEqual(['mlx5', 'complete -o default -F _fwctl_completion fwctl']);
    expect(run('mlx5', 'query-')).toEqual(['query-hca-cap', 'query-adapter', 'complete -o default -F _fwctl_completion fwctl']);
    expect(run('rpc', 'fwctl0', '--scope', 'debug-w')).toEqual(['debug-write', 'debug-write-full', 'complete -o default -F _fwctl_completion fwctl']);
  });

  (has('zsh') ? test : test.skip)('zsh (when installed): the script registers _fwctl, which offers the candidates', () => {
    const script = spawnSync(fwctlBin, ['completion', 'zsh'], { encoding: 'utf8', env: env() }).stdout;
    const r = spawnSync('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -D; ${script}\nprint -r -- \${+functions[_fwctl]} \${_comps[fwctl]}`], { encoding: 'utf8', env: env() });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1 _fwctl');
    // _fwctl itself, with compadd and _files standing in for the completion system's.
    const run = (...words: string[]) => {
      const c = spawnSync('zsh', ['-f', '-c', `compdef() { :; }
compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -l -- "$@"; }
_files() { print FILES; }
${script}
words=(fwctl ${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length + 1}; _fwctl`], { encoding: 'utf8', env: env() });
      expect(c.stderr).toBe('');
      return c.stdout.trim().split('\n');
    };
    expect(run('mlx5', 'query-')).toEqual(['query-hca-cap', 'query-adapter']);
    expect(run('rpc', 'fwctl0', '--in', '')).toEqual(['FILES']);
  });

  (has('fish') ? test : test.skip)('fish (when installed): complete -C offers the candidates', () => {
    const script = spawnSync(fwctlBin, ['completion', 'fish'], { encoding: 'utf8', env: env() }).stdout;
    const r = spawnSync('fish', ['--no-config', '-c', `${script}\ncomplete -C 'fwctl mlx5 query-'`], { encoding: 'utf8', env: env() });
    expect(r.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(['query-adapter', 'query-hca-cap']);
  });
});
