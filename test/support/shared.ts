/**
 * Helpers shared by tests: locating the shared reference data (official schemas, test vectors)
 * and a strict well-formedness check for the XML we write.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** `../shared` next to the repository root (this file lives in `<root>/test/support/`). */
const DEFAULT_SHARED_DIR = fileURLToPath(new URL("../../../shared", import.meta.url));

/**
 * The shared reference-data directory: `BULWARK_SHARED_DIR` when set (and only then, so a wrong
 * setting is not papered over by the default), else `../shared` beside the repository root.
 * Undefined when the chosen directory does not exist.
 */
export function sharedDir(): string | undefined {
  const fromEnv = process.env.BULWARK_SHARED_DIR;
  const dir = fromEnv === undefined || fromEnv === "" ? DEFAULT_SHARED_DIR : fromEnv;
  return existsSync(dir) ? dir : undefined;
}

/**
 * Like {@link sharedDir}, for tests that need the data: in CI (`CI` set to anything but `false`/`0`)
 * a missing directory throws, because tests never silently skip there. Elsewhere it returns
 * undefined so the caller can `describe.skipIf(!dir)`.
 */
export function requireShared(): string | undefined {
  const dir = sharedDir();
  if (dir === undefined && isCI()) {
    throw new Error(
      "the shared reference data directory is missing: set BULWARK_SHARED_DIR or check out ../shared " +
        `(looked in ${process.env.BULWARK_SHARED_DIR || DEFAULT_SHARED_DIR})`,
    );
  }
  return dir;
}

export function isCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "false" && ci !== "0";
}

// ---------------------------------------------------------------------------------------------

export interface XmlElement {
  name: string;
  /** Attribute values after normalisation and reference decoding, as a conforming parser sees them. */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside this element, decoded. */
  text: string;
}

/**
 * Parses the XML subset our writers emit (declaration, elements, attributes, text, character and
 * predefined entity references) and throws on anything not well-formed: unbalanced or mismatched
 * tags, unquoted or repeated attributes, a raw `<` or unknown `&` reference, characters XML 1.0
 * forbids (literally or as references), content outside the root. A test double for a real
 * parser; nothing here is clever, so it can be trusted to say no.
 */
export function parseXml(xml: string): XmlElement {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`XML not well-formed at offset ${pos}: ${what}`);
  };
  for (let i = 0; i < xml.length; i++) {
    const c = xml.codePointAt(i)!;
    if (c > 0xffff) i++;
    else if (!isXmlChar(c)) fail(`illegal character U+${c.toString(16).padStart(4, "0")} at ${i}`);
  }
  if (xml.startsWith("<?xml")) {
    const end = xml.indexOf("?>");
    if (end < 0) fail("unterminated XML declaration");
    pos = end + 2;
  }
  const skipSpace = (): void => {
    while (pos < xml.length && " \t\r\n".includes(xml[pos]!)) pos++;
  };
  const readName = (): string => {
    const m = /^[A-Za-z_:][A-Za-z0-9_:.-]*/.exec(xml.slice(pos));
    if (!m) return fail("expected a name");
    pos += m[0].length;
    return m[0];
  };

  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  skipSpace();
  while (pos < xml.length) {
    if (xml.startsWith("</", pos)) {
      pos += 2;
      const name = readName();
      skipSpace();
      if (xml[pos] !== ">") fail("expected > after end tag");
      pos++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`end tag </${name}> does not match <${open?.name}>`);
    } else if (xml[pos] === "<") {
      if (root && stack.length === 0) fail("a second root element");
      pos++;
      const element: XmlElement = { name: readName(), attributes: {}, children: [], text: "" };
      for (;;) {
        const before = pos;
        skipSpace();
        if (xml.startsWith("/>", pos) || xml[pos] === ">") break;
        if (pos === before) fail("attributes must be separated by white space");
        const attr = readName();
        skipSpace();
        if (xml[pos] !== "=") fail(`expected = after ${attr}`);
        pos++;
        skipSpace();
        const quote = xml[pos];
        if (quote !== '"' && quote !== "'") return fail(`attribute ${attr} is not quoted`);
        const end = xml.indexOf(quote, pos + 1);
        if (end < 0) fail("unterminated attribute value");
        const raw = xml.slice(pos + 1, end);
        if (raw.includes("<")) fail(`raw < in attribute ${attr}`);
        if (Object.hasOwn(element.attributes, attr)) fail(`attribute ${attr} repeated`);
        // Attribute-value normalisation: literal white space becomes a space, references do not.
        element.attributes[attr] = decodeReferences(raw.replace(/[\t\r\n]/g, " "), fail);
        pos = end + 1;
      }
      const parent = stack.at(-1);
      if (parent) parent.children.push(element);
      else root = element;
      if (xml.startsWith("/>", pos)) {
        pos += 2;
      } else {
        pos++;
        stack.push(element);
      }
    } else {
      const next = xml.indexOf("<", pos);
      const end = next < 0 ? xml.length : next;
      const raw = xml.slice(pos, end);
      const parent = stack.at(-1);
      if (!parent) {
        if (raw.trim() !== "") fail("text outside the root element");
      } else {
        if (raw.includes("]]>")) fail("]]> in text");
        // End-of-line handling: a parser reports literal CR LF and CR as LF.
        parent.text += decodeReferences(raw.replace(/\r\n?/g, "\n"), fail);
      }
      pos = end;
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack.at(-1)!.name}>`);
  if (!root) return fail("no root element");
  return root;
}

function decodeReferences(raw: string, fail: (what: string) => never): string {
  let out = "";
  let i = 0;
  while (i < raw.length) {
    const amp = raw.indexOf("&", i);
    if (amp < 0) {
      out += raw.slice(i);
      break;
    }
    out += raw.slice(i, amp);
    const semi = raw.indexOf(";", amp);
    if (semi < 0) fail("& without ;");
    const ref = raw.slice(amp + 1, semi);
    const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
    let decoded = named[ref];
    if (decoded === undefined) {
      const m = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
      if (!m) return fail(`unknown reference &${ref};`);
      const code = m[1] === undefined ? Number.parseInt(m[2]!, 10) : Number.parseInt(m[1], 16);
      if (code > 0x10ffff || !isXmlChar(code)) fail(`reference to an illegal character &${ref};`);
      decoded = String.fromCodePoint(code);
    }
    out += decoded;
    i = semi + 1;
  }
  return out;
}

function isXmlChar(c: number): boolean {
  if (c < 0x20) return c === 0x09 || c === 0x0a || c === 0x0d;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return c !== 0xfffe && c !== 0xffff;
}

/** All descendants (and the element itself) with the given name, in document order. */
export function xmlElements(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = root.name === name ? [root] : [];
  for (const child of root.children) found.push(...xmlElements(child, name));
  return found;
}
