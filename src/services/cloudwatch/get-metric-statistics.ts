/**
 * GetMetricStatistics: one metric (exact dimension set), one period, basic or
 * extended statistics, at most 1,440 datapoints, a datapoint per bin and unit.
 */
import type { Datapoint, GetMetricStatisticsInput, GetMetricStatisticsOutput, StandardUnit } from "../../generated/cloudwatch.js";
import type { Scope } from "../../state/documents.js";
import { CwErrors } from "./errors.js";
import { sortDimensions, type MetricStore } from "./metric-store.js";
import { datapointCount, periodServesAge, readBins, roundStart, validPeriod } from "./periods.js";
import { basic, computeStatistic, parseStatistic, type Statistic } from "./statistics.js";

export const MAX_DATAPOINTS = 1440;

/**
 * GetMetricStatistics answers a bad range with InvalidParameterValue; GetMetricData
 * answers the same words as a ValidationError, its message ending in a newline.
 */
export function checkTimeRange(start: Date, end: Date, style: "statistics" | "data" = "statistics"): void {
  let problem: string | undefined;
  if (start.getTime() === end.getTime()) problem = "The parameter StartTime must not equal parameter EndTime.";
  else if (start.getTime() > end.getTime()) problem = "The parameter StartTime must be less than the parameter EndTime.";
  if (problem === undefined) return;
  throw style === "data" ? CwErrors.validation(`${problem}\n`) : CwErrors.invalidParameterValue(problem);
}

export function getMetricStatistics(store: MetricStore, scope: Scope, input: GetMetricStatisticsInput, now: number): GetMetricStatisticsOutput {
  checkTimeRange(input.StartTime, input.EndTime);
  const statistics = input.Statistics ?? [];
  const extended = input.ExtendedStatistics ?? [];
  if (statistics.length === 0 && extended.length === 0) {
    throw CwErrors.missingParameter("Must specify either Statistics or ExtendedStatistics");
  }
  if (statistics.length > 0 && extended.length > 0) throw CwErrors.mutuallyExclusive("Statistics", "ExtendedStatistics");
  const parsed: Statistic[] = extended.map((name, i) => {
    const stat = parseStatistic(name);
    if (!stat || stat.kind === "basic") throw CwErrors.invalidValue(name, `ExtendedStatistics.member.${i + 1}`);
    return stat;
  });
  if (!validPeriod(input.Period)) {
    throw CwErrors.invalidParameterValue("The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.");
  }
  const start = roundStart(input.StartTime.getTime(), now, input.Period);
  const end = input.EndTime.getTime();
  const count = datapointCount(start, end, input.Period);
  if (count > MAX_DATAPOINTS) {
    throw CwErrors.invalidParameterCombination(
      `You have requested up to ${count} datapoints, which exceeds the limit of ${MAX_DATAPOINTS}. ` +
        "You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
    );
  }
  const output: GetMetricStatisticsOutput = { Label: input.MetricName, Datapoints: [] };
  const metric = store.find(scope, { namespace: input.Namespace, name: input.MetricName, dimensions: sortDimensions(input.Dimensions) });
  if (!metric || !periodServesAge(start, now, input.Period)) return output;
  for (const bin of readBins(store, metric.id, start, end, input.Period, { unit: input.Unit, splitUnits: true })) {
    const point: Datapoint = { Timestamp: new Date(bin.ts), Unit: bin.unit as StandardUnit };
    for (const name of statistics) point[name] = basic(name, bin.agg);
    if (parsed.length > 0) {
      const values: Record<string, number> = {};
      for (const stat of parsed) {
        const value = computeStatistic(stat, bin.agg);
        if (value !== undefined) values[stat.name] = value;
      }
      // Percentiles need raw values; a bin of statistic sets has none to offer.
      if (Object.keys(values).length === 0) continue;
      point.ExtendedStatistics = values;
    }
    output.Datapoints!.push(point);
  }
  return output;
}
