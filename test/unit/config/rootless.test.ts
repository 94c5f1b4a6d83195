import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostIdOf, isIdentityMap, isRootless, parseIdMap } from '../../../src/config/rootless.js';
import { mapArgs, namespaceMap, parseSubIds } from '../../../src/config/subids.js';
import { missingMapToolMessage, missingSubIdsMessage } from '../../../src/cli/rootless-launch.js';

test('uid_map: parsed, the identity map recognised, ids translated', () => {
  const init = parseIdMap('         0          0 4294967295\n');
  assert.deepEqual(init, [{ inside: 0, outside: 0, count: 4294967295 }]);
  assert.ok(isIdentityMap(init));
  const ns = parseIdMap('         0       1001          1\n         1     300000      65536\n');
  assert.deepEqual(ns, [
    { inside: 0, outside: 1001, count: 1 },
    { inside: 1, outside: 300000, count: 65536 },
  ]);
  assert.ok(!isIdentityMap(ns));
  assert.equal(hostIdOf(ns, 0), 1001);
  assert.equal(hostIdOf(ns, 1), 300000);
  assert.equal(hostIdOf(ns, 1000), 300999);
  assert.equal(hostIdOf(ns, 65536), 365535);
  assert.equal(hostIdOf(ns, 65537), undefined);
  // A partial identity (0 0 1000) is not the initial namespace.
  assert.ok(!isIdentityMap(parseIdMap('0 0 1000\n')));
  assert.deepEqual(parseIdMap('garbage\n1 2\n\n'), []);
});

test('isRootless: the test runner (root, initial namespace) is rootful', () => {
  if (process.getuid?.() === 0) assert.equal(isRootless(), false);
  else assert.equal(isRootless(), true);
});

test('subuid file: ranges by name or uid, comments and junk skipped', () => {
  const text = '# ranges\nbt1:100000:65536\nalice:300000:65536\n1005:400000:1000\nalice:900000:10\nalice:bad:1\nalice:5:0\n\n';
  assert.deepEqual(parseSubIds(text, 'alice', 1003), [
    { start: 300000, count: 65536 },
    { start: 900000, count: 10 },
  ]);
  assert.deepEqual(parseSubIds(text, 'bob', 1005), [{ start: 400000, count: 1000 }]);
  assert.deepEqual(parseSubIds(text, 'carol', 1006), []);
});

test('namespace map: 0 is the user, 1.. the ranges in order; newuidmap arguments', () => {
  const m = namespaceMap(1003, [
    { start: 300000, count: 65536 },
    { start: 900000, count: 10 },
  ]);
  assert.deepEqual(m, [
    { inside: 0, outside: 1003, count: 1 },
    { inside: 1, outside: 300000, count: 65536 },
    { inside: 65537, outside: 900000, count: 10 },
  ]);
  assert.deepEqual(mapArgs(m), ['0', '1003', '1', '1', '300000', '65536', '65537', '900000', '10']);
});

test('the missing-subuid error names the file, the user and the fix', () => {
  const m = missingSubIdsMessage('alice', 1003, ['/etc/subuid', '/etc/subgid']);
  assert.match(m, /"alice" \(uid 1003\) in \/etc\/subuid and \/etc\/subgid/);
  assert.match(m, /usermod --add-subuids \d+-\d+ --add-subgids \d+-\d+ alice/);
});

test('a missing newuidmap names the tool and the package', () => {
  assert.match(missingMapToolMessage('newuidmap'), /^newuidmap not found: .*apt-get install uidmap/);
});
