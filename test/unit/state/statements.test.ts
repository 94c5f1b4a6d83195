import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { cachedStatements, stmt, STATEMENTS_MAX } from '../../../src/state/db.js';

test('prepared statements are reused, and SQL built from input does not pile them up', () => {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const ins = stmt(db, 'INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 300; i++) ins.run(`v${i}`);
    assert.equal(stmt(db, 'INSERT INTO t (v) VALUES (?)'), ins, 'the same SQL is prepared once');
    // One statement per length of an IN list, as image lists build them.
    for (let n = 1; n <= 300; n++) {
      const marks = Array.from({ length: n }, () => '?').join(',');
      const ids = Array.from({ length: n }, (_, i) => i + 1);
      assert.equal((stmt(db, `SELECT count(*) AS c FROM t WHERE id IN (${marks})`).get(...ids) as { c: number }).c, n);
      // The hot statement stays cached while the others come and go.
      stmt(db, 'INSERT INTO t (v) VALUES (?)');
    }
    assert.equal(cachedStatements(db), STATEMENTS_MAX);
    assert.equal(stmt(db, 'INSERT INTO t (v) VALUES (?)'), ins);
  } finally {
    db.close();
  }
});
