/**
 * Dashboard body validation as PutDashboard answers it: JSON-schema style
 * messages ("Should have required property 'metrics'", "Should be array")
 * with a data path per problem, and the metric-array rules of the dashboard
 * body structure: ["Namespace", "MetricName", "DimName", "DimValue", ...,
 * {rendering properties}], "." repeating the row above, or an expression row.
 */
import type { DashboardValidationMessage } from "./errors.js";
import { parseStatistic } from "./statistics.js";

const WIDGET_TYPES = ["metric", "text", "log", "alarm", "explorer", "custom"];
const METRICS_SHAPE = 'Field "metrics" has to be an array of array of strings, with an optional metricRenderer object as last element';
const VIEWS = ["timeSeries", "singleValue", "gauge", "bar", "pie", "table"];

type Json = unknown;

class Checker {
  readonly messages: DashboardValidationMessage[] = [];

  add(path: string, message: string): void {
    this.messages.push({ DataPath: path, Message: message });
  }

  isObject(value: Json): value is Record<string, Json> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
  }

  object(value: Json, path: string): value is Record<string, Json> {
    if (this.isObject(value)) return true;
    this.add(path, "Should be object");
    return false;
  }

  required(object: Record<string, Json>, key: string, path: string): boolean {
    if (object[key] !== undefined) return true;
    this.add(path, `Should have required property '${key}'`);
    return false;
  }

  type(value: Json, type: "string" | "number" | "integer" | "boolean" | "array", path: string): boolean {
    const ok =
      type === "array" ? Array.isArray(value)
      : type === "integer" ? typeof value === "number" && Number.isInteger(value)
      : typeof value === type;
    if (!ok) this.add(path, `Should be ${type}`);
    return ok;
  }

  range(value: Json, path: string, min: number, max?: number): void {
    if (!this.type(value, "integer", path)) return;
    const n = value as number;
    if (n < min) this.add(path, `Should be >= ${min}`);
    else if (max !== undefined && n > max) this.add(path, `Should be <= ${max}`);
  }

  oneOf(value: Json, allowed: readonly string[], path: string): void {
    if (typeof value !== "string" || !allowed.includes(value)) this.add(path, "Should be equal to one of the allowed values");
  }
}

/** Returns the validation problems of a dashboard body (empty when it is valid). */
export function validateDashboardBody(body: string): { json: boolean; messages: DashboardValidationMessage[] } {
  let parsed: Json;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { json: false, messages: [] };
  }
  const check = new Checker();
  if (!check.object(parsed, "")) return { json: true, messages: check.messages };
  if (parsed.periodOverride !== undefined) check.oneOf(parsed.periodOverride, ["auto", "inherit"], "/periodOverride");
  if (parsed.start !== undefined) check.type(parsed.start, "string", "/start");
  if (parsed.end !== undefined) {
    if (check.type(parsed.end, "string", "/end") && parsed.start === undefined) check.add("", "Should have required property 'start'");
  }
  if (parsed.variables !== undefined) check.type(parsed.variables, "array", "/variables");
  if (check.required(parsed, "widgets", "") && check.type(parsed.widgets, "array", "/widgets")) {
    const widgets = parsed.widgets as Json[];
    if (widgets.length > 500) check.add("/widgets", "Should NOT have more than 500 items");
    widgets.forEach((widget, i) => checkWidget(check, widget, `/widgets/${i}`));
  }
  return { json: true, messages: check.messages };
}

function checkWidget(check: Checker, widget: Json, path: string): void {
  if (!check.object(widget, path)) return;
  const hasType = check.required(widget, "type", path);
  if (hasType) check.oneOf(widget.type, WIDGET_TYPES, `${path}/type`);
  if (widget.x !== undefined) check.range(widget.x, `${path}/x`, 0);
  if (widget.y !== undefined) check.range(widget.y, `${path}/y`, 0);
  if (widget.width !== undefined) check.range(widget.width, `${path}/width`, 1, 24);
  if (widget.height !== undefined) check.range(widget.height, `${path}/height`, 1, 1000);
  if (!check.required(widget, "properties", path)) return;
  const propsPath = `${path}/properties`;
  if (!check.object(widget.properties, propsPath)) return;
  const props = widget.properties;
  switch (widget.type) {
    case "metric":
      checkMetricWidget(check, props, propsPath);
      break;
    case "text":
      if (check.required(props, "markdown", propsPath)) check.type(props.markdown, "string", `${propsPath}/markdown`);
      if (props.background !== undefined) check.oneOf(props.background, ["solid", "transparent"], `${propsPath}/background`);
      break;
    case "log":
      if (check.required(props, "query", propsPath)) check.type(props.query, "string", `${propsPath}/query`);
      if (props.region !== undefined) check.type(props.region, "string", `${propsPath}/region`);
      break;
    case "alarm":
      if (check.required(props, "alarms", propsPath) && check.type(props.alarms, "array", `${propsPath}/alarms`)) {
        (props.alarms as Json[]).forEach((a, i) => check.type(a, "string", `${propsPath}/alarms/${i}`));
      }
      break;
    case "explorer":
      if (check.required(props, "metrics", propsPath)) check.type(props.metrics, "array", `${propsPath}/metrics`);
      break;
    case "custom":
      if (check.required(props, "endpoint", propsPath)) check.type(props.endpoint, "string", `${propsPath}/endpoint`);
      break;
  }
}

