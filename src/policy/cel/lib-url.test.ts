import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { parseRequestUri, parseUrl } from "./go-url.js";
import { createCelEnvironment } from "./index.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });

describe("URL library (Kubernetes urls.go examples)", () => {
  const cases: [string, unknown][] = [
    ["isURL('https://user:pass@example.com:80/path?query=val#fragment')", true],
    ["isURL('/absolute-path')", true],
    ["isURL('https://a:b:c/')", false],
    ["isURL('../relative-path')", false],
    ["url('/path').getScheme()", ""],
    ["url('https://example.com/').getScheme()", "https"],
    ["url('HTTPS://example.com/').getScheme()", "https"],
    ["url('https://example.com:80/').getHost()", "example.com:80"],
    ["url('https://example.com/').getHost()", "example.com"],
    ["url('https://[::1]:80/').getHost()", "[::1]:80"],
    ["url('https://[::1]/').getHost()", "[::1]"],
    ["url('/path').getHost()", ""],
    ["url('https://example.com:80/').getHostname()", "example.com"],
    ["url('https://127.0.0.1:80/').getHostname()", "127.0.0.1"],
    ["url('https://[::1]:80/').getHostname()", "::1"],
    ["url('/path').getHostname()", ""],
    ["url('https://example.com:80/').getPort()", "80"],
    ["url('https://example.com/').getPort()", ""],
    ["url('/path').getPort()", ""],
    ["url('https://example.com/path').getEscapedPath()", "/path"],
    ["url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"],
    ["url('https://example.com').getEscapedPath()", ""],
    ["url('https://example.com/a%2Fb').getEscapedPath()", "/a%2Fb"],
    ["url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}", true],
    [
      "url('https://example.com/path?key with spaces=value with spaces').getQuery() == {'key with spaces': ['value with spaces']}",
      true,
    ],
    ["url('https://example.com/path?').getQuery() == {}", true],
    ["url('https://example.com/path').getQuery() == {}", true],
    // A semicolon or a bad escape drops that pair only, as Go's URL.Query does.
    ["url('https://example.com/?a=1;b=2&c=%zz&d=4&e').getQuery() == {'d': ['4'], 'e': ['']}", true],
    ["url('https://example.com/?a=%41+b').getQuery()['a'][0]", "A b"],
    // The fragment is cut off before the path and the query are read.
    ["url('https://example.com/p#frag?x=1').getEscapedPath()", "/p"],
    ["url('https://example.com/p?x=1#frag').getQuery() == {'x': ['1']}", true],
    ["url('https://example.com/a') == url('https://example.com/a')", true],
    ["url('https://example.com/a') == url('https://example.com/b')", false],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toEqual(want);
  });

  it.each([
    [
      "url('https://a:b:c/')",
      'URL parse error during conversion from string: parse "https://a:b:c/": invalid port ":c" after host',
    ],
    ["url('../relative-path')", 'parse "../relative-path": invalid URI for request'],
    ["url('')", "empty url"],
    ["url('http://192.168.0.%31/')", 'invalid URL escape "%31"'],
    ["url('https://ex ample.com/')", 'invalid character " " in host name'],
    ["url('https://example.com/%zz')", 'invalid URL escape "%zz"'],
    ["url('https://example.com/#%zz')", 'invalid URL escape "%zz"'],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });
});

describe("Go net/url parsing", () => {
  it.each([
    "http://foo.com",
    "http://foo.com/",
    "http://foo.com/path",
    "/",
    "*",
    "//not.a.user@not.a.host/just/a/path",
    "http://[fe80::1%25en0]/",
    "http://[fe80::1%25%65%6e%301-._~]:8080/",
    "mailto:someone@example.com",
    "http://user:p%40ss@host/",
  ])("ParseRequestURI accepts %j", (s) => {
    expect(() => parseRequestUri(s)).not.toThrow();
  });

  it.each([
    " ",
    "foo.html",
    "../dir/",
    "http://[fe80::%31%25en0]/",
    "http://[::1",
    "http://host:port/",
    "http://a\nb/",
    "http://us er@host/",
    ":foo",
  ])("ParseRequestURI rejects %j", (s) => {
    expect(() => parseRequestUri(s)).toThrow();
  });

  it("keeps the components Go keeps", () => {
    const u = parseUrl("HTTP://user:pw@[fe80::1%25en0]:8080/a%2Fb c?x=1#f%20g");
    expect(u.scheme).toBe("http");
    expect(u.host).toBe("[fe80::1%en0]:8080");
    expect(u.hostname).toBe("fe80::1%en0");
    expect(u.port).toBe("8080");
    // RawPath "/a%2Fb c" is not a valid encoding (the space), so Go re-escapes the decoded path.
    expect(u.escapedPath).toBe("/a/b%20c");
    expect(u.toString()).toBe("http://user:pw@[fe80::1%25en0]:8080/a/b%20c?x=1#f%20g");
  });

  it("escapes non-ASCII path bytes as UTF-8", () => {
    expect(parseUrl("https://example.com/ünïcode").escapedPath).toBe("/%C3%BCn%C3%AFcode");
  });
});
