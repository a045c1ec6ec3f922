/**
 * The whole exercise through `stratus aws ...` (node bin/stratus.cjs aws), the
 * awslocal-like wrapper, with no AWS credentials or region in the environment:
 * the wrapper supplies them and the endpoint, and runs the aws CLI on PATH.
 */
import { exerciseScenario } from "./scenario.js";

exerciseScenario({ name: "the stratus aws wrapper", aws: "stratus" });
