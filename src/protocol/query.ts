/**
 * AWS query (IAM, STS, CloudWatch's oldest form) and EC2 protocols: form
 * parameters in, XML out. The two differ in parameter names (EC2 capitalises
 * locationName and prefers queryName), in list encoding (EC2 never writes
 * ".member"), and in the response and error envelopes.
 */
import { AwsError, CommonErrors } from "../core/errors.js";
import type { HttpRequest, HttpResponse } from "./http.js";
import { parseForm } from "./http.js";
import type { Member, Operation, ServiceModel, Shape } from "./model.js";
import { MAX_BODY, type Protocol } from "./protocol.js";
import { formatNumber, parseBooleanText, parseFloatText, parseIntegerText, parseTimestamp, invalidValue } from "./values.js";
import { escapeXml } from "./xml.js";

/** Parameters as a tree: "Filter.1.Value.2" → Filter → 1 → Value → 2. */
interface ParamNode {
  value?: string;
  children?: Map<string, ParamNode>;
}

function buildTree(pairs: Array<[string, string]>): ParamNode {
  const root: ParamNode = {};
  for (const [key, value] of pairs) {
    let node = root;
    for (const part of key.split(".")) {
      node.children ??= new Map();
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = {}));
      node = next;
    }
    node.value = value;
  }
  return root;
}

const formCache = new WeakMap<HttpRequest, Array<[string, string]>>();

async function readParams(request: HttpRequest): Promise<Array<[string, string]>> {
  let pairs = formCache.get(request);
  if (!pairs) {
    pairs = [...request.query];
    if (request.method !== "GET" && request.method !== "HEAD") {
      const body = await request.readBody(MAX_BODY);
      pairs.push(...parseForm(body.toString("utf8")));
    }
    formCache.set(request, pairs);
  }
  return pairs;
}

/** Request parameters that are not an operation's input: the action, the API version, query-string authentication. */
const ENVELOPE_PARAMETERS = new Set([
  "Action",
  "Version",
  "AWSAccessKeyId",
  "Signature",
  "SignatureMethod",
  "SignatureVersion",
  "Timestamp",
  "Expires",
  "SecurityToken",
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
]);

abstract class QueryFamily implements Protocol {
  abstract readonly name: "query" | "ec2";
  /** Whether a parameter the operation does not have is refused (EC2's UnknownParameter) rather than ignored. */
  protected readonly rejectUnknownParameters: boolean = false;

  async resolveOperation(request: HttpRequest, model: ServiceModel): Promise<Operation> {
    const pairs = await readParams(request);
    const action = pairs.find(([key]) => key === "Action")?.[1];
    if (!action) throw CommonErrors.missingAction();
    const operation = model.operation(action);
    if (!operation) throw this.unknownAction(action);
    return operation;
  }

  protected unknownAction(action: string): AwsError {
    return CommonErrors.invalidAction(action);
  }

  async parseInput(request: HttpRequest, model: ServiceModel, operation: Operation): Promise<Record<string, unknown>> {
    if (!operation.input) return {};
    const tree = buildTree(await readParams(request));
    if (this.rejectUnknownParameters) for (const name of ENVELOPE_PARAMETERS) tree.children?.delete(name);
    return (this.readStructure(model, model.shape(operation.input.shape), tree, "", 0) ?? {}) as Record<string, unknown>;
  }

  /** EC2's answer to a parameter the operation does not have (names as sent, case-sensitive). */
  protected unknownParameter(name: string): AwsError {
    return new AwsError("UnknownParameter", `The parameter ${name} is not recognized`, { status: 400 });
  }

  /** The parameter name of a member. */
  protected abstract paramName(member: Member): string;

  /** The node holding list items, and whether they are numbered directly under it. */
  protected abstract listItems(member: Member, node: ParamNode): Map<string, ParamNode> | undefined;

  private readStructure(model: ServiceModel, shape: Shape, node: ParamNode, where: string, depth: number): Record<string, unknown> | undefined {
    if (!node.children || depth > 30) return node.value !== undefined ? {} : undefined;
    const out: Record<string, unknown> = {};
    const members = model.members(shape);
    if (this.rejectUnknownParameters) {
      const known = new Set(members.map((m) => this.paramName(m)));
      for (const key of node.children.keys()) if (!known.has(key)) throw this.unknownParameter(where ? `${where}.${key}` : key);
    }
    for (const member of members) {
      const child = node.children.get(this.paramName(member));
      if (!child) continue;
      const value = this.readValue(model, member, child, where ? `${where}.${this.paramName(member)}` : this.paramName(member), depth + 1);
      if (value !== undefined) out[member.name] = value;
    }
    return out;
  }

