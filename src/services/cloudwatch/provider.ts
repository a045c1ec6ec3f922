/**
 * CloudWatch: the metric store (PutMetricData, GetMetricStatistics,
 * GetMetricData, ListMetrics, and the metricSink other services publish
 * built-in metrics through), retention and roll-up on the clock, dashboards,
 * metric alarms evaluated on the clock, alarm mute rules, and tags.
 */
import type { Cloud } from "../../cloud.js";
import type {
  CloudWatchOperations,
  DeleteAlarmMuteRuleInput,
  DeleteAlarmsInput,
  DeleteAnomalyDetectorInput,
  DescribeAnomalyDetectorsInput,
  DescribeAnomalyDetectorsOutput,
  PutAnomalyDetectorInput,
  DeleteDashboardsInput,
  DeleteDashboardsOutput,
  DescribeAlarmHistoryInput,
  DescribeAlarmHistoryOutput,
  DescribeAlarmsForMetricInput,
  DescribeAlarmsForMetricOutput,
  DescribeAlarmsInput,
  DescribeAlarmsOutput,
  DisableAlarmActionsInput,
  EnableAlarmActionsInput,
  GetAlarmMuteRuleInput,
  GetAlarmMuteRuleOutput,
  GetDashboardInput,
  GetDashboardOutput,
  GetMetricDataInput,
  GetMetricDataOutput,
  GetMetricStatisticsInput,
  GetMetricStatisticsOutput,
  GetMetricWidgetImageInput,
  GetMetricWidgetImageOutput,
  ListAlarmMuteRulesInput,
  ListAlarmMuteRulesOutput,
  ListDashboardsInput,
  ListDashboardsOutput,
  ListMetricsInput,
  ListMetricsOutput,
  ListTagsForResourceInput,
  ListTagsForResourceOutput,
  PutDashboardInput,
  PutDashboardOutput,
  PutAlarmMuteRuleInput,
  PutCompositeAlarmInput,
  PutMetricAlarmInput,
  PutMetricDataInput,
  SetAlarmStateInput,
  TagResourceInput,
  TagResourceOutput,
  UntagResourceInput,
  UntagResourceOutput,
} from "../../generated/cloudwatch.js";
import type { Scope } from "../../state/documents.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { Alarms } from "./alarms/alarms.js";
import { AnomalyDetectors } from "./anomaly/detectors.js";
import { Dashboards } from "./dashboards.js";
import { getMetricData } from "./get-metric-data.js";
import { getMetricStatistics } from "./get-metric-statistics.js";
import { listMetrics } from "./list-metrics.js";
import { HOUR, MetricStore, MINUTE, sortDimensions, type PointInput } from "./metric-store.js";
import type { BuiltInDatum, MetricSink } from "./publish.js";
import { checkRequestSize, pointsFromRequest } from "./put-metric-data.js";
import { Tags } from "./tags.js";
import { metricWidgetImage } from "./widget-image.js";

type Implemented = Pick<
  CloudWatchOperations,
  | "PutMetricData"
  | "GetMetricStatistics"
  | "GetMetricData"
  | "GetMetricWidgetImage"
  | "ListMetrics"
  | "PutDashboard"
  | "GetDashboard"
  | "ListDashboards"
  | "DeleteDashboards"
  | "PutMetricAlarm"
  | "PutCompositeAlarm"
  | "DescribeAlarms"
  | "DescribeAlarmsForMetric"
  | "DeleteAlarms"
  | "SetAlarmState"
  | "DescribeAlarmHistory"
  | "EnableAlarmActions"
  | "DisableAlarmActions"
  | "TagResource"
  | "UntagResource"
  | "ListTagsForResource"
  | "PutAnomalyDetector"
  | "DescribeAnomalyDetectors"
  | "DeleteAnomalyDetector"
  | "PutAlarmMuteRule"
  | "GetAlarmMuteRule"
  | "ListAlarmMuteRules"
  | "DeleteAlarmMuteRule"
>;

export const RETENTION_JOB = "cloudwatch.retention";
const RETENTION_KEY = "cloudwatch:retention";

function scopeOf(ctx: CallContext): Scope {
  return { account: ctx.account, region: ctx.region };
}

