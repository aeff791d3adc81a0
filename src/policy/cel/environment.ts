import { Environment } from "@marcbachmann/cel-js";
import { DEFAULT_LIMITS } from "../../core/index.js";
import { registerBulwark } from "./lib-bulwark.js";
import { registerCidr } from "./lib-cidr.js";
import { registerFormat } from "./lib-format.js";
import { registerIp } from "./lib-ip.js";
import { registerLists } from "./lib-lists.js";
import { registerNamedFormats } from "./lib-named-formats.js";
import { registerQuantity } from "./lib-quantity.js";
import { registerRegex } from "./lib-regex.js";
import { registerSemver } from "./lib-semver.js";
import { registerSets } from "./lib-sets.js";
import { registerStrings } from "./lib-strings.js";
import { registerUrl } from "./lib-url.js";

export interface CelEnvironmentOptions {
  /** The evaluation clock: `now()`, `daysSince()` and `expired()` MUST read only this. */
  clock: { now(): Date };
}

/**
 * The variables every policy expression may use. All are `dyn` (their shape depends on the input
 * kind) except `now`. The Kubernetes ones mirror ValidatingAdmissionPolicy so its expressions run
 * unchanged; `authorizer` is declared for the same reason, though nothing in CI can authorize.
 */
export const CEL_VARIABLES = [
  ["resource", "The input document being evaluated."],
  ["subject", "What the decision is about: name and, when known, digests."],
  ["environment", "The target environment (e.g. staging, production) or null."],
  ["action", "What is being attempted (e.g. deploy, publish) or null."],
  ["identity", "The verified identity of the caller, when known."],
  ["evidence", "Verified evidence (attestations, signatures) about the subject."],
  ["variables", "The policy's named variables, evaluated in order."],
  ["object", "Kubernetes kinds: the object (ValidatingAdmissionPolicy `object`)."],
  ["oldObject", "Kubernetes kinds: the previous object on update, else null."],
  ["request", "Kubernetes kinds: the admission request attributes."],
  ["params", "Kubernetes kinds: the parameter resource of a policy binding, else null."],
  ["namespaceObject", "Kubernetes kinds: the namespace of a namespaced object, else null."],
  ["authorizer", "Kubernetes kinds: declared for compatibility; there is no authorizer in CI."],
  [
    "inventory",
    "Every document of the run (all --input files, or all files `bulwark check` read), grouped by kind: inventory.NetworkPolicy is a list of objects.",
  ],
  [
    "library",
    "Built-in policies: {name, version, minor} of the set as asked for (`builtin:pss-restricted@v1.25` → minor 25; `latest` → the newest known), else null.",
  ],
] as const;

/**
 * A fresh environment with every function library and the policy variables declared. Creating
 * one is not cheap (a few milliseconds); build it once per policy set, not per evaluation.
 */
export function createCelEnvironment(options: CelEnvironmentOptions): Environment {
  const env = new Environment({
    unlistedVariablesAreDyn: false,
    enableOptionalTypes: true,
    // Kubernetes data is heterogeneous; `[1, 'a']` must not be a type error.
    homogeneousAggregateLiterals: false,
    limits: { maxAstNodes: DEFAULT_LIMITS.maxExpressionNodes },
  });
  for (const [name, description] of CEL_VARIABLES) env.registerVariable(name, "dyn", { description });
  env.registerVariable("now", "google.protobuf.Timestamp", {
    description: "The evaluation time (the injected clock).",
  });

  registerStrings(env);
  registerFormat(env);
  registerLists(env);
  registerRegex(env);
  registerUrl(env);
  registerQuantity(env);
  registerIp(env);
  registerCidr(env);
  registerSets(env);
  registerSemver(env);
  registerNamedFormats(env);
  registerBulwark(env, { clock: options.clock });
  registerTypeIdentifiers(env);
  return env;
}

/**
 * The custom types as identifiers, so that `type(ip('::1')) == net.IP` holds as in Kubernetes.
 * CEL compares type values by identity, and cel-js creates them when a type is registered, so
 * they are read back through `type(...)` of a sample value.
 */
function registerTypeIdentifiers(env: Environment): void {
  const typeOf = (sample: string): unknown => env.evaluate(`type(${sample})`);
  env.registerConstant("net", "map<string, type>", { IP: typeOf("ip('::')"), CIDR: typeOf("cidr('::/0')") });
  env.registerConstant("kubernetes", "map<string, type>", {
    Quantity: typeOf("quantity('0')"),
    URL: typeOf("url('/')"),
    Semver: typeOf("semver('0.0.0')"),
    NamedFormat: typeOf("format.uuid()"),
  });
}
