#!/usr/bin/env node
// Generates src/api/http/body-schemas.ts: the type schema of every JSON request body berth
// decodes, taken from the swagger specs that are berth's contract (docker 1.41, podman 5.4.2).
// The output is committed, so a build never needs the specs. Re-run after changing a spec or
// the patches below:   node scripts/gen-body-schemas.mjs [--specs DIR]
//
// Schema forms (src/api/http/schema.ts): a kind name ('string', 'bool', 'float64', 'int64',
// 'uint16'..., 'any', 'object', 'strslice', 'rlimit'), { array: S }, { map: S }, { ref: 'x.Name' }
// naming a struct in `structs` ({ go: Go type name, fields: { jsonName: S } }).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const specsDir = argv[0] === '--specs' && argv[1] ? resolve(argv[1]) : resolve(repo, '..', 'shared', 'specs');
const OUT = join(repo, 'src', 'api', 'http', 'body-schemas.ts');

const SPECS = {
  docker: 'docker-engine-api-v1.41.yaml',
  podman: 'podman-api-v5.4.2.swagger.yaml',
};

// Each body: where the spec defines it and the Go type dockerd 20.10 / podman 5.4 decode it into
// (Go's error messages name that type).
const BODIES = {
  ContainerCreate: { spec: 'docker', path: '/containers/create', go: 'runconfig.ContainerConfigWrapper' },
  ContainerUpdate: { spec: 'docker', path: '/containers/{id}/update', go: 'container.UpdateConfig' },
  ContainerCommit: { spec: 'docker', path: '/commit', go: 'container.Config' },
  ExecCreate: { spec: 'docker', path: '/containers/{id}/exec', go: 'types.ExecConfig' },
  ExecStart: { spec: 'docker', path: '/exec/{id}/start', go: 'types.ExecStartCheck' },
  SpecGenerator: { spec: 'podman', path: '/libpod/containers/create', go: 'specgen.SpecGenerator' },
  ExecCreateLibpod: { spec: 'podman', path: '/libpod/containers/{name}/exec', go: 'handlers.ExecCreateConfig' },
  ExecStartLibpod: { spec: 'podman', path: '/libpod/exec/{id}/start', go: 'handlers.ExecStartConfig' },
  VolumeCreate: { spec: 'docker', path: '/volumes/create', go: 'volume.VolumeCreateBody' },
  VolumeCreateLibpod: { spec: 'podman', path: '/libpod/volumes/create', go: 'entities.VolumeCreateOptions' },
  NetworkCreate: { spec: 'docker', path: '/networks/create', go: 'types.NetworkCreateRequest' },
  NetworkConnect: { spec: 'docker', path: '/networks/{id}/connect', go: 'types.NetworkConnect' },
  NetworkDisconnect: { spec: 'docker', path: '/networks/{id}/disconnect', go: 'types.NetworkDisconnect' },
  NetworkCreateLibpod: { spec: 'podman', path: '/libpod/networks/create', go: 'types.Network' },
  NetworkConnectLibpod: { spec: 'podman', path: '/libpod/networks/{name}/connect', go: 'types.NetworkConnectOptions' },
  NetworkDisconnectLibpod: { spec: 'podman', path: '/libpod/networks/{name}/disconnect', go: 'types.NetworkDisconnect' },
  PodSpecGenerator: { spec: 'podman', path: '/libpod/pods/create', go: 'specgen.PodSpecGenerator' },
};

// The docker spec is hand-written and names no Go packages: the moby types behind its definitions.
const DOCKER_GO = {
  ContainerConfig: 'container.Config',
  HostConfig: 'container.HostConfig',
  Resources: 'container.Resources',
  HealthConfig: 'container.HealthConfig',
  RestartPolicy: 'container.RestartPolicy',
  Mount: 'mount.Mount',
  ThrottleDevice: 'blkiodev.ThrottleDevice',
  DeviceMapping: 'container.DeviceMapping',
  DeviceRequest: 'container.DeviceRequest',
  PortBinding: 'nat.PortBinding',
  NetworkingConfig: 'network.NetworkingConfig',
  EndpointSettings: 'network.EndpointSettings',
  EndpointIPAMConfig: 'network.EndpointIPAMConfig',
  // Objects defined inline, by where they appear.
  'HostConfig.LogConfig': 'container.LogConfig',
  'Resources.Ulimits[]': 'units.Ulimit',
  'Resources.BlkioWeightDevice[]': 'blkiodev.WeightDevice',
  'Mount.BindOptions': 'mount.BindOptions',
  'Mount.VolumeOptions': 'mount.VolumeOptions',
  'Mount.VolumeOptions.DriverConfig': 'mount.Driver',
  'Mount.TmpfsOptions': 'mount.TmpfsOptions',
};

