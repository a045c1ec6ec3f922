/**
 * IAM condition operators, as policies use them in bucket policies:
 * String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress/NotIpAddress,
 * Arn*, Null, the ...IfExists suffix and the ForAnyValue:/ForAllValues:
 * set qualifiers. Several values for one key are ORed; several keys and
 * several operators are ANDed. Context keys are compared case-insensitively.
 */
import { isIP } from "node:net";
import { wildcardMatch } from "./wildcard.js";

export type ContextValue = string | string[];
/** The request's condition context, keys in lower case. */
export type ConditionContext = Record<string, ContextValue | undefined>;

export interface Condition {
  /** As written (for error messages and public-ness): "StringEquals", "ForAnyValue:StringLikeIfExists"... */
  operator: string;
  base: string;
  ifExists: boolean;
  set?: "ForAnyValue" | "ForAllValues";
  /** In lower case. */
  key: string;
  values: string[];
}

type Test = (context: string, policy: string) => boolean;

const num = (v: string) => (v.trim() === "" ? NaN : Number(v));
const date = (v: string) => (/^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v));
const cmp = (parse: (v: string) => number, test: (a: number, b: number) => boolean): Test => (c, p) => {
  const a = parse(c);
  const b = parse(p);
  return !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
};

/** Positive operators; a negated one is listed in NEGATED with the positive it inverts. */
const POSITIVE: Record<string, Test> = {
  StringEquals: (c, p) => c === p,
  StringEqualsIgnoreCase: (c, p) => c.toLowerCase() === p.toLowerCase(),
  StringLike: (c, p) => wildcardMatch(p, c),
  NumericEquals: cmp(num, (a, b) => a === b),
  NumericLessThan: cmp(num, (a, b) => a < b),
  NumericLessThanEquals: cmp(num, (a, b) => a <= b),
  NumericGreaterThan: cmp(num, (a, b) => a > b),
  NumericGreaterThanEquals: cmp(num, (a, b) => a >= b),
  DateEquals: cmp(date, (a, b) => a === b),
  DateLessThan: cmp(date, (a, b) => a < b),
  DateLessThanEquals: cmp(date, (a, b) => a <= b),
  DateGreaterThan: cmp(date, (a, b) => a > b),
  DateGreaterThanEquals: cmp(date, (a, b) => a >= b),
  Bool: (c, p) => c.toLowerCase() === p.toLowerCase(),
  BinaryEquals: (c, p) => Buffer.from(c, "base64").equals(Buffer.from(p, "base64")),
  IpAddress: (c, p) => ipInCidr(c, p),
  ArnEquals: (c, p) => arnMatch(p, c),
  ArnLike: (c, p) => arnMatch(p, c),
};

const NEGATED: Record<string, string> = {
  StringNotEquals: "StringEquals",
  StringNotEqualsIgnoreCase: "StringEqualsIgnoreCase",
  StringNotLike: "StringLike",
  NumericNotEquals: "NumericEquals",
  DateNotEquals: "DateEquals",
  NotIpAddress: "IpAddress",
  ArnNotEquals: "ArnEquals",
  ArnNotLike: "ArnLike",
};

export function isKnownOperator(base: string): boolean {
  return base in POSITIVE || base in NEGATED || base === "Null";
}

/** Splits "ForAnyValue:StringLikeIfExists" into its parts; undefined when it is not an operator. */
export function parseOperator(operator: string): Pick<Condition, "base" | "ifExists" | "set"> | undefined {
  let rest = operator;
  let set: Condition["set"];
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    const qualifier = rest.slice(0, colon);
    if (qualifier !== "ForAnyValue" && qualifier !== "ForAllValues") return undefined;
    set = qualifier;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  if (rest.endsWith("IfExists") && rest !== "IfExists") {
    ifExists = true;
    rest = rest.slice(0, -"IfExists".length);
  }
  if (!isKnownOperator(rest) || (rest === "Null" && ifExists)) return undefined;
  return { base: rest, ifExists, set };
}

export function isNegated(base: string): boolean {
  return base in NEGATED;
}

