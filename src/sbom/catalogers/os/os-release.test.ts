import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { osReleasePaths, parseOsRelease, readOsRelease } from "./index.js";

const fixture = (path: string): string =>
  readFileSync(new URL(`../../../../test/fixtures/sbom/os/${path}`, import.meta.url), "utf8");

describe("os-release (os-release(5))", () => {
  it("looks in etc/ first, then the vendor file in usr/lib/", () => {
    expect(osReleasePaths).toEqual(["etc/os-release", "usr/lib/os-release"]);
  });

  it("reads a typical vendor file (quoted and unquoted values)", () => {
    const text = [
      "NAME=Fedora",
      'VERSION="32 (Workstation Edition)"',
      "ID=fedora",
      "VERSION_ID=32",
      'PRETTY_NAME="Fedora 32 (Workstation Edition)"',
      'ANSI_COLOR="0;38;2;60;110;180"',
      "LOGO=fedora-logo-icon",
      'CPE_NAME="cpe:/o:fedoraproject:fedora:32"',
      'HOME_URL="https://fedoraproject.org/"',
      "VARIANT_ID=workstation",
    ].join("\n");
    expect(readOsRelease(text)).toEqual({
      id: "fedora",
      versionId: "32",
      prettyName: "Fedora 32 (Workstation Edition)",
    });
    const vars = parseOsRelease(text);
    expect(vars.get("CPE_NAME")).toBe("cpe:/o:fedoraproject:fedora:32");
    expect(vars.get("ANSI_COLOR")).toBe("0;38;2;60;110;180");
  });

  it("splits ID_LIKE on spaces", () => {
    const text = 'NAME="CentOS Stream"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="9"\n';
    expect(readOsRelease(text)).toEqual({ id: "centos", versionId: "9", idLike: ["rhel", "fedora"] });
  });

  it('unescapes shell style: in double quotes only \\" \\\\ \\$ \\`; nothing in single quotes', () => {
    const vars = parseOsRelease(
      [
        'A="Say \\"hi\\" to \\$HOME, a \\\\ and a \\`tick\\`"',
        'B="a \\n stays"',
        "C='single \\\" quoted $x'",
        "D=unquoted\\ with\\ escapes",
        "E=''",
        'F=""',
        "G=",
      ].join("\n"),
    );
    expect(vars.get("A")).toBe('Say "hi" to $HOME, a \\ and a `tick`');
    expect(vars.get("B")).toBe("a \\n stays");
    expect(vars.get("C")).toBe('single \\" quoted $x');
    expect(vars.get("D")).toBe("unquoted with escapes");
    expect(vars.get("E")).toBe("");
    expect(vars.get("F")).toBe("");
    expect(vars.get("G")).toBe("");
  });

  it("ignores comments, blank lines and trailing comments; later assignments win", () => {
    const text =
      "# ID=evil\n\n   \nID=debian # the distro\nVERSION_ID=11\nVERSION_ID=12\n  PRETTY_NAME='Debian'\n";
    expect(readOsRelease(text)).toEqual({ id: "debian", versionId: "12", prettyName: "Debian" });
  });

  it("skips lines that are not valid assignments", () => {
    const text = [
      "not an assignment",
      "1BAD=x",
      "=novalue",
      "VERSION_ID=two words",
      'PRETTY_NAME="unterminated',
      "ID=alpine",
      "ID_LIKE= ",
    ].join("\n");
    const vars = parseOsRelease(text);
    expect([...vars.keys()]).toEqual(["ID", "ID_LIKE"]);
    expect(readOsRelease(text)).toEqual({ id: "alpine" });
  });

  it("accepts a quoted value continued on the next line, CRLF line ends and a BOM", () => {
    expect(parseOsRelease('\uFEFFNAME="two\nlines"\r\nID=x\r\n')).toEqual(
      new Map([
        ["NAME", "two\nlines"],
        ["ID", "x"],
      ]),
    );
  });

  it("defaults ID to linux, and is undefined for text without assignments", () => {
    expect(readOsRelease('NAME="Some Linux"')).toEqual({ id: "linux" });
    expect(readOsRelease("")).toBeUndefined();
    expect(readOsRelease("# only a comment\n\nnonsense\n")).toBeUndefined();
  });

  it("reads the real Debian 12 file and the Alpine one", () => {
    expect(readOsRelease(fixture("dpkg/etc/os-release"))).toEqual({
      id: "debian",
      versionId: "12",
      prettyName: "Debian GNU/Linux 12 (bookworm)",
    });
    expect(readOsRelease(fixture("apk/etc/os-release"))).toEqual({
      id: "alpine",
      versionId: "3.20.1",
      prettyName: "Alpine Linux v3.20",
    });
  });
});