const kind = (k) => ({ 'x-berth-kind': k });

// Where the specs say less than (or other than) the Go types the daemons really decode into.
const PATCHES = {
  docker(doc) {
    const cc = doc.definitions.ContainerConfig.properties;
    // strslice.StrSlice: a string or a list of strings.
    for (const k of ['Cmd', 'Entrypoint', 'Shell']) cc[k] = kind('strslice');
    const res = doc.definitions.Resources.properties;
    res.BlkioWeight = kind('uint16');
    res.BlkioWeightDevice.items.properties.Weight = kind('uint16');
    res.Ulimits.items.properties.Soft = kind('int64');
    res.Ulimits.items.properties.Hard = kind('int64');
    hostConfigOwn(doc).ConsoleSize.items = kind('uint');
    doc.definitions.Mount.properties.TmpfsOptions.properties.Mode = kind('uint32');
    const exec = bodyParam(doc, '/containers/{id}/exec').schema.properties;
    // berth has always taken a single string too; ConsoleSize is API 1.42's, which berth honours.
    exec.Cmd = kind('strslice');
    exec.ConsoleSize = { type: 'array', items: kind('uint') };
  },
  podman(doc) {
    const sg = doc.definitions.SpecGenerator.properties;
    // go-swagger merged same-named definitions: podman decodes `mounts` into the runtime spec's
    // Mount (destination, type, source, options) and `secrets` into specgen.Secret. berth also
    // takes the docker-style mounts the spec documents, so both forms are listed (OCI first:
    // a case-insensitive match takes the first field, as Go does).
    sg.mounts.items = {
      'x-berth-go': 'specs.Mount',
      type: 'object',
      properties: {
        destination: { type: 'string' },
        type: { type: 'string' },
        source: { type: 'string' },
        options: { type: 'array', items: { type: 'string' } },
        uidMappings: { type: 'array', items: { $ref: '#/definitions/LinuxIDMapping' } },
        gidMappings: { type: 'array', items: { $ref: '#/definitions/LinuxIDMapping' } },
        ...doc.definitions.Mount.properties,
      },
    };
    sg.secrets.items = {
      'x-berth-go': 'specgen.Secret',
      type: 'object',
      properties: {
        source: { type: 'string' },
        target: { type: 'string' },
        uid: kind('uint32'),
        gid: kind('uint32'),
        mode: kind('uint32'),
      },
    };
    // map[uint16]string, typeless in the spec.
    sg.expose = { type: 'object', additionalProperties: { type: 'string' } };
    // podman 5 reads rlimits as uint64 or -1 (unlimited).
    doc.definitions.POSIXRlimit.properties.soft = kind('rlimit');
    doc.definitions.POSIXRlimit.properties.hard = kind('rlimit');
    const exec = bodyParam(doc, '/libpod/containers/{name}/exec').schema.properties;
    exec.Cmd = kind('strslice');
    exec.ConsoleSize = { type: 'array', items: kind('uint') };
    // handlers.ExecStartConfig's terminal size is a uint16 pair.
    const start = bodyParam(doc, '/libpod/exec/{id}/start').schema.properties;
    start.h = kind('uint16');
    start.w = kind('uint16');
  },
};

function hostConfigOwn(doc) {
  return doc.definitions.HostConfig.allOf.find((p) => p.properties).properties;
}

function bodyParam(doc, path) {
  const p = doc.paths[path]?.post?.parameters?.find((x) => x.in === 'body');
  if (!p) throw new Error(`no body parameter for POST ${path}`);
  return p;
}

const INT_FORMATS = new Set(['int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8']);

