import type { Pair, YAMLMap } from "yaml";
import { lazyRequire } from "../../../core/index.js";

const yaml = lazyRequire<typeof import("yaml")>("yaml");
import type { Limits } from "../../../core/index.js";
import type { Position } from "../shared/index.js";

/** The last document of a YAML lockfile, with positions kept for issues. */
export interface LockDocument {
  readonly value: unknown;
  /** Position of the deepest key of `path` that exists (the document start for `[]`). */
  locate(path: readonly string[]): Position;
}

export type LockYaml =
  | { readonly ok: true; readonly doc: LockDocument | undefined }
  | { readonly ok: false; readonly message: string; readonly position?: Position };

/**
 * Parses a YAML lockfile leniently and fast. Not core's `parseYamlDocuments`: that one fails on
 * duplicate keys, a check the yaml package does pairwise — quadratic in the tens of thousands of
 * keys of a big pnpm lockfile (over 5 s for 4 MB). pnpm never writes duplicates; if one appears,
 * the last wins. Several documents (pnpm 10 may put an "env" lockfile first): the last is the
 * project's. Never throws.
 */
export function parseLockYaml(text: string, limits: Limits): LockYaml {
  const { isMap, isScalar, LineCounter, parseAllDocuments } = yaml();
  const lines = new LineCounter();
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  let docs: ReturnType<typeof import("yaml").parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  } catch (e) {
    return { ok: false, message: tooDeepOr(e, "cannot parse the YAML") };
  }
  const list = Array.isArray(docs) ? docs : [];
  for (const d of list) {
    const err = d.errors[0];
    if (err)
      return { ok: false, message: `invalid YAML: ${err.message.split("\n")[0]}`, position: at(err.pos[0]) };
  }
  const last = list.at(-1);
  if (last === undefined || last.contents === null) return { ok: true, doc: undefined };
  const start = last.contents.range?.[0] ?? 0;
  let value: unknown;
  try {
    value = last.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (e) {
    return { ok: false, message: tooDeepOr(e, "cannot read the YAML"), position: at(start) };
  }
  const indexes = new WeakMap<YAMLMap, Map<string, Pair>>();
  const indexOf = (map: YAMLMap): Map<string, Pair> => {
    let index = indexes.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) if (isScalar(pair.key)) index.set(String(pair.key.value), pair);
      indexes.set(map, index);
    }
    return index;
  };
  return {
    ok: true,
    doc: {
      value,
      locate: (path) => {
        let node: unknown = last.contents;
        let offset = start;
        for (const key of path) {
          if (!isMap(node)) break;
          const pair = indexOf(node).get(key);
          if (!pair) break;
          if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
          node = pair.value;
        }
        return at(offset);
      },
    },
  };
}

function tooDeepOr(e: unknown, what: string): string {
  if (e instanceof RangeError) return "the YAML nests too deeply to read";
  return `${what}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
}
