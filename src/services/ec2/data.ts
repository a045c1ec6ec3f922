/** EC2's data files (image catalogue, on-demand prices), under data/ec2/ at the package root. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { projectPath } from "../../core/paths.js";

const DATA_DIR = projectPath("data", "ec2");

const cache = new Map<string, unknown>();

export function ec2Data<T>(name: string): T {
  let value = cache.get(name);
  if (value === undefined) {
    value = JSON.parse(readFileSync(path.join(DATA_DIR, name), "utf8"));
    cache.set(name, value);
  }
  return value as T;
}
