/**
 * Dockerfile / Containerfile → one `dockerfile` policy input (docs/library-dockerfile.md).
 *
 * The syntax is read by `dockerfile-ast` (BuildKit heredocs, the `escape` directive, line
 * continuations, flags); the meaning Docker gives it — logical lines, heredoc bodies, ARG
 * expansion in FROM, USER and HEALTHCHECK inherited through `FROM <stage>` — is worked out here,
 * so policies see what the build would do rather than the raw text. The normalized value:
 *
 * ```text
 * { stages: [{ index, name?, line, path: "stages[i]",
 *              from: { image, resolved, platform?, pinned, scratch, fromStage, line },
 *              instructions: [{ keyword, arguments, line, stage, path: "stages[i].instructions[j]",
 *                               form: shell|exec|heredoc, exec?, heredocs?: [{name, content}],
 *                               flags: {name: value}, flagList: [{name, value}],
 *                               properties?: [{name, value?}] }],
 *              user, userInstruction?: {path, line, arguments}, healthcheck }],
 *   final, finalUser, args: [{ name, default?, line, path: "args[k]" }] }
 * ```
 *
 * Integers are BigInt (CEL `int`). The FROM line is the stage's `from`, not one of its
 * `instructions`. Every `path` is a field path into this value that the document's locator maps
 * to the exact file position, so a policy's `fieldPathExpression` can return it unchanged.
 */
import type { Flag, From, Heredoc, Instruction, JSONInstruction, Property } from "dockerfile-ast";
import { BulwarkError, lazyRequire, type SourceLocation } from "../core/index.js";
import type { InputDocument } from "../policy/index.js";
import { type IacParser, locator } from "./types.js";

const dockerfileAst = lazyRequire<typeof import("dockerfile-ast")>("dockerfile-ast");

/** The normalized Dockerfile, as policies see it in `resource`. */
export interface DockerfileValue {
  readonly stages: DockerfileStage[];
  /** Index of the last stage: the image `docker build` produces without `--target`. */
  readonly final: bigint;
  /** The final stage's effective USER (`""`: never set, so the base image's — usually root). */
  readonly finalUser: string;
  /** ARGs declared before the first FROM (the only ones FROM lines can use). */
  readonly args: DockerfileArg[];
}

export interface DockerfileArg {
  readonly name: string;
  /** Absent when declared without a default (`ARG NAME`). */
  readonly default?: string;
  readonly line: bigint;
  readonly path: string;
}

export interface DockerfileStage {
  readonly index: bigint;
  /** The `AS name`, as written. */
  readonly name?: string;
  readonly line: bigint;
  readonly path: string;
  readonly from: DockerfileFrom;
  readonly instructions: DockerfileInstruction[];
  /**
   * The effective USER at the end of the stage, ARG/ENV references expanded; inherited through
   * `FROM <earlier stage>`; `""` when never set (a base image's USER is not known here).
   */
  readonly user: string;
  /** The USER instruction `user` comes from (possibly in an earlier stage). */
  readonly userInstruction?: { readonly path: string; readonly line: bigint; readonly arguments: string };
  /** Whether the stage ends with a health check (`HEALTHCHECK CMD`, here or inherited; `NONE` clears it). */
  readonly healthcheck: boolean;
}

export interface DockerfileFrom {
  /** The image as written (`${BASE}:${TAG:-3.19}`). */
  readonly image: string;
  /** The image with global ARG defaults expanded; unknown variables stay as written. */
  readonly resolved: string;
  readonly platform?: string;
  /** `resolved` names a digest (`@sha256:` + 64 hex, or `@sha512:` + 128). */
  readonly pinned: boolean;
  readonly scratch: boolean;
  /** `resolved` names an earlier stage (compared case-insensitively, as Docker does). */
  readonly fromStage: boolean;
  readonly line: bigint;
}

export type InstructionForm = "shell" | "exec" | "heredoc";

