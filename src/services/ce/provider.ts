/**
 * Cost Explorer over the usage ledger (ledger.ts), which the services fill
 * from what really ran and was stored: GetCostAndUsage (and WithResources),
 * GetDimensionValues, GetTags, GetCostForecast, GetUsageForecast, and the
 * cost allocation tags (allocation-tags.ts). There
 * are no reservations, savings plans or credits, so every cost metric
 * (UnblendedCost, BlendedCost, AmortizedCost, the Net ones) is the same
 * amount. Anomaly detection, cost categories and recommendations answer
 * NotImplemented.
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import type {
  CostExplorerOperations,
  Expression,
  GetCostAndUsageRequest,
  GetCostAndUsageResponse,
  GetCostAndUsageWithResourcesRequest,
  GetCostForecastRequest,
  GetCostForecastResponse,
  GetDimensionValuesRequest,
  GetDimensionValuesResponse,
  GetTagsRequest,
  GetTagsResponse,
  GetUsageForecastRequest,
  GetUsageForecastResponse,
  Group,
  GroupDefinition,
  ListCostAllocationTagsRequest,
  ListCostAllocationTagsResponse,
  MetricValue,
  ResultByTime,
  UpdateCostAllocationTagsStatusRequest,
  UpdateCostAllocationTagsStatusResponse,
} from "../../generated/ce.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { AllocationTags } from "./allocation-tags.js";
import { BillingMetrics } from "./billing-metrics.js";
import { checkExpression, DIMENSIONS, dimensionValue, GROUPABLE, matches, normalizationFactor } from "./expression.js";
import { forecast } from "./forecast.js";
import { usageLedger, type UsageLedger, type UsageRow } from "./ledger.js";
import { formatWindow, monthStart, paginate, parsePeriod, splitPeriod, validation, type Window } from "./periods.js";

type Implemented = Pick<
  CostExplorerOperations,
  | "GetCostAndUsage"
  | "GetCostAndUsageWithResources"
  | "GetDimensionValues"
  | "GetTags"
  | "GetCostForecast"
  | "GetUsageForecast"
  | "ListCostAllocationTags"
  | "UpdateCostAllocationTagsStatus"
>;

const COST_METRICS = ["AmortizedCost", "BlendedCost", "NetAmortizedCost", "NetUnblendedCost", "UnblendedCost"];
const METRICS = [...COST_METRICS, "NormalizedUsageAmount", "UsageQuantity"];

/** Metric names are matched as Cost Explorer does: any case, with or without underscores. */
function canonicalMetric(name: string): string | undefined {
  const folded = name.replace(/_/g, "").toLowerCase();
  return METRICS.find((m) => m.toLowerCase() === folded);
}

/** Amounts as Cost Explorer writes them: decimal strings, up to ten places. */
export function amount(value: number): string {
  if (Math.abs(value) < 5e-11) return "0";
  return value.toFixed(10).replace(/\.?0+$/, "");
}

interface Totals {
  cost: number;
  quantity: number;
  normalized: number;
  units: Set<string>;
}

function emptyTotals(): Totals {
  return { cost: 0, quantity: 0, normalized: 0, units: new Set() };
}

function add(totals: Totals, row: UsageRow): void {
  totals.cost += row.cost;
  totals.quantity += row.quantity;
  totals.normalized += row.quantity * (row.unit === "Hrs" ? normalizationFactor(row.instanceType) : 0);
  totals.units.add(row.unit);
}

function metricValues(totals: Totals, metrics: Array<{ asked: string; metric: string }>): Record<string, MetricValue> {
  const out: Record<string, MetricValue> = {};
  for (const { asked, metric } of metrics) {
    if (metric === "UsageQuantity") out[asked] = { Amount: amount(totals.quantity), Unit: totals.units.size === 1 ? [...totals.units][0] : "N/A" };
    else if (metric === "NormalizedUsageAmount") out[asked] = { Amount: amount(totals.normalized), Unit: "N/A" };
    else out[asked] = { Amount: amount(totals.cost), Unit: "USD" };
  }
  return out;
}

export class CostExplorerProvider implements ServiceProvider, Implemented {
  readonly ledger: UsageLedger;
  private readonly billingMetrics: BillingMetrics;
  private readonly allocationTags: AllocationTags;

  constructor(readonly cloud: Cloud) {
    this.ledger = usageLedger(cloud);
    this.billingMetrics = new BillingMetrics(cloud, this.ledger);
    this.allocationTags = new AllocationTags(cloud, this.ledger);
  }

