// The type schema of a request body (generated into body-schemas.ts from the swagger specs):
// just enough of Go's types to decode a body as dockerd and podman do.

/** Go's integer types by JSON range; `int`/`uint` are 64-bit, as on the daemons' platforms. */
export type IntKind = 'int' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint' | 'uint64' | 'uint32' | 'uint16' | 'uint8';

export type Kind =
  | 'string'
  | 'bool'
  | 'float64'
  | IntKind
  /** interface{}: anything. */
  | 'any'
  /** An object whose contents the spec leaves open (struct{}, map[string]interface{}). */
  | 'object'
  /** docker's strslice.StrSlice: a list of strings, or one string. */
  | 'strslice'
  /** podman's rlimit value: a uint64, or -1 for unlimited. */
  | 'rlimit';

export type Schema = Kind | { array: Schema } | { map: Schema } | { ref: string };

export interface StructSchema {
  /** The Go type, as Go's decode errors name it (`container.HostConfig`). */
  go: string;
  /** JSON field names (the Go json tags) and their types, in Go's field order. */
  fields: Record<string, Schema>;
}

export interface BodySchemas {
  bodies: Record<string, Schema>;
  structs: Record<string, StructSchema>;
}