/** Whether every condition holds for the context. */
export function conditionsHold(conditions: Condition[], context: ConditionContext): boolean {
  return conditions.every((c) => conditionHolds(c, context));
}

export function conditionHolds(condition: Condition, context: ConditionContext): boolean {
  const raw = context[condition.key];
  const present = raw !== undefined && !(Array.isArray(raw) && raw.length === 0);
  if (condition.base === "Null") {
    // {"Null": {"key": "true"}} holds when the key is absent.
    return condition.values.some((v) => (v.toLowerCase() === "true") === !present);
  }
  const negated = condition.base in NEGATED;
  const test = POSITIVE[negated ? NEGATED[condition.base] : condition.base];
  const matchesAny = (value: string) => condition.values.some((p) => test(value, substitute(p, context)));
  const single = (value: string) => (negated ? !matchesAny(value) : matchesAny(value));
  if (!present) {
    if (condition.ifExists) return true;
    if (condition.set === "ForAllValues") return true;
    if (condition.set === "ForAnyValue") return false;
    return negated;
  }
  const values = Array.isArray(raw) ? raw : [raw as string];
  if (condition.set === "ForAllValues") return values.every(single);
  if (condition.set === "ForAnyValue") return values.some(single);
  return single(values[0]);
}

/** Policy variables in values: ${aws:username}, and the escapes ${*} ${?} ${$}. */
export function substitute(value: string, context: ConditionContext): string {
  if (!value.includes("${")) return value;
  return value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name === "*" || name === "?" || name === "$") return name;
    const found = context[name.toLowerCase()];
    if (found === undefined || Array.isArray(found)) return whole;
    return found;
  });
}

/** ARN matching: wildcards within each of the six colon-separated parts. */
function arnMatch(pattern: string, value: string): boolean {
  const p = pattern.split(":");
  const v = value.split(":");
  if (p.length < 6 || v.length < 6) return wildcardMatch(pattern, value);
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(":")];
  const hp = head(p);
  const hv = head(v);
  return hp.every((part, i) => wildcardMatch(part, hv[i]));
}

/** Whether ip lies in the CIDR block (a bare address is a /32 or /128). */
export function ipInCidr(ip: string, cidr: string): boolean {
  const parsed = parseCidr(cidr);
  const address = ipBytes(ip);
  if (!parsed || !address) return false;
  let { bytes, prefix } = parsed;
  let candidate = address;
  // IPv4-mapped IPv6 addresses compare as IPv4.
  if (candidate.length === 16 && bytes.length === 4 && isMappedV4(candidate)) candidate = candidate.subarray(12);
  if (candidate.length === 4 && bytes.length === 16 && isMappedV4(bytes)) {
    bytes = bytes.subarray(12);
    prefix = Math.max(0, prefix - 96);
  }
  if (candidate.length !== bytes.length) return false;
  for (let bit = 0; bit < prefix; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((candidate[i] & mask) !== (bytes[i] & mask)) return false;
  }
  return true;
}

function isMappedV4(bytes: Buffer): boolean {
  return bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

export function parseCidr(cidr: string): { bytes: Buffer; prefix: number } | undefined {
  const [address, length] = cidr.trim().split("/");
  const bytes = ipBytes(address);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const prefix = length === undefined ? max : Number(length);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { bytes, prefix };
}

function ipBytes(ip: string): Buffer | undefined {
  const kind = isIP(ip);
  if (kind === 4) return Buffer.from(ip.split(".").map(Number));
  if (kind !== 6) return undefined;
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    tail = v4[1].split(".").map(Number);
    text = text.slice(0, -v4[1].length) + "0:0";
  }
  const [left, right] = text.split("::");
  const parse = (s: string | undefined) => (s ? s.split(":").filter((x) => x !== "").map((h) => parseInt(h, 16)) : []);
  const l = parse(left);
  const r = right === undefined ? [] : parse(right);
  const groups = right === undefined ? l : [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
  if (groups.length !== 8) return undefined;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  if (v4) tail.forEach((b, i) => (out[12 + i] = b));
  return out;
}
