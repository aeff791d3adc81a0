import type { CatalogIssue, CatalogResult, FoundPackage } from "../../model.js";
import type { FileEntry } from "../../source.js";

/** 1-based line and column, as issues report them. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Where in (or about) the file an issue is: any of a line, a column, a path inside it, another file. */
export interface IssueWhere {
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
  /** Another file than the entry (e.g. the `package.json` beside a lockfile). */
  readonly file?: string;
}

/** One located issue of `cataloger` about `entry` (and its image layer). */
export function catalogIssue(
  cataloger: string,
  entry: Pick<FileEntry, "path" | "layer">,
  message: string,
  where: IssueWhere = {},
): CatalogIssue {
  return {
    cataloger,
    message,
    location: {
      file: where.file ?? entry.path,
      ...(where.line === undefined ? {} : { line: where.line }),
      ...(where.column === undefined ? {} : { column: where.column }),
      ...(where.path === undefined ? {} : { path: where.path }),
      ...(entry.layer ? { layer: entry.layer } : {}),
    },
  };
}

/** Builds located issues for one file. */
export function issueFactory(cataloger: string, entry: Pick<FileEntry, "path" | "layer">) {
  return (message: string, line?: number, column?: number): CatalogIssue =>
    catalogIssue(cataloger, entry, message, { line, column });
}

/** Collects located issues for one file. */
export class Issues {
  readonly list: CatalogIssue[] = [];

  constructor(
    private readonly cataloger: string,
    private readonly entry: Pick<FileEntry, "path" | "layer">,
  ) {}

  /** An issue at a position (line and column) of the entry, or of `file`. */
  add(message: string, at?: Position, file?: string): void {
    this.list.push(
      catalogIssue(this.cataloger, this.entry, message, { line: at?.line, column: at?.column, file }),
    );
  }

  /** An issue at a line and/or a path inside the entry. */
  addAt(message: string, where: { line?: number; path?: string } = {}): void {
    this.list.push(catalogIssue(this.cataloger, this.entry, message, where));
  }

  /** `{issues}` when there are any, else nothing: a clean file reports no `issues` key. */
  result(packages: readonly FoundPackage[]): { packages: readonly FoundPackage[]; issues?: CatalogIssue[] } {
    return this.list.length ? { packages, issues: this.list } : { packages };
  }
}

/** A result with no packages and one issue (at line 1, column 1), for a file that could not be read at all. */
export function failedResult(
  cataloger: string,
  entry: Pick<FileEntry, "path" | "layer">,
  message: string,
): CatalogResult {
  return { packages: [], issues: [catalogIssue(cataloger, entry, message, { line: 1, column: 1 })] };
}
