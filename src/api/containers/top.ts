// The `ps` arguments each layer's top asks for: docker passes ps_args to ps as they are (default
// -ef); podman takes ps descriptors (user,pid,args...) and only passes options starting with "-".

/** podman's default descriptors. */
const LIBPOD_DEFAULT = 'user,pid,ppid,pcpu,etime,tty,time,args';
const LIBPOD_TITLES: Record<string, string> = {
  user: 'USER', pid: 'PID', ppid: 'PPID', pcpu: '%CPU', etime: 'ELAPSED', tty: 'TTY', time: 'TIME', args: 'COMMAND',
  comm: 'COMMAND', group: 'GROUP', nice: 'NI', pgid: 'PGID', rgroup: 'RGROUP', ruser: 'RUSER', vsz: 'VSZ', rss: 'RSS',
};

/** docker's ps_args (joined with spaces). */
export function compatPsArgs(psArgs: string | undefined): string[] {
  return (psArgs || '-ef').split(/\s+/).filter(Boolean);
}

/** podman's ps_args (joined with commas): descriptors become `-o desc=TITLE` columns, with a PID column. */
export function libpodPsArgs(psArgs: string | undefined): string[] {
  const desc = (psArgs || LIBPOD_DEFAULT).split(/[\s,]+/).filter(Boolean);
  if (desc.some((d) => d.startsWith('-'))) return psArgs!.split(/\s+/).filter(Boolean);
  if (!desc.includes('pid')) desc.unshift('pid');
  return ['-e', ...desc.flatMap((d) => ['-o', `${d}=${LIBPOD_TITLES[d] ?? d.toUpperCase()}`])];
}
