/**
 * A small, strict XML reader and writer: enough for AWS request and response
 * bodies, with no DTDs or external entities (so no XXE), and element names
 * read without their namespace prefix.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export class XmlSyntaxError extends Error {}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

export function parseXml(input: string): XmlElement {
  let pos = 0;
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;

  const fail = (message: string): never => {
    throw new XmlSyntaxError(`${message} at offset ${pos}`);
  };

  const skipMisc = () => {
    for (;;) {
      while (pos < text.length && /\s/.test(text[pos])) pos++;
      if (text.startsWith("<?", pos)) {
        const end = text.indexOf("?>", pos);
        if (end < 0) fail("unterminated processing instruction");
        pos = end + 2;
      } else if (text.startsWith("<!--", pos)) {
        const end = text.indexOf("-->", pos);
        if (end < 0) fail("unterminated comment");
        pos = end + 3;
      } else if (text.startsWith("<!", pos)) {
        fail("DTDs are not allowed");
      } else return;
    }
  };

  const readName = (): string => {
    NAME.lastIndex = pos;
    const match = NAME.exec(text);
    if (!match) fail("expected a name");
    pos = NAME.lastIndex;
    return match![0];
  };

  const localName = (qualified: string) => {
    const colon = qualified.indexOf(":");
    return colon >= 0 ? qualified.slice(colon + 1) : qualified;
  };

  const readElement = (depth: number): XmlElement => {
    if (depth > 200) fail("document nested too deeply");
    if (text[pos] !== "<") fail("expected '<'");
    pos++;
    const qname = readName();
    const element: XmlElement = { name: localName(qname), attributes: {}, children: [], text: "" };
    for (;;) {
      while (pos < text.length && /\s/.test(text[pos])) pos++;
      if (text.startsWith("/>", pos)) {
        pos += 2;
        return element;
      }
      if (text[pos] === ">") {
        pos++;
        break;
      }
      if (pos >= text.length) fail("unterminated start tag");
      const attr = readName();
      while (/\s/.test(text[pos] ?? "")) pos++;
      if (text[pos] !== "=") fail("expected '='");
      pos++;
      while (/\s/.test(text[pos] ?? "")) pos++;
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") fail("expected a quoted attribute value");
      const end = text.indexOf(quote, pos + 1);
      if (end < 0) fail("unterminated attribute value");
      element.attributes[attr] = decodeEntities(text.slice(pos + 1, end));
      pos = end + 1;
    }
    let content = "";
    for (;;) {
      if (pos >= text.length) fail(`unterminated element <${qname}>`);
      const lt = text.indexOf("<", pos);
      if (lt < 0) fail(`unterminated element <${qname}>`);
      content += decodeEntities(text.slice(pos, lt));
      pos = lt;
      if (text.startsWith("</", pos)) {
        pos += 2;
        const closing = readName();
        if (closing !== qname) fail(`mismatched closing tag </${closing}> for <${qname}>`);
        while (/\s/.test(text[pos] ?? "")) pos++;
        if (text[pos] !== ">") fail("expected '>'");
        pos++;
        element.text = content;
        return element;
      }
      if (text.startsWith("<![CDATA[", pos)) {
        const end = text.indexOf("]]>", pos);
        if (end < 0) fail("unterminated CDATA");
        content += text.slice(pos + 9, end);
        pos = end + 3;
      } else if (text.startsWith("<!--", pos)) {
        const end = text.indexOf("-->", pos);
        if (end < 0) fail("unterminated comment");
        pos = end + 3;
      } else if (text.startsWith("<?", pos)) {
        const end = text.indexOf("?>", pos);
        if (end < 0) fail("unterminated processing instruction");
        pos = end + 2;
      } else if (text.startsWith("<!", pos)) {
        fail("DTDs are not allowed");
      } else {
        element.children.push(readElement(depth + 1));
      }
    }
  };

  skipMisc();
  if (pos >= text.length) fail("empty document");
  const root = readElement(0);
  skipMisc();
  if (pos < text.length) fail("content after the root element");
  return root;
}

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);|&/g, (match, body: string | undefined) => {
    if (!body) throw new XmlSyntaxError("bare '&' in text");
    if (body[0] === "#") {
      const code = body[1] === "x" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff) throw new XmlSyntaxError(`bad character reference ${match}`);
      return String.fromCodePoint(code);
    }
    const named = NAMED[body];
    if (named === undefined) throw new XmlSyntaxError(`unknown entity ${match}`);
    return named;
  });
}

export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** Escapes text for element content and attribute values; control characters become references. */
export function escapeXml(value: string): string {
  return value.replace(/[<>&"'\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f]/g, (ch) => {
    switch (ch) {
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case "&":
        return "&amp;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      default:
        return `&#${ch.charCodeAt(0)};`;
    }
  });
}

/** Builds XML text by appending; cheaper than a DOM for large listings. */
export class XmlWriter {
  private readonly parts: string[] = [];

  constructor(declaration = true) {
    if (declaration) this.parts.push('<?xml version="1.0" encoding="UTF-8"?>');
  }

  open(name: string, attributes?: Record<string, string | undefined>): this {
    this.parts.push(`<${name}${renderAttributes(attributes)}>`);
    return this;
  }

  close(name: string): this {
    this.parts.push(`</${name}>`);
    return this;
  }

  empty(name: string, attributes?: Record<string, string | undefined>): this {
    this.parts.push(`<${name}${renderAttributes(attributes)}/>`);
    return this;
  }

  leaf(name: string, text: string, attributes?: Record<string, string | undefined>): this {
    this.parts.push(`<${name}${renderAttributes(attributes)}>${escapeXml(text)}</${name}>`);
    return this;
  }

  toString(): string {
    return this.parts.join("");
  }
}

function renderAttributes(attributes?: Record<string, string | undefined>): string {
  if (!attributes) return "";
  let out = "";
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) out += ` ${key}="${escapeXml(value)}"`;
  }
  return out;
}
