// .dockerignore as docker reads it: one pattern a line, `#` comments, `!` exceptions, the last
// matching pattern decides, and a path is also excluded when one of its parent dirs matches.

interface Rule {
  re: RegExp;
  negate: boolean;
}

/** Go's filepath.Match syntax plus `**` (any number of path components), as docker extends it. */
function toRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` matches zero or more directories; a trailing `**` anything below.
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`syntax error in pattern ${JSON.stringify(pattern)}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Cleans a pattern the way docker does: no leading `/` or `./`, no trailing `/`, `a//b` folded. */
function clean(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return parts.join('/');
}

export class IgnoreMatcher {
  private rules: Rule[];

  constructor(patterns: string[]) {
    this.rules = [];
    for (const raw of patterns) {
      let p = raw.trim();
      if (!p) continue;
      const negate = p.startsWith('!');
      if (negate) p = p.slice(1).trim();
      p = clean(p);
      if (!p) continue;
      this.rules.push({ re: toRegex(p), negate });
    }
  }

  /** The lines of a .dockerignore file. */
  static parse(text: string): IgnoreMatcher {
    return new IgnoreMatcher(text.split(/\r?\n/).filter((l) => !l.trimStart().startsWith('#')));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** Whether `rel` (a path relative to the context, `/`-separated) is left out. */
  excluded(rel: string): boolean {
    const path = clean(rel);
    const parts = path.split('/');
    let out = false;
    for (const r of this.rules) {
      // A pattern matches the path itself or any of its parents ("dir" excludes "dir/x").
      let hit = false;
      for (let n = parts.length; n >= 1 && !hit; n--) hit = r.re.test(parts.slice(0, n).join('/'));
      if (hit) out = !r.negate;
    }
    return out;
  }

  /** With `!` exceptions an excluded dir may hold paths brought back: walks must descend into it. */
  get hasExceptions(): boolean {
    return this.rules.some((r) => r.negate);
  }
}
