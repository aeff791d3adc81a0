/**
 * A container image's runtime configuration (the image config's `config` object) as the policy
 * input kind `image-config`: what `bulwark check image.tar` judges — the user it runs as, exposed
 * ports, environment, health check — without unpacking any layer.
 */
import type { SourceLocation } from "../core/index.js";
import type { InputDocument } from "../policy/index.js";
import { readImageConfig } from "../sbom/index.js";

export interface ImageConfigInput {
  readonly name: string;
  readonly digest: string;
  readonly configDigest: string;
  readonly os: string;
  readonly architecture: string;
  /** `User` as written; "" when unset (the image runs as root). */
  readonly user: string;
  /** `ExposedPorts` keys, e.g. `22/tcp`. */
  readonly exposedPorts: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly workingDir: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `Healthcheck.Test`, or null when the image defines none. */
  readonly healthcheck: readonly string[] | null;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/** Reads an image target into an `image-config` document, or undefined when the path is no image. */
export async function readImageConfigInput(
  path: string,
  options: { readonly platform?: string } = {},
): Promise<InputDocument | undefined> {
  const info = await readImageConfig(path, options);
  if (!info) return undefined;
  const rt = (info.runtime ?? {}) as Record<string, unknown>;
  const env = strings(rt.Env).map((e) => {
    const i = e.indexOf("=");
    return i < 0 ? { name: e, value: "" } : { name: e.slice(0, i), value: e.slice(i + 1) };
  });
  const labels: Record<string, string> = {};
  if (rt.Labels && typeof rt.Labels === "object")
    for (const [k, v] of Object.entries(rt.Labels)) if (typeof v === "string") labels[k] = v;
  const hc = rt.Healthcheck as { Test?: unknown } | undefined;
  const test = hc ? strings(hc.Test) : [];
  const value: ImageConfigInput = {
    name: info.reference ?? path,
    digest: info.digest,
    configDigest: info.configDigest,
    os: info.os,
    architecture: info.architecture,
    user: typeof rt.User === "string" ? rt.User : "",
    exposedPorts:
      rt.ExposedPorts && typeof rt.ExposedPorts === "object" ? Object.keys(rt.ExposedPorts).sort() : [],
    env,
    entrypoint: strings(rt.Entrypoint),
    cmd: strings(rt.Cmd),
    workingDir: typeof rt.WorkingDir === "string" ? rt.WorkingDir : "",
    labels,
    // `["NONE"]` disables a health check inherited from the base image.
    healthcheck: test.length && test[0] !== "NONE" ? test : null,
  };
  const location: SourceLocation = { file: path, path: info.configDigest };
  return {
    file: path,
    index: 0,
    kind: "image-config",
    value,
    resource: { kind: "ImageConfig", name: value.name },
    location,
  };
}