function checkMetricWidget(check: Checker, props: Record<string, Json>, path: string): void {
  const annotations = props.annotations;
  const hasAlarmAnnotation = check.isObject(annotations) && Array.isArray(annotations.alarms) && annotations.alarms.length > 0;
  if (props.metrics === undefined && annotations === undefined) {
    check.add(path, "Should have required property 'metrics'");
    check.add(path, "The metric widget should have specified a region and a data source or an alarm annotation");
    check.add(path, "Should have required property 'annotations'");
  } else if (typeof props.region !== "string" || (props.metrics === undefined && !hasAlarmAnnotation)) {
    check.add(path, "The metric widget should have specified a region and a data source or an alarm annotation");
  }
  if (props.view !== undefined) check.oneOf(props.view, VIEWS, `${path}/view`);
  if (props.stat !== undefined && (typeof props.stat !== "string" || !parseStatistic(props.stat))) {
    check.add(`${path}/stat`, "Should be a valid statistic");
  }
  if (props.period !== undefined) check.range(props.period, `${path}/period`, 1);
  if (props.stacked !== undefined) check.type(props.stacked, "boolean", `${path}/stacked`);
  if (props.title !== undefined) check.type(props.title, "string", `${path}/title`);
  if (props.metrics === undefined || !check.type(props.metrics, "array", `${path}/metrics`)) return;
  let previous: Json[] = [];
  (props.metrics as Json[]).forEach((row, i) => {
    const rowPath = `${path}/metrics/${i}`;
    if (!Array.isArray(row)) {
      check.add(rowPath, "Should be array");
      check.add(rowPath, METRICS_SHAPE);
      return;
    }
    checkMetricRow(check, row, previous, rowPath);
    previous = row;
  });
}

function checkMetricRow(check: Checker, row: Json[], previous: Json[], path: string): void {
  const last = row[row.length - 1];
  const renderer = check.isObject(last) ? last : undefined;
  const strings = renderer ? row.slice(0, -1) : row;
  if (strings.some((item) => typeof item !== "string")) {
    check.add(path, METRICS_SHAPE);
    return;
  }
  if (renderer) checkRenderer(check, renderer, `${path}/${row.length - 1}`);
  if (strings.length === 0) {
    if (!renderer || typeof renderer.expression !== "string") check.add(path, "Should have an expression or a namespace and metric name");
    return;
  }
  if (strings.length < 2) {
    check.add(path, "Should NOT have fewer than 2 items");
    return;
  }
  if (strings.length % 2 !== 0) {
    check.add(path, "Dimensions must be given as name and value pairs");
    return;
  }
  strings.forEach((item, i) => {
    if (item === "." && (i >= previous.length || typeof previous[i] !== "string")) {
      check.add(`${path}/${i}`, 'Should not use "." when the previous metric has no value at this position');
    }
  });
}

function checkRenderer(check: Checker, renderer: Record<string, Json>, path: string): void {
  if (renderer.stat !== undefined && (typeof renderer.stat !== "string" || !parseStatistic(renderer.stat))) {
    check.add(`${path}/stat`, "Should be a valid statistic");
  }
  if (renderer.period !== undefined) check.range(renderer.period, `${path}/period`, 1);
  if (renderer.label !== undefined) check.type(renderer.label, "string", `${path}/label`);
  if (renderer.id !== undefined && (typeof renderer.id !== "string" || !/^[a-z][a-zA-Z0-9_]*$/.test(renderer.id))) {
    check.add(`${path}/id`, 'Should match pattern "^[a-z][a-zA-Z0-9_]*$"');
  }
  if (renderer.yAxis !== undefined) check.oneOf(renderer.yAxis, ["left", "right"], `${path}/yAxis`);
  if (renderer.color !== undefined && (typeof renderer.color !== "string" || !/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(renderer.color))) {
    check.add(`${path}/color`, 'Should match pattern "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"');
  }
  if (renderer.visible !== undefined) check.type(renderer.visible, "boolean", `${path}/visible`);
  if (renderer.expression !== undefined) check.type(renderer.expression, "string", `${path}/expression`);
}
