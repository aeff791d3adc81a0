import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { basename, dirname, errorMessage, issueFactory, locationOf } from "../shared/index.js";
import { DEVEL, finish, GO, golangPurl, isLocalPath, isModuleVersion } from "./shared.js";

const NAME = "go/go-mod";

/**
 * `go.mod` (https://go.dev/ref/mod#go-mod-file) with the `go.sum` beside it. The main module is
 * an application package (version `(devel)`: a source tree has none) that depends on every
 * `require`d module, after `replace` directives: a replacement by another module gives that
 * module (`go:replaces` names the original), a replacement by a directory keeps the required
 * module and names the directory in `go:replace-path`. `go.sum`'s `h1:` hash of the module (not
 * of its `go.mod`) becomes the `go:h1` property: it is a hash of Go's dirhash, not of a file, so
 * it is not a CycloneDX hash. `applies` also accepts `go.sum` so sources filtered by `applies`
 * list it; a call for `go.sum` itself returns nothing.
 */
export const goModCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: GO,
  targets: ["directory", "file"],
  applies: (entry) => {
    const base = basename(entry.path);
    return base === "go.mod" || base === "go.sum";
  },
  async catalog(entry, ctx) {
    if (basename(entry.path) !== "go.mod") return { packages: [] };
    let text: string;
    try {
      text = await ctx.source.readText(entry.path);
    } catch (err) {
      return { packages: [], issues: [issueFactory(NAME, entry)(`cannot read: ${errorMessage(err)}`)] };
    }
    const sumPath = entry.path === "go.mod" ? "go.sum" : `${dirname(entry.path)}/go.sum`;
    let sum: { entry: FileEntry; text: string } | undefined;
    try {
      const sumEntry = {
        path: sumPath,
        size: 0,
        ...(entry.layer === undefined ? {} : { layer: entry.layer }),
      };
      sum = { entry: sumEntry, text: await ctx.source.readText(sumPath) };
    } catch {
      sum = undefined; // no go.sum (or not listed): hashes are optional
    }
    return parseGoMod(text, entry, sum);
  },
};

/** One parsed directive line: the verb (the block's, inside a block), its arguments, its comment. */
interface Directive {
  readonly verb: string;
  readonly args: readonly string[];
  readonly comment: string;
  readonly line: number;
}

interface ModuleVersion {
  readonly path: string;
  readonly version?: string;
}

interface Replace {
  readonly old: ModuleVersion;
  readonly new: ModuleVersion;
  readonly line: number;
}

const KNOWN_IGNORED = new Set(["godebug", "retract", "tool", "ignore"]);

