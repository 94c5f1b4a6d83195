import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedSeccompProfiles, defaultSeccomp, SECCOMP_CACHE_MAX } from '../../../src/oci/seccomp.js';

test('converted seccomp profiles are cached per capability set, a bounded number of them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-'));
  const file = join(dir, 'seccomp.json');
  writeFileSync(
    file,
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_PTRACE'] } },
      ],
    }),
  );
  try {
    const base = defaultSeccomp(['CAP_CHOWN'], file);
    assert.ok(base);
    assert.equal(defaultSeccomp(['CAP_CHOWN'], file), base, 'the same set is converted once');
    // Every client-chosen set makes a profile: only the latest few stay.
    for (let i = 0; i < 100; i++) defaultSeccomp(['CAP_CHOWN', `CAP_X${i}`], file);
    assert.equal(cachedSeccompProfiles(), SECCOMP_CACHE_MAX);
    const ptrace = defaultSeccomp(['CAP_SYS_PTRACE'], file)!;
    assert.ok(ptrace.syscalls.some((s) => s.names.includes('ptrace')));
    assert.ok(!base.syscalls.some((s) => s.names.includes('ptrace')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
