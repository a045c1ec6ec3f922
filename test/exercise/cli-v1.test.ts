/** The whole exercise through the pip aws CLI v1.45. */
import { AWS_CLI_V1 } from "../support/stratus.js";
import { exerciseScenario } from "./scenario.js";

exerciseScenario({ name: "the pip aws CLI v1", aws: AWS_CLI_V1 ?? "aws", skip: AWS_CLI_V1 ? false : "the pip aws CLI v1 is not installed" });
