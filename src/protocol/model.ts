/**
 * The official service models (botocore's service-2.json, pinned under
 * models/) are the single source of truth for the wire. This module loads them
 * lazily and answers the questions the parsers and serializers ask.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { projectPath } from "../core/paths.js";

export type ShapeType =
  | "structure" | "list" | "map" | "string" | "integer" | "long" | "float" | "double"
  | "boolean" | "timestamp" | "blob" | "document" | "byte" | "short" | "bigdecimal" | "biginteger";

export type Location = "uri" | "querystring" | "header" | "headers" | "statusCode";

export interface XmlNamespace {
  uri: string;
  prefix?: string;
}

/** Traits that may sit on a member reference or on the shape it points to. */
interface SerializationTraits {
  locationName?: string;
  queryName?: string;
  flattened?: boolean;
  xmlNamespace?: XmlNamespace;
  xmlAttribute?: boolean;
  timestampFormat?: "iso8601" | "rfc822" | "unixTimestamp";
  jsonvalue?: boolean;
  streaming?: boolean;
}

export interface ShapeRef extends SerializationTraits {
  shape: string;
  location?: Location;
  idempotencyToken?: boolean;
  hostLabel?: boolean;
  eventpayload?: boolean;
  resultWrapper?: string;
}

export interface Shape extends SerializationTraits {
  type: ShapeType;
  members?: Record<string, ShapeRef>;
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  required?: string[];
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  payload?: string;
  exception?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  union?: boolean;
  document?: boolean;
  eventstream?: boolean;
  sensitive?: boolean;
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: ShapeRef;
  output?: ShapeRef;
  errors?: ShapeRef[];
  httpChecksum?: { requestAlgorithmMember?: string; requestChecksumRequired?: boolean; requestValidationModeMember?: string; responseAlgorithms?: string[] };
  requestcompression?: { encodings: string[] };
  endpoint?: { hostPrefix?: string };
  /** "none" for operations callers make unsigned (sts:AssumeRoleWithWebIdentity, AssumeRoleWithSAML). */
  authtype?: string;
}

export interface ModelMetadata {
  apiVersion: string;
  endpointPrefix: string;
  protocol: string;
  protocols?: string[];
  jsonVersion?: string;
  targetPrefix?: string;
  xmlNamespace?: string;
  signingName?: string;
  serviceId: string;
  awsQueryCompatible?: Record<string, never>;
}

interface RawModel {
  metadata: ModelMetadata;
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

/** A member as the serializers see it: ref traits merged over shape traits. */
export interface Member extends SerializationTraits {
  name: string;
  shapeName: string;
  shape: Shape;
  location?: Location;
  idempotencyToken?: boolean;
}

export class ServiceModel {
  readonly name: string;
  readonly metadata: ModelMetadata;
  readonly operations: Record<string, Operation>;
  readonly shapes: Record<string, Shape>;
  private readonly errorsByCode = new Map<string, string>();

  constructor(name: string, raw: RawModel) {
    this.name = name;
    this.metadata = raw.metadata;
    this.operations = raw.operations;
    this.shapes = raw.shapes;
    for (const [shapeName, shape] of Object.entries(raw.shapes)) {
      if (!shape.exception) continue;
      const code = shape.error?.code ?? shapeName;
      if (!this.errorsByCode.has(code)) this.errorsByCode.set(code, shapeName);
    }
  }

  shape(name: string): Shape {
    const shape = this.shapes[name];
    if (!shape) throw new Error(`${this.name}: unknown shape ${name}`);
    return shape;
  }

  operation(name: string): Operation | undefined {
    return Object.prototype.hasOwnProperty.call(this.operations, name) ? this.operations[name] : undefined;
  }

  /** Resolves a member reference into its effective traits. */
  member(name: string, ref: ShapeRef): Member {
    const shape = this.shape(ref.shape);
    return {
      name,
      shapeName: ref.shape,
      shape,
      location: ref.location,
      locationName: ref.locationName ?? shape.locationName,
      queryName: ref.queryName ?? shape.queryName,
      flattened: ref.flattened ?? shape.flattened,
      xmlNamespace: ref.xmlNamespace ?? shape.xmlNamespace,
      xmlAttribute: ref.xmlAttribute ?? shape.xmlAttribute,
      timestampFormat: ref.timestampFormat ?? shape.timestampFormat,
      jsonvalue: ref.jsonvalue ?? shape.jsonvalue,
      streaming: ref.streaming ?? shape.streaming,
      idempotencyToken: ref.idempotencyToken,
    };
  }

  /** The members of a structure shape, resolved. */
  members(shape: Shape): Member[] {
    const cached = memberCache.get(shape);
    if (cached) return cached;
    const list = Object.entries(shape.members ?? {}).map(([name, ref]) => this.member(name, ref));
    memberCache.set(shape, list);
    return list;
  }

  /** The shape name of a modelled error with this wire code, preferring the operation's own errors. */
  errorShapeName(code: string, operation?: Operation): string | undefined {
    for (const ref of operation?.errors ?? []) {
      const shape = this.shapes[ref.shape];
      if ((shape?.error?.code ?? ref.shape) === code) return ref.shape;
    }
    return this.errorsByCode.get(code);
  }

  /** Whether any operation accepts compressed request bodies (the requestcompression trait). */
  get compressesRequests(): boolean {
    this.compression ??= Object.values(this.operations).some((op) => !!op.requestcompression);
    return this.compression;
  }
  private compression: boolean | undefined;

  /**
   * Shape id namespace used in JSON/CBOR `__type` (e.g. com.amazonaws.cloudwatch): the
   * Smithy namespace is the serviceId in lower case without spaces (CloudWatch's endpoint
   * prefix is "monitoring", Cost Explorer's "ce", so the prefix will not do).
   */
  get namespace(): string {
    return `com.amazonaws.${this.metadata.serviceId.toLowerCase().replace(/\s+/g, "")}`;
  }
}

const memberCache = new WeakMap<Shape, Member[]>();

const MODELS_DIR = projectPath("models");
const loaded = new Map<string, ServiceModel>();

/** Loads models/<name>.json once, on first use. */
export function loadModel(name: string): ServiceModel {
  let model = loaded.get(name);
  if (!model) {
    const raw = JSON.parse(readFileSync(path.join(MODELS_DIR, `${name}.json`), "utf8")) as RawModel;
    model = new ServiceModel(name, raw);
    loaded.set(name, model);
  }
  return model;
}

export function modelsDir(): string {
  return MODELS_DIR;
}
