/**
 * Metric math evaluation over scalars (S), time series (TS) and arrays of
 * time series (TS[]), following the semantics AWS documents: arithmetic and
 * comparisons treat a missing value as 0 and drop divisions by zero; AVG, SUM,
 * MIN, MAX and STDDEV of one series are scalars, of an array a series; IF,
 * FILL, RATE, DIFF and the rest work per timestamp.
 */
import { MathSyntaxError, type Node } from "./parser.js";
import { expectedBand, type Training } from "../anomaly/model.js";

export interface Series {
  id: string;
  label: string;
  /** Seconds. */
  period: number;
  /** Timestamp (ms) → value. */
  points: Map<number, number>;
}

export type Value =
  | { kind: "scalar"; value: number }
  | { kind: "series"; series: Series }
  | { kind: "array"; items: Series[] }
  | { kind: "string"; value: string }
  | { kind: "keyword"; name: string };

export interface MathEnv {
  /** Rounded start and exclusive end of the request, ms. */
  start: number;
  end: number;
  /** Period for results that have no metric to take it from. */
  defaultPeriod: number;
  /** The value of another query of the request, by id. */
  resolve(id: string): Value;
  /** The MetricStat queries of the request, in order (METRICS()). */
  metricIds(): string[];
  /** A metric query's values over the two weeks before `start`, and its detector's time zone (anomaly band training). */
  history?(id: string): Training | undefined;
  /** SEARCH(): the series of every metric the search expression matches. */
  search?(expression: string, stat: string, period: number): Series[];
}

export class MathError extends Error {}

const scalar = (value: number): Value => ({ kind: "scalar", value });
const series = (s: Series): Value => ({ kind: "series", series: s });

function derive(from: Series, points: Map<number, number>): Series {
  return { id: from.id, label: from.label, period: from.period, points };
}

function sorted(s: Series): Array<[number, number]> {
  return [...s.points.entries()].sort((a, b) => a[0] - b[0]);
}

export function grid(env: MathEnv, period: number): number[] {
  const out: number[] = [];
  const step = period * 1000;
  for (let t = env.start; t < env.end && out.length < 100_800; t += step) out.push(t);
  return out;
}

export function evaluate(node: Node, env: MathEnv): Value {
  switch (node.type) {
    case "number":
      return scalar(node.value);
    case "string":
      return { kind: "string", value: node.value };
    case "keyword":
      return { kind: "keyword", name: node.name };
    case "ref":
      return env.resolve(node.id);
    case "array": {
      const items: Series[] = [];
      for (const item of node.items) {
        const value = evaluate(item, env);
        if (value.kind === "series") items.push(value.series);
        else if (value.kind === "array") items.push(...value.items);
        else throw new MathError("Arrays can contain only time series");
      }
      return { kind: "array", items };
    }
    case "unary":
      return mapValues(evaluate(node.operand, env), (v) => -v);
    case "binary":
      return binary(node.op, evaluate(node.left, env), evaluate(node.right, env));
    case "call":
      return call(node.name, node.args, env);
  }
}

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

function mapValues(value: Value, fn: (v: number) => number | undefined): Value {
  switch (value.kind) {
    case "scalar": {
      const v = fn(value.value);
      if (v === undefined) throw new MathError("The expression produces an invalid number");
      return scalar(v);
    }
    case "series":
      return series(mapSeries(value.series, fn));
    case "array":
      return { kind: "array", items: value.items.map((s) => mapSeries(s, fn)) };
    default:
      throw new MathError("Expected a number or a time series");
  }
}

function mapSeries(s: Series, fn: (v: number) => number | undefined): Series {
  const points = new Map<number, number>();
  for (const [t, v] of s.points) {
    const out = fn(v);
    if (out !== undefined && Number.isFinite(out)) points.set(t, out);
  }
  return derive(s, points);
}

const OPS: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "^": (a, b) => a ** b,
  "==": (a, b) => Number(a === b),
  "!=": (a, b) => Number(a !== b),
  "<": (a, b) => Number(a < b),
  "<=": (a, b) => Number(a <= b),
  ">": (a, b) => Number(a > b),
  ">=": (a, b) => Number(a >= b),
  "&&": (a, b) => Number(a !== 0 && b !== 0),
  "||": (a, b) => Number(a !== 0 || b !== 0),
};

