/**
 * rest-xml (S3): HTTP bindings with an XML body. S3's quirks (root element
 * names, error body, virtual hosts) live in a subclass in services/s3.
 */
import { AwsError } from "../core/errors.js";
import type { HttpResponse } from "./http.js";
import type { Member, Operation, ServiceModel, Shape } from "./model.js";
import { readScalar, scalarText } from "./query.js";
import { RestProtocol } from "./rest.js";
import { childrenNamed, escapeXml, parseXml, XmlSyntaxError, type XmlElement } from "./xml.js";

export class RestXmlProtocol extends RestProtocol {
  readonly name = "rest-xml" as const;

  protected malformed(message: string): AwsError {
    return new AwsError("MalformedXML", `The XML you provided was not well-formed or did not validate against our published schema: ${message}`, { status: 400 });
  }

  protected readBody(model: ServiceModel, shape: Shape, body: Buffer): Record<string, unknown> {
    let root: XmlElement;
    try {
      root = parseXml(body.toString("utf8"));
    } catch (error) {
      throw this.malformed(error instanceof XmlSyntaxError ? error.message : "unreadable body");
    }
    return readXmlStructure(model, shape, root, 0, (m) => this.malformed(m));
  }

  /** The root element name of an output document without a payload member. */
  protected rootElementName(operation: Operation, shape: Shape): string {
    return shape.locationName ?? `${operation.name}Result`;
  }

  protected defaultNamespace(model: ServiceModel): string | undefined {
    return model.metadata.xmlNamespace;
  }

  protected writeBody(model: ServiceModel, operation: Operation, shape: Shape, value: Record<string, unknown>, rootMember?: Member) {
    const name = rootMember ? rootMember.locationName ?? shape.locationName ?? rootMember.name : this.rootElementName(operation, shape);
    const ns = rootMember?.xmlNamespace?.uri ?? shape.xmlNamespace?.uri ?? this.defaultNamespace(model);
    const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
    writeXmlStructure(model, shape, name, value, out, ns ? { xmlns: ns } : {}, 0);
    return { contentType: "application/xml", body: out.join("") };
  }

