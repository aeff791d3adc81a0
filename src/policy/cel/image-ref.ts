/**
 * Container image references, normalised as Docker does (`distribution/reference`
 * `ParseNormalizedNamed`): `nginx` is `docker.io/library/nginx`, `index.docker.io` is `docker.io`,
 * and the first path component is a registry only if it looks like one (has `.` or `:`, is
 * `localhost`, or has upper-case letters).
 */
export interface ImageRef {
  readonly registry: string;
  readonly repository: string;
  /** The tag as written; '' when there is none (Docker would imply `latest` if there is no digest either). */
  readonly tag: string;
  /** `algorithm:hex` as written; '' when there is none. */
  readonly digest: string;
}

export class ImageRefError extends Error {}

const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
const OFFICIAL_REPO_PREFIX = "library/";
const MAX_NAME_LENGTH = 255;

const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

/** Digest algorithms `go-digest` accepts, with the length of their hex encoding. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const looksLikeDomain =
    slash >= 0 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first);
  let domain = looksLikeDomain ? first : DEFAULT_DOMAIN;
  let remainder = looksLikeDomain ? name.slice(slash + 1) : name;
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

function validateDigest(digest: string): void {
  const [algorithm = "", hex = ""] = digest.split(":");
  const want = DIGEST_HEX_LENGTH[algorithm];
  if (want === undefined || !Object.hasOwn(DIGEST_HEX_LENGTH, algorithm))
    throw new ImageRefError(`unsupported digest algorithm: ${algorithm}`);
  if (hex.length !== want || !/^[a-f0-9]+$/.test(hex))
    throw new ImageRefError(`invalid checksum digest format: ${digest}`);
}

/** Parses and normalises an image reference; throws {@link ImageRefError} with Docker's wording. */
export function parseImageRef(s: string): ImageRef {
  if (/^[a-f0-9]{64}$/.test(s))
    throw new ImageRefError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const { domain, remainder } = splitDockerDomain(s);
  const colon = remainder.indexOf(":");
  const remoteName = colon < 0 ? remainder : remainder.slice(0, colon);
  if (remoteName.toLowerCase() !== remoteName) {
    throw new ImageRefError(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  const m = REFERENCE.exec(`${domain}/${remainder}`);
  if (!m) throw new ImageRefError("invalid reference format");
  const [, registry = "", repository = "", tag = "", digest = ""] = m;
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    throw new ImageRefError(`repository name must not be more than ${MAX_NAME_LENGTH} characters`);
  }
  if (digest !== "") validateDigest(digest);
  return { registry, repository, tag, digest };
}
