// The API level of a versioned libpod path: podman changed wire types at 5.0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLevel } from '../../../src/api/http/api-level.js';

test('versions as comparable numbers; unversioned is the newest', () => {
  assert.ok(apiLevel('4.3.1') < 5);
  assert.equal(apiLevel('5.0.0'), 5);
  assert.ok(apiLevel('5.4.2') > apiLevel('5.0.0'));
  assert.ok(apiLevel('5.10.0') > apiLevel('5.9.0'));
  assert.equal(apiLevel(undefined), Infinity);
});
