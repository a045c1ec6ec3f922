/** The web console: one HTML page (index.html) over two JSON endpoints (inventory.ts). */
import { readFileSync } from "node:fs";
import { projectPath } from "../core/paths.js";

export { inventory, metricSeries } from "./inventory.js";

let page: string | undefined;

/** The console's page, read once from src/console/index.html. */
export function consolePage(): string {
  page ??= readFileSync(projectPath("src", "console", "index.html"), "utf8");
  return page;
}
