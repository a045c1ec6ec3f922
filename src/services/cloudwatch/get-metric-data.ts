/**
 * GetMetricData: up to 500 queries — metric stats and math expressions over
 * them — evaluated together, returned newest-first (or oldest-first) and paged
 * by MaxDatapoints with NextToken; results cut by a page are PartialData.
 */
import { crypto } from "../../core/crypto.js";
import type {
  GetMetricDataInput,
  GetMetricDataOutput,
  MessageData,
  MetricDataQuery,
  MetricDataResult,
} from "../../generated/cloudwatch.js";
import type { Scope } from "../../state/documents.js";
import { CwErrors } from "./errors.js";
import { checkTimeRange } from "./get-metric-statistics.js";
import { evaluate, grid, MathError, type MathEnv, type Series, type Value } from "./math/evaluate.js";
import { expandLabel } from "./math/labels.js";
import { MathSyntaxError, parseExpression, references, usesMetrics, type Node } from "./math/parser.js";
import { parseSearch } from "./math/search.js";
import { sortDimensions, type MetricStore } from "./metric-store.js";
import { periodServesAge, readBins, roundStart, validPeriod } from "./periods.js";
import { computeStatistic, parseStatistic, type Statistic } from "./statistics.js";

export const MAX_QUERIES = 500;
export const DEFAULT_MAX_DATAPOINTS = 100_800;
const ID_PATTERN = /^[a-z][a-zA-Z0-9_]*$/;
/** A SEARCH returns at most this many time series, as on AWS. */
const MAX_SEARCH_RESULTS = 500;
/** How far back anomaly detection bands learn what is normal. */
const TRAINING = 14 * 24 * 3600 * 1000;

interface Prepared {
  query: MetricDataQuery;
  where: string;
  stat?: Statistic;
  ast?: Node;
}

export interface QueryEvaluation {
  /** Every query's value by id (computed on demand). */
  value(id: string): Value;
  /** The series a returned query stands for, labelled as GetMetricData labels them, with per-result messages. */
  results(): Array<{ id: string; label: string; series: Series; messages: MessageData[] }>;
}

/** Validates queries (shared with metric-math alarms). */
export function prepareQueries(queries: MetricDataQuery[] | undefined, field = "MetricDataQueries"): Prepared[] {
  if (!queries || queries.length === 0) throw CwErrors.missingParameter(`The parameter ${field} is required.`);
  if (queries.length > MAX_QUERIES) throw CwErrors.validation(`The collection ${field} must not have a size greater than ${MAX_QUERIES}.`);
  // AWS reports every badly formed id at once, a line each.
  const badIds = queries
    .map((query, i) => (ID_PATTERN.test(query.Id) ? "" : `The value ${query.Id} for parameter ${field}.member.${i + 1}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.\n`))
    .join("");
  if (badIds) throw CwErrors.validation(badIds);
  const seen = new Set<string>();
  const prepared = queries.map((query, i): Prepared => {
    const where = `${field}.member.${i + 1}`;
    if (seen.has(query.Id)) throw CwErrors.validation(`The values for parameter id in ${field} are not unique.`);
    seen.add(query.Id);
    if ((query.MetricStat === undefined) === (query.Expression === undefined)) {
      throw CwErrors.validation(`Exactly one of ${where}.MetricStat and ${where}.Expression must be set.`);
    }
    if (query.MetricStat) {
      const stat = parseStatistic(query.MetricStat.Stat);
      if (!stat) throw CwErrors.validation(`The value ${query.MetricStat.Stat} for parameter ${where}.MetricStat.Stat is invalid.`);
      if (!validPeriod(query.MetricStat.Period)) {
        throw CwErrors.validation(`The parameter ${where}.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60.`);
      }
      if (!query.MetricStat.Metric.Namespace || !query.MetricStat.Metric.MetricName) {
        throw CwErrors.validation(`The parameters ${where}.MetricStat.Metric.Namespace and MetricName are required.`);
      }
      return { query, where, stat };
    }
    if (query.Period !== undefined && !validPeriod(query.Period)) {
      throw CwErrors.validation(`The parameter ${where}.Period must be 1, 5, 10, 20, 30, or a multiple of 60.`);
    }
    try {
      return { query, where, ast: parseExpression(query.Expression!) };
    } catch (error) {
      if (error instanceof MathSyntaxError) throw CwErrors.validation(`Error in expression ${query.Id}: ${error.message}`);
      throw error;
    }
  });
  const ids = new Set(prepared.map((p) => p.query.Id));
  for (const p of prepared) {
    if (!p.ast) continue;
    for (const ref of references(p.ast)) {
      if (!ids.has(ref)) throw CwErrors.validation(`Error in expression ${p.query.Id}: Unrecognized identifier ${ref}`);
    }
  }
  if (!prepared.some((p) => p.query.ReturnData !== false)) {
    throw CwErrors.validation(`At least one query in ${field} must have ReturnData set to true.`);
  }
  return prepared;
}

