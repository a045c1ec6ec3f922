/**
 * Public IPv4 addresses in Cost Explorer, as AWS bills them since 2024, with
 * SDK v3 on the virtual clock: an instance's auto-assigned address while it
 * runs, an Elastic IP idle until associated and in use while its instance
 * runs, up to its release — each hour at the price the Pricing API lists.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CostExplorerClient, GetCostAndUsageCommand } from "@aws-sdk/client-cost-explorer";
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  DescribeImagesCommand,
  DisassociateAddressCommand,
  EC2Client,
  ReleaseAddressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import type { RunningStratus } from "../../src/index.js";
import { onDemandUsd } from "../support/pricing.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

const HOUR = 3_600_000;

describe("public IPv4 addresses in Cost Explorer", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ce: CostExplorerClient;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2026-04-01T00:00:00Z" });
    ec2 = new EC2Client(sdkConfig(stratus));
    ce = new CostExplorerClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  /** Hours and cost per usage type of Amazon Virtual Private Cloud on 2026-04-01, per resource. */
  async function vpcUsage(): Promise<Map<string, { hours: number; cost: number }>> {
    const { ResultsByTime } = await ce.send(
      new GetCostAndUsageCommand({
        TimePeriod: { Start: "2026-04-01", End: "2026-04-02" },
        Granularity: "DAILY",
        Metrics: ["UsageQuantity", "UnblendedCost"],
        Filter: { Dimensions: { Key: "SERVICE", Values: ["Amazon Virtual Private Cloud"] } },
        GroupBy: [{ Type: "DIMENSION", Key: "USAGE_TYPE" }],
      }),
    );
    return new Map(
      (ResultsByTime![0].Groups ?? []).map((g) => [g.Keys![0], { hours: Number(g.Metrics!.UsageQuantity.Amount), cost: Number(g.Metrics!.UnblendedCost.Amount) }]),
    );
  }

  it("charges an auto-assigned address while its instance runs, an Elastic IP idle or in use until released", async () => {
    const { PriceList } = await new PricingClient(sdkConfig(stratus)).send(
      new GetProductsCommand({
        ServiceCode: "AmazonVPC",
        Filters: [
          { Type: "TERM_MATCH", Field: "usagetype", Value: "PublicIPv4:IdleAddress" },
          { Type: "TERM_MATCH", Field: "regionCode", Value: "us-east-1" },
        ],
      }),
    );
    const perHour = onDemandUsd(JSON.parse(PriceList![0] as string));
    assert.equal(perHour, 0.005);

    const start = stratus.clock.now().getTime();
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }));
    const instanceId = run.Instances![0].InstanceId!;
    // 00:00 an Elastic IP, idle for three hours; 03:00 associated (the auto-assigned address goes), 05:00 disassociated, 06:00 released.
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    await stratus.clock.set(start + 3 * HOUR);
    const association = await ec2.send(new AssociateAddressCommand({ AllocationId: eip.AllocationId, InstanceId: instanceId }));
    await stratus.clock.set(start + 5 * HOUR);
    await ec2.send(new DisassociateAddressCommand({ AssociationId: association.AssociationId }));
    await stratus.clock.set(start + 6 * HOUR);
    await ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId }));
    // 08:00 the instance ends.
    await stratus.clock.set(start + 8 * HOUR);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await stratus.clock.set(start + 10 * HOUR);

    const usage = await vpcUsage();
    const idle = usage.get("PublicIPv4:IdleAddress")!;
    const inUse = usage.get("PublicIPv4:InUseAddress")!;
    // Idle: 00:00–03:00 and 05:00–06:00.
    assert.ok(Math.abs(idle.hours - 4) < 0.01, `idle hours ${idle.hours}`);
    assert.ok(Math.abs(idle.cost - idle.hours * perHour) < 1e-9);
    // In use: the Elastic IP 03:00–05:00, the auto-assigned address while running without it (about 6 of the 8 hours).
    assert.ok(Math.abs(inUse.hours - 8) < 0.05, `in-use hours ${inUse.hours}`);
    assert.ok(Math.abs(inUse.cost - inUse.hours * perHour) < 1e-9);
  });
});
