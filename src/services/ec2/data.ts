/** EC2's data files (image catalogue, on-demand prices), under data/ec2/ at the package root. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../data/ec2");

const cache = new Map<string, unknown>();

export function ec2Data<T>(name: string): T {
  let value = cache.get(name);
  if (value === undefined) {
    value = JSON.parse(readFileSync(path.join(DATA_DIR, name), "utf8"));
    cache.set(name, value);
  }
  return value as T;
}
