// Variable substitution in Dockerfile words, as the classic builder does it: $VAR, ${VAR},
// ${VAR:-default}, ${VAR:+alternative} (and the forms without ':'), `\$` for a literal dollar.

export type Lookup = (name: string) => string | undefined;

export class ExpandError extends Error {}

/** Expands variables in `word`; `escape` is the Dockerfile's escape character. */
export function expand(word: string, lookup: Lookup, escape = '\\'): string {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if (c === escape && word[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = word[i + 1];
    if (next === '{') {
      // The matching brace: a default may hold ${...} of its own.
      let end = -1;
      for (let j = i + 2, depth = 1; j < word.length; j++) {
        if (word[j] === '{' && word[j - 1] === '$') depth++;
        else if (word[j] === '}' && --depth === 0) {
          end = j;
          break;
        }
      }
      if (end < 0) throw new ExpandError(`missing '}' in ${JSON.stringify(word)}`);
      const body = word.slice(i + 2, end);
      i = end;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-+])(.*))?$/s.exec(body);
      if (!m) throw new ExpandError(`bad substitution: \${${body}}`);
      const [, name, colon, op, arg] = m;
      const v = lookup(name);
      const unset = colon ? v === undefined || v === '' : v === undefined;
      if (!op) out += v ?? '';
      else if (op === '-') out += unset ? expand(arg, lookup, escape) : v!;
      else out += unset ? '' : expand(arg, lookup, escape);
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(i + 1));
    if (!m) {
      out += '$';
      continue;
    }
    out += lookup(m[0]) ?? '';
    i += m[0].length;
  }
  return out;
}

/** The variables a word refers to (for the cache: which build args a step uses). */
export function referenced(word: string): string[] {
  const names = new Set<string>();
  for (const m of word.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))/g)) names.add(m[1] ?? m[2]);
  return [...names];
}
