/**
 * IaC parsers (ARCHITECTURE §4 plugin pattern): each turns one kind of configuration file into
 * normalized policy inputs with source positions, so `bulwark check` findings point at the exact
 * line. Parsers are pure (text in, documents out), never throw anything but BulwarkError
 * (`INPUT_INVALID` with a location), and keep integers as BigInt so CEL sees `int`.
 */
import type { SourceLocation, YamlDocument } from "../core/index.js";
import type { InputDocument } from "../policy/index.js";

export interface IacParser {
  /** Stable name, e.g. `dockerfile` (also the value of `bulwark check --type`). */
  readonly name: string;
  /** Bumped when the normalized output changes. */
  readonly version: number;
  /** The policy input kind produced (`dockerfile`, `terraform-plan`, `workflow`, `gitlab-ci`, `image-config`). */
  readonly kind: string;
  /** Cheap test on the path (and the first bytes of the file when the name is not enough). */
  applies(path: string, head: string): boolean;
  /** Parses one file into policy input documents. `file` is the path shown in locations. */
  parse(text: string, file: string): InputDocument[];
}

/**
 * A YamlDocument-compatible locator for inputs that are not YAML: the engine calls `locate(path)`
 * with a violation's field path (e.g. `stages[1].instructions[3]`) to find file, line and column.
 * `nodes` maps a path's string form (`stages[1].instructions[3]`) to its location; a path with no
 * entry resolves to its nearest ancestor that has one, else the document start.
 */
export function locator(
  index: number,
  value: unknown,
  location: SourceLocation,
  nodes: ReadonlyMap<string, SourceLocation>,
): YamlDocument {
  const key = (path: readonly (string | number)[]) =>
    path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  const locate = (path: readonly (string | number)[]): SourceLocation => {
    for (let n = path.length; n >= 0; n--) {
      const hit = nodes.get(key(path.slice(0, n)));
      if (hit) return { ...hit, path: key(path) };
    }
    return { ...location, path: key(path) };
  };
  return { index, value, location, locate, locateInScalar: (path) => locate(path) };
}