function generator(specKey, doc) {
  const defs = doc.definitions;
  const structs = {};

  function goName(defName, def) {
    if (def['x-berth-go']) return def['x-berth-go'];
    if (specKey === 'docker') return DOCKER_GO[defName] ?? defName;
    const pkg = def['x-go-package'];
    if (!pkg) return defName;
    // Go names a package by its last path element that is not a major version; specs-go is "specs".
    const seg = pkg.split('/').filter((s) => !/^v\d+$/.test(s)).pop().replace(/-go$/, '');
    return `${seg}.${defName}`;
  }

  const isStruct = (s) => !!(s && (s.properties || (s.allOf && s.allOf.some((p) => isStruct(p.$ref ? defs[ref(p)] : p)))));
  const ref = (s) => s.$ref.split('/').pop();

  /** Collects a struct's fields, flattening allOf (Go's embedded structs). */
  function fieldsOf(s, where) {
    const out = {};
    if (s.$ref) return fieldsOf(defs[ref(s)], ref(s));
    for (const part of s.allOf ?? []) Object.assign(out, fieldsOf(part, where));
    for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = schema(v, `${where}.${k}`);
    return out;
  }

  function struct(key, go, s, where) {
    if (!structs[key]) {
      structs[key] = { go, fields: {} };
      structs[key].fields = fieldsOf(s, where);
    }
    return { ref: key };
  }

  function schema(s, where) {
    if (!s) return 'any';
    if (s['x-berth-kind']) return s['x-berth-kind'];
    if (s.$ref) {
      const name = ref(s);
      const def = defs[name];
      if (!def) throw new Error(`${specKey}: unknown definition ${name}`);
      return isStruct(def) ? struct(`${specKey}.${name}`, goName(name, def), def, name) : schema(def, name);
    }
    if (s.allOf) {
      if (isStruct(s)) return struct(`${specKey}.${where}`, s['x-berth-go'] ?? goName(where, s), s, where);
      return schema(s.allOf[0], where);
    }
    switch (s.type) {
      case 'string':
        return 'string';
      case 'boolean':
        return 'bool';
      case 'number':
        return 'float64';
      case 'integer':
        return INT_FORMATS.has(s.format) ? s.format : 'int';
      case 'array':
        return { array: schema(s.items, `${where}[]`) };
      case 'object':
      case undefined:
        if (s.properties) return struct(`${specKey}.${where}`, s['x-berth-go'] ?? goName(where, s), s, where);
        if (s.additionalProperties === true) return { map: 'any' };
        if (s.additionalProperties) return { map: schema(s.additionalProperties, `${where}{}`) };
        return s.type === 'object' ? 'object' : 'any';
      default:
        throw new Error(`${specKey}: ${where}: unknown type ${s.type}`);
    }
  }

  return { structs, schema, struct };
}

const docs = {};
for (const [k, file] of Object.entries(SPECS)) {
  docs[k] = parse(readFileSync(join(specsDir, file), 'utf8'));
  PATCHES[k](docs[k]);
}
const gens = { docker: generator('docker', docs.docker), podman: generator('podman', docs.podman) };

const bodies = {};
for (const [name, b] of Object.entries(BODIES)) {
  const g = gens[b.spec];
  const s = bodyParam(docs[b.spec], b.path).schema;
  const root = b.go.split('.').pop();
  // A body that only names a definition decodes into that definition's struct.
  bodies[name] = s.$ref && !s.allOf ? g.schema(s, root) : g.struct(`${b.spec}.${root}`, b.go, s, root);
  if (s.$ref) g.structs[bodies[name].ref].go = b.go;
}

const structs = { ...gens.docker.structs, ...gens.podman.structs };
// Go picks the first field whose name folds equal: two such fields in one struct are worth knowing.
for (const [key, st] of Object.entries(structs)) {
  const seen = new Map();
  for (const f of Object.keys(st.fields)) {
    const fold = f.toLowerCase();
    if (seen.has(fold)) console.error(`note: ${key}: "${seen.get(fold)}" and "${f}" fold to one name (exact match decides, else the first)`);
    else seen.set(fold, f);
  }
}

const json = JSON.stringify({ bodies, structs }, null, 2)
  // One line for each small compound schema.
  .replace(/\{\n\s+"(array|map|ref)": ("[^"]*")\n\s+\}/g, '{ "$1": $2 }')
  .replace(/\{\n\s+"(array|map)": (\{ "[a-z]+": "[^"]*" \})\n\s+\}/g, '{ "$1": $2 }');

writeFileSync(
  OUT,
  `// Generated by scripts/gen-body-schemas.mjs from ${SPECS.docker} and ${SPECS.podman}: do not edit.
import type { BodySchemas } from './schema.js';

export const BODY_SCHEMAS = ${json} satisfies BodySchemas;
`,
);
console.log(`wrote ${OUT}: ${Object.keys(bodies).length} bodies, ${Object.keys(structs).length} structs`);