  ListCostAllocationTags(input: ListCostAllocationTagsRequest, ctx: CallContext): ListCostAllocationTagsResponse {
    return this.allocationTags.list(input, ctx.account);
  }

  UpdateCostAllocationTagsStatus(input: UpdateCostAllocationTagsStatusRequest, ctx: CallContext): UpdateCostAllocationTagsStatusResponse {
    return this.allocationTags.update(input, ctx.account);
  }

  onStart(): void {
    this.billingMetrics.onStart();
  }

  GetCostAndUsage(input: GetCostAndUsageRequest, ctx: CallContext): GetCostAndUsageResponse {
    return this.costAndUsage(input, ctx, false);
  }

  GetCostAndUsageWithResources(input: GetCostAndUsageWithResourcesRequest, ctx: CallContext): GetCostAndUsageResponse {
    return this.costAndUsage({ ...input, Metrics: input.Metrics?.length ? input.Metrics : ["UnblendedCost"] }, ctx, true);
  }

  private costAndUsage(input: GetCostAndUsageRequest, ctx: CallContext, resources: boolean): GetCostAndUsageResponse {
    if (input.NextPageToken !== undefined) throw new AwsError("InvalidNextTokenException", "The next page token is invalid.", { status: 400 });
    const period = parsePeriod(input.TimePeriod);
    if (!input.Metrics?.length) throw validation("Metrics must not be empty");
    const metrics = input.Metrics.map((asked) => {
      const metric = canonicalMetric(asked);
      if (!metric) throw validation(`Invalid metric name: ${asked}. Valid values are ${METRICS.join(", ")}`);
      return { asked, metric };
    });
    const groups = input.GroupBy ?? [];
    this.checkGroups(groups, resources);
    if (input.Filter) checkExpression(input.Filter, resources);
    const rows = this.rows(ctx, period, input.Filter, input.Granularity !== "HOURLY");
    const now = this.cloud.clock.now();
    const results: ResultByTime[] = splitPeriod(period, input.Granularity).map((window) => {
      const inWindow = rows.filter((r) => r.hour >= window.start && r.hour < window.end);
      const result: ResultByTime = { TimePeriod: formatWindow(window, input.Granularity), Total: {}, Groups: [], Estimated: window.end > monthStart(now) };
      if (groups.length === 0) {
        const totals = emptyTotals();
        for (const row of inWindow) add(totals, row);
        result.Total = metricValues(totals, metrics);
      } else {
        const byKey = new Map<string, { keys: string[]; totals: Totals }>();
        for (const row of inWindow) {
          const keys = groups.map((g) => groupKey(g, row));
          const id = keys.join("\u0000");
          let entry = byKey.get(id);
          if (!entry) byKey.set(id, (entry = { keys, totals: emptyTotals() }));
          add(entry.totals, row);
        }
        result.Groups = [...byKey.values()]
          .sort((a, b) => (a.keys.join("\u0000") < b.keys.join("\u0000") ? -1 : 1))
          .map((e): Group => ({ Keys: e.keys, Metrics: metricValues(e.totals, metrics) }));
      }
      return result;
    });
    return { ResultsByTime: results, DimensionValueAttributes: [], ...(groups.length ? { GroupDefinitions: groups } : {}) };
  }

  private checkGroups(groups: GroupDefinition[], resources: boolean): void {
    if (groups.length > 2) throw validation("You can group by at most two dimensions, tag keys or cost categories");
    const seen = new Set<string>();
    for (const group of groups) {
      if (group.Type === "DIMENSION") {
        const ok = GROUPABLE.includes(group.Key as never) || (resources && group.Key === "RESOURCE_ID");
        if (!ok) throw validation(`Group Definition dimension is invalid. Valid values are ${[...GROUPABLE, ...(resources ? ["RESOURCE_ID"] : [])].join(", ")}`);
      } else if (group.Type === "TAG") {
        if (!group.Key) throw validation("Group Definition tag key is required");
      } else if (group.Type === "COST_CATEGORY") {
        throw validation(`Cost category is not defined: ${group.Key ?? ""}`);
      } else {
        throw validation("Group Definition type is required: DIMENSION, TAG or COST_CATEGORY");
      }
      const id = `${group.Type}/${group.Key}`;
      if (seen.has(id)) throw validation(`Duplicate Group Definition: ${group.Key}`);
      seen.add(id);
    }
  }

  /** The account's line items in the period that pass the filter. */
  private rows(ctx: CallContext, period: Window, filter: Expression | undefined, byDay = true): UsageRow[] {
    const rows = this.allocationTags.applyTo(ctx.account, this.ledger.rows(ctx.account, period.start, period.end, byDay));
    return rows.filter((row) => matches(filter, row));
  }

