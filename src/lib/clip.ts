// Error messages quote what a client sent (names, paths, values) or what a child process said:
// never more than a short prefix of it, so a 100 KB input never comes back in an answer, a log
// line or a container's recorded error.

/** Characters of one quoted input kept in a message. */
export const QUOTE_MAX = 128;

/** `s` as a message may quote it: at most `max` characters, the cut marked with how much is left out. */
export function clip(s: string, max = QUOTE_MAX): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}...(${s.length - max} more characters)`;
}

/** `v` quoted for a message whatever its type: strings clipped, anything else as its clipped JSON. */
export function quote(v: unknown, max = QUOTE_MAX): string {
  if (typeof v === 'string') return clip(v, max);
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return clip(text, max);
}

/**
 * A message from elsewhere (a runtime's stderr) that may embed a long input: each run of over
 * `max` characters without a space or quote is clipped where it stands, so the words around it
 * (what failed, and why) survive; the whole is then bounded by `total`.
 */
export function clipRuns(text: string, max = QUOTE_MAX, total = 4096): string {
  if (text.length <= max) return text;
  // A run already clipped (by `clip` where the message was made) keeps its own cut.
  const clipped = (run: string) => run.length <= 2 * max + 16 && /\.\.\.\(\d+$/.test(run);
  const short = text.replace(new RegExp(`[^\\s"']{${max + 1},}`, 'g'), (run) => (clipped(run) ? run : clip(run, max)));
  return clip(short, total);
}
