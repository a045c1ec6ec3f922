#!/usr/bin/env node
/** Entry point: `node dist/src/workload/main.js [--port P] [--bucket B] [--key K]` (see command.ts). */
import { runWorkload } from "./command.js";

runWorkload(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`workload: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
