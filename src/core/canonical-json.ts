/**
 * JSON Canonicalization Scheme (RFC 8785). Object members are sorted by the UTF-16 code units of
 * their names, numbers use the ECMAScript shortest round-trip form (which RFC 8785 adopts), strings
 * use the minimal JSON escaping. BigInts are accepted when they fit in an IEEE-754 double exactly.
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, out, new Set());
  return out.join("");
}

function write(value: unknown, out: string[], seen: Set<object>): void {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode ${value}`);
      out.push(Object.is(value, -0) ? "0" : String(value));
      return;
    case "bigint": {
      const n = Number(value);
      if (BigInt(n) !== value) throw new TypeError(`canonical JSON cannot encode ${value} exactly`);
      out.push(String(n));
      return;
    }
    case "object":
      break;
    default:
      throw new TypeError(`canonical JSON cannot encode a value of type ${typeof value}`);
  }
  if (value === null) {
    out.push("null");
    return;
  }
  if (seen.has(value)) throw new TypeError("canonical JSON cannot encode a cyclic structure");
  seen.add(value);
  if (Array.isArray(value)) {
    out.push("[");
    value.forEach((item, i) => {
      if (i > 0) out.push(",");
      write(item === undefined ? null : item, out, seen);
    });
    out.push("]");
  } else if (value instanceof Map) {
    writeEntries(
      [...value.entries()].map(([k, v]) => [String(k), v]),
      out,
      seen,
    );
  } else if (value instanceof Date) {
    out.push(JSON.stringify(value.toISOString()));
  } else {
    writeEntries(Object.entries(value as Record<string, unknown>), out, seen);
  }
  seen.delete(value);
}

function writeEntries(entries: [string, unknown][], out: string[], seen: Set<object>): void {
  const kept = entries.filter(([, v]) => v !== undefined);
  // Default sort compares UTF-16 code units, exactly what RFC 8785 §3.2.3 asks for.
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  out.push("{");
  kept.forEach(([k, v], i) => {
    if (i > 0) out.push(",");
    out.push(JSON.stringify(k), ":");
    write(v, out, seen);
  });
  out.push("}");
}
