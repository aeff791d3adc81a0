import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml, xmlElements } from "../../test/support/shared.js";
import { escapeXmlAttribute, escapeXmlText, type JUnitReport, writeJUnitXml } from "./index.js";

const report: JUnitReport = {
  name: "bulwark",
  suites: [
    {
      name: "k8s/web.yaml",
      timestamp: "2026-08-01T12:00:00Z",
      properties: [{ name: "decision", value: "deny" }],
      testCases: [
        {
          name: "K8S-001",
          classname: "Deployment/shop/web",
          time: 0.0125,
          outcome: {
            kind: "failure",
            message: 'Build failed: <root> & "more"',
            type: "deny",
            details: "a < b\nc",
          },
        },
        { name: "K8S-002", classname: "Deployment/shop/web", outcome: { kind: "passed" } },
        {
          name: "K8S-003",
          classname: "Deployment/shop/web",
          outcome: { kind: "skipped", message: "waived" },
        },
        {
          name: "K8S-004",
          classname: "Deployment/shop/web",
          outcome: { kind: "error", message: "CEL error", type: "CEL_RUNTIME" },
          systemOut: "log",
        },
      ],
    },
    { name: "empty.yaml", testCases: [] },
  ],
};

describe("writeJUnitXml", () => {
  it("writes a well-formed document whose counts match its cases", () => {
    const xml = writeJUnitXml(report);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(xml.endsWith("</testsuites>\n")).toBe(true);
    const root = parseXml(xml);
    expect(root.name).toBe("testsuites");
    expect(root.attributes).toEqual({
      name: "bulwark",
      tests: "4",
      failures: "1",
      errors: "1",
      skipped: "1",
    });
    const [web, empty] = xmlElements(root, "testsuite");
    expect(web!.attributes).toEqual({
      name: "k8s/web.yaml",
      tests: "4",
      failures: "1",
      errors: "1",
      skipped: "1",
      timestamp: "2026-08-01T12:00:00Z",
    });
    expect(empty!.attributes.tests).toBe("0");
    expect(xmlElements(web!, "property")[0]!.attributes).toEqual({ name: "decision", value: "deny" });
    const [failing, passing, skipped, erroring] = xmlElements(web!, "testcase");
    expect(failing!.attributes.time).toBe("0.013");
    expect(xmlElements(failing!, "failure")[0]!.attributes).toEqual({
      message: 'Build failed: <root> & "more"',
      type: "deny",
    });
    expect(xmlElements(failing!, "failure")[0]!.text).toBe("a < b\nc");
    expect(passing!.children).toEqual([]);
    expect(xmlElements(skipped!, "skipped")[0]!.attributes.message).toBe("waived");
    expect(xmlElements(erroring!, "system-out")[0]!.text).toBe("log");
  });

  it("keeps the order it is given and is deterministic", () => {
    const xml = writeJUnitXml(report);
    expect(writeJUnitXml(structuredClone(report))).toBe(xml);
    const names = xmlElements(parseXml(xml), "testcase").map((t) => t.attributes.name);
    expect(names).toEqual(["K8S-001", "K8S-002", "K8S-003", "K8S-004"]);
  });

  it("rejects a negative or non-finite time", () => {
    expect(() => writeJUnitXml({ name: "x", time: -1, suites: [] })).toThrow(RangeError);
    expect(() => writeJUnitXml({ name: "x", time: Number.NaN, suites: [] })).toThrow(RangeError);
  });
});

describe("XML escaping", () => {
  it("escapes markup in text and attributes", () => {
    expect(escapeXmlText(`<a href="x">&'</a>`)).toBe(`&lt;a href="x"&gt;&amp;'&lt;/a&gt;`);
    expect(escapeXmlAttribute(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
  });

  it("protects line breaks and tabs from parser normalisation", () => {
    expect(escapeXmlText("a\r\nb\tc")).toBe("a&#13;\nb\tc");
    expect(escapeXmlAttribute("a\r\nb\tc")).toBe("a&#13;&#10;b&#9;c");
  });

  it("replaces characters XML 1.0 forbids with a visible \\uXXXX", () => {
    expect(escapeXmlText("bell\u0007 esc\u001b nul\u0000 \uFFFE")).toBe(
      "bell\\u0007 esc\\u001B nul\\u0000 \\uFFFE",
    );
    expect(escapeXmlText("lone \uD800 high, lone \uDC00 low")).toBe("lone \\uD800 high, lone \\uDC00 low");
    expect(escapeXmlText("pair 😀 kept")).toBe("pair 😀 kept");
    expect(() => parseXml(`<a>${escapeXmlText("\u0001\uD83D")}</a>`)).not.toThrow();
    expect(() => parseXml("<a>\u0001</a>")).toThrow(/illegal character/);
  });

  it("round-trips any string through a strict parser (illegal characters made visible)", () => {
    const visible = (s: string): string =>
      s.replace(
        // An oracle written apart from the writer's scan.
        /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
      );
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (attr, text) => {
        const xml = writeJUnitXml({
          name: attr,
          suites: [
            {
              name: "s",
              testCases: [
                {
                  name: attr,
                  classname: "c",
                  outcome: { kind: "failure", message: attr, type: "t", details: text },
                },
              ],
            },
          ],
        });
        const root = parseXml(xml);
        const testcase = xmlElements(root, "testcase")[0]!;
        const failure = xmlElements(root, "failure")[0]!;
        expect(root.attributes.name).toBe(visible(attr));
        expect(testcase.attributes.name).toBe(visible(attr));
        expect(failure.attributes.message).toBe(visible(attr));
        expect(failure.text).toBe(visible(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseXml (the test double that judges well-formedness)", () => {
  it.each([
    ["<a><b></a></b>", /does not match/],
    ["<a>", /unclosed/],
    ["<a x=1/>", /not quoted/],
    ['<a x="<"/>', /raw < in attribute/],
    ['<a x="1" x="2"/>', /repeated/],
    ["<a>&bogus;</a>", /unknown reference/],
    ["<a>a < b</a>", /expected a name/],
    ["<a>&#1;</a>", /illegal character/],
    ["<a/><b/>", /second root/],
    ["<a/>text", /outside the root/],
  ])("rejects %j", (xml, message) => {
    expect(() => parseXml(xml)).toThrow(message);
  });
});