  serializeError(_model: ServiceModel, _operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse {
    let extra = "";
    for (const [key, value] of Object.entries(error.fields)) if (value !== undefined) extra += `<${key}>${escapeXml(String(value))}</${key}>`;
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${error.fault}</Type><Code>${escapeXml(error.code)}</Code>` +
      `<Message>${escapeXml(error.message)}</Message>${extra}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return { status: error.status, headers: { "content-type": "application/xml", "x-amzn-requestid": requestId, ...error.headers }, body };
  }
}

export function readXmlStructure(model: ServiceModel, shape: Shape, element: XmlElement, depth: number, malformed: (m: string) => AwsError): Record<string, unknown> {
  if (depth > 40) throw malformed("document nested too deeply");
  const out: Record<string, unknown> = {};
  for (const member of model.members(shape)) {
    if (member.location) continue;
    const name = member.locationName ?? member.name;
    if (member.xmlAttribute) {
      const attr = element.attributes[name] ?? element.attributes[name.split(":").pop()!];
      if (attr !== undefined) out[member.name] = readScalar(member.shape, attr, name);
      continue;
    }
    const localName = name.includes(":") ? name.split(":").pop()! : name;
    if (member.shape.type === "list" && member.flattened) {
      const items = childrenNamed(element, localName);
      if (items.length > 0) out[member.name] = items.map((item) => readXmlValue(model, model.member("member", member.shape.member!), item, depth + 1, malformed));
      continue;
    }
    if (member.shape.type === "map" && member.flattened) {
      const entries = childrenNamed(element, localName);
      if (entries.length > 0) out[member.name] = readXmlMapEntries(model, member.shape, entries, depth, malformed);
      continue;
    }
    const child = element.children.find((c) => c.name === localName);
    if (child) out[member.name] = readXmlValue(model, member, child, depth + 1, malformed);
  }
  return out;
}

function readXmlMapEntries(model: ServiceModel, shape: Shape, entries: XmlElement[], depth: number, malformed: (m: string) => AwsError): Record<string, unknown> {
  const keyName = shape.key!.locationName ?? "key";
  const valueName = shape.value!.locationName ?? "value";
  const valueMember = model.member("value", shape.value!);
  const out: Record<string, unknown> = {};
  for (const entry of entries) {
    const key = entry.children.find((c) => c.name === keyName)?.text;
    const value = entry.children.find((c) => c.name === valueName);
    if (key !== undefined && value) out[key] = readXmlValue(model, valueMember, value, depth + 1, malformed);
  }
  return out;
}

function readXmlValue(model: ServiceModel, member: Member, element: XmlElement, depth: number, malformed: (m: string) => AwsError): unknown {
  const shape = member.shape;
  switch (shape.type) {
    case "structure":
      return readXmlStructure(model, shape, element, depth, malformed);
    case "list": {
      const itemMember = model.member("member", shape.member!);
      const itemName = itemMember.locationName ?? "member";
      return childrenNamed(element, itemName).map((item) => readXmlValue(model, itemMember, item, depth + 1, malformed));
    }
    case "map":
      return readXmlMapEntries(model, shape, childrenNamed(element, "entry"), depth, malformed);
    default:
      try {
        return readScalar(shape, element.text, member.locationName ?? member.name);
      } catch {
        throw malformed(`invalid value for ${member.locationName ?? member.name}`);
      }
  }
}

export function writeXmlStructure(model: ServiceModel, shape: Shape, name: string, value: Record<string, unknown>, out: string[], attributes: Record<string, string>, depth: number): void {
  if (depth > 40) return;
  const attrs: Record<string, string> = { ...attributes };
  if (shape.xmlNamespace?.prefix) attrs[`xmlns:${shape.xmlNamespace.prefix}`] = shape.xmlNamespace.uri;
  const members = model.members(shape);
  for (const member of members) {
    if (!member.xmlAttribute || member.location) continue;
    const v = value[member.name];
    if (v !== undefined && v !== null) attrs[member.locationName ?? member.name] = scalarText(member.shape, v);
  }
  let open = `<${name}`;
  for (const [k, v] of Object.entries(attrs)) open += ` ${k}="${escapeXml(v)}"`;
  out.push(open + ">");
  for (const member of members) {
    if (member.xmlAttribute || member.location) continue;
    const v = value[member.name];
    if (v === undefined || v === null) continue;
    writeXmlValue(model, member, member.locationName ?? member.name, v, out, depth + 1);
  }
  out.push(`</${name}>`);
}

function writeXmlValue(model: ServiceModel, member: Member, name: string, value: unknown, out: string[], depth: number): void {
  const shape = member.shape;
  switch (shape.type) {
    case "structure":
      writeXmlStructure(model, shape, name, value as Record<string, unknown>, out, member.xmlNamespace && !member.xmlNamespace.prefix ? { xmlns: member.xmlNamespace.uri } : {}, depth);
      return;
    case "list": {
      const itemMember = model.member("member", shape.member!);
      if (member.flattened) {
        for (const item of value as unknown[]) writeXmlValue(model, itemMember, name, item, out, depth + 1);
        return;
      }
      const itemName = itemMember.locationName ?? "member";
      out.push(`<${name}>`);
      for (const item of value as unknown[]) writeXmlValue(model, itemMember, itemName, item, out, depth + 1);
      out.push(`</${name}>`);
      return;
    }
    case "map": {
      const keyName = shape.key!.locationName ?? "key";
      const valueName = shape.value!.locationName ?? "value";
      const valueMember = model.member("value", shape.value!);
      if (!member.flattened) out.push(`<${name}>`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out.push(member.flattened ? `<${name}>` : "<entry>");
        out.push(`<${keyName}>${escapeXml(k)}</${keyName}>`);
        writeXmlValue(model, valueMember, valueName, v, out, depth + 1);
        out.push(member.flattened ? `</${name}>` : "</entry>");
      }
      if (!member.flattened) out.push(`</${name}>`);
      return;
    }
    default:
      out.push(`<${name}>${escapeXml(scalarText(shape, value))}</${name}>`);
  }
}
