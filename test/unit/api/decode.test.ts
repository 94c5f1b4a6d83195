import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../../../src/api/http/decode.js';
import { BODY_SCHEMAS } from '../../../src/api/http/body-schemas.js';
import type { BodySchemas } from '../../../src/api/http/schema.js';
import { HttpError } from '../../../src/server/errors.js';
import { MAX_JSON_DEPTH, parseJson } from '../../../src/server/json-parse.js';

type Body = keyof typeof BODY_SCHEMAS.bodies;
/** Decodes JSON text as a request body is decoded (number sources kept). */
const body = (name: Body, text: string) => decode(BODY_SCHEMAS, BODY_SCHEMAS.bodies[name], parseJson(text, true)) as any;
const refused = (name: Body, text: string, message: string | RegExp) =>
  assert.throws(() => body(name, text), (e: unknown) => {
    assert.ok(e instanceof HttpError, String(e));
    assert.equal(e.status, 400);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });

test('field names match case-insensitively, an exact match first; unknown fields are dropped', () => {
  assert.deepEqual(body('ContainerCreate', '{"image":"a","ENV":["X=1"],"hostconfig":{"networkmode":"host"},"Nope":1}'), {
    Image: 'a',
    Env: ['X=1'],
    HostConfig: { NetworkMode: 'host' },
  });
  assert.deepEqual(body('SpecGenerator', '{"Image":"busybox","Command":["true"],"NetNS":{"NSMode":"none"}}'), {
    image: 'busybox',
    command: ['true'],
    netns: { nsmode: 'none' },
  });
  // The mount entry lists podman's OCI fields first and the docker-style ones the spec shows.
  const m = body('SpecGenerator', '{"mounts":[{"Type":"bind","type":"tmpfs","TARGET":"/t","SOURCE":"/s"}]}').mounts[0];
  assert.deepEqual(m, { Type: 'bind', type: 'tmpfs', Target: '/t', source: '/s' });
  // Go folds runes as upper(lower(r)): the long s is an s.
  assert.equal(body('SpecGenerator', '{"image":"b","\u017Ftop_\u017Fignal":9}').stop_signal, 9);
  // Map keys are data, kept as given.
  assert.deepEqual(body('ContainerCreate', '{"Labels":{"Foo":"1","foo":"2"}}').Labels, { Foo: '1', foo: '2' });
});

test('a repeated field decodes into what is there, as Go does', () => {
  assert.deepEqual(body('ContainerCreate', '{"HostConfig":{"Memory":8388608},"hostConfig":{"CpuShares":2}}').HostConfig, { Memory: 8388608, CpuShares: 2 });
  assert.deepEqual(body('ContainerCreate', '{"Env":["a"],"env":["b"]}').Env, ['b']);
  assert.deepEqual(body('ContainerCreate', '{"Labels":{"a":"1"},"labels":{"b":"2"}}').Labels, { a: '1', b: '2' });
});

