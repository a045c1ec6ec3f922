/** Scalar conversions shared by every protocol. */
import { AwsError } from "../core/errors.js";

export type TimestampFormat = "iso8601" | "rfc822" | "unixTimestamp";

/** Parses any timestamp form a client sends: ISO 8601, epoch seconds, or an HTTP date. */
export function parseTimestamp(value: string | number | Date): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  // Epoch seconds with a fraction: round to the millisecond (1735787045.678 * 1000 is not exact).
  if (typeof value === "number") return Number.isFinite(value) ? validDate(new Date(Math.round(value * 1000))) : undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^-?\d+(\.\d+)?$/.test(text)) return validDate(new Date(Math.round(Number(text) * 1000)));
  let candidate = text;
  // An ISO date-time without a zone means UTC on AWS, not local time.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) candidate = text + "Z";
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) candidate = text + "T00:00:00Z";
  // Basic ISO form 20240101T000000Z, as in X-Amz-Date.
  const basic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (basic) candidate = `${basic[1]}-${basic[2]}-${basic[3]}T${basic[4]}:${basic[5]}:${basic[6]}Z`;
  const date = new Date(candidate);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A Date only if it is one (epoch seconds beyond ±8.64e12 make an Invalid Date). */
function validDate(date: Date): Date | undefined {
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function formatTimestamp(date: Date, format: TimestampFormat): string | number {
  switch (format) {
    case "rfc822":
      return date.toUTCString();
    case "unixTimestamp":
      return date.getTime() / 1000;
    default:
      return date.toISOString();
  }
}

/** ISO 8601 without milliseconds when they are zero is what S3 and EC2 print; keep ms for fidelity. */
export function iso(date: Date): string {
  return date.toISOString();
}

export function invalidValue(where: string, value: unknown, expected: string): AwsError {
  return new AwsError("InvalidParameterValue", `Invalid value '${String(value).slice(0, 100)}' for ${where}: expected ${expected}`, { status: 400 });
}

export type IntegerType = "integer" | "long" | "short" | "byte";

/** The range each integer shape holds (a long is kept to what a double holds exactly). */
const INTEGER_RANGE: Record<IntegerType, [number, number]> = {
  byte: [-(2 ** 7), 2 ** 7 - 1],
  short: [-(2 ** 15), 2 ** 15 - 1],
  integer: [-(2 ** 31), 2 ** 31 - 1],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** Whether a number fits the integer shape (a 32-bit integer for "integer"). */
export function fitsInteger(value: number, type: IntegerType = "long"): boolean {
  const [min, max] = INTEGER_RANGE[type] ?? INTEGER_RANGE.long;
  return Number.isInteger(value) && value >= min && value <= max;
}

/** "a 32-bit integer": how an out-of-range value's error names the shape. */
export function integerLabel(type: IntegerType): string {
  return { byte: "an 8-bit integer", short: "a 16-bit integer", integer: "a 32-bit integer", long: "a 64-bit integer" }[type] ?? "an integer";
}

export function parseIntegerText(text: string, where: string, type: IntegerType = "long"): number {
  const trimmed = text.trim();
  if (!/^[-+]?\d+$/.test(trimmed)) throw invalidValue(where, text, "an integer");
  const value = Number(trimmed);
  if (!fitsInteger(value, type)) throw invalidValue(where, text, integerLabel(type));
  return value;
}

export function parseFloatText(text: string, where: string): number {
  const trimmed = text.trim();
  if (trimmed === "NaN") return NaN;
  if (trimmed === "Infinity") return Infinity;
  if (trimmed === "-Infinity") return -Infinity;
  const value = Number(trimmed);
  if (trimmed === "" || Number.isNaN(value)) throw invalidValue(where, text, "a number");
  return value;
}

export function parseBooleanText(text: string, where: string): boolean {
  const lower = text.trim().toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  throw invalidValue(where, text, "true or false");
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return String(value);
}
