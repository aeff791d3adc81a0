import type { Distro } from "../../model.js";

/**
 * Where the distro is described, in order of precedence (os-release(5)): `etc/os-release` wins,
 * `usr/lib/os-release` is the vendor fallback (often `etc/os-release` is a symlink to it).
 */
export const osReleasePaths: readonly string[] = ["etc/os-release", "usr/lib/os-release"];

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A value spanning more lines than this is treated as an unterminated quote. */
const MAX_CONTINUATION_LINES = 32;

/**
 * Parses os-release(5) text into its variables. The format is a list of shell-compatible
 * assignments: blank lines and lines starting with `#` are ignored; values may be unquoted, in
 * double quotes (where backslash escapes `"`, `\`, `$` and `` ` ``) or in single quotes (no escapes);
 * an unquoted backslash escapes the next character. Lines that are not a valid assignment (no `=`,
 * a bad name, an unterminated quote, several words) are skipped, never fatal. Later assignments
 * of the same name win, as in a shell.
 */
export function parseOsRelease(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t]+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!KEY.test(key)) continue;
    // A quoted value may continue on the next lines (shell semantics); join a few for the parser.
    let j = i;
    let value = parseShellWord(line.slice(eq + 1));
    while (value === "unterminated" && j + 1 < lines.length && j - i < MAX_CONTINUATION_LINES) {
      j++;
      line += `\n${lines[j]!}`;
      value = parseShellWord(line.slice(eq + 1));
    }
    if (value === "unterminated" || value === "invalid") continue;
    vars.set(key, value);
    i = j;
  }
  return vars;
}

/**
 * Reads the distro from os-release text: `ID` (default `linux`, as the spec says), `VERSION_ID`,
 * `PRETTY_NAME`, `ID_LIKE`. Undefined when the text holds no assignment at all.
 */
export function readOsRelease(text: string): Distro | undefined {
  const vars = parseOsRelease(text);
  if (vars.size === 0) return undefined;
  const id = vars.get("ID")?.trim() || "linux";
  const versionId = vars.get("VERSION_ID")?.trim();
  const prettyName = vars.get("PRETTY_NAME")?.trim();
  const idLike = (vars.get("ID_LIKE") ?? "").split(/\s+/).filter((s) => s !== "");
  return {
    id,
    ...(versionId ? { versionId } : {}),
    ...(prettyName ? { prettyName } : {}),
    ...(idLike.length ? { idLike } : {}),
  };
}

/** One shell word, then optional blanks and an optional `#` comment. */
function parseShellWord(raw: string): string | "unterminated" | "invalid" {
  let out = "";
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === '"') {
      const end = readDoubleQuoted(raw, i + 1);
      if (end === undefined) return "unterminated";
      out += end.text;
      i = end.next;
    } else if (c === "'") {
      const close = raw.indexOf("'", i + 1);
      if (close < 0) return "unterminated";
      out += raw.slice(i + 1, close);
      i = close + 1;
    } else if (c === "\\") {
      // Backslash-newline is a line continuation; otherwise the next character is literal.
      const next = raw[i + 1];
      if (next === undefined) return "unterminated";
      if (next !== "\n") out += next;
      i += 2;
    } else if (c === " " || c === "\t") {
      const rest = raw.slice(i).trimStart();
      return rest === "" || rest.startsWith("#") ? out : "invalid";
    } else if (c === "\n") {
      return "invalid";
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function readDoubleQuoted(raw: string, start: number): { text: string; next: number } | undefined {
  let text = "";
  for (let i = start; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') return { text, next: i + 1 };
    if (c === "\\" && i + 1 < raw.length) {
      const next = raw[i + 1]!;
      if (next === "\n") {
        i++;
        continue;
      }
      if ('"\\$`'.includes(next)) {
        text += next;
        i++;
        continue;
      }
    }
    text += c;
  }
  return undefined;
}