function binary(op: string, left: Value, right: Value): Value {
  const fn = OPS[op];
  if (left.kind === "scalar" && right.kind === "scalar") {
    const v = finite(fn(left.value, right.value));
    if (v === undefined) throw new MathError("Division by zero");
    return scalar(v);
  }
  if (left.kind === "scalar") return mapValues(right, (b) => finite(fn(left.value, b)));
  if (right.kind === "scalar") return mapValues(left, (a) => finite(fn(a, right.value)));
  if (left.kind === "series" && right.kind === "series") return series(combine(left.series, right.series, fn));
  if (left.kind === "array" && right.kind === "series") return { kind: "array", items: left.items.map((s) => combine(s, right.series, fn)) };
  if (left.kind === "series" && right.kind === "array") return { kind: "array", items: right.items.map((s) => combine(left.series, s, fn, true)) };
  if (left.kind === "array" && right.kind === "array") {
    if (left.items.length !== right.items.length) throw new MathError("Arrays of time series must have the same length");
    return { kind: "array", items: left.items.map((s, i) => combine(s, right.items[i], fn)) };
  }
  throw new MathError(`Operator ${op} cannot be applied to these arguments`);
}

/** Per timestamp over the union of both series; a missing value counts as 0. */
function combine(a: Series, b: Series, fn: (x: number, y: number) => number, labelFromRight = false): Series {
  const points = new Map<number, number>();
  const times = new Set([...a.points.keys(), ...b.points.keys()]);
  for (const t of times) {
    const v = finite(fn(a.points.get(t) ?? 0, b.points.get(t) ?? 0));
    if (v !== undefined) points.set(t, v);
  }
  const from = labelFromRight ? b : a;
  return { id: from.id, label: from.label, period: Math.max(a.period, b.period), points };
}

function argCount(name: string, args: Node[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    throw new MathError(`${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}`);
  }
}

function asSeriesList(value: Value, fnName: string): { list: Series[]; single: boolean } {
  if (value.kind === "series") return { list: [value.series], single: true };
  if (value.kind === "array") return { list: value.items, single: false };
  throw new MathError(`${fnName} expects a time series or an array of time series`);
}

function asScalar(value: Value, fnName: string): number {
  if (value.kind !== "scalar") throw new MathError(`${fnName} expects a number`);
  return value.value;
}

function perSeries(value: Value, name: string, fn: (s: Series) => Series): Value {
  const { list, single } = asSeriesList(value, name);
  const out = list.map(fn);
  return single ? series(out[0]) : { kind: "array", items: out };
}

function reduceValues(values: number[], how: string): number | undefined {
  if (values.length === 0) return undefined;
  switch (how) {
    case "SUM":
      return values.reduce((a, b) => a + b, 0);
    case "AVG":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "MIN":
      return Math.min(...values);
    case "MAX":
      return Math.max(...values);
    case "STDDEV": {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    }
    default:
      return undefined;
  }
}

/** AVG/SUM/MIN/MAX/STDDEV: a scalar of one series, a series across an array. */
function aggregate(name: string, value: Value): Value {
  const { list, single } = asSeriesList(value, name);
  if (single) {
    const v = reduceValues([...list[0].points.values()], name);
    if (v === undefined) throw new MathError(`${name} of an empty time series`);
    return scalar(v);
  }
  const times = new Set<number>();
  for (const s of list) for (const t of s.points.keys()) times.add(t);
  const points = new Map<number, number>();
  for (const t of times) {
    // AVG and SUM count a missing value as 0; MIN, MAX and STDDEV use the values present.
    const values = name === "AVG" || name === "SUM" ? list.map((s) => s.points.get(t) ?? 0) : list.flatMap((s) => (s.points.has(t) ? [s.points.get(t)!] : []));
    const v = reduceValues(values, name);
    if (v !== undefined) points.set(t, v);
  }
  const period = Math.max(0, ...list.map((s) => s.period));
  return series({ id: "", label: "", period, points });
}

function consecutive(s: Series, fn: (prev: [number, number], cur: [number, number]) => number | undefined): Series {
  const entries = sorted(s);
  const points = new Map<number, number>();
  for (let i = 1; i < entries.length; i++) {
    const v = fn(entries[i - 1], entries[i]);
    if (v !== undefined && Number.isFinite(v)) points.set(entries[i][0], v);
  }
  return derive(s, points);
}

function fill(s: Series, how: Value, env: MathEnv): Series {
  const times = grid(env, s.period);
  const points = new Map(s.points);
  const entries = sorted(s);
  if (how.kind === "scalar") {
    for (const t of times) if (!points.has(t)) points.set(t, how.value);
  } else if (how.kind === "series") {
    for (const t of times) if (!points.has(t) && how.series.points.has(t)) points.set(t, how.series.points.get(t)!);
  } else if (how.kind === "keyword" && (how.name === "REPEAT" || how.name === "LINEAR")) {
    if (entries.length === 0) return derive(s, points);
    let k = 0;
    for (const t of times) {
      while (k < entries.length && entries[k][0] <= t) k++;
      if (points.has(t)) continue;
      const before = entries[k - 1];
      const after = entries[k];
      if (!before) points.set(t, after[1]);
      else if (!after || how.name === "REPEAT") points.set(t, before[1]);
      else points.set(t, before[1] + ((after[1] - before[1]) * (t - before[0])) / (after[0] - before[0]));
    }
  } else throw new MathError("FILL expects a number, a time series, REPEAT or LINEAR");
  return derive(s, points);
}

