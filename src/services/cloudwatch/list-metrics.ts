/**
 * ListMetrics: metrics with data in the last two weeks, filtered by
 * namespace, name and dimensions (a filter without a value matches any value),
 * RecentlyActive PT3H for metrics that received data in the last three hours,
 * 500 per page.
 */
import type { ListMetricsInput, ListMetricsOutput } from "../../generated/cloudwatch.js";
import type { Scope } from "../../state/documents.js";
import { CwErrors } from "./errors.js";
import { DAY, HOUR, type MetricStore } from "./metric-store.js";

export const PAGE_SIZE = 500;

export function listMetrics(store: MetricStore, scope: Scope, input: ListMetricsInput, now: number): ListMetricsOutput {
  let offset = 0;
  if (input.NextToken !== undefined) {
    const match = /^lm1:(\d+)$/.exec(Buffer.from(input.NextToken, "base64").toString("utf8"));
    if (!match) throw CwErrors.invalidNextToken();
    offset = Number(match[1]);
  }
  const filters = input.Dimensions ?? [];
  const matches = store.list(scope, now - 14 * DAY).filter((metric) => {
    if (input.Namespace !== undefined && metric.namespace !== input.Namespace) return false;
    if (input.MetricName !== undefined && metric.name !== input.MetricName) return false;
    if (input.RecentlyActive === "PT3H" && metric.lastPut < now - 3 * HOUR) return false;
    return filters.every((f) => metric.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)));
  });
  const page = matches.slice(offset, offset + PAGE_SIZE);
  const output: ListMetricsOutput = {
    Metrics: page.map((m) => ({ Namespace: m.namespace, MetricName: m.name, Dimensions: m.dimensions })),
  };
  if (input.IncludeLinkedAccounts) output.OwningAccounts = page.map(() => scope.account);
  if (offset + PAGE_SIZE < matches.length) output.NextToken = Buffer.from(`lm1:${offset + PAGE_SIZE}`).toString("base64");
  return output;
}
