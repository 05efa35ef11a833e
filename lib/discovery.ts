// Finding fwctl devices through sysfs (/sys/class/fwctl): no open(), no
// privileges. Written once as a generator of filesystem reads, run either
// synchronously or with fs.promises, so list() and listSync() cannot drift.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { sysLayer } from './ground';
import { FwctlError, FwctlTypeError } from './errors';

/** Where to look: injectable so tests can use a fake tree. */
export interface Roots {
  /** sysfs mount point; default $FWCTL_SYSFS_ROOT or /sys. */
  sysfsRoot?: string;
  /** /dev; default $FWCTL_DEV_ROOT or /dev. Device nodes are <devRoot>/fwctl/<name>. */
  devRoot?: string;
  /** procfs mount point; default /proc. Read for /proc/devices when /sys/dev/char is masked. */
  procRoot?: string;
}

/** The device a fwctl device belongs to (its sysfs `device` link). */
export interface FwctlParent {
  /** Its sysfs name: a PCI address ('0000:01:00.0'), a CXL memdev ('mem0'), ... */
  readonly name: string;
  /** Its real sysfs path. */
  readonly sysfsPath: string;
  /** Basename of its `subsystem` link: 'pci', 'cxl', 'faux', ...; null if absent. */
  readonly subsystem: string | null;
  /** The bound driver (basename of its `driver` link), or null. */
  readonly driver: string | null;
  /** The PCI function: the parent itself when it is PCI, else the PCI device it sits on (CXL memdevs), or null. */
  readonly pciAddress: string | null;
  /** Network interfaces of the parent (parent/net/). */
  readonly net: readonly string[];
  /** InfiniBand devices of the parent (parent/infiniband/). */
  readonly infiniband: readonly string[];
  /** The CXL memdev name when the parent is one (memN in the cxl subsystem), else null. */
  readonly cxlMemdev: string | null;
}

export interface FwctlDeviceEntry {
  /** 'fwctl0' */
  readonly name: string;
  /** The device node: '/dev/fwctl/fwctl0'. */
  readonly path: string;
  /** '/sys/class/fwctl/fwctl0' */
  readonly sysfsPath: string;
  /** From the sysfs `dev` attribute. */
  readonly major: number;
  readonly minor: number;
  /** null only if the `device` link is missing (should not happen). */
  readonly parent: FwctlParent | null;
}

/** What find() matches; every given criterion must hold. */
export interface FindCriteria {
  /** PCI address of the parent (or of the PCI device under a CXL memdev); '01:00.0' means domain 0000. */
  pci?: string;
  /** The parent's sysfs name: '0000:01:00.0', 'mem0', ... */
  parent?: string;
  /** A fwctl name ('fwctl0') or a class device of the parent: net interface, InfiniBand device, CXL memdev. */
  name?: string;
}

export function sysfsRootOf(roots?: Roots): string {
  return roots?.sysfsRoot ?? process.env.FWCTL_SYSFS_ROOT ?? '/sys';
}

export function devRootOf(roots?: Roots): string {
  return roots?.devRoot ?? process.env.FWCTL_DEV_ROOT ?? '/dev';
}

// ---- the reads, as requests a runner answers ----
// A file that is absent (ENOENT, ENOTDIR) answers null / []: sysfs entries come
// and go, and most of what is read here is optional. Any other error (EACCES,
// EPERM on a masked or locked-down /sys, ELOOP, EIO) throws a FwctlError naming
// the path: an unreadable /sys is not "no devices".

type Req =
  | { readonly op: 'readdir'; readonly path: string }
  | { readonly op: 'readlink'; readonly path: string }
  | { readonly op: 'readFile'; readonly path: string }
  | { readonly op: 'realpath'; readonly path: string };

interface Answers {
  readdir: string[];
  readlink: string | null;
  readFile: string | null;
  realpath: string | null;
}

type Reads<T> = Generator<Req, T, unknown>;

function* ask<O extends Req['op']>(op: O, p: string): Reads<Answers[O]> {
  return (yield { op, path: p } as Req) as Answers[O];
}

const readdir = (p: string) => ask('readdir', p);
const readFile = (p: string) => ask('readFile', p);
const realpath = (p: string) => ask('realpath', p);
function* linkName(p: string): Reads<string | null> {
  const target = yield* ask('readlink', p);
  return target === null ? null : path.basename(target);
}

function answerSync(req: Req): unknown {
  const layer = sysLayer(); // a recording or a replay (lib/ground.ts), else undefined
  return layer ? layer.sync(req.op, req.path, () => readSync(req)) : readSync(req);
}

