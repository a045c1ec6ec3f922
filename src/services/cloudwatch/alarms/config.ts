/**
 * PutMetricAlarm's rules: a single-metric alarm (namespace, name, dimensions,
 * Statistic or ExtendedStatistic, period 10/20/30 or a multiple of 60) or a
 * metric-math alarm (Metrics, exactly one returning data), evaluation limits
 * (one day below hourly periods, seven days otherwise), M ≤ N, known
 * missing-data treatment, band operators only with ThresholdMetricId, and
 * action ARNs CloudWatch can invoke.
 */
import { AwsError } from "../../../core/errors.js";
import type { MetricAlarm, MetricDataQuery, PutMetricAlarmInput } from "../../../generated/cloudwatch.js";
import { CwErrors } from "../errors.js";
import { prepareQueries } from "../get-metric-data.js";
import { DAY, sortDimensions } from "../metric-store.js";
import { parseStatistic } from "../statistics.js";

export const TREATMENTS = ["breaching", "notBreaching", "ignore", "missing"];
export const BAND_OPERATORS = ["LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"];
export const MAX_ALARMS = 5000;

/** An EC2 action: arn:aws:automate:REGION:ec2:stop|terminate|reboot|recover, or the older swf form. */
export function ec2ActionOf(action: string): { region: string; verb: "stop" | "terminate" | "reboot" | "recover" } | undefined {
  const automate = /^arn:aws[a-z-]*:automate:([a-z0-9-]+):ec2:(stop|terminate|reboot|recover)$/.exec(action);
  if (automate) return { region: automate[1], verb: automate[2] as "stop" };
  const swf = /^arn:aws[a-z-]*:swf:([a-z0-9-]+):\d{12}:action\/actions\/AWS_EC2\.InstanceId\.(Stop|Terminate|Reboot)\/1\.0$/.exec(action);
  if (swf) return { region: swf[1], verb: swf[2].toLowerCase() as "stop" };
  return undefined;
}

const OTHER_ACTIONS = [
  /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/,
  /^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:\d{12}:scalingPolicy:.+$/,
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:.+$/,
  /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:(opsitem|incident).*$/,
  /^arn:aws[a-z-]*:ssm-incidents::\d{12}:response-plan\/.+$/,
];

function checkActions(input: PutMetricAlarmInput, region: string, math: boolean): void {
  for (const field of ["AlarmActions", "OKActions", "InsufficientDataActions"] as const) {
    for (const action of input[field] ?? []) {
      const ec2 = ec2ActionOf(action);
      if (ec2) {
        if (ec2.region !== region) throw CwErrors.validation(`Invalid region ${ec2.region} specified. Only ${region} is supported.`);
        if (math) throw CwErrors.validation("EC2 actions are not supported for alarms based on metric math expressions.");
        if (!(input.Dimensions ?? []).some((d) => d.Name === "InstanceId")) {
          throw CwErrors.validation(`The EC2 action ${action} requires the alarm's metric to have an InstanceId dimension.`);
        }
        continue;
      }
      if (!OTHER_ACTIONS.some((re) => re.test(action))) throw CwErrors.validation(`Invalid arn syntax: ${action}`);
    }
  }
}

function checkPeriod(period: number, parameter: string): void {
  if (!([10, 20, 30].includes(period) || (period >= 60 && period % 60 === 0))) {
    throw CwErrors.validation(`The value ${period} for parameter ${parameter} is invalid. Valid values are 10, 20, 30, and any multiple of 60.`);
  }
}

function checkRange(period: number, evaluationPeriods: number): void {
  const total = period * evaluationPeriods;
  if (period < 3600 && total > DAY / 1000) {
    throw CwErrors.validation("Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).");
  }
  if (total > (7 * DAY) / 1000) {
    throw CwErrors.validation("Metrics cannot be checked across more than 7 days (EvaluationPeriods * Period must be <= 604800).");
  }
}

/** The alarm's period: its own, or that of the metrics in its math expression (all alike). */
export function alarmPeriod(alarm: Pick<MetricAlarm, "Period" | "Metrics">): number {
  if (alarm.Period) return alarm.Period;
  const periods = (alarm.Metrics ?? []).map((q) => q.MetricStat?.Period ?? q.Period).filter((p): p is number => p !== undefined);
  return periods.length > 0 ? Math.max(...periods) : 60;
}