  private readValue(model: ServiceModel, member: Member, node: ParamNode, where: string, depth: number): unknown {
    const shape = member.shape;
    switch (shape.type) {
      case "structure":
        return this.readStructure(model, shape, node, where, depth);
      case "list": {
        const itemMember = model.member("member", shape.member!);
        const items = this.listItems(member, node);
        if (!items) return node.value !== undefined ? [] : undefined;
        if (this.rejectUnknownParameters) for (const key of items.keys()) if (!/^\d+$/.test(key)) throw this.unknownParameter(`${where}.${key}`);
        // An item that holds nothing of its shape (a scalar given only sub-parameters) is no item.
        return numbered(items)
          .map(([index, child]) => this.readValue(model, itemMember, child, `${where}.${index}`, depth + 1))
          .filter((item) => item !== undefined);
      }
      case "map": {
        const entries = member.flattened ? node.children : node.children?.get("entry")?.children;
        const out: Record<string, unknown> = {};
        if (!entries) return node.value !== undefined ? out : undefined;
        const keyName = shape.key!.locationName ?? "key";
        const valueName = shape.value!.locationName ?? "value";
        const valueMember = model.member("value", shape.value!);
        for (const [index, entry] of numbered(entries)) {
          const key = entry.children?.get(keyName)?.value;
          const valueNode = entry.children?.get(valueName);
          if (key === undefined) continue;
          out[key] = valueNode ? this.readValue(model, valueMember, valueNode, `${where}.${index}`, depth + 1) : "";
        }
        return out;
      }
      default:
        if (node.value === undefined) {
          // "Name.a.b=1" for a scalar Name: EC2 names the parameter it does not know.
          const extra = node.children?.keys().next().value;
          if (extra !== undefined && this.rejectUnknownParameters) throw this.unknownParameter(`${where}.${extra}`);
          return undefined;
        }
        return readScalar(shape, node.value, where);
    }
  }

  abstract serializeOutput(model: ServiceModel, operation: Operation, output: Record<string, unknown> | undefined, requestId: string): HttpResponse;
  abstract serializeError(model: ServiceModel, operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse;

  /** Writes a structure's members as XML elements. */
  protected writeMembers(model: ServiceModel, shape: Shape, value: Record<string, unknown>, out: string[], depth: number): void {
    for (const member of model.members(shape)) {
      const v = value[member.name];
      if (v === undefined || v === null) continue;
      this.writeValue(model, member, this.elementName(member), v, out, depth + 1);
    }
  }

  protected abstract elementName(member: Member): string;
  protected abstract listElementName(itemMember: Member): string;

  protected writeValue(model: ServiceModel, member: Member, name: string, value: unknown, out: string[], depth: number): void {
    if (depth > 40) return;
    const shape = member.shape;
    switch (shape.type) {
      case "structure":
        out.push(`<${name}>`);
        this.writeMembers(model, shape, value as Record<string, unknown>, out, depth);
        out.push(`</${name}>`);
        return;
      case "list": {
        const itemMember = model.member("member", shape.member!);
        const items = value as unknown[];
        if (member.flattened) {
          for (const item of items) this.writeValue(model, itemMember, name, item, out, depth + 1);
          return;
        }
        const itemName = this.listElementName(itemMember);
        out.push(`<${name}>`);
        for (const item of items) if (item !== undefined && item !== null) this.writeValue(model, itemMember, itemName, item, out, depth + 1);
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
          this.writeValue(model, valueMember, valueName, v, out, depth + 1);
          out.push(member.flattened ? `</${name}>` : "</entry>");
        }
        if (!member.flattened) out.push(`</${name}>`);
        return;
      }
      default:
        out.push(`<${name}>${escapeXml(scalarText(shape, value))}</${name}>`);
    }
  }
}

