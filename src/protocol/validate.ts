/**
 * Constraint checks every AWS front end runs before the service sees a request:
 * required members, lengths, ranges, enums and patterns from the model. Each
 * service decides how the violations become an error (Coral's ValidationError,
 * EC2's MissingParameter, ...).
 */
import type { ServiceModel, Shape } from "./model.js";

export interface Violation {
  /** Coral-style path: lowerCamel member names, list items as "N.member". */
  path: string;
  /** The model member name of the innermost member (for EC2-style messages). */
  member: string;
  kind: "required" | "length" | "range" | "enum" | "pattern";
  value: unknown;
  detail: string;
  /** Coral never echoes a sensitive member's value, nor a blob's bytes ("Value at 'plaintext' ..."). */
  hidden?: boolean;
}

const patternCache = new Map<string, RegExp | null>();

/**
 * Model patterns are Java regular expressions. \p{all} (any character) has no
 * JavaScript spelling; without the "u" flag \p{L} would mean the letters
 * "p{L}", so a pattern using \p{...} that JavaScript cannot compile is not
 * checked at all rather than checked wrongly.
 */
function compilePattern(pattern: string): RegExp | null {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    const source = translateJavaPattern(pattern);
    try {
      re = new RegExp(`^(?:${source})$`, "su");
    } catch {
      try {
        re = /\\p\{/i.test(source) ? null : new RegExp(`^(?:${source})$`, "s");
      } catch {
        re = null;
      }
    }
    patternCache.set(pattern, re);
  }
  return re;
}

function translateJavaPattern(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      if (pattern.startsWith("\\p{all}", i)) {
        out += inClass ? "\\s\\S" : "[\\s\\S]";
        i += "\\p{all}".length - 1;
        continue;
      }
      out += ch + (pattern[i + 1] ?? "");
      i++;
      continue;
    }
    if (ch === "[" && !inClass) inClass = true;
    else if (ch === "]" && inClass) inClass = false;
    out += ch;
  }
  return out;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export interface ValidateOptions {
  /** Check min/max/enum/pattern (Coral services); EC2 and S3 check only required members. */
  constraints: boolean;
}

export function validateInput(model: ServiceModel, shapeName: string | undefined, value: unknown, options: ValidateOptions): Violation[] {
  const out: Violation[] = [];
  if (!shapeName) return out;
  walk(model, model.shape(shapeName), value, "", "", options, out, 0);
  return out;
}

function walk(model: ServiceModel, shape: Shape, value: unknown, path: string, member: string, options: ValidateOptions, out: Violation[], depth: number): void {
  if (depth > 40 || out.length > 50) return;
  switch (shape.type) {
    case "structure": {
      const record = (value ?? {}) as Record<string, unknown>;
      for (const name of shape.required ?? []) {
        const v = record[name];
        if (v === undefined || v === null) {
          out.push({ path: join(path, lowerFirst(name)), member: name, kind: "required", value: null, detail: "Member must not be null" });
        }
      }
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        const v = record[name];
        if (v === undefined || v === null) continue;
        walk(model, model.shape(ref.shape), v, join(path, lowerFirst(name)), name, options, out, depth + 1);
      }
      return;
    }
    case "list": {
      const items = value as unknown[];
      if (options.constraints) checkSize(shape, items.length, path, member, items, out, "length");
      const memberShape = model.shape(shape.member!.shape);
      items.forEach((item, i) => {
        if (item !== undefined && item !== null) walk(model, memberShape, item, join(path, `${i + 1}.member`), member, options, out, depth + 1);
      });
      return;
    }
    case "map": {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (options.constraints) checkSize(shape, keys.length, path, member, record, out, "length");
      const keyShape = model.shape(shape.key!.shape);
      const valueShape = model.shape(shape.value!.shape);
      for (const key of keys) {
        walk(model, keyShape, key, join(path, "key"), member, options, out, depth + 1);
        walk(model, valueShape, record[key], join(path, "value"), member, options, out, depth + 1);
      }
      return;
    }
    case "string": {
      if (!options.constraints || typeof value !== "string") return;
      const hidden = shape.sensitive === true;
      checkSize(shape, [...value].length, path, member, value, out, "length", hidden);
      if (shape.enum && !shape.enum.includes(value)) {
        out.push({ path, member, kind: "enum", value, hidden, detail: `Member must satisfy enum value set: [${shape.enum.join(", ")}]` });
      } else if (shape.pattern) {
        const re = compilePattern(shape.pattern);
        if (re && !re.test(value)) {
          out.push({ path, member, kind: "pattern", value, hidden, detail: `Member must satisfy regular expression pattern: ${shape.pattern}` });
        }
      }
      return;
    }
    case "integer":
    case "long":
    case "float":
    case "double":
      if (options.constraints && typeof value === "number") checkSize(shape, value, path, member, value, out, "value");
      return;
    case "blob":
      if (options.constraints && value instanceof Uint8Array) checkSize(shape, value.length, path, member, value, out, "length", true);
      return;
    default:
      return;
  }
}

function checkSize(
  shape: Shape,
  size: number,
  path: string,
  member: string,
  value: unknown,
  out: Violation[],
  what: "length" | "value",
  hidden = shape.sensitive === true,
): void {
  const kind = what === "length" ? "length" : "range";
  if (shape.min !== undefined && size < shape.min) {
    out.push({ path, member, kind, value, hidden, detail: `Member must have ${what} greater than or equal to ${shape.min}` });
  } else if (shape.max !== undefined && size > shape.max) {
    out.push({ path, member, kind, value, hidden, detail: `Member must have ${what} less than or equal to ${shape.max}` });
  }
}

function join(path: string, part: string): string {
  return path ? `${path}.${part}` : part;
}

/** Coral's wording: "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: ..." */
export function coralMessage(violations: Violation[]): string {
  const parts = violations.map((v) => {
    if (v.hidden) return `Value at '${v.path}' failed to satisfy constraint: ${v.detail}`;
    const shown = v.value === null ? "null" : typeof v.value === "string" ? `'${v.value}'` : Array.isArray(v.value) || typeof v.value === "object" ? `'${JSON.stringify(v.value)}'` : `'${String(v.value)}'`;
    return `Value ${shown} at '${v.path}' failed to satisfy constraint: ${v.detail}`;
  });
  const n = violations.length;
  return `${n} validation error${n === 1 ? "" : "s"} detected: ${parts.join("; ")}`;
}
