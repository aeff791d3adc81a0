import type { YamlDocument } from "../../core/index.js";
import type { RuleSpec, ValidationSpec } from "../model.js";
import type { LibraryRef } from "./index.js";
import { ENFORCEMENTS, SEVERITIES } from "../types.js";
import { expression, namedExpressions, optionalExpression, parseExpiry } from "./common.js";
import { Fields } from "./fields.js";
import { POD_CONTROLLERS } from "./kubernetes.js";

export const NATIVE_API_VERSION = "bulwark.dev/v1";

/** Reads one `kind: Policy` document (ARCHITECTURE §6) into the engine's rule form. */
export function loadNativePolicy(doc: YamlDocument, file: string, library?: LibraryRef): RuleSpec {
  const f = new Fields(doc);
  f.object([], ["apiVersion", "kind", "metadata", "spec"]);
  f.object(["metadata"], ["id", "title", "severity", "description", "labels", "annotations", "name"], {
    required: true,
  });
  const id = f.requiredString(["metadata", "id"]);
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(id))
    f.fail(["metadata", "id"], `policy id ${JSON.stringify(id)} may hold only letters, digits and . _ : / -`);
  const title = f.requiredString(["metadata", "title"]);
  const severity = f.enumValue(["metadata", "severity"], SEVERITIES, "medium", { caseInsensitive: true });
  const description = f.string(["metadata", "description"]);

  f.object(
    ["spec"],
    [
      "kinds",
      "environments",
      "enforcement",
      "failurePolicy",
      "matchConditions",
      "variables",
      "validations",
      "exceptions",
      "remediation",
      "autogen",
    ],
    { required: true },
  );
  const kinds = f.stringList(["spec", "kinds"], { required: true });
  if (kinds.length === 0) f.fail(["spec", "kinds"], 'spec.kinds must list at least one input kind (or "*")');
  const environments =
    f.get(["spec", "environments"]) === undefined ? undefined : f.stringList(["spec", "environments"]);
  const enforcement = f.enumValue(["spec", "enforcement"], ENFORCEMENTS, "deny");
  const failurePolicy = f.enumValue(["spec", "failurePolicy"], ["Fail", "Ignore"] as const, "Fail");
  const remediation = f.string(["spec", "remediation"]);

  const validations: ValidationSpec[] = f
    .list(["spec", "validations"], { required: true, nonEmpty: true })
    .map((_, i) => {
      const p = ["spec", "validations", i];
      f.object(
        p,
        [
          "expression",
          "message",
          "messageExpression",
          "remediation",
          "reason",
          "fieldPath",
          "fieldPathExpression",
        ],
        { required: true },
      );
      const fieldPathExpr = optionalExpression(f, [...p, "fieldPathExpression"]);
      const fieldPathText = f.string([...p, "fieldPath"]);
      const fieldPath = fieldPathText === undefined ? undefined : parseFieldPath(fieldPathText);
      if (fieldPathText !== undefined && !fieldPath) {
        f.fail(
          [...p, "fieldPath"],
          `fieldPath must be a dotted path such as spec.containers[0].image, got ${JSON.stringify(fieldPathText)}`,
        );
      }
      const message = f.string([...p, "message"]);
      const messageExpr = optionalExpression(f, [...p, "messageExpression"]);
      const reason = f.string([...p, "reason"]);
      const rem = f.string([...p, "remediation"]) ?? remediation;
      return {
        expr: expression(f, [...p, "expression"]),
        ...(message !== undefined ? { message } : {}),
        ...(messageExpr ? { messageExpr } : {}),
        ...(reason !== undefined ? { reason } : {}),
        ...(rem !== undefined ? { remediation: rem } : {}),
        ...(fieldPath ? { fieldPath } : {}),
        ...(fieldPathExpr ? { fieldPathExpr } : {}),
      };
    });

  const exceptions = f.list(["spec", "exceptions"]).map((_, i) => {
    const p = ["spec", "exceptions", i];
    f.object(p, ["match", "expires", "reason"], { required: true });
    const reason = f.string([...p, "reason"], { required: true, nonEmpty: true })!;
    const expires = f.get([...p, "expires"]);
    if (expires === undefined)
      f.fail([...p, "expires"], "every exception needs an expiry date (expires: YYYY-MM-DD)");
    // YAML may already have turned an unquoted date into a string or a Date; accept both.
    const text = expires instanceof Date ? expires.toISOString().slice(0, 10) : String(expires);
    const expiresAt = parseExpiry(text);
    if (!expiresAt)
      return f.fail(
        [...p, "expires"],
        `expires must be a date (YYYY-MM-DD) or RFC 3339 time, got ${JSON.stringify(text)}`,
      );
    return { match: expression(f, [...p, "match"]), expires: text, expiresAt, reason };
  });

  const autogen = f.boolean(["spec", "autogen"]) ?? true;
  const podOnly = kinds.includes("Pod");
  return {
    id,
    title,
    severity,
    origin: "bulwark",
    ...(description !== undefined ? { description } : {}),
    ...(library ? { library } : {}),
    doc,
    file,
    location: doc.location,
    match: { type: "kinds", kinds },
    ...(environments ? { environments } : {}),
    enforcement,
    failurePolicy,
    matchConditions: namedExpressions(f, ["spec", "matchConditions"]),
    variables: namedExpressions(f, ["spec", "variables"]),
    validations,
    auditAnnotations: [],
    exceptions,
    ...(remediation !== undefined ? { remediation } : {}),
    ...(autogen && podOnly ? { autogen: { controllers: new Set(POD_CONTROLLERS), idFor: () => id } } : {}),
  };
}

/** `spec.containers[0].image` → `["spec", "containers", 0, "image"]`; undefined when malformed. */
export function parseFieldPath(text: string): (string | number)[] | undefined {
  const out: (string | number)[] = [];
  const re = /(?:^|\.)([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']+)'\]/gy;
  let m: RegExpExecArray | null = re.exec(text);
  while (m) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[3]!);
    if (re.lastIndex === text.length) return out;
    m = re.exec(text);
  }
  return undefined;
}
