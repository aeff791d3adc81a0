import { type Environment, Optional } from "@marcbachmann/cel-js";
import { type CelOverload, defineNamespace, defineOverloads } from "./define.js";
import { parseRequestUri, UrlError } from "./go-url.js";
import { CelOpaque } from "./values.js";

const FORMAT = "kubernetes.NamedFormat";

/** A named string format of Kubernetes' format library; `validate` lists what is wrong. */
export class NamedFormat extends CelOpaque {
  readonly celType = FORMAT;

  constructor(
    readonly name: string,
    readonly check: (s: string) => string[],
  ) {
    super();
  }

  equals(other: unknown): boolean {
    return other instanceof NamedFormat && other.name === this.name;
  }
}

/**
 * Kubernetes' format library: `format.dns1123Label().validate(name)` returns `optional.none()`
 * when the string is valid and otherwise a list of Kubernetes' own error messages.
 */
export function registerNamedFormats(env: Environment): void {
  env.registerType(FORMAT, NamedFormat);
  env.registerOperator(`${FORMAT} == ${FORMAT}`, (a: NamedFormat, b: NamedFormat) => a.equals(b));
  defineNamespace(env, "format");
  const named: CelOverload[] = Object.keys(FORMATS).map((key) => ({
    signature: `format.${key}(): ${FORMAT}`,
    description: `The ${key} format, as format.named('${key}').`,
    handler: () => FORMATS[key],
  }));
  defineOverloads(env, [
    {
      signature: `format.named(string): optional<${FORMAT}>`,
      description: "The format with that name, or optional.none() for an unknown name.",
      handler: (_ns: unknown, name: string) =>
        Object.hasOwn(FORMATS, name) ? Optional.of(FORMATS[name]) : Optional.none(),
    },
    ...named,
    {
      signature: `${FORMAT}.validate(string): optional<list<string>>`,
      description: "optional.none() if the string is valid, else the list of validation errors.",
      handler: (f: NamedFormat, s: string) => {
        const errors = f.check(s);
        return errors.length === 0 ? Optional.none() : Optional.of(errors);
      },
    },
  ]);
}

// apimachinery's messages, word for word (util/validation and api/validate/content).
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(" or ")}regex used for validation is '${fmt}')`;
}
const maxLen = (n: number, unit: "characters" | "bytes"): string => `must be no more than ${n} ${unit}`;
const byteLength = (s: string): number => Buffer.byteLength(s, "utf8");

const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
const LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_FMT = `(${LABEL_KEY_FMT})?`;
const anchored = (fmt: string): RegExp => new RegExp(`^(?:${fmt})$`);
const DNS1123_LABEL = anchored(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN = anchored(DNS1123_SUBDOMAIN_FMT);
const DNS1035_LABEL = anchored(DNS1035_LABEL_FMT);
const LABEL_KEY = anchored(LABEL_KEY_FMT);
const LABEL_VALUE = anchored(LABEL_VALUE_FMT);

function dns1123Label(s: string): string[] {
  const errs: string[] = [];
  if (byteLength(s) > 63) errs.push(maxLen(63, "characters"));
  if (!DNS1123_LABEL.test(s)) {
    errs.push(
      DNS1123_SUBDOMAIN.test(s)
        ? "must not contain dots"
        : regexError(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
            DNS1123_LABEL_FMT,
            "my-name",
            "123-abc",
          ),
    );
  }
  return errs;
}

function dns1123Subdomain(s: string, unit: "characters" | "bytes" = "characters"): string[] {
  const errs: string[] = [];
  if (byteLength(s) > 253) errs.push(maxLen(253, unit));
  if (!DNS1123_SUBDOMAIN.test(s)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        "example.com",
      ),
    );
  }
  return errs;
}

function dns1035Label(s: string): string[] {
  const errs: string[] = [];
  if (byteLength(s) > 63) errs.push(maxLen(63, "characters"));
  if (!DNS1035_LABEL.test(s)) {
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        "my-name",
        "abc-123",
      ),
    );
  }
  return errs;
}

const LABEL_KEY_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** `content.IsLabelKey`, which `validation.IsQualifiedName` now is. */
function qualifiedName(s: string): string[] {
  const errs: string[] = [];
  const parts = s.split("/");
  if (parts.length > 2) {
    return [
      `a valid label key ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === "") errs.push("prefix part must be non-empty");
    else errs.push(...dns1123Subdomain(prefix, "bytes").map((m) => `prefix part ${m}`));
  }
  if (name === "") errs.push("name part must be non-empty");
  else if (byteLength(name) > 63) errs.push(`name part ${maxLen(63, "bytes")}`);
  if (!LABEL_KEY.test(name))
    errs.push(`name part ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, "MyName", "my.name", "123-abc")}`);
  return errs;
}

function labelValue(s: string): string[] {
  const errs: string[] = [];
  if (byteLength(s) > 63) errs.push(maxLen(63, "bytes"));
  if (!LABEL_VALUE.test(s)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        "MyValue",
        "my_value",
        "12345",
      ),
    );
  }
  return errs;
}

/** apimachinery's `maskTrailingDash`: a name that will get a suffix may end in '-'. */
function maskTrailingDash(s: string): string {
  return s.length > 1 && s.endsWith("-") ? `${s.slice(0, -2)}a` : s;
}

function uri(s: string): string[] {
  try {
    parseRequestUri(s);
    return [];
  } catch (e) {
    if (e instanceof UrlError) return [e.message];
    throw e;
  }
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
const TIME_OF_DAY = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/;

/** Go's `time.Parse("2006-01-02", s)`: four-digit year, real month and day. */
function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** kube-openapi's `strfmt.IsDateTime` (it would panic on a bare date; here that is invalid). */
function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split("t");
  if (parts.length < 2 || !isDate(parts[0]!)) return false;
  const m = TIME_OF_DAY.exec(parts[1]!);
  return m !== null && m[1]! <= "23" && m[2]! <= "59" && m[3]! <= "59";
}

const single = (ok: (s: string) => boolean, message: string) => (s: string) => (ok(s) ? [] : [message]);

const FORMATS: Readonly<Record<string, NamedFormat>> = Object.fromEntries(
  (
    [
      ["dns1123Label", "DNS1123Label", dns1123Label],
      ["dns1123Subdomain", "DNS1123Subdomain", (s: string) => dns1123Subdomain(s)],
      ["dns1035Label", "DNS1035Label", dns1035Label],
      ["qualifiedName", "QualifiedName", qualifiedName],
      ["dns1123LabelPrefix", "DNS1123LabelPrefix", (s: string) => dns1123Label(maskTrailingDash(s))],
      [
        "dns1123SubdomainPrefix",
        "DNS1123SubdomainPrefix",
        (s: string) => dns1123Subdomain(maskTrailingDash(s)),
      ],
      ["dns1035LabelPrefix", "DNS1035LabelPrefix", (s: string) => dns1035Label(maskTrailingDash(s))],
      ["labelValue", "LabelValue", labelValue],
      ["uri", "URI", uri],
      ["uuid", "uuid", single((s) => UUID.test(s), "does not match the UUID format")],
      ["byte", "byte", single((s) => BASE64.test(s), "invalid base64")],
      ["date", "date", single(isDate, "invalid date")],
      ["datetime", "datetime", single(isDateTime, "invalid datetime")],
    ] as const
  ).map(([key, name, check]) => [key, new NamedFormat(name, check)]),
);
