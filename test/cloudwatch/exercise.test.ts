/**
 * The exercise's Part 5 (CloudWatch monitoring), command for command, through
 * Debian's aws CLI v2.9 (query protocol) and the pip aws CLI v1.45 (json).
 *
 * A real instance runs for the hour before "now": Stratus starts on a virtual
 * clock 65 minutes behind the wall clock, launches the instance, and moves
 * the clock to the present, so EC2 has published its AWS/EC2 datapoints by the
 * time the CLI asks for `$(date -u -d '1 hour ago')`. Where EC2 cannot run
 * instances yet, the same datapoints are published through the metricSink,
 * as EC2 publishes them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { metricSink, type BuiltInDatum } from "../../src/services/cloudwatch/publish.js";
import { AWS_CLI_V1, AWS_CLI_V2, bash, sdkConfig, startTestStratus } from "../support/stratus.js";
import { floorTo, MINUTE } from "./support.js";

/** The instance id the sink publishes for when EC2 cannot run instances. */
const PUBLISHED_INSTANCE = "i-0def456abc789012";

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

/** Launches the exercise's t2.micro, if EC2 can run instances. */
async function launchInstance(stratus: RunningStratus): Promise<string | undefined> {
  const provider = stratus.cloud.provider("ec2") as unknown as Record<string, unknown>;
  if (typeof provider.RunInstances !== "function") return undefined;
  const ec2 = new EC2Client(sdkConfig(stratus));
  const images = await ec2.send(
    new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"] }] }),
  );
  const imageId = images.Images?.[0]?.ImageId;
  assert.ok(imageId, "an Ubuntu 22.04 image");
  const run = await ec2.send(new RunInstancesCommand({ ImageId: imageId, InstanceType: "t2.micro", MinCount: 1, MaxCount: 1 }));
  return run.Instances![0].InstanceId!;
}

/** An hour of 5-minute basic-monitoring datapoints for the instance, as EC2 publishes them. */
function publishInstanceMetrics(stratus: RunningStratus, instanceId: string): void {
  const now = stratus.clock.now().getTime();
  const data: BuiltInDatum[] = [];
  const dimensions = [{ Name: "InstanceId", Value: instanceId }];
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
    let INSTANCE_ID_V2: string;
    before(async () => {
      stratus = await startTestStratus({ clock: "virtual", clockStart: Date.now() - 65 * MINUTE });
      dir = mkdtempSync(path.join(os.tmpdir(), "cw-exercise-"));
      const launched = await launchInstance(stratus);
      await stratus.clock.advance(65 * MINUTE);
      INSTANCE_ID_V2 = launched ?? PUBLISHED_INSTANCE;
      if (!launched) publishInstanceMetrics(stratus, INSTANCE_ID_V2);
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
      assert.match(result.stdout, /Average/);
      const times: string[] = [];
      for (const row of rows) {
        const [average, timestamp] = row.split("|").map((cell) => cell.trim()).filter(Boolean);
        assert.ok(Number(average) > 0 && Number(average) <= 100, row);
        times.push(timestamp);
      }
      assert.deepEqual(times, times.slice().sort(), "sorted by timestamp");
    });

    it("Task 5.1: network in, summed per 5 minutes", async () => {
      const result = await run(NETWORK_COMMAND);
      assert.equal(result.code, 0, result.stderr);
      const output = result.json();
      assert.equal(output.Label, "NetworkIn");
      assert.ok(output.Datapoints.length >= 11 && output.Datapoints.length <= 12, result.stdout);
      for (const point of output.Datapoints) {
        assert.equal(point.Unit, "Bytes");
        assert.ok(point.Sum > 0, JSON.stringify(point));
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
