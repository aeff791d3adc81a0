/**
 * The module information text cmd/go embeds (the format `runtime/debug.ParseBuildInfo` reads,
 * https://pkg.go.dev/runtime/debug#BuildInfo): tab-separated lines
 * `path <package>`, `mod <path> <version> [<sum>]`, `dep <path> <version> [<sum>]`,
 * `=> <path> <version> [<sum>]` (replaces the line before), `build <key>=<value>` (key and value
 * Go-quoted when they contain spaces, quotes or `=`).
 */
export interface GoModule {
  readonly path: string;
  readonly version: string;
  readonly sum?: string;
  readonly replace?: GoModule;
}

export interface ModInfo {
  /** The main package's import path. */
  readonly path?: string;
  readonly main?: GoModule;
  readonly deps: readonly GoModule[];
  /** Build settings in order: `-ldflags`, `CGO_ENABLED`, `GOOS`, `GOARCH`, `vcs.revision`, … */
  readonly settings: readonly (readonly [string, string])[];
  /** Lines that could not be read (1-based line numbers within the module info). */
  readonly problems: readonly { readonly line: number; readonly message: string }[];
}

export function parseModInfo(text: string): ModInfo {
  let path: string | undefined;
  let main: GoModule | undefined;
  const deps: GoModule[] = [];
  const settings: [string, string][] = [];
  const problems: { line: number; message: string }[] = [];
  let last: "main" | "dep" | undefined;

  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const tab = line.indexOf("\t");
    const key = tab < 0 ? line : line.slice(0, tab);
    const rest = tab < 0 ? "" : line.slice(tab + 1);
    const problem = (message: string) => problems.push({ line: i + 1, message });
    switch (key) {
      case "go": // written by BuildInfo.String(), not embedded; accepted for `go version -m` text
        break;
      case "path":
        path = rest;
        last = undefined;
        break;
      case "mod":
      case "dep": {
        const mod = moduleOf(rest);
        if (!mod) {
          problem(`malformed ${key} line`);
          last = undefined;
        } else if (key === "mod") {
          main = mod;
          last = "main";
        } else {
          deps.push(mod);
          last = "dep";
        }
        break;
      }
      case "=>": {
        const mod = moduleOf(rest);
        if (!mod || !last) {
          problem(mod ? "replacement without a module before it" : "malformed replacement line");
          break;
        }
        if (last === "main") main = { ...main!, replace: mod };
        else deps[deps.length - 1] = { ...deps[deps.length - 1]!, replace: mod };
        last = undefined;
        break;
      }
      case "build": {
        const setting = settingOf(rest);
        if (setting) settings.push(setting);
        else problem("malformed build line");
        last = undefined;
        break;
      }
      default:
        problem(`unknown line ${JSON.stringify(key.slice(0, 40))}`);
        last = undefined;
    }
  }
  return { ...(path === undefined ? {} : { path }), ...(main ? { main } : {}), deps, settings, problems };
}

function moduleOf(rest: string): GoModule | undefined {
  const [path, version, sum, ...extra] = rest.split("\t");
  if (!path || !version || extra.length > 0) return undefined;
  return { path, version, ...(sum ? { sum } : {}) };
}

function settingOf(rest: string): [string, string] | undefined {
  let key: string;
  let after: string;
  if (rest.startsWith('"')) {
    const q = quotedPrefix(rest);
    if (!q) return undefined;
    key = q.value;
    after = rest.slice(q.length);
    if (!after.startsWith("=")) return undefined;
    after = after.slice(1);
  } else {
    const eq = rest.indexOf("=");
    if (eq <= 0) return undefined;
    key = rest.slice(0, eq);
    after = rest.slice(eq + 1);
  }
  if (after.startsWith('"')) {
    const q = quotedPrefix(after);
    if (!q || q.length !== after.length) return undefined;
    return [key, q.value];
  }
  return [key, after];
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/** A Go interpreted string literal at the start of `s` (`strconv.QuotedPrefix` + `Unquote`). */
export function quotedPrefix(s: string): { value: string; length: number } | undefined {
  if (!s.startsWith('"')) return undefined;
  const bytes: number[] = [];
  const push = (text: string) => bytes.push(...new TextEncoder().encode(text));
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return { value: new TextDecoder().decode(new Uint8Array(bytes)), length: i + 1 };
    if (c === "\n") return undefined;
    if (c !== "\\") {
      push(c);
      continue;
    }
    const e = s[++i];
    if (e === undefined) return undefined;
    if (e in SIMPLE_ESCAPES) push(SIMPLE_ESCAPES[e]!);
    else if (e === "x" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (
      (e === "u" || e === "U") &&
      new RegExp(`^[0-9a-fA-F]{${e === "u" ? 4 : 8}}$`).test(s.slice(i + 1, i + (e === "u" ? 5 : 9)))
    ) {
      const n = e === "u" ? 4 : 8;
      const cp = Number.parseInt(s.slice(i + 1, i + 1 + n), 16);
      if (cp > 0x10ffff) return undefined;
      push(String.fromCodePoint(cp));
      i += n;
    } else if (/^[0-7]{3}$/.test(s.slice(i, i + 3))) {
      const v = Number.parseInt(s.slice(i, i + 3), 8);
      if (v > 255) return undefined;
      bytes.push(v);
      i += 2;
    } else return undefined;
  }
  return undefined;
}