  GetDimensionValues(input: GetDimensionValuesRequest, ctx: CallContext): GetDimensionValuesResponse {
    const period = parsePeriod(input.TimePeriod);
    if (input.Filter) checkExpression(input.Filter, true);
    const context = input.Context ?? "COST_AND_USAGE";
    const values = new Set<string>();
    if (context === "COST_AND_USAGE" && DIMENSIONS[input.Dimension]) {
      for (const row of this.rows(ctx, period, input.Filter)) {
        const value = dimensionValue(row, input.Dimension);
        if (value) values.add(value);
      }
    }
    const search = input.SearchString?.toLowerCase();
    const all = [...values].filter((v) => !search || v.toLowerCase().includes(search)).sort();
    const page = paginate(all, input.MaxResults, input.NextPageToken, 1000);
    return {
      DimensionValues: page.items.map((Value) => ({ Value, Attributes: (input.Dimension === "LINKED_ACCOUNT" ? { description: `Account ${Value}` } : {}) as Record<string, string> })),
      ReturnSize: page.items.length,
      TotalSize: all.length,
      ...(page.next ? { NextPageToken: page.next } : {}),
    };
  }

  GetTags(input: GetTagsRequest, ctx: CallContext): GetTagsResponse {
    const period = parsePeriod(input.TimePeriod);
    if (input.Filter) checkExpression(input.Filter, true);
    const found = new Set<string>();
    for (const row of this.rows(ctx, period, input.Filter)) {
      if (!row.tags) continue;
      if (input.TagKey === undefined) for (const key of Object.keys(row.tags)) found.add(key);
      else if (row.tags[input.TagKey] !== undefined) found.add(row.tags[input.TagKey]);
    }
    const search = input.SearchString?.toLowerCase();
    const all = [...found].filter((v) => !search || v.toLowerCase().includes(search)).sort();
    const page = paginate(all, input.MaxResults, input.NextPageToken, 1000);
    return { Tags: page.items, ReturnSize: page.items.length, TotalSize: all.length, ...(page.next ? { NextPageToken: page.next } : {}) };
  }

  GetCostForecast(input: GetCostForecastRequest, ctx: CallContext): GetCostForecastResponse {
    if (input.Metric === "USAGE_QUANTITY" || input.Metric === "NORMALIZED_USAGE_AMOUNT") {
      throw validation(`Metric ${input.Metric} is not a cost metric. Use GetUsageForecast`);
    }
    return this.forecast(input, ctx, (row) => row.cost, "USD");
  }

  GetUsageForecast(input: GetUsageForecastRequest, ctx: CallContext): GetUsageForecastResponse {
    if (input.Metric !== "USAGE_QUANTITY" && input.Metric !== "NORMALIZED_USAGE_AMOUNT") {
      throw validation(`Metric ${input.Metric} is not a usage metric. Use GetCostForecast`);
    }
    const normalized = input.Metric === "NORMALIZED_USAGE_AMOUNT";
    return this.forecast(input, ctx, (row) => (normalized ? row.quantity * normalizationFactor(row.instanceType) : row.quantity), "N/A");
  }

  private forecast(input: GetCostForecastRequest, ctx: CallContext, value: (row: UsageRow) => number, unit: string): GetCostForecastResponse {
    const period = parsePeriod(input.TimePeriod);
    if (input.Granularity === "HOURLY") throw validation("Hourly granularity is not supported for forecasts. Use DAILY or MONTHLY");
    if (input.Filter) checkExpression(input.Filter);
    const level = input.PredictionIntervalLevel ?? 80;
    const result = forecast({
      now: this.cloud.clock.now(),
      period,
      granularity: input.Granularity,
      level,
      history: (from, to) => this.rows(ctx, { start: from, end: to }, input.Filter),
      firstHour: this.ledger.firstHour(ctx.account),
      value,
    });
    return {
      Total: { Amount: amount(result.total), Unit: unit },
      ForecastResultsByTime: result.windows.map((w) => ({
        TimePeriod: formatWindow(w.window, input.Granularity),
        MeanValue: amount(w.mean),
        PredictionIntervalLowerBound: amount(w.lower),
        PredictionIntervalUpperBound: amount(w.upper),
      })),
    };
  }
}

function groupKey(group: GroupDefinition, row: UsageRow): string {
  if (group.Type === "TAG") return `${group.Key}$${row.tags?.[group.Key!] ?? ""}`;
  return dimensionValue(row, group.Key!) ?? "";
}
