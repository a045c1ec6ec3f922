/**
 * HTTP bindings shared by rest-json and rest-xml: routing by method and URI
 * template, and reading/writing members bound to the URI, query string,
 * headers, status code and payload. Subclasses own the body document format.
 */
import type { Readable } from "node:stream";
import { AwsError } from "../core/errors.js";
import type { HttpRequest, HttpResponse } from "./http.js";
import type { Member, Operation, ServiceModel, Shape } from "./model.js";
import { MAX_BODY, type Protocol } from "./protocol.js";
import { readScalar } from "./query.js";
import { formatNumber, formatTimestamp } from "./values.js";

interface Segment {
  literal?: string;
  label?: string;
  greedy?: boolean;
}

interface Route {
  operation: Operation;
  method: string;
  segments: Segment[];
  /** Query keys the URI template requires, with a value when it names one. */
  queryLiterals: Array<[string, string | undefined]>;
  literalCount: number;
  /** Headers the input requires: they tell apart operations sharing a method and path (PutObject, CopyObject). */
  requiredHeaders: string[];
}

export interface RouteMatch {
  operation: Operation;
  labels: Record<string, string>;
}

const routeTables = new WeakMap<ServiceModel, Route[]>();

/** Query keys SDKs add to disambiguate operations, which servers ignore. */
const IGNORED_QUERY_KEYS = new Set(["x-id"]);

function compileRoutes(model: ServiceModel): Route[] {
  let routes = routeTables.get(model);
  if (routes) return routes;
  routes = [];
  for (const operation of Object.values(model.operations)) {
    const [pathPart, queryPart = ""] = operation.http.requestUri.split("?");
    const segments: Segment[] = pathPart
      .split("/")
      .filter((s) => s !== "")
      .map((s) => {
        const m = /^\{([^}+]+)(\+)?\}$/.exec(s);
        return m ? { label: m[1], greedy: !!m[2] } : { literal: s };
      });
    const queryLiterals: Array<[string, string | undefined]> = [];
    for (const part of queryPart.split("&")) {
      if (!part) continue;
      const [key, value] = part.split("=");
      if (!IGNORED_QUERY_KEYS.has(key)) queryLiterals.push([key, value]);
    }
    const requiredHeaders: string[] = [];
    if (operation.input) {
      const input = model.shape(operation.input.shape);
      for (const name of input.required ?? []) {
        const ref = input.members?.[name];
        if (ref?.location === "header") requiredHeaders.push((ref.locationName ?? name).toLowerCase());
      }
    }
    routes.push({ operation, method: operation.http.method, segments, queryLiterals, literalCount: segments.filter((s) => s.literal).length, requiredHeaders });
  }
  routeTables.set(model, routes);
  return routes;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AwsError("InvalidURI", "Couldn't parse the specified URI.", { status: 400 });
  }
}

/** Finds the operation whose method, path template and required query keys match best. */
export function matchRoute(
  model: ServiceModel,
  method: string,
  rawPath: string,
  query: Array<[string, string]>,
  headers?: Record<string, string | undefined>,
): RouteMatch | undefined {
  const rawSegments = rawPath.split("/").slice(1);
  if (rawSegments.length > 0 && rawSegments[rawSegments.length - 1] === "") rawSegments.pop();
  let best: { route: Route; labels: Record<string, string>; score: number } | undefined;
  for (const route of compileRoutes(model)) {
    if (route.method !== method) continue;
    const labels = matchSegments(route.segments, rawSegments);
    if (!labels) continue;
    let ok = true;
    for (const [key, value] of route.queryLiterals) {
      const present = query.find(([k]) => k === key);
      if (!present || (value !== undefined && present[1] !== value)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    let score = route.queryLiterals.length * 100 + route.literalCount * 10 + route.segments.length;
    if (headers) {
      // A route whose required headers are all present beats one that needs none; one missing them loses to any other.
      const missing = route.requiredHeaders.some((h) => headers[h] === undefined);
      score += missing ? -100_000 : route.requiredHeaders.length * 1000;
    }
    if (!best || score > best.score) best = { route, labels, score };
  }
  return best ? { operation: best.route.operation, labels: best.labels } : undefined;
}

function matchSegments(template: Segment[], raw: string[]): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const segment = template[i];
    if (segment.greedy) {
      const rest = raw.slice(i);
      if (rest.length === 0) return undefined;
      const value = safeDecode(rest.join("/"));
      if (value === "") return undefined;
      labels[segment.label!] = value;
      return labels;
    }
    if (i >= raw.length) return undefined;
    if (segment.literal !== undefined) {
      if (safeDecode(raw[i]) !== segment.literal) return undefined;
    } else {
      const value = safeDecode(raw[i]);
      if (value === "") return undefined;
      labels[segment.label!] = value;
    }
  }
  return raw.length === template.length ? labels : undefined;
}

