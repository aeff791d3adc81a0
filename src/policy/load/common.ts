import type { YamlDocument } from "../../core/index.js";
import type { ExpressionSpec, LabelSelector, ResourceRule } from "../model.js";
import { SEVERITIES, type Severity } from "../types.js";
import type { Fields, Path } from "./fields.js";

/** `[{name, expression}]` lists: matchConditions and variables. Names must be unique. */
export function namedExpressions(f: Fields, path: Path): { name: string; expr: ExpressionSpec }[] {
  const seen = new Set<string>();
  return f.list(path).map((_, i) => {
    const p = [...path, i];
    f.object(p, ["name", "expression"], { required: true });
    const name = f.requiredString([...p, "name"]);
    if (seen.has(name)) f.fail([...p, "name"], `duplicate name ${JSON.stringify(name)} in ${path.join(".")}`);
    seen.add(name);
    return { name, expr: expression(f, [...p, "expression"]) };
  });
}

export function expression(f: Fields, path: Path): ExpressionSpec {
  return { source: f.requiredString(path), path };
}

export function optionalExpression(f: Fields, path: Path): ExpressionSpec | undefined {
  const s = f.string(path);
  return s === undefined || s.trim() === "" ? undefined : { source: s, path };
}

export function labelSelector(f: Fields, path: Path): LabelSelector | undefined {
  const obj = f.object(path, ["matchLabels", "matchExpressions"]);
  if (!obj) return undefined;
  const matchLabels: Record<string, string> = {};
  const labels = f.object(
    [...path, "matchLabels"],
    Object.keys((obj["matchLabels"] as object | undefined) ?? {}),
  );
  for (const key of Object.keys(labels ?? {}))
    matchLabels[key] = f.requiredString([...path, "matchLabels", key]);
  const matchExpressions = f.list([...path, "matchExpressions"]).map((_, i) => {
    const p = [...path, "matchExpressions", i];
    f.object(p, ["key", "operator", "values"], { required: true });
    const operator = f.enumValue(
      [...p, "operator"],
      ["In", "NotIn", "Exists", "DoesNotExist"] as const,
      "In",
    );
    if (f.get([...p, "operator"]) === undefined) f.fail([...p, "operator"], "operator is required");
    return { key: f.requiredString([...p, "key"]), operator, values: f.stringList([...p, "values"]) };
  });
  return { matchLabels, matchExpressions };
}

export function resourceRules(f: Fields, path: Path): ResourceRule[] {
  return f.list(path).map((_, i) => {
    const p = [...path, i];
    f.object(p, ["apiGroups", "apiVersions", "resources", "operations", "scope", "resourceNames"], {
      required: true,
    });
    return {
      apiGroups: f.stringList([...p, "apiGroups"]),
      apiVersions: f.stringList([...p, "apiVersions"]),
      resources: f.stringList([...p, "resources"]),
      operations: f.stringList([...p, "operations"]),
      scope: f.enumValue([...p, "scope"], ["Cluster", "Namespaced", "*"] as const, "*"),
      ...(f.list([...p, "resourceNames"]).length
        ? { resourceNames: f.stringList([...p, "resourceNames"]) }
        : {}),
    };
  });
}

/** `metadata.annotations` value, if a string. */
export function annotation(doc: YamlDocument, key: string): string | undefined {
  const v = (doc.value as { metadata?: { annotations?: Record<string, unknown> } }).metadata?.annotations?.[
    key
  ];
  return typeof v === "string" ? v : undefined;
}

export function severityFrom(value: string | undefined, fallback: Severity = "medium"): Severity {
  const v = value?.toLowerCase();
  return (SEVERITIES as readonly string[]).includes(v ?? "") ? (v as Severity) : fallback;
}

/** `YYYY-MM-DD` (valid through that whole day, UTC) or an RFC 3339 time. */
export function parseExpiry(s: string): Date | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const d = new Date(`${s}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s) return undefined;
    return new Date(d.getTime() + 86_400_000);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
