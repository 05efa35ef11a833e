// The fleet path with the real tools: `fwctl inventory --prometheus` written
// the way docs/api/inventory.md tells operators to (a temp file in the collector
// directory, renamed over fwctl.prom), checked by promtool and scraped from a
// real node_exporter (textfile collector only, on 127.0.0.1, a free port,
// stopped by the test). Debian's prometheus and prometheus-node-exporter
// packages (test/kernel/scripts/provision.sh); without them the tests skip,
// and fail under FWCTL_REQUIRE_KERNEL=1 (CI).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { setBindingForTesting, splitRdev } from '../../lib/device';
import { toPrometheus, type InventoryRecord } from '../../lib/inventory';
import { CaptureIo } from './helpers/capture-io';
import { FakeBinding, FakeHandle, mlx5AdapterResponder, type Responder } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';

function which(...names: string[]): string | undefined {
  for (const n of names) {
    for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/sbin'])) {
      const p = path.join(dir, n);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const promtool = which('promtool');
const exporter = which('prometheus-node-exporter', 'node_exporter');
const required = process.env.FWCTL_REQUIRE_KERNEL === '1';
const withTools = (promtool && exporter) || required ? test : test.skip;

const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);

/** fwctl0 answers as mlx5: FWCTL_INFO and QUERY_ADAPTER; any other command BAD_OP (a fact error, no metric). */
const mlx5: Responder = mlx5AdapterResponder('vsd "x"\\y');

/** A CXL memdev, a bnxt function and an mlx5 function with every fact, as inventory() records them. */
const SYNTHETIC: InventoryRecord[] = [
  {
    name: 'fwctl2', path: '/dev/fwctl/fwctl2', parent: { name: 'mem0', subsystem: 'cxl', pciAddress: '0000:0d:00.0' },
    driver: 'cxl_mem', type: { name: 'cxl', id: 2 }, error: null,
    cxl: {
      featureCount: 2, features: [],
      patrolScrub: { cycleHours: 12, minCycleHours: 1, enabled: true, cycleChangeable: true },
      ecs: { logEntryType: 0, frus: [{ fru: 0, mode: 1, modeName: 'codewords', threshold: 1024 }] },
    },
  },
  {
    name: 'fwctl3', path: '/dev/fwctl/fwctl3', parent: { name: '0000:3b:00.0', subsystem: 'pci', pciAddress: '0000:3b:00.0' },
    driver: 'bnxt_en', type: { name: 'bnxt', id: 3 }, error: null,
    bnxt: {
      interfaceVersion: '1.10.3', firmwareVersion: '230.0.150', firmwareName: 'primate', managementVersion: '230.0.150',
      netctrlVersion: '230.0.150', roceVersion: '230.0.150', activePackage: '', chipNum: 0x1750, chipRev: 1,
      portStats: { txFrames: '10', rxFrames: '20', txBytes: '640', rxBytes: '1280', txErrors: '0', rxErrors: '1', txDiscards: '0', rxDiscards: '2' },
    },
  },
  {
    name: 'fwctl4', path: '/dev/fwctl/fwctl4', parent: { name: '0000:5e:00.0', subsystem: 'pci', pciAddress: '0000:5e:00.0' },
    driver: 'mlx5_core', type: { name: 'mlx5', id: 1 }, error: null,
    mlx5: {
      ieeeVendorId: 0x0002c9, vsdVendorId: 0x15b3, vsd: 'v', psid: 'MT_0000000002',
      firmware: { running: { version: '16.35.4030', raw: 0x1023_0fbe, versionString: '' } },
      temperatures: [{ sensor: 0, name: 'ASIC', celsius: 50.5, maxCelsius: 70 }],
      modules: [{ localPort: 1, module: 0, identifier: 0x11, type: 'QSFP28', vendor: 'V', partNumber: 'P', serialNumber: 'S' }],
    },
  },
];

interface Sample { name: string; labels: Record<string, string>; value: string }

/** Samples of the text exposition format (label values unescaped). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_s, ch: string) => (ch === 'n' ? '\n' : ch));
    }
    out.push({ name: m[1], labels, value: m[3] });
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Writes `text` as docs/api/inventory.md's recipe does: a temp file in the same directory, renamed over NAME.prom. */
function writeAtomically(dir: string, name: string, text: string): string {
  const final = path.join(dir, name);
  const tmp = `${final}.${process.pid}`; // not *.prom: the collector never reads a half-written file
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, final);
  return final;
}

