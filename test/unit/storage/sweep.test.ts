// A new instance sweeps what a dead one left half-made in the layer store, and nothing a live
// process (this one, or another instance on the same storage) still works on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { ownerAlive, ownerToken } from '../../../src/lib/owner.js';
import { openState } from '../../../src/state/db.js';
import { ImageState } from '../../../src/state/images.js';
import { LayerStore } from '../../../src/storage/layers.js';

const root = mkdtempSync(join(tmpdir(), 'berth-sweep-'));
after(() => rmSync(root, { recursive: true, force: true }));

function layerTar(name: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = tar.pack();
    const chunks: Buffer[] = [];
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', () => resolve(Buffer.concat(chunks)));
    p.on('error', reject);
    p.entry({ name, mode: 0o644, mtime: new Date(1_600_000_000_000) }, Buffer.from(name));
    p.finalize();
  });
}

async function* once(b: Buffer) {
  yield b;
}

/** The token of a process that has exited. */
function deadToken(): string {
  const pid = spawnSync('true').pid!;
  return `${pid}.12345`;
}

test('owner tokens: this process is alive, an exited one and garbage are not', () => {
  assert.match(ownerToken(), /^\d+\.\d+$/);
  assert.equal(ownerAlive(ownerToken()), true);
  assert.equal(ownerAlive(deadToken()), false);
  assert.equal(ownerAlive('not-a-token'), false);
});

test('the sweep removes scratch and claimed layers of dead owners, keeps those of live ones', async () => {
  const state = new ImageState(openState(root));
  const first = new LayerStore(root, state);
  await first.init();
  const orphan = await first.put(null, once(await layerTar('orphan')));
  const mine = await first.put(null, once(await layerTar('mine')));
  const dead = deadToken();
  // `orphan` was stored by a process that died before its image was recorded; `mine` is still
  // being recorded by this process.
  state.claimLayer(orphan.id, dead);
  state.claimLayer(mine.id, ownerToken());
  const overlay = join(root, 'overlay');
  const scratch = {
    deadUnpack: join(overlay, `.tmp-${dead}-0123456789abcdef`),
    liveUnpack: join(overlay, `.tmp-${ownerToken()}-0123456789abcdef`),
    deadSpool: join(root, 'tmp', `work-${dead}-0123456789abcdef`),
    liveSpool: join(root, 'tmp', `work-${ownerToken()}-0123456789abcdef`),
    // An older version's name says nothing of its owner: only its age lets it go.
    legacy: join(root, 'tmp', 'work-0123456789abcdef'),
  };
  for (const d of Object.values(scratch)) mkdirSync(join(d, 'diff'), { recursive: true });

  await new LayerStore(root, state).init();
  assert.equal(existsSync(scratch.deadUnpack), false);
  assert.equal(existsSync(scratch.deadSpool), false);
  assert.equal(existsSync(scratch.liveUnpack), true);
  assert.equal(existsSync(scratch.liveSpool), true);
  assert.equal(existsSync(scratch.legacy), true);
  assert.equal(state.layer(orphan.id), undefined, 'the dead owner\'s layer is gone');
  assert.equal(existsSync(join(overlay, orphan.id)), false);
  assert.ok(state.layer(mine.id), 'the live owner\'s layer stays');
  assert.deepEqual(state.layerClaims().map((c) => c.layer_id), [mine.id]);
});
