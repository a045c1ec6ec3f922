/**
 * The exercise's Part 5 (CloudWatch monitoring), command for command, through
 * Debian's aws CLI v2.9 (query protocol) and the pip aws CLI v1.45 (json).
 *
 * Until EC2 publishes AWS/EC2 metrics itself, the instance's datapoints are
 * published here through the metricSink, exactly as the EC2 service will.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningStratus } from "../../src/index.js";
import { metricSink, type BuiltInDatum } from "../../src/services/cloudwatch/publish.js";
import { AWS_CLI_V1, AWS_CLI_V2, bash } from "../support/stratus.js";
import { startTestStratus } from "../support/stratus.js";
import { floorTo, MINUTE } from "./support.js";

const INSTANCE_ID_V2 = "i-0def456abc789012";

const CPU_COMMAND = `# Get CPU utilization for last hour
aws cloudwatch get-metric-statistics \\
  --namespace AWS/EC2 \\
  --metric-name CPUUtilization \\
  --dimensions Name=InstanceId,Value=$INSTANCE_ID_V2 \\
  --start-time $(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%S) \\
  --end-time $(date -u +%Y-%m-%dT%H:%M:%S) \\
  --period 300 \\
  --statistics Average \\
  --query 'Datapoints | sort_by(@, &Timestamp)[-5:]' \\
  --output table
`;

const NETWORK_COMMAND = `# Get network in (bytes)
aws cloudwatch get-metric-statistics \\
  --namespace AWS/EC2 \\
  --metric-name NetworkIn \\
  --dimensions Name=InstanceId,Value=$INSTANCE_ID_V2 \\
  --start-time $(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%S) \\
  --end-time $(date -u +%Y-%m-%dT%H:%M:%S) \\
  --period 300 \\
  --statistics Sum
`;

const DASHBOARD_COMMANDS = `cat > dashboard-config.json <<EOF
{
  "widgets": [
    {
      "type": "metric",
      "properties": {
        "metrics": [
          ["AWS/EC2", "CPUUtilization", {"stat": "Average", "label": "CPU %"}]
        ],
        "period": 300,
        "region": "us-east-1",
        "title": "EC2 CPU Utilization"
      }
    },
    {
      "type": "metric",
      "properties": {
        "metrics": [
          ["AWS/EC2", "NetworkIn", {"stat": "Sum"}],
          [".", "NetworkOut", {"stat": "Sum"}]
        ],
        "period": 300,
        "region": "us-east-1",
        "title": "EC2 Network Traffic"
      }
    }
  ]
}
EOF

aws cloudwatch put-dashboard \\
  --dashboard-name ml-infrastructure-dashboard \\
  --dashboard-body file://dashboard-config.json
`;

/** An hour of 5-minute basic-monitoring datapoints for the instance. */
function publishInstanceMetrics(stratus: RunningStratus): void {
  const now = stratus.clock.now().getTime();
  const data: BuiltInDatum[] = [];
  const dimensions = [{ Name: "InstanceId", Value: INSTANCE_ID_V2 }];
  for (let k = 1; k <= 13; k++) {
    const timestamp = new Date(floorTo(now, 5 * MINUTE) - k * 5 * MINUTE);
    data.push({ namespace: "AWS/EC2", metricName: "CPUUtilization", dimensions, timestamp, value: 20 + k, unit: "Percent" });
    data.push({ namespace: "AWS/EC2", metricName: "NetworkIn", dimensions, timestamp, value: 1000 * k, unit: "Bytes" });
    data.push({ namespace: "AWS/EC2", metricName: "NetworkOut", dimensions, timestamp, value: 500 * k, unit: "Bytes" });
  }
  metricSink(stratus.cloud).publish({ account: "000000000000", region: "us-east-1" }, data);
}

for (const [cli, binary] of [
  ["aws CLI v2 (query)", AWS_CLI_V2],
  ["pip aws CLI v1 (json)", AWS_CLI_V1],
] as const) {
  describe(`exercise Part 5 through the ${cli}`, { skip: binary ? false : "the pip aws CLI v1 is not installed" }, () => {
    let stratus: RunningStratus;
    let dir: string;
    before(async () => {
      stratus = await startTestStratus();
      dir = mkdtempSync(path.join(os.tmpdir(), "cw-exercise-"));
      publishInstanceMetrics(stratus);
    });
    after(async () => {
      await stratus.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const run = (script: string) => bash(stratus, script, { cwd: dir, binary, env: { INSTANCE_ID_V2 } });

    it("Task 5.1: CPU utilization for the last hour, as a table of the last five datapoints", async () => {
      const result = await run(CPU_COMMAND);
      assert.equal(result.code, 0, result.stderr);
      const rows = result.stdout.split("\n").filter((line) => /Percent/.test(line));
      assert.equal(rows.length, 5, result.stdout);
      // Sorted by timestamp: the newest datapoint (k = 1, 21 %) comes last.
      assert.match(rows[4], /\|\s+21(\.0)?\s+\|/);
      assert.match(result.stdout, /Average/);
    });

    it("Task 5.1: network in, summed per 5 minutes", async () => {
      const result = await run(NETWORK_COMMAND);
      assert.equal(result.code, 0, result.stderr);
      const output = result.json();
      assert.equal(output.Label, "NetworkIn");
      assert.ok(output.Datapoints.length >= 11 && output.Datapoints.length <= 12, result.stdout);
      for (const point of output.Datapoints) {
        assert.equal(point.Unit, "Bytes");
        assert.ok(point.Sum >= 1000 && point.Sum % 1000 === 0, JSON.stringify(point));
      }
    });

    it("Task 5.2: creates the dashboard from dashboard-config.json", async () => {
      const result = await run(DASHBOARD_COMMANDS);
      assert.equal(result.code, 0, result.stderr);
      const got = await run("aws cloudwatch get-dashboard --dashboard-name ml-infrastructure-dashboard");
      assert.equal(got.code, 0, got.stderr);
      const dashboard = got.json();
      assert.equal(dashboard.DashboardArn, "arn:aws:cloudwatch::000000000000:dashboard/ml-infrastructure-dashboard");
      assert.equal(JSON.parse(dashboard.DashboardBody).widgets[1].properties.title, "EC2 Network Traffic");
    });
  });
}
