import { splitLines } from "./common.js";

/** One field of a control paragraph: its value (continuation lines joined with `\n`) and line. */
export interface ControlField {
  readonly value: string;
  readonly line: number;
}

/** One paragraph ("stanza") of a Debian control file, with field names lowercased. */
export interface ControlStanza {
  /** 1-based line of the stanza's first field. */
  readonly line: number;
  readonly fields: ReadonlyMap<string, ControlField>;
}

export interface ControlProblem {
  readonly message: string;
  readonly line: number;
}

/**
 * Splits Debian control-file text (deb822, as `var/lib/dpkg/status` uses it) into stanzas.
 * Paragraphs are separated by blank lines (whitespace only); `Name: value` starts a field,
 * lines starting with a space or tab continue it; field names are case-insensitive. Lenient:
 * malformed lines and repeated fields are reported and skipped, the rest is kept.
 */
export function parseControl(text: string): { stanzas: ControlStanza[]; problems: ControlProblem[] } {
  const stanzas: ControlStanza[] = [];
  const problems: ControlProblem[] = [];
  let fields = new Map<string, { lines: string[]; line: number }>();
  let start = 0;
  let current: { lines: string[] } | undefined;

  const flush = (): void => {
    if (fields.size) {
      const out = new Map<string, ControlField>();
      for (const [k, f] of fields) out.set(k, { value: f.lines.join("\n"), line: f.line });
      stanzas.push({ line: start, fields: out });
    }
    fields = new Map();
    current = undefined;
  };

  const lines = splitLines(text.replace(/^\uFEFF/, ""));
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    if (raw.trim() === "") {
      flush();
      continue;
    }
    if (raw.startsWith("#")) continue;
    if (raw.startsWith(" ") || raw.startsWith("\t")) {
      if (current) current.lines.push(raw.trim());
      else problems.push({ message: "continuation line outside a field", line: lineNo });
      continue;
    }
    const colon = raw.indexOf(":");
    const name = colon > 0 ? raw.slice(0, colon) : "";
    if (!/^[!-9;-~]+$/.test(name)) {
      problems.push({ message: `not a "Field: value" line: ${preview(raw)}`, line: lineNo });
      current = undefined;
      continue;
    }
    const key = name.toLowerCase();
    if (fields.has(key)) {
      problems.push({ message: `field ${name} repeated in one stanza; the first is kept`, line: lineNo });
      current = undefined;
      continue;
    }
    if (!fields.size) start = lineNo;
    const field = { lines: [raw.slice(colon + 1).trim()], line: lineNo };
    fields.set(key, field);
    current = field;
  }
  flush();
  return { stanzas, problems };
}

/** A short, printable excerpt of an offending line for an issue message. */
export function preview(line: string): string {
  const clean = line.replace(/[^\x20-\x7e]/g, "?");
  return JSON.stringify(clean.length > 60 ? `${clean.slice(0, 60)}…` : clean);
}

/** One alternative of a Debian relationship field: `name[:arch] [(op version)]`. */
export interface Relation {
  readonly name: string;
  readonly arch?: string;
}

/**
 * Parses a Debian relationship field (`Depends`, `Pre-Depends`, `Provides`) into groups of
 * alternatives: `a (>= 1) | b:any, c` → `[[a], [b:any]], [[c]]` (version constraints, architecture
 * restrictions `[…]` and build profiles `<…>` dropped). Unparseable alternatives are returned in
 * `bad`.
 */
export function parseRelations(value: string): { groups: Relation[][]; bad: string[] } {
  const groups: Relation[][] = [];
  const bad: string[] = [];
  for (const group of value.replace(/\s+/g, " ").split(",")) {
    const alternatives: Relation[] = [];
    for (const alt of group.split("|")) {
      const text = alt
        .replace(/\[[^\]]*\]/g, "")
        .replace(/<[^>]*>/g, "")
        .trim();
      if (text === "") continue;
      const m = /^([A-Za-z0-9][A-Za-z0-9+.\-_]*)(?::([A-Za-z0-9-]+))?\s*(?:\([^)]*\))?$/.exec(text);
      if (!m) {
        bad.push(text);
        continue;
      }
      alternatives.push({ name: m[1]!, ...(m[2] ? { arch: m[2] } : {}) });
    }
    if (alternatives.length) groups.push(alternatives);
  }
  return { groups, bad };
}
