/**
 * Stratus's inference server (src/workload, docs/workload.md) inside
 * instances: the host's Stratus installation and node are bound read-only at
 * /opt/stratus and /opt/stratus-node in every instance, and
 * /usr/local/bin/stratus-inference runs the server with them — so a user data
 * script or a systemd unit serves a model from S3 without installing anything
 * (the exercise's ml-inference service with ExecStart=stratus-inference).
 */
import { existsSync } from "node:fs";
import { PROJECT_ROOT, projectPath } from "../core/paths.js";

/** The command instances get in /usr/local/bin. */
export const INFERENCE_COMMAND = `#!/bin/sh
# Stratus's ML inference server (docs/workload.md): GET /health, POST /predict on port 5000.
exec /opt/stratus-node/node /opt/stratus/dist/src/workload/main.js "$@"
`;

/** The host's Stratus installation, when it has the compiled inference server. */
export function workloadRoot(): string | undefined {
  return existsSync(projectPath("dist", "src", "workload", "main.js")) ? PROJECT_ROOT : undefined;
}
