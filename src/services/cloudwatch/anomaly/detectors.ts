/**
 * Anomaly detectors: PutAnomalyDetector, DescribeAnomalyDetectors,
 * DeleteAnomalyDetector. A detector names a metric and statistic (or a
 * metric math expression) and configures the model the metric's
 * ANOMALY_DETECTION_BAND learns (excluded time ranges, time zone; see
 * model.ts). Its state follows the data: PENDING_TRAINING without any in
 * the last two weeks, TRAINED_INSUFFICIENT_DATA with less than a day of it,
 * TRAINED after. An alarm on a metric's band creates the metric's detector,
 * as on AWS.
 */
import type { Cloud } from "../../../cloud.js";
import type {
  AnomalyDetector,
  AnomalyDetectorConfiguration,
  AnomalyDetectorStateValue,
  DeleteAnomalyDetectorInput,
  DescribeAnomalyDetectorsInput,
  DescribeAnomalyDetectorsOutput,
  Dimension,
  MetricDataQuery,
  PutAnomalyDetectorInput,
  SingleMetricAnomalyDetector,
} from "../../../generated/cloudwatch.js";
import { AwsError } from "../../../core/errors.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import { CwErrors } from "../errors.js";
import { prepareQueries } from "../get-metric-data.js";
import { sortDimensions, type MetricIdentity, type MetricStore } from "../metric-store.js";
import { readBins } from "../periods.js";
import { parseStatistic } from "../statistics.js";
import { knownTimezone } from "./model.js";

const DAY = 86_400_000;
const TWO_WEEKS = 14 * DAY;
const MAX_RESULTS = 100;

interface Stored {
  single?: SingleMetricAnomalyDetector;
  math?: MetricDataQuery[];
  configuration?: AnomalyDetectorConfiguration;
  metricCharacteristics?: PutAnomalyDetectorInput["MetricCharacteristics"];
}

export class AnomalyDetectors {
  constructor(
    private readonly cloud: Cloud,
    private readonly metrics: MetricStore,
  ) {
    metrics.anomalyConfig = (scope, metric, stat) => this.collection(scope).get(singleKey({ Namespace: metric.namespace, MetricName: metric.name, Dimensions: metric.dimensions, Stat: stat }))?.configuration;
  }

  private collection(scope: Scope): ScopedCollection<Stored> {
    return this.cloud.documents.collection<Stored>("cloudwatch", "anomaly-detectors").scope(scope);
  }

  put(scope: Scope, input: PutAnomalyDetectorInput): void {
    const target = this.target(scope, input);
    const configuration = checkConfiguration(input.Configuration);
    this.collection(scope).put(target.key, { ...target.stored, configuration, metricCharacteristics: input.MetricCharacteristics });
  }

  delete(scope: Scope, input: DeleteAnomalyDetectorInput): void {
    const target = this.target(scope, input);
    if (!this.collection(scope).delete(target.key)) {
      throw new AwsError("ResourceNotFoundException", "The specified anomaly detector does not exist.", { status: 404, fields: { ResourceType: "AnomalyDetector", ResourceId: target.key } });
    }
  }

  /** An alarm on the band of a metric: the metric gets a detector if it has none. */
  ensure(scope: Scope, metric: MetricIdentity, stat: string): void {
    const single: SingleMetricAnomalyDetector = { Namespace: metric.namespace, MetricName: metric.name, Dimensions: metric.dimensions, Stat: stat };
    const key = singleKey(single);
    if (!this.collection(scope).get(key)) this.collection(scope).put(key, { single, configuration: { ExcludedTimeRanges: [] } });
  }