/** Evaluates prepared queries over [start, end) as of `now`. */
export function evaluateQueries(store: MetricStore, scope: Scope, prepared: Prepared[], start: number, end: number, now: number): QueryEvaluation {
  const byId = new Map(prepared.map((p) => [p.query.Id, p]));
  const metricIds = prepared.filter((p) => p.query.MetricStat).map((p) => p.query.Id);
  const periods = prepared.map((p) => p.query.MetricStat?.Period ?? p.query.Period).filter((x): x is number => x !== undefined);
  const defaultPeriod = periods.length > 0 ? Math.min(...periods) : 60;
  const values = new Map<string, Value>();
  const props = new Map<string, Record<string, string>>();
  const messages = new Map<string, MessageData[]>();
  const visiting = new Set<string>();
  const labels = defaultLabels(prepared);

  const env: MathEnv = {
    start: roundStart(start, now, defaultPeriod),
    end,
    defaultPeriod,
    metricIds: () => metricIds,
    resolve: (id) => value(id),
    search: (expression, statName, period) => {
      const stat = parseStatistic(statName);
      if (!stat) throw new MathError(`SEARCH: ${statName} is not a statistic`);
      if (!validPeriod(period)) throw new MathError(`SEARCH: the period ${period} must be 1, 5, 10, 20, 30, or a multiple of 60`);
      const search = parseSearch(expression);
      const matching = store.list(scope, now - 14 * 24 * 3600 * 1000).filter((m) => search.matches(m)).slice(0, MAX_SEARCH_RESULTS);
      return matching.map((metric) => {
        const label = [...metric.dimensions.map((d) => d.Value), metric.name].join(" ");
        const series: Series = { id: `search:${metric.id}`, label, period, points: new Map() };
        const from = roundStart(start, now, period);
        if (!periodServesAge(from, now, period)) return series;
        for (const bin of readBins(store, metric.id, from, end, period)) {
          const v = computeStatistic(stat, bin.agg);
          if (v !== undefined) series.points.set(bin.ts, v);
        }
        return series;
      });
    },
    history: (id) => {
      const p = byId.get(id);
      const stat = p?.query.MetricStat;
      if (!p || !stat) return undefined;
      const series = metricSeries(p, start - TRAINING, start);
      // The metric's anomaly detector, if it has one, says what to leave out and whose hours to follow.
      const config = store.anomalyConfig(scope, { namespace: stat.Metric.Namespace!, name: stat.Metric.MetricName!, dimensions: sortDimensions(stat.Metric.Dimensions) }, stat.Stat);
      for (const range of config?.ExcludedTimeRanges ?? []) {
        const [from, to] = [new Date(range.StartTime).getTime(), new Date(range.EndTime).getTime()];
        for (const t of [...series.points.keys()]) if (t >= from && t < to) series.points.delete(t);
      }
      return { series, timezone: config?.MetricTimezone };
    },
  };

  const value = (id: string): Value => {
    const cached = values.get(id);
    if (cached) return cached;
    const p = byId.get(id);
    if (!p) throw CwErrors.validation(`Unrecognized identifier ${id}`);
    if (visiting.has(id)) throw CwErrors.validation(`Error in expression ${id}: Circular dependency between queries`);
    visiting.add(id);
    try {
      let result: Value;
      if (p.query.MetricStat) result = { kind: "series", series: metricSeries(p) };
      else {
        const periodEnv = p.query.Period ? { ...env, defaultPeriod: p.query.Period, start: roundStart(start, now, p.query.Period) } : env;
        if (usesMetrics(p.ast!) && metricIds.length === 0) result = { kind: "array", items: [] };
        else result = evaluate(p.ast!, periodEnv);
      }
      values.set(id, result);
      return result;
    } catch (error) {
      if (error instanceof MathError || error instanceof MathSyntaxError) {
        throw CwErrors.validation(`Error in expression ${id}: ${error.message}`);
      }
      throw error;
    } finally {
      visiting.delete(id);
    }
  };

  const metricSeries = (p: Prepared, from = start, to = end): Series => {
    const stat = p.query.MetricStat!;
    const label = p.query.Label ?? labels.get(p.query.Id)!;
    const dimensions = sortDimensions(stat.Metric.Dimensions);
    const record: Record<string, string> = {
      MetricName: stat.Metric.MetricName!,
      Namespace: stat.Metric.Namespace!,
      Period: String(stat.Period),
      Stat: stat.Stat,
    };
    for (const d of dimensions) record[`Dim.${d.Name}`] = d.Value;
    props.set(p.query.Id, record);
    const series: Series = { id: p.query.Id, label, period: stat.Period, points: new Map() };
    const rounded = roundStart(from, now, stat.Period);
    if (!periodServesAge(rounded, now, stat.Period)) return series;
    const metric = store.find(scope, { namespace: stat.Metric.Namespace!, name: stat.Metric.MetricName!, dimensions });
    if (!metric) return series;
    const unitsSeen = new Set<string>();
    for (const bin of readBins(store, metric.id, rounded, to, stat.Period, { unit: stat.Unit, oneUnit: true, unitsSeen })) {
      const v = computeStatistic(p.stat!, bin.agg);
      if (v !== undefined) series.points.set(bin.ts, v);
    }
    if (unitsSeen.size > 1 && from === start) {
      messages.set(p.query.Id, [{ Code: "MultipleUnits", Value: `Multiple units returned: '[${[...unitsSeen].sort().join(", ")}]'` }]);
    }
    return series;
  };

  return {
    value,
    results() {
      const out: Array<{ id: string; label: string; series: Series; messages: MessageData[] }> = [];
      for (const p of prepared) {
        if (p.query.ReturnData === false) continue;
        const v = value(p.query.Id);
        const own = p.query.Label;
        if (v.kind === "series") {
          const base = own ?? (p.query.MetricStat ? v.series.label : p.query.Id);
          out.push({
            id: p.query.Id,
            label: expandLabel(base, v.series, props.get(v.series.id), v.series.label),
            series: v.series,
            messages: messages.get(p.query.Id) ?? [],
          });
        } else if (v.kind === "array") {
          for (const item of v.items) {
            const label = own ? `${own} ${item.label}` : item.label;
            out.push({ id: p.query.Id, label: expandLabel(label, item, props.get(item.id), item.label), series: item, messages: [] });
          }
        } else if (v.kind === "scalar") {
          const period = p.query.Period ?? defaultPeriod;
          const points = new Map(grid({ ...env, start: roundStart(start, now, period) }, period).map((t) => [t, v.value]));
          out.push({ id: p.query.Id, label: own ?? p.query.Id, series: { id: p.query.Id, label: own ?? p.query.Id, period, points }, messages: [] });
        } else {
          throw CwErrors.validation(`Error in expression ${p.query.Id}: The expression must produce a time series`);
        }
      }
      return out;
    },
  };
}