async function answerAsync(req: Req): Promise<unknown> {
  const layer = sysLayer();
  return layer ? layer.async(req.op, req.path, () => read(req)) : read(req);
}

function readSync(req: Req): unknown {
  try {
    switch (req.op) {
      case 'readdir': return fs.readdirSync(req.path);
      case 'readlink': return fs.readlinkSync(req.path);
      case 'readFile': return fs.readFileSync(req.path, 'utf8');
      case 'realpath': return fs.realpathSync(req.path);
    }
  } catch (e) {
    return absent(req, e);
  }
}

async function read(req: Req): Promise<unknown> {
  try {
    switch (req.op) {
      case 'readdir': return await fs.promises.readdir(req.path);
      case 'readlink': return await fs.promises.readlink(req.path);
      case 'readFile': return await fs.promises.readFile(req.path, 'utf8');
      case 'realpath': return await fs.promises.realpath(req.path);
    }
  } catch (e) {
    return absent(req, e);
  }
}

/** The answer for a path that is not there; throws for every other error. */
function absent(req: Req, e: unknown): [] | null {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return req.op === 'readdir' ? [] : null;
  throw discoveryError(req, e);
}

function discoveryError(req: Req, e: unknown): FwctlError {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : 'EIO';
  const hint = code === 'EACCES' || code === 'EPERM'
    ? '; sysfs is unreadable here (a container or security policy masking /sys?), so whether fwctl devices exist is unknown'
    : '';
  return new FwctlError({ code, errno: typeof err?.errno === 'number' ? Math.abs(err.errno) : undefined, path: req.path,
    detail: `cannot ${req.op} ${req.path}: ${err?.message ?? String(e)}${hint}` });
}

export function runSync<T>(g: Reads<T>): T {
  let step = g.next();
  while (!step.done) step = g.next(answerSync(step.value));
  return step.value;
}

export async function runAsync<T>(g: Reads<T>): Promise<T> {
  let step = g.next();
  while (!step.done) step = g.next(await answerAsync(step.value));
  return step.value;
}

// ---- the logic ----

