import type { CatalogContext, Cataloger } from "../../cataloger.js";
import type { CatalogResult } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { catalogIssue, failedResult, type Issues, type Position } from "./issues.js";

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads the cataloged file, turning limits and read failures into issues. */
export async function readEntryText(
  entry: FileEntry,
  ctx: CatalogContext,
  issues: Issues,
): Promise<string | undefined> {
  if (entry.size > ctx.limits.maxFileBytes) {
    issues.add(`file is ${entry.size} bytes, more than the limit of ${ctx.limits.maxFileBytes}`);
    return undefined;
  }
  try {
    return await ctx.source.readText(entry.path);
  } catch (e) {
    issues.add(`cannot read the file: ${errorMessage(e)}`);
    return undefined;
  }
}

/** Reads text through the source, or the reason when the source refuses. */
export async function tryReadText(
  read: (path: string) => Promise<string>,
  path: string,
): Promise<{ text: string } | { error: string }> {
  try {
    return { text: await read(path) };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

/**
 * The `catalog` of a cataloger that parses one file's text: reads it and parses it, or returns
 * one issue when the source refuses: `cannot read <what>: <reason>` at 1:1, or (without `what`)
 * `cannot read: <reason>` with no position.
 */
export async function catalogText(
  cataloger: string,
  what: string | undefined,
  entry: FileEntry,
  ctx: CatalogContext,
  parse: (text: string) => CatalogResult,
): Promise<CatalogResult> {
  let text: string;
  try {
    text = await ctx.source.readText(entry.path);
  } catch (e) {
    if (what === undefined)
      return { packages: [], issues: [catalogIssue(cataloger, entry, `cannot read: ${errorMessage(e)}`)] };
    return failedResult(cataloger, entry, `cannot read ${what}: ${(e as Error).message}`);
  }
  return parse(text);
}

/** Line starts of a text, for turning offsets into positions in O(log n). */
export class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  at(offset: number): Position {
    if (!this.starts) {
      this.starts = [0];
      for (let i = this.text.indexOf("\n"); i >= 0; i = this.text.indexOf("\n", i + 1))
        this.starts.push(i + 1);
    }
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }
}

/** Line and column of a character offset (one-off; use a {@link LineIndex} for many). */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  return new LineIndex(text).at(offset);
}

/**
 * A cataloger for one text lockfile format, the common case: a path test, a parser, and the
 * read-or-report-an-issue step shared by all. `fileName` is a shorthand for "this basename".
 * (`what` names the file in the "cannot read" issue; without it the issue says just "cannot read".)
 */
export function lockfileCataloger(options: {
  readonly name: string;
  readonly ecosystem: string;
  readonly fileName?: string;
  readonly applies?: (entry: FileEntry) => boolean;
  readonly what?: (entry: FileEntry) => string | undefined;
  readonly parse: (text: string, entry: FileEntry, ctx: CatalogContext) => CatalogResult;
}): Cataloger {
  const { name, fileName, parse } = options;
  const applies =
    options.applies ?? ((entry: FileEntry) => entry.path === fileName || entry.path.endsWith(`/${fileName}`));
  return {
    name,
    version: 1,
    ecosystem: options.ecosystem,
    targets: ["directory", "file"],
    applies,
    catalog: (entry, ctx) =>
      catalogText(name, options.what?.(entry), entry, ctx, (text) => parse(text, entry, ctx)),
  };
}
