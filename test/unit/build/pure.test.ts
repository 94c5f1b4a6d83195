// The builder's pure parts: .dockerignore matching, variable expansion, cache keys, parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreMatcher } from '../../../src/engine/build/dockerignore.js';
import { expand, referenced } from '../../../src/engine/build/expand.js';
import { cacheKey } from '../../../src/engine/build/cache.js';
import { parseDockerfile } from '../../../src/engine/build/parse.js';
import { applyMeta } from '../../../src/engine/build/instructions.js';
import { contextPath } from '../../../src/engine/build/context.js';
import { BuildError } from '../../../src/engine/build/types.js';

test('.dockerignore: globs, ** and parent dirs; the last match decides, ! brings paths back', () => {
  const m = IgnoreMatcher.parse('# comment\n*.log\n/build\nsecret/**\n!secret/keep.txt\n**/*.tmp\n  \ndocs/?.md\n');
  assert.equal(m.excluded('a.log'), true);
  assert.equal(m.excluded('dir/a.log'), false, '* does not cross /');
  assert.equal(m.excluded('build'), true);
  assert.equal(m.excluded('build/x/y'), true, 'a matching parent excludes what is under it');
  assert.equal(m.excluded('secret/a'), true);
  assert.equal(m.excluded('secret/keep.txt'), false);
  assert.equal(m.excluded('deep/er/x.tmp'), true);
  assert.equal(m.excluded('x.tmp'), true, '**/ matches zero dirs');
  assert.equal(m.excluded('docs/a.md'), true);
  assert.equal(m.excluded('docs/ab.md'), false);
  assert.equal(m.excluded('src/main.ts'), false);
  assert.equal(m.hasExceptions, true);
  assert.equal(IgnoreMatcher.parse('\n# only comments\n').empty, true);
  // A later pattern overrides an earlier exception.
  assert.equal(IgnoreMatcher.parse('*.txt\n!a.txt\na*').excluded('a.txt'), true);
});

test('variable expansion: $X, ${X}, defaults, alternatives, escapes and unset names', () => {
  const vars: Record<string, string> = { A: 'one', E: '' };
  const look = (n: string) => vars[n];
  assert.equal(expand('$A-${A}', look), 'one-one');
  assert.equal(expand('${B:-dflt} ${E:-empty} ${E-set}', look), 'dflt empty ');
  assert.equal(expand('${A:+alt} ${B:+alt}|', look), 'alt |');
  assert.equal(expand('\\$A costs $', look), '$A costs $');
  assert.equal(expand('`$A $A', look, '`'), '$A one', 'the escape directive changes the escape character');
  assert.equal(expand('$UNSET/x', look), '/x');
  assert.equal(expand('${B:-${A}}', look), 'one');
  assert.throws(() => expand('${A', look), /missing '}'/);
  assert.deepEqual(referenced('$A ${B:-x} $$ ${C}'), ['A', 'B', 'C']);
});

test('cache keys: same inputs, same key; parent, instruction, args in use and content each change it', () => {
  const base = { parent: 'p1', instruction: 'RUN make', args: ['A=1', 'B=2'], content: '' };
  const k = cacheKey(base);
  assert.equal(cacheKey({ ...base, args: ['B=2', 'A=1'] }), k, 'the order of args does not matter');
  assert.notEqual(cacheKey({ ...base, parent: 'p2' }), k);
  assert.notEqual(cacheKey({ ...base, instruction: 'RUN make all' }), k);
  assert.notEqual(cacheKey({ ...base, args: ['A=1', 'B=3'] }), k);
  assert.notEqual(cacheKey({ ...base, content: 'abc' }), k);
  assert.match(k, /^[0-9a-f]{64}$/);
});

test('parsing: stages, AS names, ARG before FROM, flags, exec form; bad input is a BuildError', () => {
  const df = parseDockerfile('ARG V=1\nFROM busybox:${V} AS Base\nCOPY --from=base --chown=1:2 a /b/\nRUN ["echo", "x"]\nRUN echo a \\\n  b\nFROM base\nCMD echo hi\n');
  assert.equal(df.globalArgs.length, 1);
  assert.equal(df.stages.length, 2);
  assert.equal(df.stages[0].name, 'base');
  assert.equal(df.stages[0].base, 'busybox:${V}');
  const [copy, runJson, runShell] = df.stages[0].body;
  assert.deepEqual(copy.flags, { from: 'base', chown: '1:2' });
  assert.deepEqual(copy.words, ['a', '/b/']);
  assert.equal(copy.text, 'COPY --from=base --chown=1:2 a /b/');
  assert.deepEqual(runJson.json, ['echo', 'x']);
  assert.equal(runShell.json, undefined);
  assert.match(runShell.args, /^echo a\s+b$/);
  assert.throws(() => parseDockerfile('FROM busybox\nFOO bar\n'), (e: unknown) => e instanceof BuildError && /unknown instruction: FOO/.test(e.message));
  assert.throws(() => parseDockerfile('RUN true\n'), BuildError);
  assert.throws(() => parseDockerfile('# nothing\n'), BuildError);
});

test('metadata instructions: ENV, LABEL, EXPOSE, WORKDIR, ENTRYPOINT clears an inherited CMD, HEALTHCHECK', () => {
  const ins = (line: string) => parseDockerfile(`FROM scratch\n${line}`).stages[0].body[0];
  const look = (n: string) => ({ V: '5' })[n];
  let c = applyMeta(ins('ENV A=1 B="two words"'), {}, look, '\\', { cmdSet: false });
  assert.deepEqual(c.Env, ['A=1', 'B=two words']);
  c = applyMeta(ins('EXPOSE 80 53/udp 100-101'), c, look, '\\', { cmdSet: false });
  assert.deepEqual(Object.keys(c.ExposedPorts!), ['80/tcp', '53/udp', '100/tcp', '101/tcp']);
  c = applyMeta(ins('WORKDIR /a'), c, look, '\\', { cmdSet: false });
  c = applyMeta(ins('WORKDIR b$V'), c, look, '\\', { cmdSet: false });
  assert.equal(c.WorkingDir, '/a/b5');
  c = applyMeta(ins('ENTRYPOINT ["/bin/app"]'), { ...c, Cmd: ['inherited'] }, look, '\\', { cmdSet: false });
  assert.equal(c.Cmd, null);
  assert.deepEqual(c.Entrypoint, ['/bin/app']);
  c = applyMeta(ins('HEALTHCHECK --interval=5s --retries=2 CMD curl -f x'), c, look, '\\', { cmdSet: false });
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'curl -f x'], Interval: 5e9, Retries: 2 });
  assert.throws(() => applyMeta(ins('SHELL bash -c'), c, look, '\\', { cmdSet: false }), /JSON form/);
  assert.throws(() => applyMeta(ins('ONBUILD ONBUILD RUN x'), c, look, '\\', { cmdSet: false }), /Chaining/);
});

test('context paths: .. past the root and absolute paths are refused', () => {
  assert.equal(contextPath('a/./b/'), 'a/b');
  assert.equal(contextPath('a/../b'), 'b');
  assert.equal(contextPath('.'), '');
  assert.throws(() => contextPath('../x'), /outside the build context/);
  assert.throws(() => contextPath('a/../../x'), /outside the build context/);
  assert.throws(() => contextPath('/etc/passwd'), /outside the build context/);
});
