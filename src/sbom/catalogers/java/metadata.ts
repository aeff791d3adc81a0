/** Readers for the two small text formats found inside Java archives. */

/**
 * A `.properties` file as `java.util.Properties.load` reads it: `#`/`!` comments, `=`, `:` or
 * whitespace between key and value, backslash line continuations and escapes (`\uXXXX`, `\t`, …).
 * Later keys win, as in Java.
 */
export function parseProperties(text: string): { values: Map<string, string> } {
  const values = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let logical = lines[i]!.replace(/^[ \t\f]+/, "");
    if (logical === "" || logical.startsWith("#") || logical.startsWith("!")) continue;
    while (endsWithOddBackslashes(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, "");
    }
    if (endsWithOddBackslashes(logical)) logical = logical.slice(0, -1);
    let k = 0;
    while (k < logical.length && !"=: \t\f".includes(logical[k]!)) k += logical[k] === "\\" ? 2 : 1;
    const key = logical.slice(0, k);
    let v = k;
    while (v < logical.length && " \t\f".includes(logical[v]!)) v++;
    if (v < logical.length && "=:".includes(logical[v]!)) v++;
    while (v < logical.length && " \t\f".includes(logical[v]!)) v++;
    values.set(unescape(key), unescape(logical.slice(v)));
  }
  return { values };
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(Number.parseInt(c.slice(1), 16));
    return ({ t: "\t", n: "\n", r: "\r", f: "\f" } as Record<string, string>)[c] ?? c;
  });
}

/**
 * The main section of a JAR manifest (everything before the first blank line): `Name: value`
 * headers, with lines wrapped at 72 bytes continued by a leading space. Header names are
 * case-insensitive, so they are returned lowercased.
 */
export function parseManifest(text: string): {
  main: Map<string, string>;
  issues: { line: number; message: string }[];
} {
  const main = new Map<string, string>();
  const issues: { line: number; message: string }[] = [];
  let last: string | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") break;
    if (line.startsWith(" ")) {
      if (last === undefined)
        issues.push({ line: i + 1, message: "manifest continuation line without a header" });
      else main.set(last, main.get(last)! + line.slice(1));
      continue;
    }
    const colon = line.indexOf(": ");
    if (colon <= 0 || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(line.slice(0, colon))) {
      issues.push({ line: i + 1, message: `not a manifest header: ${line.slice(0, 80)}` });
      last = undefined;
      continue;
    }
    last = line.slice(0, colon).toLowerCase();
    main.set(last, line.slice(colon + 2));
  }
  return { main, issues };
}
