/**
 * Dynamic labels in GetMetricData: ${LABEL}, ${PROP('Dim.InstanceId')},
 * ${PROP('MetricName')}, ${PROP('Namespace')}, ${PROP('Period')},
 * ${PROP('Stat')}, and the series' ${AVG} ${MIN} ${MAX} ${SUM} ${FIRST}
 * ${LAST} ${DATAPOINT_COUNT}.
 */
import type { Series } from "./evaluate.js";

export function expandLabel(template: string, s: Series, props: Record<string, string> | undefined, baseLabel: string): string {
  if (!template.includes("${")) return template;
  const values = [...s.points.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  const stat = (name: string): string => {
    if (values.length === 0) return "";
    switch (name) {
      case "AVG":
        return format(values.reduce((a, b) => a + b, 0) / values.length);
      case "MIN":
        return format(Math.min(...values));
      case "MAX":
        return format(Math.max(...values));
      case "SUM":
        return format(values.reduce((a, b) => a + b, 0));
      case "FIRST":
        return format(values[0]);
      case "LAST":
        return format(values[values.length - 1]);
      default:
        return "";
    }
  };
  return template.replace(/\$\{([A-Z_]+)(?:\('([^']*)'\))?\}/g, (whole, name: string, arg: string | undefined) => {
    if (name === "LABEL") return baseLabel;
    if (name === "DATAPOINT_COUNT") return String(values.length);
    if (name === "PROP" && arg !== undefined) return props?.[arg] ?? "";
    const computed = stat(name);
    return computed === "" && !["AVG", "MIN", "MAX", "SUM", "FIRST", "LAST"].includes(name) ? whole : computed;
  });
}

function format(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
}