function numbered(children: Map<string, ParamNode>): Array<[number, ParamNode]> {
  const out: Array<[number, ParamNode]> = [];
  for (const [key, node] of children) {
    if (/^\d+$/.test(key)) out.push([Number(key), node]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

export function readScalar(shape: Shape, text: string, where: string): unknown {
  switch (shape.type) {
    case "integer":
    case "long":
    case "short":
    case "byte":
      return parseIntegerText(text, where, shape.type);
    case "float":
    case "double":
      return parseFloatText(text, where);
    case "boolean":
      return parseBooleanText(text, where);
    case "timestamp": {
      const date = parseTimestamp(text);
      if (!date) throw invalidValue(where, text, "a timestamp");
      return date;
    }
    case "blob":
      return Buffer.from(text, "base64");
    default:
      return text;
  }
}

export function scalarText(shape: Shape, value: unknown): string {
  switch (shape.type) {
    case "timestamp":
      return value instanceof Date ? value.toISOString() : new Date(value as string | number).toISOString();
    case "blob":
      return Buffer.isBuffer(value) ? value.toString("base64") : Buffer.from(String(value)).toString("base64");
    case "float":
    case "double":
      return typeof value === "number" ? formatNumber(value) : String(value);
    default:
      return String(value);
  }
}

/** IAM, STS, CloudWatch (query form). */
export class QueryProtocol extends QueryFamily {
  readonly name = "query" as const;

  protected paramName(member: Member): string {
    return member.locationName ?? member.name;
  }

  protected listItems(member: Member, node: ParamNode): Map<string, ParamNode> | undefined {
    if (member.flattened) return node.children;
    const itemName = member.shape.member?.locationName ?? "member";
    return node.children?.get(itemName)?.children;
  }

  protected elementName(member: Member): string {
    return member.locationName ?? member.name;
  }

  protected listElementName(itemMember: Member): string {
    return itemMember.locationName ?? "member";
  }

  serializeOutput(model: ServiceModel, operation: Operation, output: Record<string, unknown> | undefined, requestId: string): HttpResponse {
    const ns = model.metadata.xmlNamespace;
    const out: string[] = [`<${operation.name}Response xmlns="${ns}">`];
    if (operation.output) {
      const wrapper = operation.output.resultWrapper ?? `${operation.name}Result`;
      out.push(`<${wrapper}>`);
      this.writeMembers(model, model.shape(operation.output.shape), output ?? {}, out, 0);
      out.push(`</${wrapper}>`);
    }
    out.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation.name}Response>`);
    return xmlResponse(200, out.join(""), requestId);
  }

  serializeError(model: ServiceModel, operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse {
    const ns = model.metadata.xmlNamespace ?? "";
    const shapeName = model.errorShapeName(error.code, operation);
    const members = shapeName ? model.members(model.shape(shapeName)) : [];
    let extra = "";
    for (const [key, value] of Object.entries(error.fields)) {
      if (value === undefined) continue;
      const member = members.find((m) => m.name === key);
      if (member && typeof value === "object" && value !== null) {
        // Structured error members (lists, structures) are written as the model shapes them.
        const out: string[] = [];
        this.writeValue(model, member, this.elementName(member), value, out, 0);
        extra += out.join("");
      } else extra += `<${key}>${escapeXml(typeof value === "object" ? JSON.stringify(value) : String(value))}</${key}>`;
    }
    const body =
      `<ErrorResponse xmlns="${ns}"><Error><Type>${error.fault}</Type><Code>${escapeXml(error.code)}</Code>` +
      // An error AWS sends without words has no Message element at all.
      `${error.message ? `<Message>${escapeXml(error.message)}</Message>` : ""}${extra}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return xmlResponse(error.status, body, requestId, error.headers);
  }
}

/** EC2. */
export class Ec2Protocol extends QueryFamily {
  readonly name = "ec2" as const;
  protected override readonly rejectUnknownParameters = true;

  protected override unknownAction(action: string): AwsError {
    return new AwsError("InvalidAction", `The action ${action} is not valid for this web service.`, { status: 400 });
  }

  protected paramName(member: Member): string {
    if (member.queryName) return member.queryName;
    if (member.locationName) return member.locationName[0].toUpperCase() + member.locationName.slice(1);
    return member.name;
  }

  protected listItems(_member: Member, node: ParamNode): Map<string, ParamNode> | undefined {
    return node.children;
  }

  protected elementName(member: Member): string {
    return member.locationName ?? lowerFirst(member.name);
  }

  protected listElementName(itemMember: Member): string {
    return itemMember.locationName ?? "item";
  }

  serializeOutput(model: ServiceModel, operation: Operation, output: Record<string, unknown> | undefined, requestId: string): HttpResponse {
    const ns = model.metadata.xmlNamespace;
    const out: string[] = [`<${operation.name}Response xmlns="${ns}/"><requestId>${requestId}</requestId>`];
    if (operation.output) this.writeMembers(model, model.shape(operation.output.shape), output ?? {}, out, 0);
    out.push(`</${operation.name}Response>`);
    return xmlResponse(200, out.join(""), requestId);
  }

  serializeError(_model: ServiceModel, _operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse {
    const body =
      `<Response><Errors><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors>` +
      `<RequestID>${requestId}</RequestID></Response>`;
    return xmlResponse(error.status, body, requestId, error.headers);
  }
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function xmlResponse(status: number, body: string, requestId: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId, ...headers },
    body: '<?xml version="1.0" encoding="UTF-8"?>\n' + body,
  };
}
