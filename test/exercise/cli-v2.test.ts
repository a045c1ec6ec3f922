/** The whole exercise through Debian's aws CLI v2.9 (/usr/bin/aws). */
import { AWS_CLI_V2 } from "../support/stratus.js";
import { exerciseScenario } from "./scenario.js";

exerciseScenario({ name: "Debian's aws CLI v2", aws: AWS_CLI_V2 });
