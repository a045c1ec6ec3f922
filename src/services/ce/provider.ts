/** CostExplorer: no operations yet; every call answers NotImplemented by name. */
import type { Cloud } from "../../cloud.js";
import type { ServiceProvider } from "../types.js";

export class CostExplorerProvider implements ServiceProvider {
  constructor(readonly cloud: Cloud) {}
}