function ifValue(args: Node[], env: MathEnv): Value {
  argCount("IF", args, 2, 3);
  const condition = evaluate(args[0], env);
  const whenTrue = evaluate(args[1], env);
  const whenFalse = args[2] ? evaluate(args[2], env) : undefined;
  const at = (value: Value | undefined, t: number, missing: number | undefined): number | undefined => {
    if (!value) return undefined;
    if (value.kind === "scalar") return value.value;
    if (value.kind === "series") return value.series.points.has(t) ? value.series.points.get(t)! : missing;
    throw new MathError("IF expects numbers or time series");
  };
  if (condition.kind === "scalar") {
    const chosen = condition.value !== 0 ? whenTrue : whenFalse;
    if (!chosen) return series({ id: "", label: "", period: env.defaultPeriod, points: new Map() });
    if (chosen.kind === "scalar") return series(constant(env, env.defaultPeriod, chosen.value));
    return chosen;
  }
  if (condition.kind !== "series") throw new MathError("IF expects a time series or a number as its condition");
  const cond = condition.series;
  const points = new Map<number, number>();
  for (const [t, c] of cond.points) {
    // A true condition without a value to take yields 0; a false one without a value drops the point.
    const v = c !== 0 ? at(whenTrue, t, 0) : at(whenFalse, t, undefined);
    if (v !== undefined) points.set(t, v);
  }
  return series(derive(cond, points));
}

function constant(env: MathEnv, period: number, value: number): Series {
  const points = new Map<number, number>();
  for (const t of grid(env, period)) points.set(t, value);
  return { id: "", label: "", period, points };
}

function timeFunction(name: string, s: Series, env: MathEnv): Series {
  const points = new Map<number, number>();
  for (const t of grid(env, s.period)) {
    const d = new Date(t);
    const value =
      name === "MINUTE" ? d.getUTCMinutes()
      : name === "HOUR" ? d.getUTCHours()
      : name === "DAY" ? ((d.getUTCDay() + 6) % 7) + 1
      : name === "DATE" ? d.getUTCDate()
      : name === "MONTH" ? d.getUTCMonth() + 1
      : name === "YEAR" ? d.getUTCFullYear()
      : Math.floor(t / 1000);
    points.set(t, value);
  }
  return derive(s, points);
}

function seriesStat(s: Series, how: string): number {
  return reduceValues([...s.points.values()], how) ?? -Infinity;
}