const routeCache = new WeakMap<HttpRequest, RouteMatch>();

export abstract class RestProtocol implements Protocol {
  abstract readonly name: "rest-json" | "rest-xml";

  /** Parses the body document into the values of `shape`'s unbound members. */
  protected abstract readBody(model: ServiceModel, shape: Shape, body: Buffer, rootMember?: Member): Record<string, unknown>;
  /** Renders the body document of an output (or a structure payload). */
  protected abstract writeBody(model: ServiceModel, operation: Operation, shape: Shape, value: Record<string, unknown>, rootMember?: Member): { contentType: string; body: string | Buffer } | undefined;
  abstract serializeError(model: ServiceModel, operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse;

  /** Hook for services whose routing differs from their model (S3's virtual hosts). */
  protected route(request: HttpRequest, model: ServiceModel): RouteMatch | undefined {
    return matchRoute(model, request.method === "HEAD" ? "HEAD" : request.method, request.rawPath, request.query, request.headers);
  }

  protected notFound(request: HttpRequest): AwsError {
    return new AwsError("UnknownOperationException", `No operation matches ${request.method} ${request.rawPath}`, { status: 404 });
  }

  async resolveOperation(request: HttpRequest, model: ServiceModel): Promise<Operation> {
    const match = this.route(request, model);
    if (!match) throw this.notFound(request);
    routeCache.set(request, match);
    return match.operation;
  }

  async parseInput(request: HttpRequest, model: ServiceModel, operation: Operation): Promise<Record<string, unknown>> {
    if (!operation.input) return {};
    const shape = model.shape(operation.input.shape);
    const labels = routeCache.get(request)?.labels ?? {};
    const input: Record<string, unknown> = {};
    const boundQueryKeys = new Set<string>();
    let mapQueryMember: Member | undefined;
    let hasBodyMembers = false;

    for (const member of model.members(shape)) {
      const wireName = member.locationName ?? member.name;
      switch (member.location) {
        case "uri":
          if (labels[wireName] !== undefined) input[member.name] = readScalar(member.shape, labels[wireName], wireName);
          break;
        case "querystring": {
          if (member.shape.type === "map") {
            mapQueryMember = member;
            break;
          }
          boundQueryKeys.add(wireName);
          const values = request.query.filter(([k]) => k === wireName).map(([, v]) => v);
          if (values.length === 0) break;
          if (member.shape.type === "list") {
            const itemShape = model.shape(member.shape.member!.shape);
            input[member.name] = values.map((v) => readScalar(itemShape, v, wireName));
          } else input[member.name] = readScalar(member.shape, values[0], wireName);
          break;
        }
        case "header": {
          const raw = request.headers[wireName.toLowerCase()];
          if (raw !== undefined) input[member.name] = readHeader(model, member, raw);
          break;
        }
        case "headers": {
          const prefix = wireName.toLowerCase();
          const map: Record<string, string> = {};
          for (const [name, value] of Object.entries(request.headers)) {
            if (value !== undefined && name.startsWith(prefix)) map[name.slice(prefix.length)] = value;
          }
          if (Object.keys(map).length > 0) input[member.name] = map;
          break;
        }
        default:
          if (member.name !== shape.payload) hasBodyMembers = true;
      }
    }

    if (mapQueryMember) {
      const map: Record<string, unknown> = {};
      for (const [k, v] of request.query) if (!boundQueryKeys.has(k) && !IGNORED_QUERY_KEYS.has(k)) map[k] = v;
      if (Object.keys(map).length > 0) input[mapQueryMember.name] = map;
    }

    if (shape.payload) {
      const member = model.members(shape).find((m) => m.name === shape.payload)!;
      const payloadType = member.shape.type;
      if (payloadType === "blob" || payloadType === "string") {
        if (member.streaming) input[member.name] = request.bodyStream();
        else {
          const body = await request.readBody(MAX_BODY);
          if (body.length > 0) input[member.name] = payloadType === "string" ? body.toString("utf8") : body;
        }
      } else {
        const body = await request.readBody(MAX_BODY);
        if (body.length > 0) input[member.name] = this.readBody(model, member.shape, body, member);
      }
    } else if (hasBodyMembers) {
      const body = await request.readBody(MAX_BODY);
      if (body.length > 0) Object.assign(input, this.readBody(model, shape, body));
    }
    return input;
  }

  serializeOutput(model: ServiceModel, operation: Operation, output: Record<string, unknown> | undefined, requestId: string): HttpResponse {
    const response: HttpResponse = { status: operation.http.responseCode ?? 200, headers: { "x-amzn-requestid": requestId } };
    if (!operation.output) return response;
    const shape = model.shape(operation.output.shape);
    const value = output ?? {};
    let hasBodyMembers = false;
    for (const member of model.members(shape)) {
      const v = value[member.name];
      const wireName = member.locationName ?? member.name;
      switch (member.location) {
        case "header":
          if (v !== undefined && v !== null) response.headers[wireName.toLowerCase()] = writeHeader(member, v);
          break;
        case "headers":
          if (v && typeof v === "object") {
            for (const [k, hv] of Object.entries(v as Record<string, string>)) response.headers[wireName.toLowerCase() + k.toLowerCase()] = String(hv);
          }
          break;
        case "statusCode":
          if (typeof v === "number") response.status = v;
          break;
        default:
          if (member.name !== shape.payload && v !== undefined) hasBodyMembers = true;
      }
    }
    if (shape.payload) {
      const member = model.members(shape).find((m) => m.name === shape.payload)!;
      const payload = value[member.name];
      if (payload === undefined || payload === null) return response;
      if (member.shape.type === "blob" || member.shape.type === "string") {
        response.body = payload as Buffer | string | Readable;
      } else {
        const rendered = this.writeBody(model, operation, member.shape, payload as Record<string, unknown>, member);
        if (rendered) {
          response.headers["content-type"] ??= rendered.contentType;
          response.body = rendered.body;
        }
      }
    } else if (hasBodyMembers || this.alwaysWriteBody(operation)) {
      const rendered = this.writeBody(model, operation, shape, value);
      if (rendered) {
        response.headers["content-type"] ??= rendered.contentType;
        response.body = rendered.body;
      }
    }
    return response;
  }

  /** Whether an output with no body members still gets an (empty) body document. */
  protected alwaysWriteBody(_operation: Operation): boolean {
    return false;
  }
}

function readHeader(model: ServiceModel, member: Member, raw: string): unknown {
  const shape = member.shape;
  if (member.jsonvalue) {
    try {
      return JSON.parse(Buffer.from(raw, "base64").toString("utf8"));
    } catch {
      throw new AwsError("SerializationException", `Header ${member.locationName} is not base64-encoded JSON`, { status: 400 });
    }
  }
  if (shape.type === "list") {
    const itemShape = model.shape(shape.member!.shape);
    return raw.split(",").map((part) => readScalar(itemShape, part.trim(), member.locationName ?? member.name));
  }
  if (shape.type === "blob") return Buffer.from(raw, "base64");
  return readScalar(shape, raw, member.locationName ?? member.name);
}

function writeHeader(member: Member, value: unknown): string {
  if (member.jsonvalue) return Buffer.from(JSON.stringify(value)).toString("base64");
  if (Array.isArray(value)) return value.map(String).join(",");
  switch (member.shape.type) {
    case "timestamp": {
      const date = value instanceof Date ? value : new Date(value as string);
      return String(formatTimestamp(date, member.timestampFormat ?? "rfc822"));
    }
    case "blob":
      return Buffer.isBuffer(value) ? value.toString("base64") : String(value);
    case "float":
    case "double":
      return formatNumber(value as number);
    default:
      return String(value);
  }
}
