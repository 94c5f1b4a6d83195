// Versions berth reports. Kept free of imports: /_ping, answered before anything else loads,
// sends the API versions in its headers.
export const BERTH_VERSION = '0.1.0';
/** Docker Engine API version the compat layer implements. */
export const COMPAT_API_VERSION = '1.41';
export const COMPAT_MIN_API_VERSION = '1.24';
/** libpod API version implemented (the swagger in shared/specs). */
export const LIBPOD_API_VERSION = '5.4.2';
export const LIBPOD_MIN_API_VERSION = '4.0.0';