function call(name: string, args: Node[], env: MathEnv): Value {
  switch (name) {
    case "ABS":
    case "CEIL":
    case "FLOOR":
    case "LOG":
    case "LOG10": {
      argCount(name, args, 1);
      const fn = { ABS: Math.abs, CEIL: Math.ceil, FLOOR: Math.floor, LOG: Math.log, LOG10: Math.log10 }[name];
      return mapValues(evaluate(args[0], env), (v) => finite(fn(v)));
    }
    case "AVG":
    case "SUM":
    case "MIN":
    case "MAX":
    case "STDDEV":
      argCount(name, args, 1);
      return aggregate(name, evaluate(args[0], env));
    case "DATAPOINT_COUNT": {
      argCount(name, args, 1);
      const { list, single } = asSeriesList(evaluate(args[0], env), name);
      if (single) return scalar(list[0].points.size);
      const points = new Map<number, number>();
      for (const s of list) for (const t of s.points.keys()) points.set(t, (points.get(t) ?? 0) + 1);
      return series({ id: "", label: "", period: Math.max(0, ...list.map((s) => s.period)), points });
    }
    case "METRIC_COUNT":
      argCount(name, args, 1);
      return scalar(asSeriesList(evaluate(args[0], env), name).list.length);
    case "DIFF":
      argCount(name, args, 1);
      return perSeries(evaluate(args[0], env), name, (s) => consecutive(s, (p, c) => c[1] - p[1]));
    case "DIFF_TIME":
      argCount(name, args, 1);
      return perSeries(evaluate(args[0], env), name, (s) => consecutive(s, (p, c) => (c[0] - p[0]) / 1000));
    case "RATE":
      argCount(name, args, 1);
      return perSeries(evaluate(args[0], env), name, (s) => consecutive(s, (p, c) => (c[1] - p[1]) / ((c[0] - p[0]) / 1000)));
    case "RUNNING_SUM":
      argCount(name, args, 1);
      return perSeries(evaluate(args[0], env), name, (s) => {
        let total = 0;
        return derive(s, new Map(sorted(s).map(([t, v]) => [t, (total += v)])));
      });
    case "FILL": {
      argCount(name, args, 2);
      const how = evaluate(args[1], env);
      return perSeries(evaluate(args[0], env), name, (s) => fill(s, how, env));
    }
    case "IF":
      return ifValue(args, env);
    case "METRICS": {
      argCount(name, args, 0, 1);
      let filter: string | undefined;
      if (args[0]) {
        const f = evaluate(args[0], env);
        if (f.kind !== "string") throw new MathError("METRICS expects a string");
        filter = f.value;
      }
      const items: Series[] = [];
      for (const id of env.metricIds()) {
        if (filter !== undefined && !id.includes(filter)) continue;
        const value = env.resolve(id);
        if (value.kind === "series") items.push(value.series);
      }
      return { kind: "array", items };
    }
    case "PERIOD": {
      argCount(name, args, 1);
      const value = evaluate(args[0], env);
      if (value.kind !== "series") throw new MathError("PERIOD expects a metric");
      return scalar(value.series.period);
    }
    case "TIME_SERIES": {
      argCount(name, args, 1);
      return series(constant(env, env.defaultPeriod, asScalar(evaluate(args[0], env), name)));
    }
    case "MINUTE":
    case "HOUR":
    case "DAY":
    case "DATE":
    case "MONTH":
    case "YEAR":
    case "EPOCH":
      argCount(name, args, 1);
      return perSeries(evaluate(args[0], env), name, (s) => timeFunction(name, s, env));
    case "REMOVE_EMPTY": {
      argCount(name, args, 1);
      const { list } = asSeriesList(evaluate(args[0], env), name);
      return { kind: "array", items: list.filter((s) => s.points.size > 0) };
    }
    case "FIRST":
    case "LAST": {
      argCount(name, args, 1);
      const { list } = asSeriesList(evaluate(args[0], env), name);
      if (list.length === 0) throw new MathError(`${name} of an empty array`);
      return series(name === "FIRST" ? list[0] : list[list.length - 1]);
    }
    case "SORT": {
      argCount(name, args, 3, 4);
      const { list } = asSeriesList(evaluate(args[0], env), name);
      const by = args[1].type === "keyword" || args[1].type === "call" ? (args[1] as { name: string }).name : "";
      const order = args[2].type === "keyword" ? args[2].name : "";
      if (!["AVG", "MIN", "MAX", "SUM"].includes(by)) throw new MathError("SORT expects AVG, MIN, MAX or SUM");
      if (order !== "ASC" && order !== "DESC") throw new MathError("SORT expects ASC or DESC");
      const out = list.slice().sort((a, b) => (seriesStat(a, by) - seriesStat(b, by)) * (order === "ASC" ? 1 : -1));
      const limit = args[3] ? asScalar(evaluate(args[3], env), name) : out.length;
      return { kind: "array", items: out.slice(0, limit) };
    }
    case "SLICE": {
      argCount(name, args, 2, 3);
      const { list } = asSeriesList(evaluate(args[0], env), name);
      const from = asScalar(evaluate(args[1], env), name);
      const to = args[2] ? asScalar(evaluate(args[2], env), name) : list.length;
      return { kind: "array", items: list.slice(from, to) };
    }
    case "SEARCH": {
      argCount(name, args, 3);
      const [expression, stat, period] = args.map((a) => evaluate(a, env));
      if (expression.kind !== "string" || stat.kind !== "string") throw new MathError("SEARCH expects a search expression, a statistic and a period");
      const seconds = asScalar(period, name);
      if (!env.search) throw new MathError("SEARCH is not available here");
      return { kind: "array", items: env.search(expression.value, stat.value, seconds) };
    }
    case "ANOMALY_DETECTION_BAND": {
      argCount(name, args, 1, 2);
      const value = evaluate(args[0], env);
      if (value.kind !== "series") throw new MathError("ANOMALY_DETECTION_BAND expects a metric");
      const width = args[1] ? asScalar(evaluate(args[1], env), name) : 2;
      const trained = args[0].type === "ref" ? env.history?.(args[0].id) : undefined;
      return anomalyBand(value.series, trained, width, env);
    }
    default:
      throw new MathSyntaxError(`Unrecognized function ${name}`);
  }
}

/** The expected-value band (anomaly/model.ts), upper band first, as AWS orders it. */
function anomalyBand(s: Series, trained: Training | undefined, width: number, env: MathEnv): Value {
  const { upper, lower } = expectedBand(s, trained, width, grid(env, s.period));
  return {
    kind: "array",
    items: [
      { id: s.id, label: `${s.label} (expected) upper`, period: s.period, points: upper },
      { id: s.id, label: `${s.label} (expected) lower`, period: s.period, points: lower },
    ],
  };
}