/** fwctl2 before fwctl10: by the number, then by name for anything else. */
export function compareDeviceNames(a: string, b: string): number {
  const na = /^fwctl(\d+)$/.exec(a);
  const nb = /^fwctl(\d+)$/.exec(b);
  if (na && nb) return Number(na[1]) - Number(nb[1]);
  if (na || nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parse a sysfs `dev` attribute ("240:0\n"). */
export function parseDevAttr(text: string | null): { major: number; minor: number } | null {
  const m = text === null ? null : /^(\d+):(\d+)\s*$/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

function* readParent(sysfsPath: string): Reads<FwctlParent | null> {
  const real = yield* realpath(path.join(sysfsPath, 'device'));
  if (real === null) return null;
  const name = path.basename(real);
  const subsystem = yield* linkName(path.join(real, 'subsystem'));
  const driver = yield* linkName(path.join(real, 'driver'));
  let pciAddress: string | null = subsystem === 'pci' ? name : null;
  if (pciAddress === null) {
    // A CXL memdev (or an auxiliary device) sits directly under its PCI function.
    const up = path.dirname(real);
    if ((yield* linkName(path.join(up, 'subsystem'))) === 'pci') pciAddress = path.basename(up);
  }
  const net = (yield* readdir(path.join(real, 'net'))).sort();
  const infiniband = (yield* readdir(path.join(real, 'infiniband'))).sort();
  const cxlMemdev = subsystem === 'cxl' && /^mem\d+$/.test(name) ? name : null;
  return { name, sysfsPath: real, subsystem, driver, pciAddress, net, infiniband, cxlMemdev };
}

function* listReads(roots?: Roots): Reads<FwctlDeviceEntry[]> {
  const classDir = path.join(sysfsRootOf(roots), 'class', 'fwctl');
  const devDir = path.join(devRootOf(roots), 'fwctl');
  const names = (yield* readdir(classDir)).sort(compareDeviceNames);
  const out: FwctlDeviceEntry[] = [];
  for (const name of names) {
    const sysfsPath = path.join(classDir, name);
    const dev = parseDevAttr(yield* readFile(path.join(sysfsPath, 'dev')));
    if (!dev) continue; // removed while we looked
    const parent = yield* readParent(sysfsPath);
    out.push({ name, path: path.join(devDir, name), sysfsPath, major: dev.major, minor: dev.minor, parent });
  }
  return out;
}

/**
 * Every fwctl device, in numeric order (fwctl2 before fwctl10). Empty when
 * fwctl is not loaded; throws a FwctlError (code EACCES, EPERM, ..., with the
 * path) when sysfs cannot be read.
 */
export async function list(roots?: Roots): Promise<FwctlDeviceEntry[]> {
  return listed(await runAsync(listReads(roots)));
}

export function listSync(roots?: Roots): FwctlDeviceEntry[] {
  return listed(runSync(listReads(roots)));
}

/** A recording notes the devices listed (its transcript's device lines). */
function listed(entries: FwctlDeviceEntry[]): FwctlDeviceEntry[] {
  sysLayer()?.listed?.(entries);
  return entries;
}

/** '01:00.0' -> '0000:01:00.0', lower case. */
export function normalizePci(address: string): string {
  const a = address.trim().toLowerCase();
  return /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(a) ? `0000:${a}` : a;
}

/** True when the entry matches every given criterion. */
export function matches(entry: FwctlDeviceEntry, criteria: FindCriteria): boolean {
  const p = entry.parent;
  if (criteria.pci !== undefined && (!p?.pciAddress || p.pciAddress !== normalizePci(criteria.pci))) return false;
  if (criteria.parent !== undefined && p?.name !== criteria.parent) return false;
  if (criteria.name !== undefined) {
    const names = [entry.name, ...(p?.net ?? []), ...(p?.infiniband ?? []), ...(p?.cxlMemdev ? [p.cxlMemdev] : [])];
    if (!names.includes(criteria.name)) return false;
  }
  return true;
}

function checkCriteria(criteria: FindCriteria): void {
  if (typeof criteria !== 'object' || criteria === null) throw new FwctlTypeError('find() takes { pci?, parent?, name? }');
  const given = (['pci', 'parent', 'name'] as const).filter((k) => criteria[k] !== undefined);
  if (given.length === 0) throw new FwctlTypeError('find() needs at least one of pci, parent, name', 'ERR_FWCTL_INVALID_ARG_VALUE');
  for (const k of given) {
    if (typeof criteria[k] !== 'string') throw new FwctlTypeError(`find(): ${k} must be a string`);
  }
}

/** The first device (in list() order) matching every criterion, or undefined. */
export async function find(criteria: FindCriteria, roots?: Roots): Promise<FwctlDeviceEntry | undefined> {
  checkCriteria(criteria);
  return (await list(roots)).find((e) => matches(e, criteria));
}

export function findSync(criteria: FindCriteria, roots?: Roots): FwctlDeviceEntry | undefined {
  checkCriteria(criteria);
  return listSync(roots).find((e) => matches(e, criteria));
}

// ---- open()'s check: does MAJ:MIN belong to the fwctl class? ----
// /sys/dev/char/MAJ:MIN/subsystem names the class. Containers often mask
// /sys/dev/char; then the char major fwctl registered, from /proc/devices,
// answers it (fwctl has one major for all its minors). The native open() asks
// the node FWCTL_INFO as well, which only fwctl nodes answer, so no root
// override here can make open() accept a node that is not fwctl.

/** The char major /proc/devices lists for `name` ("Character devices:" section), or null. */
export function parseProcDevices(text: string | null, name: string): number | null {
  if (text === null) return null;
  let chars = false;
  for (const line of text.split('\n')) {
    if (/^Character devices:/.test(line)) chars = true;
    else if (/^Block devices:/.test(line)) chars = false;
    else if (chars) {
      const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(line);
      if (m && m[2] === name) return Number(m[1]);
    }
  }
  return null;
}

function* subsystemOfCharReads(major: number, minor: number, roots?: Roots): Reads<string | null> {
  const sub = yield* linkName(path.join(sysfsRootOf(roots), 'dev', 'char', `${major}:${minor}`, 'subsystem'));
  if (sub !== null) return sub;
  const procDevices = path.join(roots?.procRoot ?? '/proc', 'devices');
  return parseProcDevices(yield* readFile(procDevices), 'fwctl') === major ? 'fwctl' : null;
}

/**
 * Basename of /sys/dev/char/MAJ:MIN/subsystem ('fwctl' for a fwctl device);
 * when that link is missing, 'fwctl' if /proc/devices gives fwctl that major; else null.
 */
export function subsystemOfCharSync(major: number, minor: number, roots?: Roots): string | null {
  return runSync(subsystemOfCharReads(major, minor, roots));
}

export function subsystemOfChar(major: number, minor: number, roots?: Roots): Promise<string | null> {
  return runAsync(subsystemOfCharReads(major, minor, roots));
}
