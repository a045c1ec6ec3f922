/**
 * The whole exercise through `stratus aws ...` (node bin/stratus.cjs aws), the
 * awslocal-like wrapper, with no AWS credentials or region in the environment:
 * the wrapper supplies them and the endpoint, and runs the aws CLI on PATH.
 */
import { exerciseScenario } from "./scenario.js";

// The wrapper runs the aws CLI on PATH (the one cli-v2.test.ts runs in full): the
// parts that touch IAM, EC2 and S3 show that it supplies endpoint, region and credentials.
exerciseScenario({ name: "the stratus aws wrapper", aws: "stratus", parts: ["0-prerequisites", "1-ec2", "3-s3"] });
