/**
 * PutMetricData's rules: a value, a values/counts array or a statistic set per
 * datum (never two), AWS's value range, at most 1000 datums of at most 150
 * values, storage resolution 1 or 60, timestamps from two weeks back to two
 * hours ahead, no AWS/ namespaces, a 1 MB request.
 */
import type { AwsError } from "../../core/errors.js";
import type { MetricDatum, PutMetricDataInput } from "../../generated/cloudwatch.js";
import type { CallContext } from "../types.js";
import { pairsOf, type Aggregate } from "./distribution.js";
import { CwErrors } from "./errors.js";
import { DAY, HOUR, MINUTE, SECOND, sortDimensions, type PointInput } from "./metric-store.js";

export const MAX_DATUMS = 1000;
export const MAX_VALUES = 150;
export const MAX_REQUEST_BYTES = 1024 * 1024;
const LIMIT = 2 ** 360;

export function checkRequestSize(ctx: CallContext, bodyLength: number | undefined): void {
  const declared = Number(ctx.request.headers["content-length"] ?? NaN);
  const size = Number.isFinite(declared) ? declared : bodyLength ?? 0;
  if (size > MAX_REQUEST_BYTES) throw CwErrors.requestTooLarge(size, MAX_REQUEST_BYTES);
}

/** Validates a PutMetricData request and turns it into storable points. */
export function pointsFromRequest(input: PutMetricDataInput, now: number): PointInput[] {
  const namespace = input.Namespace;
  if (/^AWS\//.test(namespace)) throw CwErrors.invalidValue(namespace, "Namespace");
  const datums: Array<[MetricDatum, string]> = [];
  (input.MetricData ?? []).forEach((d, i) => datums.push([d, `MetricData.member.${i + 1}`]));
  (input.EntityMetricData ?? []).forEach((entity, i) =>
    (entity.MetricData ?? []).forEach((d, j) => datums.push([d, `EntityMetricData.member.${i + 1}.MetricData.member.${j + 1}`])),
  );
  if (datums.length === 0) throw CwErrors.missingParameter("The parameter MetricData is required.");
  if (datums.length > MAX_DATUMS) throw CwErrors.collectionTooLarge("MetricData", MAX_DATUMS);
  const points: PointInput[] = [];
  const problems: string[] = [];
  for (const [datum, where] of datums) {
    try {
      const point = pointFromDatum(namespace, datum, where, now);
      if (point) points.push(point);
    } catch (error) {
      // AWS reports every bad value of a request at once, one per line.
      if ((error as AwsError).code !== "InvalidParameterValue") throw error;
      problems.push((error as AwsError).message);
    }
  }
  if (problems.length > 0) throw CwErrors.invalidParameterValue(problems.join("\n"));
  return points;
}

function pointFromDatum(namespace: string, datum: MetricDatum, where: string, now: number): PointInput | undefined {
  const dimensions = sortDimensions(datum.Dimensions);
  for (let i = 1; i < dimensions.length; i++) {
    if (dimensions[i].Name === dimensions[i - 1].Name) throw CwErrors.invalidValue(dimensions[i].Name, `${where}.Dimensions`);
  }
  const res = datum.StorageResolution ?? 60;
  if (res !== 1 && res !== 60) throw CwErrors.invalidValue(res, `${where}.StorageResolution`);
  const given = [
    datum.Value !== undefined && "Value",
    datum.StatisticValues !== undefined && "StatisticValues",
    datum.Values !== undefined && "Values",
  ].filter((x): x is string => Boolean(x));
  if (given.length > 1) throw CwErrors.mutuallyExclusive(`${where}.${given[0]}`, `${where}.${given[1]}`);
  if (datum.Counts !== undefined && datum.Values === undefined) {
    throw CwErrors.invalidParameterCombination(`The parameter ${where}.Counts must be accompanied by ${where}.Values.`);
  }
  const agg = aggregateOf(datum, where);
  const timestamp = datum.Timestamp ? datum.Timestamp.getTime() : now;
  if (timestamp < now - 14 * DAY) throw CwErrors.invalidParameterValue(`The parameter ${where}.Timestamp must specify a time within the past two weeks.`);
  if (timestamp > now + 2 * HOUR) throw CwErrors.invalidParameterValue(`The parameter ${where}.Timestamp must specify a time no more than two hours in the future.`);
  if (!agg) return undefined;
  const grain = res === 1 ? SECOND : MINUTE;
  return {
    metric: { namespace, name: datum.MetricName, dimensions },
    ts: Math.floor(timestamp / grain) * grain,
    res,
    unit: datum.Unit ?? "None",
    agg,
  };
}

function checkValue(value: number, parameter: string): number {
  if (!Number.isFinite(value) || Math.abs(value) > LIMIT || (value !== 0 && Math.abs(value) < 1 / LIMIT)) {
    throw CwErrors.invalidValue(value, parameter);
  }
  return value;
}

/** undefined when the datum carries no samples (all counts zero). */
function aggregateOf(datum: MetricDatum, where: string): Aggregate | undefined {
  if (datum.Value !== undefined) {
    const value = checkValue(datum.Value, `${where}.Value`);
    return { n: 1, sum: value, min: value, max: value, pairs: [[value, 1]] };
  }
  if (datum.StatisticValues) {
    const s = datum.StatisticValues;
    checkValue(s.Sum, `${where}.StatisticValues.Sum`);
    checkValue(s.Minimum, `${where}.StatisticValues.Minimum`);
    checkValue(s.Maximum, `${where}.StatisticValues.Maximum`);
    if (!(s.SampleCount > 0) || !Number.isFinite(s.SampleCount)) throw CwErrors.invalidValue(s.SampleCount, `${where}.StatisticValues.SampleCount`);
    if (s.Minimum > s.Maximum) throw CwErrors.invalidValue(s.Maximum, `${where}.StatisticValues.Maximum`);
    // Percentiles are known only when the set is really one repeated value.
    const single = s.Minimum === s.Maximum && Math.abs(s.Sum - s.Minimum * s.SampleCount) <= 1e-9 * Math.max(1, Math.abs(s.Sum));
    return { n: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum, pairs: single ? [[s.Minimum, s.SampleCount]] : undefined };
  }
  if (datum.Values !== undefined) {
    const values = datum.Values;
    if (values.length > MAX_VALUES) throw CwErrors.collectionTooLarge(`${where}.Values`, MAX_VALUES);
    const counts = datum.Counts;
    if (counts && counts.length !== values.length) {
      throw CwErrors.invalidParameterValue(`The parameters ${where}.Values and ${where}.Counts must be of the same size.`);
    }
    values.forEach((v, i) => checkValue(v, `${where}.Values.member.${i + 1}`));
    counts?.forEach((c, i) => {
      if (!Number.isFinite(c) || c < 0) throw CwErrors.invalidValue(c, `${where}.Counts.member.${i + 1}`);
    });
    let n = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    values.forEach((v, i) => {
      const c = counts ? counts[i] : 1;
      if (c <= 0) return;
      n += c;
      sum += v * c;
      if (v < min) min = v;
      if (v > max) max = v;
    });
    if (n === 0) return undefined;
    return { n, sum, min, max, pairs: pairsOf(values, counts) };
  }
  throw CwErrors.missingParameter(`At least one of the parameters ${where}.Value, ${where}.StatisticValues or ${where}.Values must be specified.`);
}