test('a value of the wrong type is a 400 worded as Go words it, with the field path', () => {
  refused('ContainerCreate', '{"Image":123}', 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Image of type string');
  refused('ContainerCreate', '{"Image":"b","Env":"x"}', 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Env of type []string');
  refused('ContainerCreate', '{"Env":["a",1]}', 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Env of type string');
  refused('ContainerCreate', '{"HostConfig":{"Binds":"/a:/b"}}', 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Binds of type []string');
  refused('ContainerCreate', '{"HostConfig":{"NetworkMode":5}}', 'json: cannot unmarshal number into Go struct field HostConfig.HostConfig.NetworkMode of type string');
  refused('ContainerCreate', '{"HostConfig":{"Ulimits":[{"Name":"nofile","Soft":"x"}]}}', 'json: cannot unmarshal string into Go struct field Ulimit.HostConfig.Ulimits.Soft of type int64');
  refused('ContainerCreate', '{"HostConfig":{"Ulimits":{"Name":"nofile"}}}', 'json: cannot unmarshal object into Go struct field HostConfig.HostConfig.Ulimits of type []units.Ulimit');
  refused('ContainerCreate', '{"HostConfig":"x"}', 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.HostConfig of type container.HostConfig');
  refused('ContainerCreate', '{"HostConfig":{"Mounts":[{"Type":"bind","ReadOnly":"yes"}]}}', 'json: cannot unmarshal string into Go struct field Mount.HostConfig.Mounts.ReadOnly of type bool');
  refused('ContainerCreate', '{"Tty":"true"}', /string into Go struct field ContainerConfigWrapper.Tty of type bool/);
  refused('ContainerCreate', '{"StopSignal":15}', /number into Go struct field ContainerConfigWrapper.StopSignal of type string/);
  refused('ContainerCreate', '{"Labels":{"a":1}}', 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type string');
  refused('ContainerCreate', '{"ExposedPorts":{"80/tcp":"x"}}', /string into Go struct field ContainerConfigWrapper.ExposedPorts of type map\[string\]interface \{\}/);
  refused('ContainerCreate', '["Image"]', 'json: cannot unmarshal array into Go value of type runconfig.ContainerConfigWrapper');
  refused('ContainerCreate', '"busybox"', 'json: cannot unmarshal string into Go value of type runconfig.ContainerConfigWrapper');
  // StrSlice: a list of strings or one string; Go reports its second attempt, the string.
  refused('ContainerCreate', '{"Cmd":5}', 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Cmd of type string');
  refused('ContainerCreate', '{"Cmd":["a",5]}', 'json: cannot unmarshal array into Go struct field ContainerConfigWrapper.Cmd of type string');
  refused('ContainerUpdate', '{"MemoryReservation":1.5}', 'json: cannot unmarshal number 1.5 into Go struct field UpdateConfig.MemoryReservation of type int64');
  refused('ExecCreate', '{"Cmd":["true"],"Env":5}', 'json: cannot unmarshal number into Go struct field ExecConfig.Env of type []string');
  refused('ExecCreate', '{"Cmd":["true"],"DetachKeys":["x"]}', /array into Go struct field ExecConfig.DetachKeys of type string/);
  refused('ExecStartLibpod', '{"h":"x"}', 'json: cannot unmarshal string into Go struct field ExecStartConfig.h of type uint16');
  refused('SpecGenerator', '{"image":123}', 'json: cannot unmarshal number into Go struct field SpecGenerator.image of type string');
  refused('SpecGenerator', '{"netns":{"nsmode":1}}', 'json: cannot unmarshal number into Go struct field Namespace.netns.nsmode of type string');
  refused('SpecGenerator', '{"r_limits":[{"type":"nofile","soft":"1"}]}', /string into Go struct field POSIXRlimit.r_limits.soft of type uint64/);
  refused('SpecGenerator', '{"selinux_opts":"disable"}', /string into Go struct field SpecGenerator.selinux_opts of type \[\]string/);
  refused('SpecGenerator', '{"mounts":[{"type":"bind","options":"ro"}]}', /string into Go struct field Mount.mounts.options of type \[\]string/);
  refused('SpecGenerator', '{"env":["A=1"]}', /array into Go struct field SpecGenerator.env of type map\[string\]string/);
});

test('integers: whole numbers within the Go type\'s range, from the JSON text', () => {
  assert.equal(body('ContainerCreate', '{"HostConfig":{"Memory":9223372036854775807}}').HostConfig.Memory, 9223372036854775807);
  refused('ContainerCreate', '{"HostConfig":{"Memory":9223372036854775808}}', /number 9223372036854775808 into Go struct field HostConfig.HostConfig.Memory of type int64/);
  refused('ContainerCreate', '{"HostConfig":{"Memory":1e3}}', /number 1e3 into .* of type int64/);
  refused('ContainerCreate', '{"HostConfig":{"Memory":1.0}}', /number 1.0 into .* of type int64/);
  assert.equal(body('ContainerCreate', '{"HostConfig":{"MemorySwap":-1}}').HostConfig.MemorySwap, -1);
  assert.equal(body('ContainerCreate', '{"HostConfig":{"BlkioWeight":65535}}').HostConfig.BlkioWeight, 65535);
  refused('ContainerCreate', '{"HostConfig":{"BlkioWeight":65536}}', /number 65536 into .*BlkioWeight of type uint16/);
  refused('ContainerCreate', '{"HostConfig":{"BlkioWeight":-1}}', /number -1 into .*BlkioWeight of type uint16/);
  refused('ContainerCreate', '{"HostConfig":{"BlkioWeight":-0}}', /number -0 into/);
  assert.equal(body('SpecGenerator', '{"resource_limits":{"cpu":{"shares":18446744073709551615}}}').resource_limits.cpu.shares, 18446744073709551615);
  refused('SpecGenerator', '{"resource_limits":{"cpu":{"shares":18446744073709551616}}}', /number 18446744073709551616 into Go struct field LinuxCPU.resource_limits.cpu.shares of type uint64/);
  // podman takes -1 as an unlimited rlimit.
  assert.deepEqual(body('SpecGenerator', '{"r_limits":[{"type":"nofile","soft":-1,"hard":-1}]}').r_limits, [{ type: 'nofile', soft: -1, hard: -1 }]);
  refused('SpecGenerator', '{"r_limits":[{"type":"nofile","soft":-2}]}', /number -2 into .* of type uint64/);
  // An over-long literal is quoted short.
  refused('ContainerCreate', `{"HostConfig":{"Memory":${'9'.repeat(5000)}}}`, (/^json: cannot unmarshal number 9{40}\.\.\. into/));
});

test('floats and loosely typed values', () => {
  const s: BodySchemas = { bodies: {}, structs: { T: { go: 'x.T', fields: { f: 'float64', a: 'any', o: 'object' } } } };
  const d = (text: string) => decode(s, { ref: 'T' }, parseJson(text, true)) as Record<string, unknown>;
  assert.deepEqual(d('{"f":1.5e3,"a":{"n":[1.0,"x",null,12345678901234567]},"o":{"k":2.5}}'), { f: 1500, a: { n: [1, 'x', null, 12345678901234568] }, o: { k: 2.5 } });
  assert.throws(() => d('{"f":1e400}'), /number 1e400 into Go struct field T.f of type float64/);
  assert.throws(() => d('{"f":"1"}'), /string into Go struct field T.f of type float64/);
  assert.throws(() => d('{"o":[1]}'), /array into Go struct field T.o of type map\[string\]interface \{\}/);
});

test('null leaves the zero value', () => {
  assert.equal(body('ContainerCreate', 'null'), undefined);
  assert.deepEqual(body('ContainerCreate', '{"Image":null,"Env":null,"HostConfig":null,"Cmd":null}'), {});
  assert.deepEqual(body('ContainerCreate', '{"Image":"a","image":null}'), { Image: 'a' });
  assert.deepEqual(body('ContainerCreate', '{"Env":["a",null],"Cmd":[null],"Labels":{"k":null}}'), { Env: ['a', ''], Cmd: [''], Labels: { k: '' } });
  assert.deepEqual(body('ContainerCreate', '{"HostConfig":{"Ulimits":[null],"PortBindings":{"80/tcp":null}}}').HostConfig, { Ulimits: [{}], PortBindings: { '80/tcp': [] } });
  assert.deepEqual(body('SpecGenerator', '{"image":"b","idmappings":{"UIDMap":null},"Networks":null}'), { image: 'b', idmappings: {} });
});

test('maps and arrays keep their values typed; __proto__ stays data', () => {
  const c = body('ContainerCreate', '{"Cmd":"echo hi","Entrypoint":["sh","-c"],"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}},"Labels":{"__proto__":"x"}}');
  assert.deepEqual(c.Cmd, ['echo hi']);
  assert.deepEqual(c.Entrypoint, ['sh', '-c']);
  assert.deepEqual(c.HostConfig.PortBindings, { '80/tcp': [{ HostPort: '8080' }] });
  assert.equal(Object.getPrototypeOf(c.Labels), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(c.Labels, '__proto__')?.value, 'x');
  assert.deepEqual(body('ContainerCreate', '{"NetworkingConfig":{"EndpointsConfig":{"host":{"Aliases":["a"],"Bogus":1}}}}').NetworkingConfig, { EndpointsConfig: { host: { Aliases: ['a'] } } });
});

test('nesting is bounded before parsing, so no depth exhausts the stack', () => {
  const nest = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  assert.deepEqual(parseJson(nest(MAX_JSON_DEPTH), true) !== undefined, true);
  for (const text of [nest(MAX_JSON_DEPTH + 1), '['.repeat(5000) + ']'.repeat(5000), '['.repeat(1_000_000), `{"x":${'[1.5,'.repeat(5000)}`]) {
    assert.throws(() => parseJson(text, true), (e: unknown) => e instanceof HttpError && e.status === 400 && /nests deeper than 64/.test(e.message));
  }
  // Brackets inside strings are text, escaped quotes included.
  assert.deepEqual(parseJson(JSON.stringify({ s: '['.repeat(1000) + '\\"{{{' }), true), { s: '['.repeat(1000) + '\\"{{{' });
  assert.throws(() => parseJson('{"a": 1', true), /malformed JSON/);
});