export class CloudWatchProvider implements ServiceProvider, MetricSink, Implemented {
  readonly metrics: MetricStore;
  readonly dashboards: Dashboards;
  readonly alarms: Alarms;
  readonly detectors: AnomalyDetectors;
  private readonly tags: Tags;

  constructor(readonly cloud: Cloud) {
    this.metrics = new MetricStore(cloud);
    this.dashboards = new Dashboards(cloud);
    this.alarms = new Alarms(cloud, this.metrics);
    this.detectors = new AnomalyDetectors(cloud, this.metrics);
    this.tags = new Tags(this.alarms, this.dashboards, this.alarms.muteRules);
  }

  onStart(): void {
    this.alarms.onStart();
    this.cloud.scheduler.on(RETENTION_JOB, () => this.retention());
    this.metrics.onData(() => this.ensureRetention());
    this.alarms.store.onHistory = () => this.ensureRetention();
    if (this.metrics.hasData() || this.alarms.store.hasHistory()) this.ensureRetention();
  }

  onReset(): void {
    this.metrics.clearCache();
    this.alarms.onReset();
  }

  /**
   * Retention and roll-up run hourly on the clock while anything is stored;
   * with nothing stored there is no job, so an idle Stratus schedules nothing.
   */
  private ensureRetention(): void {
    if (this.cloud.scheduler.get(RETENTION_KEY)) return;
    const next = (Math.floor(this.cloud.clock.now() / HOUR) + 1) * HOUR + MINUTE;
    this.cloud.scheduler.schedule({ kind: RETENTION_JOB, due: next, key: RETENTION_KEY });
  }

  private retention(): void {
    const now = this.cloud.clock.now();
    this.metrics.rollup(now);
    this.alarms.store.pruneHistory(now);
    if (this.metrics.hasData() || this.alarms.store.hasHistory()) this.ensureRetention();
  }

  /** Built-in metrics from other services (AWS/EC2, AWS/EBS, AWS/S3), stored in one batch. */
  publish(scope: Scope, data: BuiltInDatum[]): void {
    const points: PointInput[] = [];
    for (const d of data) {
      if (!Number.isFinite(d.value)) continue;
      points.push({
        metric: { namespace: d.namespace, name: d.metricName, dimensions: sortDimensions(d.dimensions) },
        ts: Math.floor(d.timestamp.getTime() / MINUTE) * MINUTE,
        res: 60,
        unit: d.unit ?? "None",
        agg: { n: 1, sum: d.value, min: d.value, max: d.value, pairs: [[d.value, 1]] },
      });
    }
    this.metrics.insert(scope, points, this.cloud.clock.now());
  }

  async PutMetricData(input: PutMetricDataInput, ctx: CallContext): Promise<void> {
    checkRequestSize(ctx, (await ctx.request.readBody()).length);
    const now = this.cloud.clock.now();
    this.metrics.insert(scopeOf(ctx), pointsFromRequest(input, now), now);
  }

  GetMetricStatistics(input: GetMetricStatisticsInput, ctx: CallContext): GetMetricStatisticsOutput {
    return getMetricStatistics(this.metrics, scopeOf(ctx), input, this.cloud.clock.now());
  }

  GetMetricData(input: GetMetricDataInput, ctx: CallContext): GetMetricDataOutput {
    return getMetricData(this.metrics, scopeOf(ctx), input, this.cloud.clock.now());
  }

  GetMetricWidgetImage(input: GetMetricWidgetImageInput, ctx: CallContext): GetMetricWidgetImageOutput {
    return metricWidgetImage(this.metrics, scopeOf(ctx), input, this.cloud.clock.now());
  }

  ListMetrics(input: ListMetricsInput, ctx: CallContext): ListMetricsOutput {
    return listMetrics(this.metrics, scopeOf(ctx), input, this.cloud.clock.now());
  }

  PutDashboard(input: PutDashboardInput, ctx: CallContext): PutDashboardOutput {
    return this.dashboards.put(ctx.account, input);
  }

  GetDashboard(input: GetDashboardInput, ctx: CallContext): GetDashboardOutput {
    return this.dashboards.get(ctx.account, input);
  }

  ListDashboards(input: ListDashboardsInput, ctx: CallContext): ListDashboardsOutput {
    return this.dashboards.list(ctx.account, input);
  }

  DeleteDashboards(input: DeleteDashboardsInput, ctx: CallContext): DeleteDashboardsOutput {
    return this.dashboards.delete(ctx.account, input);
  }

