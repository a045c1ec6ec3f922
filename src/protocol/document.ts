/**
 * Shape-walking conversion between decoded JSON/CBOR documents and the plain
 * values providers use (Date for timestamps, Buffer for blobs). JSON encodes
 * timestamps as epoch seconds and blobs as base64; CBOR carries both natively.
 */
import { AwsError } from "../core/errors.js";
import type { Member, ServiceModel, Shape } from "./model.js";
import { fitsInteger, formatTimestamp, integerLabel, parseTimestamp } from "./values.js";

export type DocumentFlavor = "json" | "cbor";

function typeError(where: string, expected: string, value: unknown): AwsError {
  const got = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  return new AwsError("SerializationException", `Unexpected ${got} for ${where || "request body"}: expected ${expected}`, { status: 400 });
}

/** The name a member has inside a JSON/CBOR body. */
export function bodyName(member: Member, flavor: DocumentFlavor, useLocationName: boolean): string {
  return flavor === "json" && useLocationName && member.locationName && !member.location ? member.locationName : member.name;
}

export function readDocument(model: ServiceModel, shape: Shape, value: unknown, flavor: DocumentFlavor, where: string, useLocationName = false, depth = 0): unknown {
  if (value === null || value === undefined) return undefined;
  if (depth > 64) throw new AwsError("SerializationException", "Document nested too deeply", { status: 400 });
  switch (shape.type) {
    case "structure": {
      if (typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) throw typeError(where, "an object", value);
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const member of model.members(shape)) {
        const raw = source[bodyName(member, flavor, useLocationName)];
        if (raw === undefined || raw === null) continue;
        out[member.name] = readDocument(model, member.shape, raw, flavor, where ? `${where}.${member.name}` : member.name, useLocationName, depth + 1);
      }
      return out;
    }
    case "list": {
      if (!Array.isArray(value)) throw typeError(where, "an array", value);
      const itemShape = model.shape(shape.member!.shape);
      // No model Stratus serves has sparse lists: a null item of a dense list is skipped, as Smithy says.
      const items: unknown[] = [];
      value.forEach((item, i) => {
        const read = readDocument(model, itemShape, item, flavor, `${where}[${i}]`, useLocationName, depth + 1);
        if (read !== undefined) items.push(read);
      });
      return items;
    }
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) throw typeError(where, "an object", value);
      const valueShape = model.shape(shape.value!.shape);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const read = readDocument(model, valueShape, v, flavor, `${where}.${k}`, useLocationName, depth + 1);
        if (read !== undefined) out[k] = read;
      }
      return out;
    }
    case "string":
      if (typeof value !== "string") throw typeError(where, "a string", value);
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw typeError(where, "a boolean", value);
      return value;
    case "integer":
    case "long":
    case "short":
    case "byte":
      if (typeof value === "bigint") {
        if (!fitsInteger(Number(value), shape.type)) throw typeError(where, integerLabel(shape.type), value);
        return Number(value);
      }
      if (typeof value !== "number" || !Number.isInteger(value)) throw typeError(where, "an integer", value);
      if (!fitsInteger(value, shape.type)) throw typeError(where, integerLabel(shape.type), value);
      return value;
    case "float":
    case "double":
      if (typeof value === "number") return value;
      if (value === "NaN") return NaN;
      if (value === "Infinity") return Infinity;
      if (value === "-Infinity") return -Infinity;
      throw typeError(where, "a number", value);
    case "timestamp": {
      if (value instanceof Date) return value;
      if (typeof value !== "number" && typeof value !== "string") throw typeError(where, "a timestamp", value);
      const date = parseTimestamp(value);
      if (!date) throw typeError(where, "a timestamp", value);
      return date;
    }
    case "blob":
      if (value instanceof Uint8Array) return Buffer.from(value);
      if (typeof value !== "string") throw typeError(where, "base64 data", value);
      return Buffer.from(value, "base64");
    default:
      return value;
  }
}

export function writeDocument(model: ServiceModel, shape: Shape, value: unknown, flavor: DocumentFlavor, useLocationName = false, depth = 0): unknown {
  if (value === null || value === undefined || depth > 64) return undefined;
  switch (shape.type) {
    case "structure": {
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const member of model.members(shape)) {
        if (member.location) continue;
        const v = writeDocument(model, member.shape, source[member.name], flavor, useLocationName, depth + 1);
        if (v !== undefined) out[bodyName(member, flavor, useLocationName)] = v;
      }
      return out;
    }
    case "list": {
      const itemShape = model.shape(shape.member!.shape);
      return (value as unknown[]).map((item) => writeDocument(model, itemShape, item, flavor, useLocationName, depth + 1) ?? null);
    }
    case "map": {
      const valueShape = model.shape(shape.value!.shape);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const converted = writeDocument(model, valueShape, v, flavor, useLocationName, depth + 1);
        if (converted !== undefined) out[k] = converted;
      }
      return out;
    }
    case "timestamp": {
      const date = value instanceof Date ? value : new Date(value as string | number);
      if (flavor === "cbor") return date;
      return formatTimestamp(date, shape.timestampFormat ?? "unixTimestamp");
    }
    case "blob": {
      const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value as string);
      return flavor === "cbor" ? buffer : buffer.toString("base64");
    }
    case "float":
    case "double":
      if (flavor === "json" && typeof value === "number" && !Number.isFinite(value)) {
        return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
      }
      return value;
    default:
      return value;
  }
}