export function parseGoMod(
  text: string,
  entry: FileEntry,
  sum?: { readonly entry: FileEntry; readonly text: string },
): CatalogResult {
  const issue = issueFactory(NAME, entry);
  const issues: CatalogIssue[] = [];
  const { directives, problems } = directivesOf(text);
  for (const p of problems) issues.push(issue(p.message, p.line));

  let modulePath: string | undefined;
  let moduleLine: number | undefined;
  const properties: Record<string, string> = {};
  const requires: { mod: Required<ModuleVersion>; indirect: boolean; line: number }[] = [];
  const replaces: Replace[] = [];
  const excludes: Required<ModuleVersion>[] = [];

  for (const d of directives) {
    const bad = (what: string) => issues.push(issue(`malformed ${d.verb} directive: ${what}`, d.line));
    switch (d.verb) {
      case "module":
        if (d.args.length !== 1) bad("expected one module path");
        else [modulePath, moduleLine] = [d.args[0]!, d.line];
        break;
      case "go":
        if (d.args.length !== 1) bad("expected one Go version");
        else properties["go:go"] = d.args[0]!;
        break;
      case "toolchain":
        if (d.args.length !== 1) bad("expected one toolchain name");
        else properties["go:toolchain"] = d.args[0]!;
        break;
      case "require":
      case "exclude": {
        if (d.args.length !== 2) {
          bad(`expected a module path and a version, got ${d.args.length} field(s)`);
          break;
        }
        const [path, version] = d.args as [string, string];
        if (!isModuleVersion(version)) {
          bad(`${JSON.stringify(version)} is not a module version`);
          break;
        }
        if (d.verb === "exclude") excludes.push({ path, version });
        else requires.push({ mod: { path, version }, indirect: isIndirect(d.comment), line: d.line });
        break;
      }
      case "replace": {
        const r = replaceOf(d.args);
        if (typeof r === "string") bad(r);
        else replaces.push({ ...r, line: d.line });
        break;
      }
      default:
        if (!KNOWN_IGNORED.has(d.verb))
          issues.push(issue(`unknown directive ${JSON.stringify(d.verb)}`, d.line));
    }
  }

  const hashes = sum ? parseGoSum(sum.text, sum.entry, issues) : new Map<string, string>();
  const packages: FoundPackage[] = [];
  const seen = new Set<string>();
  for (const req of requires) {
    const replace =
      replaces.find((r) => r.old.path === req.mod.path && r.old.version === req.mod.version) ??
      replaces.find((r) => r.old.path === req.mod.path && r.old.version === undefined);
    const props: Record<string, string> = {};
    let effective: Required<ModuleVersion> = req.mod;
    if (replace && isLocalPath(replace.new.path)) {
      props["go:replace-path"] = replace.new.path;
    } else if (replace?.new.version !== undefined) {
      effective = { path: replace.new.path, version: replace.new.version };
      props["go:replaces"] = `${req.mod.path}@${req.mod.version}`;
    }
    if (req.indirect) props["go:indirect"] = "true";
    if (excludes.some((x) => x.path === req.mod.path && x.version === req.mod.version)) {
      issues.push(issue(`${req.mod.path}@${req.mod.version} is required and excluded`, req.line));
    }
    const h1 = hashes.get(`${effective.path} ${effective.version}`);
    if (h1 && !props["go:replace-path"]) props["go:h1"] = h1;
    const ref = `${effective.path}@${effective.version}`;
    if (seen.has(ref)) {
      issues.push(issue(`${req.mod.path} is required twice`, req.line));
      continue;
    }
    const purl = golangPurl(effective.path, effective.version);
    if (!purl) {
      issues.push(issue(`cannot build a package URL for ${ref}`, req.line));
      continue;
    }
    seen.add(ref);
    packages.push(
      finish({
        ref,
        name: effective.path,
        version: effective.version,
        purl,
        ecosystem: GO,
        type: "library",
        locations: [locationOf(entry)],
        properties: props,
      }),
    );
  }

  if (modulePath === undefined) {
    issues.push(issue("no module directive: the main module is unknown"));
  } else {
    const purl = golangPurl(modulePath, DEVEL);
    if (!purl) issues.push(issue(`cannot build a package URL for module ${modulePath}`, moduleLine));
    else {
      packages.unshift(
        finish({
          ref: modulePath,
          name: modulePath,
          version: DEVEL,
          purl,
          ecosystem: GO,
          type: "application",
          locations: [locationOf(entry)],
          dependsOn: packages.map((p) => p.ref),
          properties: { "go:main": "true", ...properties },
        }),
      );
    }
  }
  return issues.length > 0 ? { packages, issues } : { packages };
}

/** modfile's rule: the line comment is `indirect`, or starts with `indirect;`. */
function isIndirect(comment: string): boolean {
  const c = comment.trim();
  return c === "indirect" || c.startsWith("indirect;");
}

