/**
 * The inference server as a command (`node dist/src/workload/main.js`, or
 * `stratus workload`): options from flags and the environment, one log line
 * per request on stdout, a clean exit on SIGTERM.
 */
import { parseArgs } from "../cli/args.js";
import type { Normalization } from "./image-input.js";
import { startWorkload, type WorkloadOptions } from "./server.js";

export const WORKLOAD_HELP = `Usage: stratus workload [--host H] [--port P] [--bucket B] [--key K]

Serves the exercise's ML inference API: GET /health, POST /predict (multipart
field "image"), POST /reload, with the PyTorch state_dict at s3://B/K.

Environment: HOST (0.0.0.0), PORT (5000), MODEL_BUCKET (ml-models-dev),
MODEL_KEY (models/v1.0/resnet50.pth), LABELS_KEY (labels.json beside the model),
NORMALIZE (imagenet | none), PREDICTIONS_LOG (a file, one JSON line per
prediction), RELOAD_SECONDS (30), AWS_ENDPOINT_URL (http://127.0.0.1:4566),
AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN (else the
instance metadata service's role; AWS_EC2_METADATA_SERVICE_ENDPOINT).
`;

export function workloadOptions(argv: string[], env: NodeJS.ProcessEnv): WorkloadOptions {
  const { flags } = parseArgs(argv, new Set(["help"]));
  const pick = (flag: string, name: string, fallback: string) => (typeof flags[flag] === "string" ? (flags[flag] as string) : env[name] || fallback);
  const port = pick("port", "PORT", "5000");
  if (!/^\d+$/.test(port)) throw new Error("--port (PORT) must be a number");
  const normalization = pick("normalize", "NORMALIZE", "imagenet");
  if (normalization !== "imagenet" && normalization !== "none") throw new Error("NORMALIZE must be imagenet or none");
  const reloadSeconds = Number(pick("reload-seconds", "RELOAD_SECONDS", "30"));
  if (!Number.isFinite(reloadSeconds) || reloadSeconds < 0) throw new Error("RELOAD_SECONDS must be a number of seconds");
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined }
      : undefined;
  return {
    host: pick("host", "HOST", "0.0.0.0"),
    port: Number(port),
    bucket: pick("bucket", "MODEL_BUCKET", "ml-models-dev"),
    key: pick("key", "MODEL_KEY", "models/v1.0/resnet50.pth"),
    labelsKey: env.LABELS_KEY || undefined,
    endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || "http://127.0.0.1:4566",
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    credentials,
    imdsEndpoint: env.AWS_EC2_METADATA_SERVICE_ENDPOINT || undefined,
    normalization: normalization as Normalization,
    predictionsLog: env.PREDICTIONS_LOG || undefined,
    reloadSeconds,
  };
}

/** Runs the server until SIGTERM or SIGINT; resolves to the exit code once it stopped. */
export async function runWorkload(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(WORKLOAD_HELP);
    return 0;
  }
  const options = workloadOptions(argv, process.env);
  const running = await startWorkload({ ...options, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`inference server listening on ${running.url} (model s3://${options.bucket}/${options.key} from ${options.endpoint})\n`);
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`${signal}: stopping\n`);
      running.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
