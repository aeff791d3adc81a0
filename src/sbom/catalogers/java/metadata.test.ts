import { describe, expect, it } from "vitest";
import { parseManifest, parseProperties } from "./metadata.js";

describe("java metadata readers", () => {
  it("reads properties like java.util.Properties", () => {
    const text = [
      "# comment",
      "! also a comment",
      "groupId=com.example",
      "artifactId : my\\",
      "    -artifact",
      "version 1.0",
      "  spaced = value with spaces  ",
      "escaped\\=key=\\u00e9t\\u00E9\\t",
      "empty=",
      "version=2.0",
      "trailing\\",
    ].join("\r\n");
    expect(Object.fromEntries(parseProperties(text).values)).toEqual({
      groupId: "com.example",
      artifactId: "my-artifact",
      version: "2.0",
      spaced: "value with spaces  ",
      "escaped=key": "été\t",
      empty: "",
      trailing: "",
    });
  });

  it("reads a manifest's main section with wrapped lines, case-insensitively", () => {
    const text =
      "Manifest-Version: 1.0\r\nBundle-Name: a long na\r\n me\r\nbundle-version: 1.2\r\n\r\nName: x/y.class\r\nSHA-256-Digest: abc\r\n";
    const { main, issues } = parseManifest(text);
    expect(Object.fromEntries(main)).toEqual({
      "manifest-version": "1.0",
      "bundle-name": "a long name",
      "bundle-version": "1.2",
    });
    expect(issues).toEqual([]);
    expect(parseManifest(" orphan\nNo-Colon\nOk: 1").issues).toEqual([
      { line: 1, message: "manifest continuation line without a header" },
      { line: 2, message: "not a manifest header: No-Colon" },
    ]);
  });
});
