/**
 * One alarm evaluation, as CloudWatch documents it: fetch the evaluation range
 * (N + 2 periods ending at the last complete period), judge each datapoint
 * against the threshold (or the anomaly band), and decide the state — the most
 * recent N datapoints when there are enough, otherwise fill in missing points
 * according to TreatMissingData, using them as few times as possible.
 */
import type { MetricAlarm, StateValue } from "../../../generated/cloudwatch.js";
import type { Scope } from "../../../state/documents.js";
import { evaluateQueries, prepareQueries } from "../get-metric-data.js";
import type { Series } from "../math/evaluate.js";
import { SECOND, type MetricStore } from "../metric-store.js";
import { readBins } from "../periods.js";
import { computeStatistic, parseStatistic } from "../statistics.js";
import { alarmPeriod, BAND_OPERATORS } from "./config.js";
import { javaDouble } from "./java-json.js";


export interface Point {
  ts: number;
  value: number | undefined;
  sampleCount?: number;
  /** Anomaly band at this time, for band operators. */
  lower?: number;
  upper?: number;
}

export interface Outcome {
  /** undefined: keep the current state (TreatMissingData ignore). */
  state: StateValue | undefined;
  reason: string;
  reasonData: Record<string, unknown>;
}

/** The datapoints an evaluation at `now` looks at, oldest first. */
export function fetchRange(store: MetricStore, scope: Scope, alarm: MetricAlarm, now: number): Point[] {
  const period = alarmPeriod(alarm);
  const size = period * SECOND;
  const end = Math.floor(now / size) * size;
  const count = alarm.EvaluationPeriods! + 2;
  const start = end - count * size;
  const points: Point[] = [];
  for (let t = start; t < end; t += size) points.push({ ts: t, value: undefined });
  const at = (ts: number) => points[Math.round((ts - start) / size)];
  if (alarm.Metrics) {
    const prepared = prepareQueries(alarm.Metrics, "Metrics");
    const evaluation = evaluateQueries(store, scope, prepared, start, end, now);
    const main = prepared.find((p) => p.query.ReturnData !== false && p.query.Id !== alarm.ThresholdMetricId)!;
    const value = evaluation.value(main.query.Id);
    const series: Series | undefined = value.kind === "series" ? value.series : value.kind === "array" ? value.items[0] : undefined;
    for (const [ts, v] of series?.points ?? []) if (at(ts)) at(ts).value = v;
    if (alarm.ThresholdMetricId) {
      const band = evaluation.value(alarm.ThresholdMetricId);
      if (band.kind === "array" && band.items.length >= 2) {
        const [upper, lower] = [band.items[0], band.items[band.items.length - 1]];
        for (const p of points) {
          p.upper = upper.points.get(p.ts);
          p.lower = lower.points.get(p.ts);
        }
      }
    }
    return points;
  }
  const metric = store.find(scope, { namespace: alarm.Namespace!, name: alarm.MetricName!, dimensions: alarm.Dimensions ?? [] });
  if (!metric) return points;
  const stat = parseStatistic(alarm.Statistic ?? alarm.ExtendedStatistic!)!;
  for (const bin of readBins(store, metric.id, start, end, period, { unit: alarm.Unit })) {
    const point = at(bin.ts);
    if (!point) continue;
    point.value = computeStatistic(stat, bin.agg);
    point.sampleCount = bin.agg.n;
  }
  return points;
}

/**
 * Whether a percentile alarm has too few samples to judge: below 10/(1-p)
 * samples for p ≥ 0.5, 10/p below it (AWS's rule for "ignore").
 */
function lowSampleCount(alarm: MetricAlarm, evaluated: Point[]): boolean {
  const stat = alarm.ExtendedStatistic ? parseStatistic(alarm.ExtendedStatistic) : undefined;
  if (!stat || stat.kind !== "percentile") return false;
  const p = stat.p / 100;
  const needed = p >= 0.5 ? 10 / Math.max(1 - p, 1e-9) : 10 / Math.max(p, 1e-9);
  const samples = evaluated.reduce((total, point) => total + (point.sampleCount ?? 0), 0);
  return samples < needed;
}

export function breaches(alarm: MetricAlarm, point: Point): boolean {
  const v = point.value!;
  const t = alarm.Threshold ?? 0;
  switch (alarm.ComparisonOperator) {
    case "GreaterThanOrEqualToThreshold":
      return v >= t;
    case "GreaterThanThreshold":
      return v > t;
    case "LessThanThreshold":
      return v < t;
    case "LessThanOrEqualToThreshold":
      return v <= t;
    case "LessThanLowerOrGreaterThanUpperThreshold":
      return (point.lower !== undefined && v < point.lower) || (point.upper !== undefined && v > point.upper);
    case "LessThanLowerThreshold":
      return point.lower !== undefined && v < point.lower;
    case "GreaterThanUpperThreshold":
      return point.upper !== undefined && v > point.upper;
    default:
      return false;
  }
}

const WORDS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  GreaterThanThreshold: "greater than",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
  LessThanLowerOrGreaterThanUpperThreshold: "outside the band",
  LessThanLowerThreshold: "less than the lower band",
  GreaterThanUpperThreshold: "greater than the upper band",
};

