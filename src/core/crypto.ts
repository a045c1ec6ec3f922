/**
 * node:crypto, loaded on first use: compiling it costs ~10 ms of start-up, and
 * an idle Stratus (or its first STS call) needs none of it.
 */
import { createRequire } from "node:module";

let loaded: typeof import("node:crypto") | undefined;

export function crypto(): typeof import("node:crypto") {
  return (loaded ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto"));
}
