/** CloudWatch: no operations yet; every call answers NotImplemented by name. */
import type { Cloud } from "../../cloud.js";
import type { Scope } from "../../state/documents.js";
import type { ServiceProvider } from "../types.js";
import type { BuiltInDatum, MetricSink } from "./publish.js";

export class CloudWatchProvider implements ServiceProvider, MetricSink {
  constructor(readonly cloud: Cloud) {}

  /** Built-in metrics from other services; storage comes with the metrics store. */
  publish(_scope: Scope, _data: BuiltInDatum[]): void {}
}
