/**
 * CloudWatch errors and metric math through both aws CLIs: the v2.9 from
 * Debian speaks query, the pip v1.45 speaks json and reads the error code from
 * x-amzn-query-error — both must print AWS's codes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningStratus } from "../../src/index.js";
import { AWS_CLI_V1, AWS_CLI_V2, bash, startTestStratus } from "../support/stratus.js";

const SCRIPT = `
aws cloudwatch put-metric-data --namespace AWS/EC2 --metric-name CPUUtilization --value 1 2>&1 || true
aws cloudwatch put-metric-data --namespace App --metric-name Latency --value 1 --unit Parsecs 2>&1 || true
aws cloudwatch get-dashboard --dashboard-name missing 2>&1 || true
aws cloudwatch put-metric-data --namespace App --metric-data '[{"MetricName":"Latency","Values":[10,20,30],"Counts":[1,1,2],"Unit":"Milliseconds"}]'
aws cloudwatch get-metric-data --start-time $(date -u -d '10 minutes ago' +%Y-%m-%dT%H:%M:%S) --end-time $(date -u -d '1 minute' +%Y-%m-%dT%H:%M:%S) \\
  --metric-data-queries '[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"App","MetricName":"Latency"},"Period":600,"Stat":"p50"},"ReturnData":false},{"Id":"e1","Expression":"m1 * 1000","Label":"micros"}]' \\
  --query 'MetricDataResults[0].[Label,Values[0]]' --output text
`;

for (const [cli, binary] of [
  ["aws CLI v2 (query)", AWS_CLI_V2],
  ["pip aws CLI v1 (json)", AWS_CLI_V1],
] as const) {
  describe(`CloudWatch through the ${cli}`, { skip: binary ? false : "the pip aws CLI v1 is not installed" }, () => {
    let stratus: RunningStratus;
    before(async () => {
      stratus = await startTestStratus();
    });
    after(() => stratus.stop());

    it("prints AWS's error codes and evaluates metric math", async () => {
      const result = await bash(stratus, SCRIPT, { binary });
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout;
      const failed = (op: string) => String.raw`when calling the ${op} operation( \(reached max retries: \d+\))?: `;
      assert.match(out, new RegExp(String.raw`An error occurred \(InvalidParameterValue\) ${failed("PutMetricData")}The value AWS/EC2 for parameter Namespace is invalid\.`));
      assert.match(
        out,
        new RegExp(
          String.raw`An error occurred \(ValidationError\) ${failed("PutMetricData")}1 validation error detected: Value 'Parsecs' at 'metricData\.1\.member\.unit' failed to satisfy constraint: Member must satisfy enum value set`,
        ),
      );
      assert.match(out, new RegExp(String.raw`An error occurred \(ResourceNotFound\) ${failed("GetDashboard")}Dashboard missing does not exist`));
      assert.match(out.trim().split("\n").pop()!, /^micros\s+20000(\.0)?$/);
    });
  });
}
