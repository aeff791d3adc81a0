import { lazyRequire, type Limits } from "../../../core/index.js";

const smolToml = lazyRequire<typeof import("smol-toml")>("smol-toml");

/** A parsed TOML document, or where it stopped parsing. */
export type TomlParse =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly message: string; readonly line?: number; readonly column?: number };

/** Parses untrusted TOML with the nesting limit applied; never throws. */
export function parseToml(text: string, limits: Pick<Limits, "maxDepth">): TomlParse {
  const { parse, TomlError } = smolToml();
  try {
    return { ok: true, value: parse(text, { maxDepth: limits.maxDepth, unsafeKeyBehaviour: "drop" }) };
  } catch (err) {
    if (err instanceof TomlError) {
      return { ok: false, message: firstLine(err.message), line: err.line, column: err.column };
    }
    return { ok: false, message: err instanceof Error ? firstLine(err.message) : String(err) };
  }
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0]!;
}