function replaceOf(args: readonly string[]): Omit<Replace, "line"> | string {
  const arrow = args.indexOf("=>");
  if (arrow !== 1 && arrow !== 2) return "expected `old [version] => new [version]`";
  const [oldPath, oldVersion] = args.slice(0, arrow);
  const [newPath, newVersion, ...rest] = args.slice(arrow + 1);
  if (!newPath || rest.length > 0) return "expected `old [version] => new [version]`";
  if (oldVersion !== undefined && !isModuleVersion(oldVersion))
    return `${JSON.stringify(oldVersion)} is not a module version`;
  if (newVersion === undefined && !isLocalPath(newPath))
    return `replacement ${newPath} needs a version (or is not a local path)`;
  if (newVersion !== undefined && !isModuleVersion(newVersion))
    return `${JSON.stringify(newVersion)} is not a module version`;
  return {
    old: { path: oldPath!, ...(oldVersion === undefined ? {} : { version: oldVersion }) },
    new: { path: newPath, ...(newVersion === undefined ? {} : { version: newVersion }) },
  };
}

/**
 * Lines → directives, expanding `verb ( … )` blocks. Tokens are separated by spaces; Go string
 * literals ("…" and `…`) are single tokens; `//` starts a comment outside literals.
 */
function directivesOf(text: string): {
  directives: Directive[];
  problems: { message: string; line: number }[];
} {
  const directives: Directive[] = [];
  const problems: { message: string; line: number }[] = [];
  let block: { verb: string; line: number } | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const lexed = lexLine(lines[i]!);
    if (typeof lexed === "string") {
      problems.push({ message: lexed, line });
      continue;
    }
    const { tokens, comment } = lexed;
    if (tokens.length === 0) continue;
    if (block) {
      if (tokens.length === 1 && tokens[0] === ")") block = undefined;
      else directives.push({ verb: block.verb, args: tokens, comment, line });
      continue;
    }
    const [verb, ...args] = tokens as [string, ...string[]];
    if (args.length === 1 && args[0] === "(") block = { verb, line };
    else if (args.length === 2 && args[0] === "(" && args[1] === ")") continue;
    else directives.push({ verb, args, comment, line });
  }
  if (block) problems.push({ message: `unterminated ${block.verb} block`, line: block.line });
  return { directives, problems };
}

function lexLine(raw: string): { tokens: string[]; comment: string } | string {
  const tokens: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === " " || c === "\t") {
      i++;
    } else if (raw.startsWith("//", i)) {
      return { tokens, comment: raw.slice(i + 2) };
    } else if (c === '"' || c === "`") {
      const end = findClosingQuote(raw, i);
      if (end < 0) return "unterminated string";
      const literal = raw.slice(i, end + 1);
      const value = c === "`" ? literal.slice(1, -1) : unquoteInterpreted(literal);
      if (value === undefined) return `invalid string ${literal}`;
      tokens.push(value);
      i = end + 1;
    } else if (c === "(" || c === ")") {
      tokens.push(c);
      i++;
    } else {
      let j = i;
      while (j < raw.length && !' \t"`()'.includes(raw[j]!) && !raw.startsWith("//", j)) j++;
      // `=>` glued to its neighbours (`a=>b`) is still an arrow.
      tokens.push(...raw.slice(i, j).split(/(=>)/).filter(Boolean));
      i = j;
    }
  }
  return { tokens, comment: "" };
}

function findClosingQuote(raw: string, start: number): number {
  const quote = raw[start]!;
  for (let j = start + 1; j < raw.length; j++) {
    if (quote === '"' && raw[j] === "\\") j++;
    else if (raw[j] === quote) return j;
  }
  return -1;
}

function unquoteInterpreted(literal: string): string | undefined {
  try {
    const v: unknown = JSON.parse(literal);
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `go.sum` lines `<module> <version>[/go.mod] h1:<base64>` → `"<module> <version>"` → `h1:…`. */
function parseGoSum(text: string, entry: FileEntry, issues: CatalogIssue[]): Map<string, string> {
  const issue = issueFactory(NAME, entry);
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    const [path, version, hash] = fields;
    if (fields.length !== 3 || !/^h1:[A-Za-z0-9+/]{43}=$/.test(hash!)) {
      issues.push(issue("malformed go.sum line", i + 1));
      continue;
    }
    if (version!.endsWith("/go.mod")) continue;
    out.set(`${path} ${version}`, hash!);
  }
  return out;
}