/**
 * A metric query's default label is its metric name; when several queries read
 * the same metric, the statistic and/or period is added wherever they differ
 * among those queries ("CPUUtilization Average", "CPUUtilization Maximum 300").
 */
function defaultLabels(prepared: Prepared[]): Map<string, string> {
  const groups = new Map<string, Prepared[]>();
  for (const p of prepared) {
    const stat = p.query.MetricStat;
    if (!stat) continue;
    const key = JSON.stringify([stat.Metric.Namespace, stat.Metric.MetricName, sortDimensions(stat.Metric.Dimensions)]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(p);
  }
  const labels = new Map<string, string>();
  for (const group of groups.values()) {
    const stats = new Set(group.map((p) => p.query.MetricStat!.Stat));
    const periods = new Set(group.map((p) => p.query.MetricStat!.Period));
    for (const p of group) {
      const stat = p.query.MetricStat!;
      const parts = [stat.Metric.MetricName!];
      if (stats.size > 1) parts.push(stat.Stat);
      if (periods.size > 1) parts.push(String(stat.Period));
      labels.set(p.query.Id, parts.join(" "));
    }
  }
  return labels;
}

interface PageToken {
  offset: number;
  fingerprint: string;
}

function fingerprint(input: GetMetricDataInput): string {
  const basis = JSON.stringify([input.MetricDataQueries, input.StartTime.getTime(), input.EndTime.getTime(), input.ScanBy ?? ""]);
  return crypto().createHash("sha256").update(basis).digest("hex").slice(0, 16);
}

function readToken(token: string | undefined, print: string): number {
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as PageToken;
    if (parsed.fingerprint !== print || !Number.isInteger(parsed.offset) || parsed.offset < 0) throw new Error("mismatch");
    return parsed.offset;
  } catch {
    throw CwErrors.invalidNextToken();
  }
}

export function getMetricData(store: MetricStore, scope: Scope, input: GetMetricDataInput, now: number): GetMetricDataOutput {
  checkTimeRange(input.StartTime, input.EndTime, "data");
  const prepared = prepareQueries(input.MetricDataQueries);
  const maxDatapoints = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
  if (maxDatapoints < 1) throw CwErrors.invalidValue(maxDatapoints, "MaxDatapoints");
  const print = fingerprint(input);
  const offset = readToken(input.NextToken, print);
  const descending = (input.ScanBy ?? "TimestampDescending") === "TimestampDescending";
  const evaluation = evaluateQueries(store, scope, prepared, input.StartTime.getTime(), input.EndTime.getTime(), now);

  const results: MetricDataResult[] = [];
  let position = 0;
  const pageEnd = offset + maxDatapoints;
  for (const { id, label, series, messages } of evaluation.results()) {
    const points = [...series.points.entries()].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]));
    const from = Math.min(Math.max(offset - position, 0), points.length);
    const to = Math.min(Math.max(pageEnd - position, 0), points.length);
    const slice = points.slice(from, to);
    results.push({
      Id: id,
      Label: label,
      Timestamps: slice.map(([t]) => new Date(t)),
      Values: slice.map(([, v]) => v),
      StatusCode: to < points.length ? "PartialData" : "Complete",
      Messages: messages,
    });
    position += points.length;
  }
  const output: GetMetricDataOutput = { MetricDataResults: results, Messages: [] };
  if (position > pageEnd) output.NextToken = Buffer.from(JSON.stringify({ offset: pageEnd, fingerprint: print })).toString("base64");
  return output;
}
