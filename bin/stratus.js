#!/usr/bin/env node
// The `stratus` command; the code lives in dist/ (built by `npm install` / `npm run build`).
import { main } from "../dist/src/cli/main.js";

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`stratus: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
