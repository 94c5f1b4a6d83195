// Unlimited rlimits reach runc as RLIM_INFINITY, exactly (docker's --ulimit memlock=-1:-1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processJson, specJson } from '../../../src/oci/spec.js';
import { clampRlimits } from '../../../src/oci/rlimits.js';

test('-1 and the uint64 maximum are written as 18446744073709551615; other values as they are', () => {
  const spec = { process: { args: ['rlimits'], rlimits: [{ type: 'RLIMIT_MEMLOCK', hard: -1, soft: -1 }, { type: 'RLIMIT_NOFILE', hard: 2048, soft: 1024 }] } };
  const text = specJson(spec);
  assert.match(text, /"rlimits":\[\{"type":"RLIMIT_MEMLOCK","hard":18446744073709551615,"soft":18446744073709551615\},\{"type":"RLIMIT_NOFILE","hard":2048,"soft":1024\}\]/);
  assert.match(text, /"args":\["rlimits"\]/);
  // An exec reads config.json back (the maximum becomes 2^64 as a number) and writes its process.json.
  const back = JSON.parse(text) as { process: Record<string, unknown> };
  assert.match(processJson(back.process), /"hard":18446744073709551615/);
  assert.equal(specJson({ process: { rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1, soft: 1 }] } }), JSON.stringify({ process: { rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1, soft: 1 }] } }));
});

test('without CAP_SYS_RESOURCE, unlimited is clamped to our own hard limit', () => {
  const hard = new Map([['RLIMIT_MEMLOCK', 65536]]);
  assert.deepEqual(clampRlimits([{ type: 'RLIMIT_MEMLOCK', hard: -1, soft: -1 }], hard, false), [{ type: 'RLIMIT_MEMLOCK', hard: 65536, soft: 65536 }]);
  assert.deepEqual(clampRlimits([{ type: 'RLIMIT_MEMLOCK', hard: -1, soft: -1 }], hard, true), [{ type: 'RLIMIT_MEMLOCK', hard: -1, soft: -1 }]);
});