describe('fwctl inventory --prometheus with promtool and node_exporter', () => {
  if (!(promtool && exporter) && !required) {
    test.skip('promtool / prometheus-node-exporter not installed (test/kernel/scripts/provision.sh installs them)', () => {});
  }

  let sys: FakeSys;
  let dir: string;
  let cliText: string;
  beforeAll(async () => {
    sys = new FakeSys();
    sys.addParent('pci0000:00/0000:01:00.0', { subsystem: 'pci', driver: 'mlx5_core' });
    sys.addFwctl('fwctl0', 'pci0000:00/0000:01:00.0', NULL_DEV.major, NULL_DEV.minor);
    fs.symlinkSync('/dev/null', path.join(sys.dev, 'fwctl', 'fwctl0'));
    sys.addParent('faux/fwctl-mock7', { subsystem: 'faux' });
    sys.addFwctl('fwctl12', 'faux/fwctl-mock7', 240, 12); // no device node: a query error
    process.env.FWCTL_SYSFS_ROOT = sys.sys;
    process.env.FWCTL_DEV_ROOT = sys.dev;
    setBindingForTesting(new FakeBinding(() => new FakeHandle(mlx5, [fs.constants.S_IFCHR, NULL_DEV.major, NULL_DEV.minor])));
    const io = new CaptureIo();
    expect(await main(['inventory', '--prometheus'], io)).toBe(0);
    cliText = io.out;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-textfile-'));
  });
  afterAll(() => {
    setBindingForTesting(undefined);
    delete process.env.FWCTL_SYSFS_ROOT;
    delete process.env.FWCTL_DEV_ROOT;
    sys?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  withTools('the tools are installed', () => {
    expect({ promtool, exporter }).toEqual({ promtool: expect.any(String), exporter: expect.any(String) });
  });

  const check = (text: string) => {
    const r = spawnSync(promtool as string, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30000 });
    return { status: r.status, out: r.stdout + r.stderr };
  };

  withTools('promtool check metrics passes the CLI output and the CXL, bnxt and mlx5 families, with no lint findings', () => {
    expect(check(cliText)).toEqual({ status: 0, out: '' });
    expect(check(toPrometheus(SYNTHETIC))).toEqual({ status: 0, out: '' });
    // promtool is not a rubber stamp: it rejects a counter without _total and a missing HELP
    const bad = spawnSync(promtool as string, ['check', 'metrics'],
      { input: '# TYPE fwctl_x counter\nfwctl_x 1\n', encoding: 'utf8', timeout: 30000 });
    expect(bad.status).not.toBe(0);
  });

  withTools('node_exporter\'s textfile collector serves the fwctl_ families with their labels and values', async () => {
    writeAtomically(dir, 'fwctl.prom', cliText);
    writeAtomically(dir, 'fwctl-more.prom', toPrometheus(SYNTHETIC));
    expect(fs.readdirSync(dir).sort()).toEqual(['fwctl-more.prom', 'fwctl.prom']); // no temp file left
    const port = await freePort();
    let child: ChildProcess | undefined;
    let stderr = '';
    try {
      child = spawn(exporter as string, [
        `--web.listen-address=127.0.0.1:${port}`, '--web.disable-exporter-metrics',
        '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${dir}`,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
      let body: string | undefined;
      for (const deadline = Date.now() + 15000; body === undefined && Date.now() < deadline;) {
        const r = await Promise.race([get(port, '/metrics').catch(() => undefined), exited.then(() => 'exited' as const)]);
        if (r === 'exited') throw new Error(`node_exporter exited: ${stderr}`);
        if (r?.status === 200) body = r.body;
        else await new Promise((res) => setTimeout(res, 100));
      }
      if (body === undefined) throw new Error(`node_exporter did not answer on 127.0.0.1:${port}: ${stderr}`);
      const got = samples(body);
      const one = (name: string, labels: Record<string, string>) => got.filter((s) => s.name === name &&
        Object.entries(labels).every(([k, v]) => s.labels[k] === v));

      expect(one('node_textfile_scrape_error', {}).map((s) => s.value)).toEqual(['0']);
      expect(one('node_textfile_mtime_seconds', {}).map((s) => path.basename(s.labels.file)).sort())
        .toEqual(['fwctl-more.prom', 'fwctl.prom']);
      expect(one('fwctl_device_info', { device: 'fwctl0' })).toEqual([{ name: 'fwctl_device_info',
        labels: { device: 'fwctl0', type: 'mlx5', parent: '0000:01:00.0', driver: 'mlx5_core' }, value: '1' }]);
      expect(one('fwctl_device_info', { device: 'fwctl12' })[0].labels).toMatchObject({ type: 'unknown', parent: 'fwctl-mock7', driver: '' });
      expect(one('fwctl_mlx5_adapter_info', { device: 'fwctl0' })).toEqual([{ name: 'fwctl_mlx5_adapter_info', labels: {
        device: 'fwctl0', psid: 'MT_0000000001', vsd: 'vsd "x"\\y', ieee_vendor_id: '0x0002c9', vsd_vendor_id: '0x15b3' }, value: '1' }]);
      expect(one('fwctl_query_error', {}).map((s) => [s.labels.device, s.labels.code, s.value])).toEqual([['fwctl12', 'ENOENT', '1']]);
      expect(one('fwctl_cxl_features', { device: 'fwctl2' }).map((s) => s.value)).toEqual(['2']);
      expect(one('fwctl_cxl_patrol_scrub_cycle_seconds', { device: 'fwctl2', memdev: 'mem0' }).map((s) => s.value)).toEqual(['43200']);
      expect(one('fwctl_cxl_ecs_threshold', { fru: '0' }).map((s) => s.value)).toEqual(['1024']);
      expect(one('fwctl_bnxt_port_discards_total', { device: 'fwctl3', direction: 'rx' }).map((s) => s.value)).toEqual(['2']);
      expect(one('fwctl_firmware_version_info', { device: 'fwctl3', component: 'firmware' })[0].labels).toMatchObject({ version: '230.0.150', name: 'primate' });
      expect(one('fwctl_mlx5_temperature_celsius', { device: 'fwctl4', sensor: '0' }).map((s) => s.value)).toEqual(['50.5']);
      expect(one('fwctl_mlx5_module_info', { device: 'fwctl4' })[0].labels).toMatchObject({ port: '1', type: 'QSFP28', serial_number: 'S' });
      expect(body).toMatch(/^# TYPE fwctl_bnxt_port_bytes_total counter$/m);
      expect(body).toMatch(/^# TYPE fwctl_device_info gauge$/m);
      // Every fwctl_ sample written is served, and nothing else under fwctl_.
      const written = [...samples(cliText), ...samples(toPrometheus(SYNTHETIC))];
      expect(got.filter((s) => s.name.startsWith('fwctl_')).length).toBe(written.length);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([gone, new Promise((res) => (timer = setTimeout(res, 5000)))]);
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
  }, 30000);
});