/** Validates the input and returns the alarm's configuration (state fields are the caller's). */
export function alarmFromInput(input: PutMetricAlarmInput, region: string): MetricAlarm {
  if (input.EvaluationCriteria !== undefined) {
    throw new AwsError("NotImplemented", "PromQL alarms (EvaluationCriteria) are not implemented in Stratus", { status: 501 });
  }
  const math = input.Metrics !== undefined;
  if (input.EvaluationPeriods === undefined) throw CwErrors.missingParameter("The parameter EvaluationPeriods is required.");
  if (input.ComparisonOperator === undefined) throw CwErrors.missingParameter("The parameter ComparisonOperator is required.");
  const band = BAND_OPERATORS.includes(input.ComparisonOperator);
  if (band && !input.ThresholdMetricId) {
    throw CwErrors.validation(`ComparisonOperator ${input.ComparisonOperator} requires ThresholdMetricId to name an anomaly detection band.`);
  }
  if (!band && input.ThresholdMetricId) throw CwErrors.validation(`ThresholdMetricId can only be used with an anomaly detection band operator.`);
  if (!band && input.Threshold === undefined) throw CwErrors.missingParameter("The parameter Threshold is required.");
  if (input.TreatMissingData !== undefined && !TREATMENTS.includes(input.TreatMissingData)) {
    throw CwErrors.validation(`The value ${input.TreatMissingData} for parameter TreatMissingData is invalid. Valid values are ${TREATMENTS.join(", ")}.`);
  }
  const m = input.DatapointsToAlarm ?? input.EvaluationPeriods;
  if (m > input.EvaluationPeriods) {
    throw CwErrors.validation("DatapointsToAlarm must be less than or equal to EvaluationPeriods.");
  }
  if (input.EvaluateLowSampleCountPercentile !== undefined && !["evaluate", "ignore"].includes(input.EvaluateLowSampleCountPercentile)) {
    throw CwErrors.validation("EvaluateLowSampleCountPercentile must be evaluate or ignore.");
  }
  let period: number;
  if (math) {
    for (const field of ["MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Dimensions", "Unit"] as const) {
      if (input[field] !== undefined) throw CwErrors.mutuallyExclusive("Metrics", field);
    }
    checkMathQueries(input.Metrics!, input.ThresholdMetricId);
    period = alarmPeriod({ Metrics: input.Metrics });
  } else {
    if (!input.MetricName || !input.Namespace) throw CwErrors.validation("Either MetricName and Namespace, or Metrics, must be specified.");
    if (input.Statistic !== undefined && input.ExtendedStatistic !== undefined) throw CwErrors.mutuallyExclusive("Statistic", "ExtendedStatistic");
    if (input.Statistic === undefined && input.ExtendedStatistic === undefined) {
      throw CwErrors.missingParameter("One of the parameters Statistic or ExtendedStatistic must be specified.");
    }
    if (input.ExtendedStatistic !== undefined) {
      const stat = parseStatistic(input.ExtendedStatistic);
      if (!stat || stat.kind === "basic") throw CwErrors.invalidValue(input.ExtendedStatistic, "ExtendedStatistic");
    }
    if (input.Period === undefined) throw CwErrors.missingParameter("The parameter Period is required.");
    checkPeriod(input.Period, "Period");
    period = input.Period;
  }
  checkRange(period, input.EvaluationPeriods);
  checkActions(input, region, math);
  const alarm: MetricAlarm = {
    AlarmName: input.AlarmName,
    AlarmDescription: input.AlarmDescription,
    ActionsEnabled: input.ActionsEnabled ?? true,
    OKActions: input.OKActions ?? [],
    AlarmActions: input.AlarmActions ?? [],
    InsufficientDataActions: input.InsufficientDataActions ?? [],
    EvaluationPeriods: input.EvaluationPeriods,
    DatapointsToAlarm: input.DatapointsToAlarm,
    Threshold: input.Threshold,
    ThresholdMetricId: input.ThresholdMetricId,
    ComparisonOperator: input.ComparisonOperator,
    TreatMissingData: input.TreatMissingData,
    EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile,
  };
  if (math) alarm.Metrics = input.Metrics;
  else {
    alarm.Namespace = input.Namespace;
    alarm.MetricName = input.MetricName;
    alarm.Dimensions = sortDimensions(input.Dimensions);
    alarm.Statistic = input.Statistic;
    alarm.ExtendedStatistic = input.ExtendedStatistic;
    alarm.Period = input.Period;
    alarm.Unit = input.Unit;
  }
  return alarm;
}

function checkMathQueries(queries: MetricDataQuery[], thresholdId: string | undefined): void {
  const prepared = prepareQueries(queries, "Metrics");
  const stats = prepared.filter((p) => p.query.MetricStat);
  if (stats.length > 10) throw CwErrors.validation("An alarm's math expression can include at most 10 metrics.");
  const periods = new Set(stats.map((p) => p.query.MetricStat!.Period));
  if (periods.size > 1) throw CwErrors.validation("All metrics in the Metrics list of an alarm must have the same period.");
  for (const p of stats) checkPeriod(p.query.MetricStat!.Period, `${p.where}.MetricStat.Period`);
  const returning = prepared.filter((p) => p.query.ReturnData !== false && p.query.Id !== thresholdId);
  if (returning.length !== 1) throw CwErrors.validation("Exactly one element of the metrics list should return data.");
  if (thresholdId !== undefined && !prepared.some((p) => p.query.Id === thresholdId)) {
    throw CwErrors.validation(`ThresholdMetricId ${thresholdId} does not name a query in Metrics.`);
  }
}
