// Cgroup settings a client gives at create or update, checked before they reach the runtime: a
// value runc cannot apply fails the start with an error that quotes it (and one of over 64 KiB
// blocks runc writing it to conmon), and a cgroup parent names directories on the host.
import { readFileSync } from 'node:fs';
import { clip } from '../../lib/clip.js';
import { badParameter } from '../errors.js';

/** The kernel's cpu lists are short; a longer one is not a cpu list. */
const CPUSET_MAX = 256;
const CPU_MAX = 8191;

/** `0-3,5`: a comma list of cpu numbers and ranges, as docker's ParseUintList reads it. */
export function parseCpuList(list: string): Set<number> | undefined {
  if (list.length > CPUSET_MAX) return undefined;
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > CPU_MAX) return undefined;
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return out;
}

function onlineCpus(): { text: string; set: Set<number> } | undefined {
  try {
    const text = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    const set = parseCpuList(text);
    return set && { text, set };
  } catch {
    return undefined;
  }
}

export function validateCpuset(v: unknown): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v !== 'string') throw badParameter('invalid CpusetCpus: expected a string such as "0-2,4"');
  const want = parseCpuList(v);
  if (!want) throw badParameter(`invalid value ${clip(v, 64)} for cpuset cpus`);
  const online = onlineCpus();
  if (online && [...want].some((c) => !online.set.has(c))) {
    throw badParameter(`Requested CPUs are not available - requested ${v}, available: ${online.text}`);
  }
}

const CGROUP_NAME = /^[A-Za-z0-9_.:@+-]{1,255}$/;
const CGROUP_PARENT_MAX = 512;

/** A cgroup parent is a path of plain directory names (`/berth`, `/my.slice/sub`); no `..`. */
export function validateCgroupParent(v: unknown): void {
  if (v === undefined || v === null || v === '') return;
  if (typeof v !== 'string') throw badParameter('invalid CgroupParent: expected a string such as "/my-parent"');
  const names = v.replace(/^\/|\/$/g, '').split('/');
  const ok = v.length <= CGROUP_PARENT_MAX && names.every((n) => CGROUP_NAME.test(n) && n !== '.' && n !== '..');
  if (!ok) throw badParameter(`invalid cgroup parent ${clip(v, 64)}: a path of directory names of letters, digits and _.:@+- (at most ${CGROUP_PARENT_MAX} characters)`);
}
