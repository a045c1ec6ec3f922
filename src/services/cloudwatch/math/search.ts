/**
 * SEARCH('{Namespace,DimName,...} terms', 'Stat', Period) in metric math:
 * the schema fixes the namespace and the exact set of dimension names; terms
 * are words (partial, case-insensitive match on namespace, metric name,
 * dimension names and values), "quoted phrases" (whole-value match),
 * Name=value / Name="value" property filters (MetricName, Namespace or a
 * dimension name), combined with AND (the default), OR, NOT and parentheses.
 */
import { MathError } from "./evaluate.js";

export interface SearchableMetric {
  namespace: string;
  name: string;
  dimensions: Array<{ Name: string; Value: string }>;
}

type Term =
  | { kind: "word"; text: string; exact: boolean }
  | { kind: "property"; name: string; value: string; exact: boolean }
  | { kind: "and" | "or"; left: Term; right: Term }
  | { kind: "not"; operand: Term }
  | { kind: "all" };

export interface Search {
  schema?: { namespace: string; dimensions: string[] };
  matches(metric: SearchableMetric): boolean;
}

export function parseSearch(text: string): Search {
  let rest = text.trim();
  let schema: Search["schema"];
  if (rest.startsWith("{")) {
    const close = rest.indexOf("}");
    if (close < 0) throw new MathError("SEARCH schema is missing its closing brace");
    const parts = splitSchema(rest.slice(1, close));
    if (parts.length === 0 || !parts[0]) throw new MathError("SEARCH schema needs a namespace");
    schema = { namespace: parts[0], dimensions: parts.slice(1) };
    rest = rest.slice(close + 1);
  }
  const tokens = tokenize(rest);
  let at = 0;
  const peek = () => tokens[at];
  const orExpr = (): Term => {
    let left = andExpr();
    while (peek() === "OR") {
      at++;
      left = { kind: "or", left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): Term => {
    let left = unary();
    while (at < tokens.length && peek() !== ")" && peek() !== "OR") {
      if (peek() === "AND") at++;
      left = { kind: "and", left, right: unary() };
    }
    return left;
  };
  const unary = (): Term => {
    const token = tokens[at++];
    if (token === undefined) throw new MathError("SEARCH expression ends unexpectedly");
    if (token === "NOT") return { kind: "not", operand: unary() };
    if (token === "(") {
      const inner = orExpr();
      if (tokens[at++] !== ")") throw new MathError("SEARCH expression is missing a closing parenthesis");
      return inner;
    }
    const property = /^([^=\s]+)=(.*)$/s.exec(token);
    if (property) {
      const quoted = property[2].startsWith('"');
      return { kind: "property", name: unquote(property[1]), value: unquote(property[2]), exact: quoted };
    }
    return { kind: "word", text: unquote(token), exact: token.startsWith('"') };
  };
  const term: Term = tokens.length === 0 ? { kind: "all" } : orExpr();
  if (at < tokens.length) throw new MathError(`Unexpected '${tokens[at]}' in SEARCH expression`);
  return {
    schema,
    matches(metric) {
      if (schema) {
        if (metric.namespace !== schema.namespace) return false;
        const names = metric.dimensions.map((d) => d.Name).sort();
        const wanted = schema.dimensions.slice().sort();
        if (names.length !== wanted.length || names.some((n, i) => n !== wanted[i])) return false;
      }
      return test(term, metric);
    },
  };
}

function splitSchema(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|([^,]+)/g)) {
    const value = (match[1] ?? match[2]).trim();
    if (value) out.push(value);
  }
  return out;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*([()]|[^\s()=]+="[^"]*"|"[^"]*"|[^\s()"]+)/y;
  let end = 0;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    tokens.push(match[1]);
    end = re.lastIndex;
  }
  if (text.slice(end).trim()) throw new MathError("SEARCH expression has an unterminated quote");
  return tokens;
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

function fieldMatch(value: string, wanted: string, exact: boolean): boolean {
  return exact ? value === wanted : value.toLowerCase().includes(wanted.toLowerCase());
}

function test(term: Term, metric: SearchableMetric): boolean {
  switch (term.kind) {
    case "all":
      return true;
    case "and":
      return test(term.left, metric) && test(term.right, metric);
    case "or":
      return test(term.left, metric) || test(term.right, metric);
    case "not":
      return !test(term.operand, metric);
    case "word": {
      const fields = [metric.namespace, metric.name, ...metric.dimensions.flatMap((d) => [d.Name, d.Value])];
      return fields.some((f) => fieldMatch(f, term.text, term.exact));
    }
    case "property": {
      if (term.name === "MetricName") return fieldMatch(metric.name, term.value, term.exact);
      if (term.name === "Namespace") return fieldMatch(metric.namespace, term.value, term.exact);
      const dimension = metric.dimensions.find((d) => d.Name === term.name);
      return dimension !== undefined && fieldMatch(dimension.Value, term.value, term.exact);
    }
  }
}
