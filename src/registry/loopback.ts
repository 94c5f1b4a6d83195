// docker's default insecure registries: localhost and 127.0.0.0/8 (plus ::1), any port.

export function isLoopbackRegistry(registry: string): boolean {
  let host = registry;
  const v6 = /^\[(.*)\](?::\d+)?$/.exec(host);
  if (v6) host = v6[1];
  else host = host.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
