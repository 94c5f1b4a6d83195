// The Dockerfile as stages of instructions, read with dockerfile-ast (parser directives, line
// continuations and the escape character are its business); the builder only sees this shape.
import { DockerfileParser } from 'dockerfile-ast';
import { BuildError } from './types.js';

export interface Instruction {
  /** Upper case: RUN, COPY... */
  keyword: string;
  /** The arguments with continuations folded, flags left out. */
  args: string;
  /** Whitespace-separated words of `args` (quotes kept, as the parser gives them). */
  words: string[];
  /** The exec (JSON) form, when the arguments are a JSON array of strings. */
  json?: string[];
  /** `--name=value` flags. */
  flags: Record<string, string>;
  /** ENV, ARG, LABEL pairs (value undefined: ARG without default). */
  props: { name: string; value: string | undefined }[];
  /** 1-based line of the instruction. */
  line: number;
  /** As the build output shows it: keyword, flags, arguments. */
  text: string;
}

export interface Stage {
  index: number;
  name?: string;
  /** The FROM word, before expansion. */
  base: string;
  platform?: string;
  from: Instruction;
  body: Instruction[];
}

export interface ParsedDockerfile {
  /** ARG instructions before the first FROM: they may be used in FROM lines. */
  globalArgs: Instruction[];
  stages: Stage[];
  escape: string;
}

export const KNOWN = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);

function jsonForm(args: string): string[] | undefined {
  const t = args.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* shell form that happens to start with '[' */
  }
  return undefined;
}

type AstInstruction = ReturnType<ReturnType<typeof DockerfileParser.parse>['getInstructions']>[number];

function toInstruction(i: AstInstruction): Instruction {
  const a = i as AstInstruction & {
    getFlags?: () => { getName(): string; getValue(): string | null }[];
    getProperties?: () => { getName(): string; getValue(): string | null }[];
  };
  const keyword = i.getKeyword().toUpperCase();
  const flags: Record<string, string> = {};
  const flagText: string[] = [];
  for (const f of a.getFlags?.() ?? []) {
    flags[f.getName()] = f.getValue() ?? '';
    flagText.push(`--${f.getName()}${f.getValue() === null ? '' : `=${f.getValue()}`}`);
  }
  let args = (i.getArgumentsContent() ?? '').trim();
  // The flags are part of the arguments' text for some instructions: keep them out.
  if (flagText.length) args = args.replace(/^(?:--\S+\s*)+/, '').trim();
  const props = ['ENV', 'ARG', 'LABEL'].includes(keyword) ? (a.getProperties?.() ?? []).map((p) => ({ name: p.getName(), value: p.getValue() ?? undefined })) : [];
  const json = ['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME'].includes(keyword) ? jsonForm(args) : undefined;
  return {
    keyword,
    args,
    words: i.getArguments().map((w) => w.getValue()).filter((w) => !(flagText.length && w.startsWith('--') && flagText.includes(w))),
    json,
    flags,
    props,
    line: i.getRange().start.line + 1,
    text: [keyword, ...flagText, args].filter(Boolean).join(' '),
  };
}

/** Parses a Dockerfile; unknown instructions and a missing FROM are build errors. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const df = DockerfileParser.parse(text);
  const escape = df.getDirectives().find((d) => d.getName().toLowerCase() === 'escape')?.getValue() || '\\';
  const out: ParsedDockerfile = { globalArgs: [], stages: [], escape };
  for (const ai of df.getInstructions()) {
    const ins = toInstruction(ai);
    if (!KNOWN.has(ins.keyword)) throw new BuildError(`Dockerfile parse error line ${ins.line}: unknown instruction: ${ins.keyword}`);
    if (ins.keyword === 'FROM') {
      const words = ins.words;
      if (!words.length) throw new BuildError(`Dockerfile parse error line ${ins.line}: FROM requires either one or three arguments`);
      let name: string | undefined;
      if (words.length === 3 && words[1].toLowerCase() === 'as') name = words[2].toLowerCase();
      else if (words.length !== 1) throw new BuildError(`Dockerfile parse error line ${ins.line}: FROM requires either one or three arguments`);
      if (name && !/^[a-z][a-z0-9-_.]*$/.test(name)) throw new BuildError(`invalid name for build stage: "${name}", name can't start with a number or contain symbols`);
      out.stages.push({ index: out.stages.length, name, base: words[0], platform: ins.flags.platform, from: ins, body: [] });
      continue;
    }
    const cur = out.stages.at(-1);
    if (!cur) {
      if (ins.keyword === 'ARG') {
        out.globalArgs.push(ins);
        continue;
      }
      throw new BuildError(`Dockerfile parse error line ${ins.line}: no build stage in current context (${ins.keyword} before FROM)`);
    }
    cur.body.push(ins);
  }
  if (!out.stages.length) throw new BuildError('the Dockerfile (Dockerfile) cannot be empty: no FROM instruction');
  return out;
}