/** Decides the alarm state from the range's points (oldest first). */
export function decide(alarm: MetricAlarm, points: Point[], now: number): Outcome {
  const n = alarm.EvaluationPeriods!;
  const m = alarm.DatapointsToAlarm ?? n;
  const treat = alarm.TreatMissingData ?? "missing";
  const present = points.filter((p) => p.value !== undefined);
  if (alarm.EvaluateLowSampleCountPercentile === "ignore" && lowSampleCount(alarm, present.slice(-n))) {
    return outcome(alarm, undefined, [], 0, n, m, points, now);
  }
  let evaluated: Array<{ point?: Point; breaching: boolean }>;
  let filled = 0;
  let state: StateValue | undefined;
  if (present.length >= n) {
    evaluated = present.slice(-n).map((point) => ({ point, breaching: breaches(alarm, point) }));
  } else if (treat === "breaching" || treat === "notBreaching") {
    filled = n - present.length;
    evaluated = [
      ...present.map((point) => ({ point, breaching: breaches(alarm, point) })),
      ...Array.from({ length: filled }, () => ({ breaching: treat === "breaching" })),
    ];
  } else {
    evaluated = present.map((point) => ({ point, breaching: breaches(alarm, point) }));
    const breaching = evaluated.filter((e) => e.breaching).length;
    if (present.length === 0) state = treat === "ignore" ? undefined : "INSUFFICIENT_DATA";
    else if (breaching >= m) state = "ALARM";
    else if (evaluated.some((e) => !e.breaching)) state = "OK";
    // Only breaching data, too little of it: an alarm whose oldest datapoint in range breaches
    // (the metric stopped while breaching) goes to ALARM; otherwise it waits for data.
    else if (treat === "ignore") state = undefined;
    else if (points[0].value !== undefined && evaluated[0].breaching) state = "ALARM";
    else state = "INSUFFICIENT_DATA";
    return outcome(alarm, state, evaluated, 0, n, m, points, now);
  }
  const breaching = evaluated.filter((e) => e.breaching).length;
  state = breaching >= m ? "ALARM" : "OK";
  return outcome(alarm, state, evaluated, filled, n, m, points, now);
}

function outcome(
  alarm: MetricAlarm,
  state: StateValue | undefined,
  evaluated: Array<{ point?: Point; breaching: boolean }>,
  filled: number,
  n: number,
  m: number,
  points: Point[],
  now: number,
): Outcome {
  const threshold = alarm.Threshold ?? 0;
  const words = WORDS[alarm.ComparisonOperator ?? ""] ?? "compared with";
  const real = evaluated.filter((e) => e.point).map((e) => e.point!);
  const nothingReceived = real.length === 0 && filled > 0;
  // Keys in AWS's order. With no datapoint received at all, AWS gives no startDate and lists
  // the filled-in periods (newest first) by timestamp only.
  const reasonData: Record<string, unknown> = { version: "1.0", queryDate: awsDate(now) };
  if (!nothingReceived) reasonData.startDate = awsDate(points[0]?.ts ?? now);
  if (alarm.Unit) reasonData.unit = alarm.Unit;
  if (alarm.Statistic) reasonData.statistic = alarm.Statistic;
  if (alarm.ExtendedStatistic) reasonData.extendedStatistic = alarm.ExtendedStatistic;
  reasonData.period = alarmPeriod(alarm);
  reasonData.recentDatapoints = real.map((p) => p.value);
  if (!BAND_OPERATORS.includes(alarm.ComparisonOperator ?? "")) reasonData.threshold = threshold;
  reasonData.evaluatedDatapoints = nothingReceived
    ? points
        .slice(-filled)
        .reverse()
        .map((p) => ({ timestamp: awsDate(p.ts) }))
    : real
        .slice()
        .reverse()
        .map((p) => ({ timestamp: awsDate(p.ts), ...(p.sampleCount !== undefined ? { sampleCount: p.sampleCount } : {}), value: p.value }));
  const thresholdText = BAND_OPERATORS.includes(alarm.ComparisonOperator ?? "") ? "" : ` the threshold (${javaDouble(threshold)})`;
  if (state === undefined || state === "INSUFFICIENT_DATA") {
    const reason =
      real.length === 0
        ? `Insufficient Data: ${n} datapoint${n === 1 ? " was" : "s were"} unknown.`
        : `Insufficient Data: ${real.length} datapoint${real.length === 1 ? " was" : "s were"} not enough to evaluate ${n} periods.`;
    return { state, reason, reasonData };
  }
  const treatedAs = alarm.TreatMissingData === "breaching" ? "Breaching" : "NonBreaching";
  if (nothingReceived) {
    const reason =
      `Threshold Crossed: no datapoints were received for ${n} period${n === 1 ? "" : "s"} and ` +
      `${filled} missing datapoint${filled === 1 ? " was" : "s were"} treated as [${treatedAs}].`;
    return { state, reason, reasonData };
  }
  const alarming = state === "ALARM";
  const shown = evaluated.filter((e) => e.point && e.breaching === alarming).map((e) => e.point!).reverse();
  const list = shown.map((p) => `${javaDouble(p.value!)} (${shortDate(p.ts)})`).join(", ");
  const count = evaluated.filter((e) => e.breaching === alarming).length;
  const verb = `${count === 1 ? "was" : "were"}${alarming ? "" : " not"} ${words}${thresholdText}`;
  const head = n === 1 ? `${count} datapoint [${list}] ${verb}` : `${count} out of the last ${n} datapoints [${list}] ${verb}`;
  const needed = alarming ? m : n - m + 1;
  const transition = alarming ? "OK -> ALARM" : "ALARM -> OK";
  const tail = n === 1 ? "" : ` (minimum ${needed} datapoint${needed === 1 ? "" : "s"} for ${transition} transition)`;
  const missingNote =
    filled > 0
      ? ` ${filled} missing datapoint${filled === 1 ? " was" : "s were"} treated as [${treatedAs}].`
      : "";
  return { state, reason: `Threshold Crossed: ${head}${tail}.${missingNote}`, reasonData };
}

/** 2024-03-21T10:00:00.000+0000 */
export function awsDate(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

/** dd/MM/yy HH:mm:ss */
function shortDate(ms: number): string {
  const d = new Date(ms);
  const two = (x: number) => String(x).padStart(2, "0");
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
