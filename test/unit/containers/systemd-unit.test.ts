// generate systemd's unit text: options honoured, values that would break the unit refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podSystemdUnits, systemdUnits } from '../../../src/engine/containers/systemd-unit.js';
import type { ContainerView } from '../../../src/engine/containers/types.js';

const view = { id: 'a'.repeat(64), name: 'web', parsed: { Config: { StopTimeout: 7 } }, dirs: { bundle: '/run/b/bundle' } } as unknown as ContainerView;
const ctx = { endpoint: '/run/berth.sock', runRoot: '/run/b', now: new Date(0) };

test('a unit per container, named by prefix, separator and name or ID', () => {
  const byId = systemdUnits(view, {}, ctx);
  assert.deepEqual(Object.keys(byId), [`container-${view.id}`]);
  const u = systemdUnits(view, { useName: true, containerPrefix: 'ctr', separator: '_', noHeader: true, restartPolicy: 'always', restartSec: 3, startTimeout: 9, wants: ['a.service'], requires: ['b.service'], env: ['A=1'] }, ctx).ctr_web;
  assert.ok(u.startsWith('[Unit]'));
  for (const line of ['Restart=always', 'RestartSec=3', 'TimeoutStartSec=9', 'TimeoutStopSec=67', 'Environment=A=1', 'Requires=b.service', 'PIDFile=/run/b/bundle/conmon.pid', 'Type=forking']) {
    assert.ok(u.split('\n').includes(line), line);
  }
  assert.match(u, /^Wants=network-online.target a.service$/m);
  assert.match(u, /^ExecStart=\S+ --remote --url unix:\/\/\/run\/berth.sock start web$/m);
  assert.match(u, /^ExecStop=\S+ --remote --url unix:\/\/\/run\/berth.sock stop -t 7 web$/m);
});

test('refused: new units, unknown restart policies, line breaks, malformed variables', () => {
  assert.throws(() => systemdUnits(view, { new: true }, ctx), /new=true/);
  assert.throws(() => systemdUnits(view, { restartPolicy: 'sometimes' }, ctx), /not a valid restart policy/);
  assert.throws(() => systemdUnits(view, { wants: ['a\nExecStart=/bin/evil'] }, ctx), /line break/);
  assert.throws(() => systemdUnits(view, { env: ['1BAD=x'] }, ctx), /KEY=value/);
});

test('a pod: its unit starts the infra container and wants each member, each bound to it', () => {
  const infra = { ...view, id: 'b'.repeat(64), name: 'p-infra', dirs: { bundle: '/run/b/infra' } } as unknown as ContainerView;
  const other = { ...view, id: 'c'.repeat(64), name: 'db' } as unknown as ContainerView;
  const units = podSystemdUnits({ id: 'd'.repeat(64), name: 'p' }, infra, [view, other], { useName: true, podPrefix: 'pd', noHeader: true }, ctx);
  assert.deepEqual(Object.keys(units), ['pd-p', 'container-web', 'container-db']);
  const pod = units['pd-p'].split('\n');
  for (const line of ['Wants=container-db.service container-web.service', 'Before=container-db.service container-web.service', 'PIDFile=/run/b/infra/conmon.pid']) assert.ok(pod.includes(line), line);
  assert.match(units['pd-p'], /^ExecStart=\S+ --remote --url unix:\/\/\/run\/berth.sock start p-infra$/m);
  const web = units['container-web'].split('\n');
  assert.ok(web.includes('BindsTo=pd-p.service'));
  assert.ok(web.includes('After=network-online.target pd-p.service'));
  assert.throws(() => podSystemdUnits({ id: 'd'.repeat(64), name: 'p' }, infra, [view], { new: true }, ctx), /new=true/);
});
