/**
 * CloudWatch statistics: the five basic ones and the extended family —
 * percentiles (p90, p99.9), trimmed mean (tm90, TM(10%:90%), IQM), winsorized
 * mean (wm, WM), trimmed count (tc, TC), trimmed sum (ts, TS) and percentile
 * rank (PR(:300)). Extended statistics need the stored distribution.
 */
import type { Aggregate, Pairs } from "./distribution.js";

export type BasicStatistic = "SampleCount" | "Average" | "Sum" | "Minimum" | "Maximum";
export const BASIC_STATISTICS: readonly BasicStatistic[] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

export type Statistic =
  | { kind: "basic"; name: BasicStatistic }
  | { kind: "percentile"; name: string; p: number }
  | { kind: "trimmed"; name: string; fn: "TM" | "WM" | "TC" | "TS"; low: Bound; high: Bound }
  | { kind: "rank"; name: string; low: number | undefined; high: number | undefined };

/** A bound is a percentage of the ranked values or an absolute value. */
type Bound = { percent: number } | { value: number } | undefined;

const NUMBER = String.raw`\d+(?:\.\d+)?`;
const SHORT = new RegExp(String.raw`^(p|tm|wm|tc|ts)(${NUMBER})$`);
const RANGE = new RegExp(String.raw`^(TM|WM|TC|TS|PR)\((${NUMBER}%?)?:(${NUMBER}%?)?\)$`);

/** Parses a statistic name as GetMetricData's Stat, alarms' ExtendedStatistic or GetMetricStatistics accept it. */
export function parseStatistic(text: string): Statistic | undefined {
  if ((BASIC_STATISTICS as readonly string[]).includes(text)) return { kind: "basic", name: text as BasicStatistic };
  if (text === "IQM") return { kind: "trimmed", name: text, fn: "TM", low: { percent: 25 }, high: { percent: 75 } };
  const short = SHORT.exec(text);
  if (short) {
    const p = Number(short[2]);
    if (p > 100 || (short[1] !== "p" && p === 0)) return undefined;
    if (short[1] === "p") return { kind: "percentile", name: text, p };
    const fn = short[1].toUpperCase() as "TM" | "WM" | "TC" | "TS";
    return { kind: "trimmed", name: text, fn, low: { percent: 0 }, high: { percent: p } };
  }
  const range = RANGE.exec(text);
  if (range) {
    const [, fn, lowText, highText] = range;
    if (lowText === undefined && highText === undefined) return undefined;
    if (fn === "PR") {
      if (lowText?.endsWith("%") || highText?.endsWith("%")) return undefined;
      const low = lowText === undefined ? undefined : Number(lowText);
      const high = highText === undefined ? undefined : Number(highText);
      if (low !== undefined && high !== undefined && low > high) return undefined;
      return { kind: "rank", name: text, low, high };
    }
    const low = bound(lowText);
    const high = bound(highText);
    if (low && "percent" in low && low.percent > 100) return undefined;
    if (high && "percent" in high && high.percent > 100) return undefined;
    if (low && high && "percent" in low && "percent" in high && low.percent >= high.percent) return undefined;
    if (low && high && "value" in low && "value" in high && low.value > high.value) return undefined;
    return { kind: "trimmed", name: text, fn: fn as "TM" | "WM" | "TC" | "TS", low, high };
  }
  return undefined;
}

function bound(text: string | undefined): Bound {
  if (text === undefined) return undefined;
  return text.endsWith("%") ? { percent: Number(text.slice(0, -1)) } : { value: Number(text) };
}

/** The value of a statistic over an aggregate, or undefined when it cannot be computed. */
export function computeStatistic(stat: Statistic, agg: Aggregate): number | undefined {
  if (agg.n <= 0) return undefined;
  switch (stat.kind) {
    case "basic":
      return basic(stat.name, agg);
    case "percentile":
      return agg.pairs && agg.min >= 0 ? percentile(agg.pairs, agg.n, stat.p) : undefined;
    case "rank":
      return agg.pairs ? percentRank(agg.pairs, agg.n, stat.low, stat.high) : undefined;
    case "trimmed":
      return agg.pairs ? trimmed(stat.fn, agg.pairs, agg.n, stat.low, stat.high) : undefined;
  }
}

export function basic(name: BasicStatistic, agg: Aggregate): number {
  switch (name) {
    case "SampleCount":
      return agg.n;
    case "Sum":
      return agg.sum;
    case "Average":
      return agg.sum / agg.n;
    case "Minimum":
      return agg.min;
    case "Maximum":
      return agg.max;
  }
}

/** Nearest-rank percentile: the smallest stored value with at least p% of the samples at or below it. */
export function percentile(pairs: Pairs, n: number, p: number): number {
  if (p <= 0) return pairs[0][0];
  const rank = Math.ceil((p / 100) * n - 1e-9);
  let seen = 0;
  for (const [value, count] of pairs) {
    seen += count;
    if (seen >= rank) return value;
  }
  return pairs[pairs.length - 1][0];
}

function percentRank(pairs: Pairs, n: number, low: number | undefined, high: number | undefined): number {
  let inside = 0;
  for (const [value, count] of pairs) {
    if ((low === undefined || value > low) && (high === undefined || value <= high)) inside += count;
  }
  return (inside / n) * 100;
}

/**
 * Trimmed statistics over the samples whose value lies in (low, high]: a
 * percentage bound stands for that percentile's value (0% meaning no lower
 * bound), an absolute bound for itself.
 */
function trimmed(fn: "TM" | "WM" | "TC" | "TS", pairs: Pairs, n: number, low: Bound, high: Bound): number | undefined {
  const lowValue = !low ? -Infinity : "value" in low ? low.value : low.percent <= 0 ? -Infinity : percentile(pairs, n, low.percent);
  const highValue = !high ? Infinity : "value" in high ? high.value : percentile(pairs, n, high.percent);
  let weight = 0;
  let total = 0;
  let lowestKept: number | undefined;
  let highestKept: number | undefined;
  for (const [value, count] of pairs) {
    if (value <= lowValue || value > highValue) continue;
    weight += count;
    total += value * count;
    lowestKept ??= value;
    highestKept = value;
  }
  switch (fn) {
    case "TC":
      return weight;
    case "TS":
      return total;
    case "TM":
      return weight > 0 ? total / weight : undefined;
    case "WM": {
      if (lowestKept === undefined || highestKept === undefined) return undefined;
      // Winsorized: values outside the bounds count as the nearest kept value.
      let sum = 0;
      for (const [value, count] of pairs) sum += Math.min(Math.max(value, lowestKept), highestKept) * count;
      return sum / n;
    }
  }
}
