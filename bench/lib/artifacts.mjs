// Inputs the bench makes once and caches in bench/work/: a ~100 MB docker-archive (busybox plus
// one layer of incompressible data) and an OCI bundle of the busybox rootfs for `runc run`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { must } from './util.mjs';
import { packTar, sha256 } from '../../test/fixtures/tar.mjs';

/** Directories for entries without data, files for the rest (the fixtures' deterministic tar). */
const pack = (entries) => packTar(entries.map((e) => ({ ...e, type: e.data ? 'file' : 'directory' })));

/**
 * A docker-archive (legacy layout) of `${repoTag}`: the fixture busybox layer plus a layer with
 * `mib` MiB of random bytes in 4 files. Cached by size.
 */
export async function bigArchive(workDir, fixturesDir, mib = 100, repoTag = 'bench/big:latest') {
  const out = join(workDir, `big-${mib}m.tar`);
  if (existsSync(out)) return out;
  mkdirSync(workDir, { recursive: true });
  const base = readFileSync(join(fixturesDir, 'busybox-rootfs.tar'));
  const baseDiff = 'sha256:' + sha256(base);
  const per = Math.floor((mib * 1024 * 1024) / 4);
  const big = await pack([{ name: 'data/' }, ...[0, 1, 2, 3].map((i) => ({ name: `data/blob${i}.bin`, data: randomBytes(per) }))]);
  const bigDiff = 'sha256:' + sha256(big);
  const config = {
    architecture: 'amd64',
    os: 'linux',
    created: '2023-11-14T22:13:20Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [baseDiff, bigDiff] },
    history: [
      { created: '2023-11-14T22:13:20Z', created_by: 'busybox rootfs' },
      { created: '2023-11-14T22:13:20Z', created_by: `bench: ${mib} MiB of random data` },
    ],
  };
  const cfg = Buffer.from(JSON.stringify(config));
  const cfgHex = sha256(cfg);
  const l1 = baseDiff.slice(7);
  const l2 = bigDiff.slice(7);
  const manifest = [{ Config: `${cfgHex}.json`, RepoTags: [repoTag], Layers: [`${l1}/layer.tar`, `${l2}/layer.tar`] }];
  const archive = await pack([
    { name: `${l1}/` },
    { name: `${l1}/layer.tar`, data: base },
    { name: `${l2}/` },
    { name: `${l2}/layer.tar`, data: big },
    { name: `${cfgHex}.json`, data: cfg },
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
  ]);
  writeFileSync(out + '.tmp', archive);
  renameSync(out + '.tmp', out);
  return out;
}

/** An OCI bundle running `args` in the busybox rootfs (runc's default spec, no terminal). */
export async function runcBundle(dir, fixturesDir, args = ['true']) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  await must('tar', ['-xf', join(fixturesDir, 'busybox-rootfs.tar'), '-C', join(dir, 'rootfs')]);
  await must('runc', ['spec', '--bundle', dir]);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = args;
  spec.root.readonly = false;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return dir;
}

/** One docker-archive holding `n` images (same busybox layer, configs differ by a label), tagged bench/img:0..n-1. */
export async function multiImageArchive(workDir, fixturesDir, n) {
  const out = join(workDir, `images-${n}.tar`);
  if (existsSync(out)) return out;
  mkdirSync(workDir, { recursive: true });
  const base = readFileSync(join(fixturesDir, 'busybox-rootfs.tar'));
  const diff = sha256(base);
  const entries = [{ name: `${diff}/` }, { name: `${diff}/layer.tar`, data: base }];
  const manifest = [];
  for (let i = 0; i < n; i++) {
    const cfg = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2023-11-14T22:13:20Z',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], Labels: { 'berth.bench.image': String(i) } },
        rootfs: { type: 'layers', diff_ids: ['sha256:' + diff] },
        history: [{ created: '2023-11-14T22:13:20Z', created_by: 'busybox rootfs' }],
      }),
    );
    const hex = sha256(cfg);
    entries.push({ name: `${hex}.json`, data: cfg });
    manifest.push({ Config: `${hex}.json`, RepoTags: [`bench/img:${i}`], Layers: [`${diff}/layer.tar`] });
  }
  entries.push({ name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) });
  writeFileSync(out + '.tmp', await pack(entries));
  renameSync(out + '.tmp', out);
  return out;
}
