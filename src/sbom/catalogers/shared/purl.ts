import { PackageURL } from "packageurl-js";

type PurlParts = ConstructorParameters<typeof PackageURL>;

/** A package URL, or why packageurl-js rejects the parts. */
export function purlOrError(...parts: PurlParts): { purl: string } | { error: string } {
  try {
    return { purl: new PackageURL(...parts).toString() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A package URL, or undefined when packageurl-js rejects the parts. */
export function tryPurl(...parts: PurlParts): string | undefined {
  const r = purlOrError(...parts);
  return "purl" in r ? r.purl : undefined;
}