export interface DockerfileInstruction {
  /** Upper case (`RUN`), whatever the case written. */
  readonly keyword: string;
  /**
   * Everything after the keyword and its flags, as one logical line: continuations joined as
   * Docker joins them (escape + newline removed), comment lines inside them dropped. For a
   * heredoc instruction, the command line only (`<<EOF` or `cat <<EOF > /x`); the bodies are in
   * `heredocs`.
   */
  readonly arguments: string;
  readonly line: bigint;
  readonly stage: bigint;
  readonly path: string;
  readonly form: InstructionForm;
  /** The JSON array of the exec form (`RUN ["a", "b"]`, `HEALTHCHECK CMD [...]`). */
  readonly exec?: string[];
  /** BuildKit heredocs in order; `content` ends with a newline per line (`<<-` strips leading tabs). */
  readonly heredocs?: { readonly name: string; readonly content: string }[];
  /** Flags by name (`--mount=…` → `mount`); a repeated flag keeps its last value; no value → `""`. */
  readonly flags: Record<string, string>;
  /** Every flag in order, repeats included (`RUN --mount=… --mount=…`). */
  readonly flagList: { readonly name: string; readonly value: string }[];
  /** ARG, ENV and LABEL: the declared names and values (unquoted, references not expanded). */
  readonly properties?: { readonly name: string; readonly value?: string }[];
}