  describe(scope: Scope, input: DescribeAnomalyDetectorsInput): DescribeAnomalyDetectorsOutput {
    const max = input.MaxResults ?? MAX_RESULTS;
    if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) throw CwErrors.invalidValue(max, "MaxResults");
    const types = input.AnomalyDetectorTypes ?? [];
    for (const type of types) if (type !== "SINGLE_METRIC" && type !== "METRIC_MATH") throw CwErrors.invalidValue(type, "AnomalyDetectorTypes");
    const wantDims = input.Dimensions ?? [];
    const now = this.cloud.clock.now();
    const all = this.collection(scope)
      .ids()
      .sort()
      .map((key) => ({ key, stored: this.collection(scope).get(key)! }))
      .filter(({ stored }) => {
        if (types.length && !types.includes(stored.math ? "METRIC_MATH" : "SINGLE_METRIC")) return false;
        const single = stored.single;
        if (input.Namespace !== undefined && single?.Namespace !== input.Namespace) return false;
        if (input.MetricName !== undefined && single?.MetricName !== input.MetricName) return false;
        return wantDims.every((d) => single?.Dimensions?.some((h) => h.Name === d.Name && h.Value === d.Value));
      });
    let start = 0;
    if (input.NextToken !== undefined) {
      start = all.findIndex(({ key }) => key > Buffer.from(input.NextToken!, "base64url").toString());
      if (!/^[A-Za-z0-9_-]+$/.test(input.NextToken) || start < 0) throw CwErrors.invalidNextToken();
    }
    const page = all.slice(start, start + max);
    const more = start + max < all.length;
    return {
      AnomalyDetectors: page.map(({ stored }) => this.view(scope, stored, now)),
      NextToken: more ? Buffer.from(page[page.length - 1].key).toString("base64url") : undefined,
    };
  }

  private view(scope: Scope, stored: Stored, now: number): AnomalyDetector {
    const base: AnomalyDetector = {
      Configuration: stored.configuration ?? { ExcludedTimeRanges: [] },
      MetricCharacteristics: stored.metricCharacteristics ?? { PeriodicSpikes: false },
      StateValue: this.state(scope, stored, now),
    };
    if (stored.math) return { ...base, MetricMathAnomalyDetector: { MetricDataQueries: stored.math } };
    const s = stored.single!;
    // The deprecated top-level fields are still answered, as AWS does.
    return { ...base, Namespace: s.Namespace, MetricName: s.MetricName, Dimensions: s.Dimensions, Stat: s.Stat, SingleMetricAnomalyDetector: s };
  }

  /** PENDING_TRAINING, TRAINED_INSUFFICIENT_DATA or TRAINED, from the data its metrics hold (the least trained of them). */
  private state(scope: Scope, stored: Stored, now: number): AnomalyDetectorStateValue {
    const metrics: MetricIdentity[] = stored.single
      ? [{ namespace: stored.single.Namespace!, name: stored.single.MetricName!, dimensions: sortDimensions(stored.single.Dimensions) }]
      : (stored.math ?? []).flatMap((q) => (q.MetricStat ? [{ namespace: q.MetricStat.Metric.Namespace!, name: q.MetricStat.Metric.MetricName!, dimensions: sortDimensions(q.MetricStat.Metric.Dimensions) }] : []));
    const rank: AnomalyDetectorStateValue[] = ["PENDING_TRAINING", "TRAINED_INSUFFICIENT_DATA", "TRAINED"];
    let least = 2;
    for (const metric of metrics) {
      const found = this.metrics.find(scope, metric);
      const hours = found ? [...readBins(this.metrics, found.id, Math.floor((now - TWO_WEEKS) / 3_600_000) * 3_600_000, now, 3600)].map((b) => b.ts) : [];
      least = Math.min(least, hours.length === 0 ? 0 : Math.max(...hours) - Math.min(...hours) < DAY ? 1 : 2);
    }
    return rank[metrics.length ? least : 0];
  }

  /** The detector a request names: its key and what is stored of its identity. */
  private target(scope: Scope, input: PutAnomalyDetectorInput | DeleteAnomalyDetectorInput): { key: string; stored: Stored } {
    const legacy = input.Namespace !== undefined || input.MetricName !== undefined || input.Stat !== undefined || input.Dimensions !== undefined;
    const forms = [legacy, input.SingleMetricAnomalyDetector !== undefined, input.MetricMathAnomalyDetector !== undefined].filter(Boolean).length;
    if (forms > 1) {
      throw CwErrors.invalidParameterCombination("Only one of the deprecated metric parameters, SingleMetricAnomalyDetector or MetricMathAnomalyDetector may be specified.");
    }
    if (input.MetricMathAnomalyDetector) {
      const queries = input.MetricMathAnomalyDetector.MetricDataQueries ?? [];
      prepareQueries(queries, "MetricMathAnomalyDetector.MetricDataQueries");
      if (queries.filter((q) => q.ReturnData !== false).length !== 1) {
        throw CwErrors.invalidParameterValue("MetricMathAnomalyDetector.MetricDataQueries must return exactly one time series (one query with ReturnData true).");
      }
      return { key: `math:${JSON.stringify(queries)}`, stored: { math: queries } };
    }
    const single: SingleMetricAnomalyDetector = input.SingleMetricAnomalyDetector ?? {
      Namespace: input.Namespace,
      MetricName: input.MetricName,
      Dimensions: input.Dimensions,
      Stat: input.Stat,
    };
    for (const [name, value] of [["Namespace", single.Namespace], ["MetricName", single.MetricName], ["Stat", single.Stat]] as const) {
      if (value === undefined || value === "") throw CwErrors.missingParameter(`The parameter ${name} is required.`);
    }
    if (!parseStatistic(single.Stat!)) throw CwErrors.invalidValue(single.Stat, "Stat");
    if (single.AccountId !== undefined && single.AccountId !== scope.account) {
      throw CwErrors.invalidParameterValue("Cross-account anomaly detectors are not supported by Stratus: AccountId must be your own account.");
    }
    const identity: SingleMetricAnomalyDetector = { Namespace: single.Namespace, MetricName: single.MetricName, Dimensions: sortDimensions(single.Dimensions) as Dimension[], Stat: single.Stat };
    return { key: singleKey(identity), stored: { single: identity } };
  }
}

function singleKey(s: SingleMetricAnomalyDetector): string {
  return `metric:${JSON.stringify([s.Namespace, s.MetricName, sortDimensions(s.Dimensions).map((d) => [d.Name, d.Value]), s.Stat])}`;
}

function checkConfiguration(config: AnomalyDetectorConfiguration | undefined): AnomalyDetectorConfiguration {
  const ranges = config?.ExcludedTimeRanges ?? [];
  for (const range of ranges) {
    if (!range.StartTime || !range.EndTime) throw CwErrors.missingParameter("The parameters StartTime and EndTime of an excluded time range are required.");
    if (new Date(range.StartTime).getTime() >= new Date(range.EndTime).getTime()) {
      throw CwErrors.invalidParameterValue("The StartTime of an excluded time range must be before its EndTime.");
    }
  }
  const zone = config?.MetricTimezone;
  if (zone !== undefined && !knownTimezone(zone)) throw CwErrors.invalidValue(zone, "MetricTimezone");
  return { ExcludedTimeRanges: ranges, ...(zone !== undefined ? { MetricTimezone: zone } : {}) };
}
