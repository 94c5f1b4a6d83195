import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isMappedId, mappedIdRanges, unmappedIdProblem } from '../../../src/config/id-range.js';

// The test runs in whatever namespace the suite does: as root on the host that is the identity
// map (every id mapped); inside a rootless namespace 0 and the subordinate range.
const identity = /^\s*0\s+0\s+4294967295\s*$/.test(readFileSync('/proc/self/uid_map', 'utf8'));

test('ids of this namespace are mapped; the message names the mapped ranges', { skip: !identity && 'not in the initial user namespace' }, () => {
  assert.equal(isMappedId('uid', 0), true);
  assert.equal(isMappedId('gid', 4294967294), true);
  assert.equal(unmappedIdProblem('uid', 70000), undefined);
  assert.equal(mappedIdRanges('uid'), '0-4294967294');
});