  PutMetricAlarm(input: PutMetricAlarmInput, ctx: CallContext): void {
    this.alarms.put(scopeOf(ctx), input);
    // An alarm on a metric's anomaly detection band gets the metric a detector, as on AWS.
    const band = input.Metrics?.find((q) => q.Id === input.ThresholdMetricId)?.Expression;
    const ref = band && /ANOMALY_DETECTION_BAND\(\s*([a-z][a-zA-Z0-9_]*)/.exec(band)?.[1];
    const stat = ref ? input.Metrics?.find((q) => q.Id === ref)?.MetricStat : undefined;
    if (stat) {
      this.detectors.ensure(scopeOf(ctx), { namespace: stat.Metric.Namespace!, name: stat.Metric.MetricName!, dimensions: sortDimensions(stat.Metric.Dimensions) }, stat.Stat);
    }
  }

  PutAnomalyDetector(input: PutAnomalyDetectorInput, ctx: CallContext): Record<string, never> {
    this.detectors.put(scopeOf(ctx), input);
    return {};
  }

  DescribeAnomalyDetectors(input: DescribeAnomalyDetectorsInput, ctx: CallContext): DescribeAnomalyDetectorsOutput {
    return this.detectors.describe(scopeOf(ctx), input);
  }

  DeleteAnomalyDetector(input: DeleteAnomalyDetectorInput, ctx: CallContext): Record<string, never> {
    this.detectors.delete(scopeOf(ctx), input);
    return {};
  }

  PutCompositeAlarm(input: PutCompositeAlarmInput, ctx: CallContext): Promise<void> {
    return this.alarms.putComposite(scopeOf(ctx), input);
  }

  DescribeAlarms(input: DescribeAlarmsInput, ctx: CallContext): DescribeAlarmsOutput {
    return this.alarms.describe(scopeOf(ctx), input);
  }

  DescribeAlarmsForMetric(input: DescribeAlarmsForMetricInput, ctx: CallContext): DescribeAlarmsForMetricOutput {
    return this.alarms.describeForMetric(scopeOf(ctx), input);
  }

  DeleteAlarms(input: DeleteAlarmsInput, ctx: CallContext): void {
    this.alarms.delete(scopeOf(ctx), input);
  }

  SetAlarmState(input: SetAlarmStateInput, ctx: CallContext): Promise<void> {
    return this.alarms.setState(scopeOf(ctx), input);
  }

  DescribeAlarmHistory(input: DescribeAlarmHistoryInput, ctx: CallContext): DescribeAlarmHistoryOutput {
    return this.alarms.history(scopeOf(ctx), input);
  }

  EnableAlarmActions(input: EnableAlarmActionsInput, ctx: CallContext): void {
    this.alarms.setActionsEnabled(scopeOf(ctx), input, true);
  }

  DisableAlarmActions(input: DisableAlarmActionsInput, ctx: CallContext): void {
    this.alarms.setActionsEnabled(scopeOf(ctx), input, false);
  }

  PutAlarmMuteRule(input: PutAlarmMuteRuleInput, ctx: CallContext): Promise<void> {
    return this.alarms.muteRules.put(scopeOf(ctx), input);
  }

  GetAlarmMuteRule(input: GetAlarmMuteRuleInput, ctx: CallContext): GetAlarmMuteRuleOutput {
    return this.alarms.muteRules.get(scopeOf(ctx), input);
  }

  ListAlarmMuteRules(input: ListAlarmMuteRulesInput, ctx: CallContext): ListAlarmMuteRulesOutput {
    return this.alarms.muteRules.list(scopeOf(ctx), input);
  }

  DeleteAlarmMuteRule(input: DeleteAlarmMuteRuleInput, ctx: CallContext): Promise<void> {
    return this.alarms.muteRules.delete(scopeOf(ctx), input);
  }

  TagResource(input: TagResourceInput, ctx: CallContext): TagResourceOutput {
    return this.tags.tag(scopeOf(ctx), input);
  }

  UntagResource(input: UntagResourceInput, ctx: CallContext): UntagResourceOutput {
    return this.tags.untag(scopeOf(ctx), input);
  }

  ListTagsForResource(input: ListTagsForResourceInput, ctx: CallContext): ListTagsForResourceOutput {
    return this.tags.list(scopeOf(ctx), input);
  }
}
