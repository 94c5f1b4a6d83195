import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contains, formatCidr, formatIp, nth, overlaps, parseCidr, parseIp, usableRange } from '../../../src/network/ip.js';

test('IPv4 and IPv6 addresses parse and print back', () => {
  for (const a of ['10.0.0.1', '255.255.255.255', '0.0.0.0']) assert.equal(formatIp(4, parseIp(a)!.value), a);
  for (const a of ['fd00::1', '2001:db8::', '::1', '::', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8']) assert.equal(formatIp(6, parseIp(a)!.value), a);
  assert.equal(formatIp(6, parseIp('2001:0db8:0000:0000:0001:0000:0000:0001')!.value), '2001:db8::1:0:0:1', 'the first longest zero run is folded');
  for (const bad of ['10.0.0.256', '1.2.3', 'x', '::ffff:1.2.3.4', '1::2::3']) assert.equal(parseIp(bad), undefined, bad);
});

test('subnets: host bits cleared, containment, overlap, usable range', () => {
  const c = parseCidr('10.1.2.3/24')!;
  assert.equal(formatCidr(c), '10.1.2.0/24');
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0'), undefined);
  assert.ok(contains(c, parseIp('10.1.2.200')!));
  assert.ok(!contains(c, parseIp('10.1.3.1')!));
  assert.ok(overlaps(c, parseCidr('10.1.0.0/16')!));
  assert.ok(overlaps(parseCidr('10.1.2.128/25')!, c));
  assert.ok(!overlaps(c, parseCidr('10.1.3.0/24')!));
  assert.ok(!overlaps(c, parseCidr('fd00::/8')!), 'families never overlap');
  const u = usableRange(c);
  assert.equal(formatIp(4, u.first), '10.1.2.1');
  assert.equal(formatIp(4, u.last), '10.1.2.254', 'not the broadcast address');
  assert.equal(nth(c, 1n), '10.1.2.1');
  assert.equal(formatCidr(parseCidr('fd12:3456::/64')!), 'fd12:3456::/64');
});
