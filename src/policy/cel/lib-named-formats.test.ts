import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });
const errors = (format: string, value: string): unknown => {
  const result = env.evaluate(`format.${format}().validate(${JSON.stringify(value)}).orValue([])`);
  return result;
};

describe("Kubernetes format library (format.go)", () => {
  it.each([
    ["dns1123Label", "my-name"],
    ["dns1123Label", "123-abc"],
    ["dns1123Subdomain", "apiextensions.k8s.io"],
    ["dns1035Label", "my-name"],
    ["qualifiedName", "apiextensions.k8s.io/v1beta1"],
    ["qualifiedName", "MyName"],
    ["dns1123LabelPrefix", "my-label-prefix-"],
    ["dns1123SubdomainPrefix", "mysubdomain.prefix.-"],
    ["dns1035LabelPrefix", "my-label-prefix-"],
    ["labelValue", ""],
    ["labelValue", "my_value"],
    ["uri", "http://example.com"],
    ["uri", "/absolute"],
    ["uuid", "123e4567-e89b-12d3-a456-426614174000"],
    ["uuid", "123E4567E89B12D3A456426614174000"],
    ["byte", "aGVsbG8="],
    ["date", "2021-01-01"],
    ["date", "2024-02-29"],
    ["datetime", "2021-01-01T00:00:00Z"],
    ["datetime", "2021-01-01t23:59:59.123+02:00"],
  ])("%s accepts %j", (format, value) => {
    expect(errors(format, value)).toEqual([]);
  });

  it.each([
    [
      "dns1123Label",
      "My_Name",
      [
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ["dns1123Label", "a.b", ["must not contain dots"]],
    ["dns1123Label", "a".repeat(64), ["must be no more than 63 characters"]],
    [
      "dns1123Subdomain",
      "-bad",
      [
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    [
      "dns1035Label",
      "1abc",
      [
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ["qualifiedName", "/name", ["prefix part must be non-empty"]],
    [
      "qualifiedName",
      "a/b/c",
      [expect.stringMatching(/^a valid label key must consist of alphanumeric characters/)],
    ],
    [
      "qualifiedName",
      "example.com/",
      ["name part must be non-empty", expect.stringMatching(/^name part must consist of/)],
    ],
    ["labelValue", "-x", [expect.stringMatching(/^a valid label must be an empty string or consist of/)]],
    ["uri", "../relative", ['parse "../relative": invalid URI for request']],
    ["uuid", "not-a-uuid", ["does not match the UUID format"]],
    ["byte", "aGVsbG8", ["invalid base64"]],
    ["date", "2021-02-29", ["invalid date"]],
    ["date", "2021-1-01", ["invalid date"]],
    ["datetime", "2021-01-01", ["invalid datetime"]],
    ["datetime", "2021-01-01T24:00:00Z", ["invalid datetime"]],
  ])("%s rejects %j", (format, value, want) => {
    expect(errors(format, value)).toEqual(want);
  });

  it("looks formats up by name", () => {
    expect(env.evaluate("format.named('dns1123Label').hasValue()")).toBe(true);
    expect(env.evaluate("format.named('nope').hasValue()")).toBe(false);
    expect(env.evaluate("format.named('uuid').value().validate('x').hasValue()")).toBe(true);
    expect(env.evaluate("format.named('uuid').value() == format.uuid()")).toBe(true);
  });

  it("type-checks the messageExpression idiom", () => {
    const expr = "format.dns1123Label().validate(object.metadata.name).value().join('\\n')";
    expect(env.check(expr)).toMatchObject({ valid: true, type: "string" });
    expect(env.evaluate(expr, { object: { metadata: { name: "Bad_Name" } } })).toMatch(
      /^a lowercase RFC 1123 label/,
    );
  });
});
