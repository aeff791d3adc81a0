/**
 * Where `bulwark scan` gets its advisories: the local database (`db`, the default and the only
 * offline one) or, when asked with `--source`, an online source. Online sources return OSV
 * records; the scan command caches them in the local database and matches them with the same
 * matcher as everything else.
 */
import { BulwarkError } from "../../core/index.js";

export { type HttpOptions, MAX_ATTEMPTS, retryAfterMs } from "./http.js";
export {
  checkNpmAdvisory,
  NPM_AUDIT_SEMVER,
  type NpmAdvisoriesOptions,
  type NpmAdvisory,
  npmAdvisoryToOsv,
  type NpmRangeConversion,
  npmRangeToOsv,
  queryNpmAdvisories,
  resolveInexact,
} from "./npm-advisories.js";
export {
  NPM_DEFAULT_REGISTRY,
  npmEnvReplace,
  type NpmRegistry,
  npmRegistryFor,
  npmTokenFor,
  parseNpmrc,
} from "./npmrc.js";
export {
  OSV_API_URL,
  OSV_MAX_BATCH,
  type OsvApiOptions,
  type OsvQuery,
  osvQueryFor,
  queryOsvApi,
  type SourceResult,
} from "./osv-api.js";

/** Every `--source` value, the default first. */
export const SOURCE_NAMES = ["db", "osv-api", "npm-advisories"] as const;

export type SourceName = (typeof SOURCE_NAMES)[number];

/** Whether a source needs the network (and so may only be used when asked for). */
export function isOnlineSource(name: SourceName): boolean {
  switch (name) {
    case "db":
      return false;
    case "osv-api":
    case "npm-advisories":
      return true;
    default: {
      const never: never = name;
      return never;
    }
  }
}

/** A `--source` value, or a USAGE error listing the valid ones. */
export function parseSourceName(value: string): SourceName {
  const found = SOURCE_NAMES.find((n) => n === value);
  if (found) return found;
  throw new BulwarkError(
    "USAGE",
    `unknown vulnerability source ${JSON.stringify(value)}; expected one of ${SOURCE_NAMES.join(", ")}`,
    { details: { value, allowed: [...SOURCE_NAMES] } },
  );
}