const KEYWORDS = new Set([
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

/** Instructions Docker refuses without arguments (a bare RUN, CMD or ENTRYPOINT it accepts). */
const NEEDS_ARGUMENTS = new Set([
  "ADD",
  "ARG",
  "COPY",
  "ENV",
  "EXPOSE",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

/** Instructions whose arguments may be a JSON array (Docker's exec form). */
const EXEC_FORM = new Set(["RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"]);
/** Instructions BuildKit reads heredocs for. */
const HEREDOC_KEYWORDS = new Set(["RUN", "COPY", "ADD"]);
/** Predefined platform ARGs: usable in FROM without a declaration, known only at build time. */
const PLATFORM_ARGS = new Set([
  "BUILDPLATFORM",
  "BUILDOS",
  "BUILDARCH",
  "BUILDVARIANT",
  "TARGETPLATFORM",
  "TARGETOS",
  "TARGETARCH",
  "TARGETVARIANT",
]);

const FILE_NAME = /^(?:(?:Dockerfile|Containerfile)(?:\..+)?|.+\.[Dd]ockerfile)$/;

export const dockerfileParser: IacParser = {
  name: "dockerfile",
  version: 1,
  kind: "dockerfile",
  applies(path) {
    const base = path.split(/[\\/]/).pop() ?? "";
    // `Dockerfile.dockerignore` is the per-Dockerfile ignore file, not a Dockerfile.
    return FILE_NAME.test(base) && !base.endsWith(".dockerignore");
  },
  parse(text, file) {
    return [parseDockerfile(text, file)];
  },
};

/**
 * A variable's value for expansion: a string, `null` when declared without a value (unset:
 * `$X` → `""`, `${X:-d}` → `d`), `undefined` when not known here (the reference stays as written).
 */
type Lookup = (name: string) => string | null | undefined;

interface Position {
  readonly line: number;
  readonly character: number;
}

/** What the parser carries from one step to the next. */
interface Context {
  readonly lines: readonly string[];
  readonly logical: LogicalLines;
  readonly escape: string;
  /** Field path (`stages[1].instructions[3]`) → file position, for the document's locator. */
  readonly nodes: Map<string, SourceLocation>;
  readonly at: (p: Position) => SourceLocation;
  readonly fail: (message: string, p?: Position) => BulwarkError;
}

/** A stage's state at its end, which a `FROM <this stage>` inherits. */
interface StageState {
  readonly env: ReadonlyMap<string, string>;
  readonly user: string;
  readonly userInstruction?: DockerfileStage["userInstruction"];
  readonly userLocation?: SourceLocation;
  readonly healthcheck: boolean;
  readonly healthcheckLocation?: SourceLocation;
}

function parseDockerfile(raw: string, file: string): InputDocument {
  // Docker ignores a UTF-8 byte order mark; dropping it keeps line 1's columns right.
  const text = raw.startsWith("\uFEFF") ? raw.slice(1) : raw;
  const df = dockerfileAst().DockerfileParser.parse(text);
  const lines = text.split(/\r\n|\r|\n/);
  const escape = df.getEscapeCharacter();
  const at = (p: Position): SourceLocation => ({ file, line: p.line + 1, column: p.character + 1 });
  const ctx: Context = {
    lines,
    logical: logicalLines(lines, escape),
    escape,
    nodes: new Map(),
    at,
    fail: (message, p = { line: 0, character: 0 }) =>
      new BulwarkError("INPUT_INVALID", `invalid Dockerfile: ${message}`, { location: at(p) }),
  };

  const all = df.getInstructions();
  if (all.length === 0) throw ctx.fail("no instructions (a Dockerfile needs a FROM)");
  for (const ins of all) {
    if (!KEYWORDS.has(ins.getKeyword()))
      throw ctx.fail(`unknown instruction ${JSON.stringify(ins.getInstruction())}`, ins.getRange().start);
  }
  const firstFrom = all.findIndex((i) => i.getKeyword() === "FROM");
  if (firstFrom < 0) throw ctx.fail("no FROM instruction", all[0]!.getRange().start);
  const { args, globals } = globalArgs(all.slice(0, firstFrom), ctx);

  // Split the rest at each FROM; a stage sees the end states of the stages before it.
  const stages: DockerfileStage[] = [];
  const scope: StageScope = { ctx, globals, names: new Map(), states: [] };
  for (let n = firstFrom; n < all.length;) {
    let end = n + 1;
    while (end < all.length && all[end]!.getKeyword() !== "FROM") end++;
    const [stage, state] = readStage(all[n] as From, all.slice(n + 1, end), stages.length, scope);
    stages.push(stage);
    scope.states.push(state);
    n = end;
  }

  const last = stages.length - 1;
  ctx.nodes.set("final", ctx.nodes.get(`stages[${last}]`)!);
  ctx.nodes.set("finalUser", ctx.nodes.get(`stages[${last}].user`)!);
  const value: DockerfileValue = { stages, final: BigInt(last), finalUser: stages[last]!.user, args };
  const location: SourceLocation = { file, line: 1, column: 1, document: 0 };
  return {
    file,
    index: 0,
    kind: "dockerfile",
    value,
    resource: { kind: "Dockerfile", name: file },
    location,
    doc: locator(0, value, location, ctx.nodes),
  };
}

/** The ARGs before the first FROM: the only variables a FROM line can use. */
function globalArgs(
  instructions: readonly Instruction[],
  ctx: Context,
): { args: DockerfileArg[]; globals: Map<string, string | null> } {
  const args: DockerfileArg[] = [];
  const globals = new Map<string, string | null>();
  for (const ins of instructions) {
    const start = ins.getRange().start;
    if (ins.getKeyword() !== "ARG")
      throw ctx.fail(`${ins.getKeyword()} before the first FROM (only ARG may come first)`, start);
    for (const p of properties(ins, start, ctx.fail)) {
      const path = `args[${args.length}]`;
      const value = p.getValue();
      ctx.nodes.set(path, ctx.at(start));
      if (value !== null) ctx.nodes.set(`${path}.default`, ctx.at(p.getValueRange()?.start ?? start));
      args.push({
        name: p.getName(),
        ...(value !== null ? { default: value } : {}),
        line: BigInt(start.line + 1),
        path,
      });
      globals.set(p.getName(), value === null ? null : expand(value, lookupIn(globals), ctx.escape));
    }
  }
  return { args, globals };
}

interface StageScope {
  readonly ctx: Context;
  readonly globals: ReadonlyMap<string, string | null>;
  /** Lower-cased stage names seen so far → stage index. */
  readonly names: Map<string, number>;
  /** End states of the stages read so far, by index. */
  readonly states: StageState[];
}

function readStage(
  fromIns: From,
  body: readonly Instruction[],
  index: number,
  { ctx, globals, names, states }: StageScope,
): [DockerfileStage, StageState] {
  const { nodes, at } = ctx;
  const stagePath = `stages[${index}]`;
  const fromAt = at(fromIns.getRange().start);
  nodes.set(stagePath, fromAt);
  nodes.set(`${stagePath}.from`, fromAt);
  const { from, name } = readFrom(fromIns, stagePath, globals, ctx);
  if (name !== undefined && names.has(name.toLowerCase()))
    throw ctx.fail(`duplicate stage name ${JSON.stringify(name)}`, fromIns.getRange().start);
  const parentIndex = names.get(from.resolved.toLowerCase());
  const parent = parentIndex === undefined ? undefined : states[parentIndex];
  if (name !== undefined) names.set(name.toLowerCase(), index);

  // ENV carries into a child stage; ARGs do not (a stage re-declares the global ones it uses).
  const env = new Map(parent?.env);
  const vars = new Map<string, string | null>(env);
  const lookup = lookupIn(vars);
  let state: StageState = parent ?? { env, user: "", healthcheck: false };
  const instructions: DockerfileInstruction[] = [];
  for (const ins of body) {
    const path = `${stagePath}.instructions[${instructions.length}]`;
    const value = instruction(ins, index, path, ctx);
    instructions.push(value);
    switch (value.keyword) {
      case "ARG":
        for (const p of value.properties ?? []) {
          const declared = p.value !== undefined ? expand(p.value, lookup, ctx.escape) : undefined;
          vars.set(p.name, declared ?? (globals.has(p.name) ? globals.get(p.name)! : null));
        }
        break;
      case "ENV":
        for (const p of value.properties ?? []) {
          const v = expand(p.value ?? "", lookup, ctx.escape);
          vars.set(p.name, v);
          env.set(p.name, v);
        }
        break;
      case "USER":
        state = {
          ...state,
          user: expand(value.arguments, lookup, ctx.escape),
          userInstruction: { path, line: value.line, arguments: value.arguments },
          userLocation: at(ins.getRange().start),
        };
        break;
      case "HEALTHCHECK":
        state = {
          ...state,
          healthcheck: !/^NONE\b/i.test(value.arguments),
          healthcheckLocation: at(ins.getRange().start),
        };
        break;
    }
  }
  state = { ...state, env };
  nodes.set(`${stagePath}.user`, state.userLocation ?? fromAt);
  nodes.set(`${stagePath}.userInstruction`, state.userLocation ?? fromAt);
  nodes.set(`${stagePath}.healthcheck`, state.healthcheckLocation ?? fromAt);
  const stage: DockerfileStage = {
    index: BigInt(index),
    ...(name !== undefined ? { name } : {}),
    line: from.line,
    path: stagePath,
    from: { ...from, fromStage: parent !== undefined },
    instructions,
    user: state.user,
    ...(state.userInstruction ? { userInstruction: state.userInstruction } : {}),
    healthcheck: state.healthcheck,
  };
  return [stage, state];
}

/** A FROM line: its image (as written and with global ARGs expanded), platform and stage name. */
function readFrom(
  fromIns: From,
  stagePath: string,
  globals: ReadonlyMap<string, string | null>,
  { nodes, at, fail, escape }: Context,
): { from: Omit<DockerfileFrom, "fromStage">; name?: string } {
  const start = fromIns.getRange().start;
  const image = fromIns.getImage();
  const words = fromIns.getArguments().map((a) => a.getValue());
  if (image === null || words.length === 0) throw fail("FROM needs an image", start);
  if (!(words.length === 1 || (words.length === 3 && words[1]!.toLowerCase() === "as")))
    throw fail(
      `FROM takes an image and an optional "AS name", got ${JSON.stringify(words.join(" "))}`,
      start,
    );
  const imageAt = at(fromIns.getImageRange()?.start ?? start);
  nodes.set(`${stagePath}.from.image`, imageAt);
  nodes.set(`${stagePath}.from.resolved`, imageAt);
  const name = words.length === 3 ? words[2]! : undefined;
  if (name !== undefined) nodes.set(`${stagePath}.name`, at(fromIns.getBuildStageRange()?.start ?? start));
  const platformFlag = fromIns.getPlatformFlag();
  const platform = platformFlag?.getValue() ?? undefined;
  if (platformFlag) nodes.set(`${stagePath}.from.platform`, at(platformFlag.getRange().start));
  // The predefined platform ARGs are known only at build time: they stay as written.
  const lookup: Lookup = (v) => (PLATFORM_ARGS.has(v) ? undefined : lookupIn(globals)(v));
  const resolved = expand(image, lookup, escape);
  return {
    from: {
      image,
      resolved,
      ...(platform !== undefined ? { platform } : {}),
      pinned: /@(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/.test(resolved),
      scratch: resolved.toLowerCase() === "scratch",
      line: BigInt(start.line + 1),
    },
    ...(name !== undefined ? { name } : {}),
  };
}

function instruction(ins: Instruction, stage: number, path: string, ctx: Context): DockerfileInstruction {
  const { nodes, at, fail } = ctx;
  const keyword = ins.getKeyword();
  const range = ins.getRange();
  nodes.set(path, at(range.start));

  const { flags, flagList } = readFlags(ins, path, ctx);
  const argStart = ins.getArgumentsRange()?.start;
  if (argStart) nodes.set(`${path}.arguments`, at(argStart));
  const { args, heredocs } = argStart
    ? readArguments(ins, argStart, path, ctx)
    : { args: "", heredocs: undefined };

  if (args === "" && !heredocs && NEEDS_ARGUMENTS.has(keyword))
    throw fail(`${keyword} needs arguments`, range.start);

  let exec: string[] | undefined;
  if (EXEC_FORM.has(keyword)) {
    exec = jsonArray(args);
    if (exec && "getJSONStrings" in ins) {
      const strings = (ins as JSONInstruction).getJSONStrings();
      if (strings.length === exec.length)
        strings.forEach((s, k) => nodes.set(`${path}.exec[${k}]`, at(s.getRange().start)));
    }
  } else if (keyword === "HEALTHCHECK") {
    const m = /^CMD\s+(\[[\s\S]*)$/i.exec(args);
    exec = m ? jsonArray(m[1]!) : undefined;
  }

  let props: { name: string; value?: string }[] | undefined;
  if (keyword === "ARG" || keyword === "ENV" || keyword === "LABEL") {
    props = [];
    for (const [k, p] of properties(ins, range.start, fail).entries()) {
      const value = p.getValue();
      props.push({ name: p.getName(), ...(value !== null ? { value } : {}) });
      nodes.set(`${path}.properties[${k}]`, at(p.getRange().start));
      const vr = p.getValueRange();
      if (vr) nodes.set(`${path}.properties[${k}].value`, at(vr.start));
    }
  }

  return {
    keyword,
    arguments: args,
    line: BigInt(range.start.line + 1),
    stage: BigInt(stage),
    path,
    form: heredocs ? "heredoc" : exec ? "exec" : "shell",
    ...(exec ? { exec } : {}),
    ...(heredocs ? { heredocs } : {}),
    flags,
    flagList,
    ...(props ? { properties: props } : {}),
  };
}

/** Flags by name (the last of a repeated one wins) and in order. */
function readFlags(
  ins: Instruction,
  path: string,
  { nodes, at }: Context,
): Pick<DockerfileInstruction, "flags" | "flagList"> {
  const flagList: { name: string; value: string }[] = [];
  const flags: Record<string, string> = {};
  const withFlags = ins as Partial<{ getFlags(): Flag[] }>;
  const found = typeof withFlags.getFlags === "function" ? withFlags.getFlags() : [];
  found.forEach((f, k) => {
    const value = f.getValue() ?? "";
    flagList.push({ name: f.getName(), value });
    flags[f.getName()] = value;
    nodes.set(`${path}.flagList[${k}]`, at(f.getRange().start));
    nodes.set(`${path}.flags.${f.getName()}`, at(f.getRange().start));
  });
  return { flags, flagList };
}

/** The logical argument line and, for RUN/COPY/ADD, the heredoc bodies that follow it. */
function readArguments(
  ins: Instruction,
  argStart: Position,
  path: string,
  { lines, logical, nodes, at, fail }: Context,
): { args: string; heredocs: { name: string; content: string }[] | undefined } {
  // A bare `<<` (shell arithmetic, `$((1 << 4))`) names no heredoc, for BuildKit too.
  const found: Heredoc[] = HEREDOC_KEYWORDS.has(ins.getKeyword())
    ? (ins as unknown as { getHeredocs(): Heredoc[] }).getHeredocs().filter((h) => h.getName() !== "")
    : [];
  if (found.length === 0)
    return { args: logical.join(argStart, ins.getRange().end.line), heredocs: undefined };
  // The command line ends with the logical line holding the last `<<NAME`; bodies follow it.
  const commandEnd = logical.endOf(found[found.length - 1]!.getStartRange().start.line);
  const heredocs: { name: string; content: string }[] = [];
  let cursor = commandEnd + 1;
  for (const [k, h] of found.entries()) {
    const start = h.getStartRange().start;
    const delimiter = h.getDelimiterRange();
    if (!delimiter) throw fail(`unterminated heredoc <<${h.getName()}`, start);
    const stripTabs = (lines[start.line] ?? "").slice(start.character).startsWith("<<-");
    const body = lines.slice(cursor, delimiter.start.line);
    heredocs.push({
      name: h.getName(),
      content: body.map((l) => `${stripTabs ? l.replace(/^\t+/, "") : l}\n`).join(""),
    });
    nodes.set(`${path}.heredocs[${k}]`, at(start));
    nodes.set(`${path}.heredocs[${k}].content`, at({ line: cursor, character: 0 }));
    cursor = delimiter.start.line + 1;
  }
  return { args: logical.join(argStart, commandEnd), heredocs };
}

function properties(
  ins: Instruction,
  where: Position,
  fail: (message: string, p?: Position) => BulwarkError,
): Property[] {
  const props = (ins as unknown as { getProperties(): Property[] }).getProperties();
  if (props.length === 0) throw fail(`${ins.getKeyword()} needs a name`, where);
  return props;
}

/** Docker's exec form: the arguments parse as a JSON array of strings; anything else is shell form. */
function jsonArray(text: string): string[] | undefined {
  if (!text.startsWith("[")) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

interface LogicalLines {
  /** The last physical line of the logical line that includes `line` (0-based). */
  endOf(line: number): number;
  /** The text from `start` to the end of physical line `end`, joined as Docker joins continuations. */
  join(start: Position, end: number): string;
}

/**
 * Docker's logical lines: a line ending in the escape character (then only blanks) continues on
 * the next; comment lines and empty lines inside a continuation are dropped; the escape and the
 * newline are removed with nothing put in their place.
 */
function logicalLines(lines: readonly string[], escape: string): LogicalLines {
  const continued = new RegExp(`${escape.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}[ \\t]*$`);
  const skipped = /^\s*(?:#.*)?$/;
  return {
    endOf(line) {
      let n = line;
      while (n + 1 < lines.length) {
        const text = lines[n]!;
        if (n > line && skipped.test(text)) {
          n++;
          continue;
        }
        if (!continued.test(text)) break;
        n++;
      }
      return n;
    },
    join(start, end) {
      let out = "";
      for (let n = start.line; n <= end && n < lines.length; n++) {
        let text = lines[n]!;
        if (n === start.line) text = text.slice(start.character);
        else if (skipped.test(text)) continue;
        const m = continued.exec(text);
        out += m ? text.slice(0, m.index) : text;
      }
      return out.trim();
    },
  };
}

function lookupIn(vars: ReadonlyMap<string, string | null>): Lookup {
  return (name) => (vars.has(name) ? vars.get(name)! : undefined);
}

/**
 * Expands `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}` and `${VAR+word}` as
 * BuildKit does. References to variables the lookup does not know, and other operators
 * (`${VAR#pattern}`, `${VAR:?message}`, …), are kept as written.
 */
export function expand(word: string, lookup: Lookup, escape = "\\"): string {
  let out = "";
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!;
    if (c === escape && i + 1 < word.length) {
      out += word[i + 1] === "$" ? "$" : c + word[i + 1]!;
      i++;
      continue;
    }
    if (c !== "$") {
      out += c;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(i + 1))?.[0];
    if (name) {
      const v = lookup(name);
      out += v === undefined ? `$${name}` : (v ?? "");
      i += name.length;
      continue;
    }
    if (word[i + 1] === "{") {
      const close = closingBrace(word, i + 2);
      if (close < 0) {
        out += word.slice(i);
        break;
      }
      out += expandBraced(word.slice(i + 2, close), word.slice(i, close + 1), lookup, escape);
      i = close;
      continue;
    }
    out += c;
  }
  return out;
}

function closingBrace(word: string, from: number): number {
  let depth = 1;
  for (let i = from; i < word.length; i++) {
    if (word[i] === "{") depth++;
    else if (word[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function expandBraced(inner: string, raw: string, lookup: Lookup, escape: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([\s\S]*))?$/.exec(inner);
  if (!m) return raw;
  const v = lookup(m[1]!);
  if (v === undefined) return raw;
  const word = () => expand(m[3] ?? "", lookup, escape);
  switch (m[2]) {
    case undefined:
      return v ?? "";
    case ":-":
      return v ? v : word();
    case "-":
      return v === null ? word() : v;
    case ":+":
      return v ? word() : "";
    case "+":
      return v === null ? "" : word();
    default:
      return raw;
  }
}
