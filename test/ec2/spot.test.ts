/**
 * Spot: the price model as DescribeSpotPriceHistory shows it, spot instance
 * requests (one-time, persistent, price-too-low re-evaluated on the virtual
 * clock, cancellation), spot launches through RunInstances, and spot fleets
 * with their allocation strategies.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CancelSpotFleetRequestsCommand,
  CancelSpotInstanceRequestsCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSpotFleetInstancesCommand,
  DescribeSpotFleetRequestsCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSpotPriceHistoryCommand,
  ModifySpotFleetRequestCommand,
  RequestSpotFleetCommand,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type DescribeSpotPriceHistoryCommandOutput,
  type EC2Client,
  type Instance,
} from "@aws-sdk/client-ec2";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { EPOCH_MS, epochStart, onDemandPrice, spotPriceAt } from "../../src/services/ec2/spot/prices.js";
import { sdkConfig } from "../support/stratus.js";
import { JAMMY_FILTER, createInstanceProfile, rejectsWith, startEc2 } from "./support.js";

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"];

describe("EC2 spot prices and requests", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;
  let sg: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images!.sort((a, b) => (a.CreationDate! < b.CreationDate! ? -1 : 1)).at(-1)!.ImageId!;
    sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "spot", Description: "spot" }))).GroupId!;
    await createInstanceProfile(stratus, "spot-profile");
  });
  after(() => stratus.stop());

  const instance = async (id: string): Promise<Instance> => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
  const request = async (id: string) => (await ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [id] }))).SpotInstanceRequests![0];

  it("prices spot well below on-demand on average, per type, zone and product", async () => {
    for (const type of ["t2.micro", "m5.large", "g4dn.xlarge", "p3.2xlarge"] as const) {
      const { SpotPriceHistory } = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: [type], ProductDescriptions: ["Linux/UNIX"], StartTime: new Date(Date.now() - 30 * 86_400_000) }));
      const prices = SpotPriceHistory!.map((p) => Number(p.SpotPrice));
      const average = prices.reduce((a, b) => a + b, 0) / prices.length;
      const od = onDemandPrice(type, "us-east-1")!;
      assert.ok(average < od * 0.5, `${type}: average ${average} vs on-demand ${od}`);
      assert.ok(prices.every((p) => p > 0 && p <= od));
      assert.ok(new Set(prices).size > 10, "prices move");
      assert.ok(SpotPriceHistory!.every((p) => /^\d+\.\d{6}$/.test(p.SpotPrice!)));
    }
    const windows = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ["m5.large"], ProductDescriptions: ["Windows"], AvailabilityZone: "us-east-1a", StartTime: new Date() }));
    const linux = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ["m5.large"], ProductDescriptions: ["Linux/UNIX"], AvailabilityZone: "us-east-1a", StartTime: new Date() }));
    assert.ok(Number(windows.SpotPriceHistory![0].SpotPrice) > Number(linux.SpotPriceHistory![0].SpotPrice));
  });

  it("answers the current price for a StartTime of now, and the same history to every caller", async () => {
    const now = stratus.clock.now();
    const ask = () =>
      ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ["t2.micro"], ProductDescriptions: ["Linux/UNIX"], AvailabilityZone: "us-east-1a", StartTime: now }));
    const first = await ask();
    assert.equal(first.SpotPriceHistory!.length, 1);
    const current = first.SpotPriceHistory![0];
    assert.ok(current.Timestamp!.getTime() <= now.getTime() && current.Timestamp!.getTime() > now.getTime() - EPOCH_MS);
    assert.deepEqual((await ask()).SpotPriceHistory, first.SpotPriceHistory);
    await stratus.clock.advance("1d");
    const later = await ec2.send(
      new DescribeSpotPriceHistoryCommand({ InstanceTypes: ["t2.micro"], ProductDescriptions: ["Linux/UNIX"], AvailabilityZone: "us-east-1a", StartTime: now }),
    );
    assert.ok(later.SpotPriceHistory!.length >= 4, "a day of 6-hour price periods");
    assert.deepEqual(later.SpotPriceHistory!.at(-1), current, "the oldest record is the price in effect at StartTime");
    const times = later.SpotPriceHistory!.map((p) => p.Timestamp!.getTime());
    assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");
  });

  it("filters by zone, type and product, honours time windows, and pages without repeats", async () => {
    const end = stratus.clock.now();
    const start = new Date(end.getTime() - 3 * 86_400_000);
    const filtered = await ec2.send(
      new DescribeSpotPriceHistoryCommand({
        StartTime: start,
        EndTime: end,
        Filters: [
          { Name: "instance-type", Values: ["c5.*"] },
          { Name: "availability-zone", Values: ["us-east-1b"] },
          { Name: "product-description", Values: ["Linux/UNIX (Amazon VPC)"] },
        ],
      }),
    );
    assert.ok(filtered.SpotPriceHistory!.length > 0);
    assert.ok(filtered.SpotPriceHistory!.every((p) => p.InstanceType!.startsWith("c5.") && p.AvailabilityZone === "us-east-1b" && p.ProductDescription === "Linux/UNIX (Amazon VPC)"));
    assert.ok(filtered.SpotPriceHistory!.every((p) => p.Timestamp!.getTime() <= end.getTime() && p.Timestamp!.getTime() > start.getTime() - EPOCH_MS));
    const seen = new Set<string>();
    let token: string | undefined;
    let total = 0;
    do {
      const page: DescribeSpotPriceHistoryCommandOutput = await ec2.send(
        new DescribeSpotPriceHistoryCommand({ InstanceTypes: ["t3.micro", "t3.small"], StartTime: start, EndTime: end, MaxResults: 100, NextToken: token }),
      );
      for (const p of page.SpotPriceHistory!) seen.add(`${p.InstanceType}/${p.AvailabilityZone}/${p.ProductDescription}/${p.Timestamp!.toISOString()}`);
      total += page.SpotPriceHistory!.length;
      token = page.NextToken;
    } while (token);
    assert.equal(seen.size, total);
    assert.ok(total > 200);
    await rejectsWith(ec2.send(new DescribeSpotPriceHistoryCommand({ AvailabilityZone: "us-east-1z" })), "InvalidParameterValue");
    await rejectsWith(ec2.send(new DescribeSpotPriceHistoryCommand({ ProductDescriptions: ["BeOS"] })), "InvalidParameterValue");
  });

  it("fulfils a request whose maximum price covers the spot price, defaulting the maximum to on-demand", async () => {
    const { SpotInstanceRequests } = await ec2.send(
      new RequestSpotInstancesCommand({
        InstanceCount: 2,
        LaunchSpecification: { ImageId: ami, InstanceType: "t3.micro", SecurityGroupIds: [sg], IamInstanceProfile: { Name: "spot-profile" } },
        TagSpecifications: [{ ResourceType: "spot-instances-request", Tags: [{ Key: "Name", Value: "trainer" }] }],
      }),
    );
    assert.equal(SpotInstanceRequests!.length, 2);
    for (const r of SpotInstanceRequests!) {
      assert.match(r.SpotInstanceRequestId!, /^sir-[a-z0-9]{8}$/);
      assert.equal(r.SpotPrice, onDemandPrice("t3.micro", "us-east-1")!.toFixed(6));
      assert.deepEqual([r.State, r.Status!.Code, r.Type], ["active", "fulfilled", "one-time"]);
      assert.deepEqual(r.Tags, [{ Key: "Name", Value: "trainer" }]);
      const i = await instance(r.InstanceId!);
      assert.deepEqual([i.InstanceLifecycle, i.SpotInstanceRequestId, i.InstanceType], ["spot", r.SpotInstanceRequestId, "t3.micro"]);
      assert.equal(r.LaunchedAvailabilityZone, i.Placement!.AvailabilityZone);
    }
    const byFilter = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-lifecycle", Values: ["spot"] }, { Name: "spot-instance-request-id", Values: [SpotInstanceRequests![0].SpotInstanceRequestId!] }] }));
    assert.equal(byFilter.Reservations!.flatMap((r) => r.Instances!).length, 1);
    await rejectsWith(ec2.send(new StopInstancesCommand({ InstanceIds: [SpotInstanceRequests![0].InstanceId!] })), "UnsupportedOperation", /one-time Spot Instance request/);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [SpotInstanceRequests![0].InstanceId!] }));
    const closed = await request(SpotInstanceRequests![0].SpotInstanceRequestId!);
    assert.deepEqual([closed.State, closed.Status!.Code], ["closed", "instance-terminated-by-user"]);
  });

  it("keeps a request open with price-too-low, and fulfils it when the price falls within its maximum", async () => {
    const now = stratus.clock.now().getTime();
    const cheapest = (t: number) => Math.min(...ZONES.map((zone) => spotPriceAt({ type: "m5.large", zone, product: "Linux/UNIX" }, "us-east-1", t).price));
    const current = cheapest(now);
    // The lowest price the next week brings (per the documented model), below today's.
    let target = { price: current, at: now };
    for (let t = now; t < now + 7 * 86_400_000; t += 600_000) {
      const p = cheapest(t);
      if (p < target.price) target = { price: p, at: t };
    }
    assert.ok(target.price < current, "the model moves below the current price within a week");
    const { SpotInstanceRequests } = await ec2.send(
      new RequestSpotInstancesCommand({ SpotPrice: target.price.toFixed(4), Type: "persistent", LaunchSpecification: { ImageId: ami, InstanceType: "m5.large" } }),
    );
    const id = SpotInstanceRequests![0].SpotInstanceRequestId!;
    const open = await request(id);
    assert.deepEqual([open.State, open.Status!.Code], ["open", "price-too-low"]);
    assert.match(open.Status!.Message!, /Your Spot request price of [\d.]+ is lower than the minimum required Spot request fulfillment price of [\d.]+\./);
    assert.equal(open.InstanceId, undefined);

    await stratus.clock.set(target.at + 60_000);
    const active = await request(id);
    assert.deepEqual([active.State, active.Status!.Code], ["active", "fulfilled"]);
    const launched = await instance(active.InstanceId!);
    assert.ok(launched.LaunchTime!.getTime() <= target.at + 60_000 && launched.LaunchTime!.getTime() >= epochStart({ type: "m5.large", zone: launched.Placement!.AvailabilityZone!, product: "Linux/UNIX" }, target.at));

    // Persistent: terminating the instance reopens the request, which launches another.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [active.InstanceId!] }));
    const reopened = await request(id);
    assert.deepEqual([reopened.State, reopened.Status!.Code], ["open", "instance-terminated-by-user"]);
    await stratus.clock.advance("5s");
    const again = await request(id);
    if (again.State === "active") assert.notEqual(again.InstanceId, active.InstanceId);
    else assert.equal(again.Status!.Code, "price-too-low");

    const cancelled = await ec2.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [id] }));
    assert.equal(cancelled.CancelledSpotInstanceRequests![0].State, "cancelled");
    const final = await request(id);
    assert.equal(final.State, "cancelled");
    assert.ok(["request-canceled-and-instance-running", "canceled-before-fulfillment"].includes(final.Status!.Code!));
  });

  it("cancels an open request before fulfilment, and answers NotFound for unknown ids", async () => {
    const { SpotInstanceRequests } = await ec2.send(new RequestSpotInstancesCommand({ SpotPrice: "0.0001", LaunchSpecification: { ImageId: ami, InstanceType: "c5.large" } }));
    const id = SpotInstanceRequests![0].SpotInstanceRequestId!;
    await ec2.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [id] }));
    const r = await request(id);
    assert.deepEqual([r.State, r.Status!.Code], ["cancelled", "canceled-before-fulfillment"]);
    await rejectsWith(ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: ["sir-00000000"] })), "InvalidSpotInstanceRequestID.NotFound", /sir-00000000/);
    await rejectsWith(ec2.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: ["sir-bad"] })), "InvalidSpotInstanceRequestID.Malformed");
    await rejectsWith(ec2.send(new RequestSpotInstancesCommand({ LaunchSpecification: { ImageId: "ami-0123456789abcdef0", InstanceType: "t3.micro" } })), "InvalidAMIID.NotFound");
    await rejectsWith(
      ec2.send(new RequestSpotInstancesCommand({ Type: "one-time", InstanceInterruptionBehavior: "stop", LaunchSpecification: { ImageId: ami, InstanceType: "t3.micro" } })),
      "InvalidParameterCombination",
    );
    const open = await ec2.send(new DescribeSpotInstanceRequestsCommand({ Filters: [{ Name: "state", Values: ["cancelled"] }, { Name: "launch.instance-type", Values: ["c5.large"] }] }));
    assert.deepEqual(open.SpotInstanceRequests!.map((s) => s.SpotInstanceRequestId), [id]);
  });

  it("expires an open request at ValidUntil", async () => {
    const validUntil = new Date(stratus.clock.now().getTime() + 3_600_000);
    const { SpotInstanceRequests } = await ec2.send(new RequestSpotInstancesCommand({ SpotPrice: "0.0001", ValidUntil: validUntil, LaunchSpecification: { ImageId: ami, InstanceType: "r5.large" } }));
    const id = SpotInstanceRequests![0].SpotInstanceRequestId!;
    await stratus.clock.advance("59m");
    assert.equal((await request(id)).State, "open");
    await stratus.clock.advance("2m");
    const expired = await request(id);
    assert.deepEqual([expired.State, expired.Status!.Code], ["closed", "schedule-expired"]);
  });

  it("launches spot instances through RunInstances' market options, or refuses a price too low", async () => {
    const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.small", MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: "spot" } }));
    const launched = r.Instances![0];
    assert.equal(launched.InstanceLifecycle, "spot");
    assert.match(launched.SpotInstanceRequestId!, /^sir-/);
    assert.equal((await request(launched.SpotInstanceRequestId!)).InstanceId, launched.InstanceId);
    await rejectsWith(
      ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.small", MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: "spot", SpotOptions: { MaxPrice: "0.0001" } } })),
      "SpotMaxPriceTooLow",
      /Your Spot request price of 0.0001 is lower than the minimum required Spot request fulfillment price of/,
    );
  });
});

describe("EC2 spot fleets", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;
  let role: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images![0].ImageId!;
    const iam = new IAMClient(sdkConfig(stratus));
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "spotfleet.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    role = (await iam.send(new CreateRoleCommand({ RoleName: "aws-ec2-spot-fleet-tagging-role", AssumeRolePolicyDocument: trust }))).Role!.Arn!;
  });
  after(() => stratus.stop());

  const fleet = async (id: string) => (await ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [id] }))).SpotFleetRequestConfigs![0];
  const members = async (id: string) => {
    const { ActiveInstances } = await ec2.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId: id }));
    const ids = ActiveInstances!.map((a) => a.InstanceId!);
    if (!ids.length) return [];
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    return Reservations!.flatMap((r) => r.Instances!);
  };

  it("needs an existing fleet role", async () => {
    await rejectsWith(
      ec2.send(new RequestSpotFleetCommand({ SpotFleetRequestConfig: { IamFleetRole: "arn:aws:iam::000000000000:role/missing", TargetCapacity: 1, LaunchSpecifications: [{ ImageId: ami, InstanceType: "t3.micro" }] } })),
      "InvalidSpotFleetRequestConfig",
      /IamFleetRole/,
    );
  });

  it("fills the target from the cheapest pool with lowestPrice (the exercise's fleet)", async () => {
    const { SpotFleetRequestId } = await ec2.send(
      new RequestSpotFleetCommand({
        SpotFleetRequestConfig: {
          IamFleetRole: role,
          AllocationStrategy: "lowestPrice",
          TargetCapacity: 2,
          SpotPrice: "0.05",
          LaunchSpecifications: [
            { ImageId: ami, InstanceType: "t2.small", TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Fleet", Value: "exercise" }] }] },
            { ImageId: ami, InstanceType: "t3.small" },
          ],
        },
      }),
    );
    assert.match(SpotFleetRequestId!, /^sfr-[0-9a-f-]{36}$/);
    const described = await fleet(SpotFleetRequestId!);
    assert.deepEqual([described.SpotFleetRequestState, described.ActivityStatus, described.SpotFleetRequestConfig!.FulfilledCapacity], ["active", "fulfilled", 2]);
    const instances = await members(SpotFleetRequestId!);
    assert.equal(instances.length, 2);
    const now = stratus.clock.now().getTime();
    const pools = ["t2.small", "t3.small"].flatMap((type) =>
      ZONES.map((zone) => ({ type, zone, price: spotPriceAt({ type, zone, product: "Linux/UNIX" }, "us-east-1", now).price })),
    );
    const best = pools.sort((a, b) => a.price - b.price)[0];
    for (const i of instances) {
      assert.deepEqual([i.InstanceType, i.Placement!.AvailabilityZone, i.InstanceLifecycle], [best.type, best.zone, "spot"]);
      assert.equal(i.Tags!.find((t) => t.Key === "aws:ec2spot:fleet-request-id")!.Value, SpotFleetRequestId);
    }
  });

  it("spreads across pools with diversified, uses one pool with capacityOptimized, and counts weights", async () => {
    const diversified = await ec2.send(
      new RequestSpotFleetCommand({ SpotFleetRequestConfig: { IamFleetRole: role, AllocationStrategy: "diversified", TargetCapacity: 6, LaunchSpecifications: [{ ImageId: ami, InstanceType: "m5.large" }] } }),
    );
    const spread = await members(diversified.SpotFleetRequestId!);
    assert.equal(spread.length, 6);
    assert.equal(new Set(spread.map((i) => i.Placement!.AvailabilityZone)).size, 6);

    const optimized = await ec2.send(
      new RequestSpotFleetCommand({
        SpotFleetRequestConfig: {
          IamFleetRole: role,
          AllocationStrategy: "capacityOptimized",
          TargetCapacity: 8,
          LaunchSpecifications: [
            { ImageId: ami, InstanceType: "c5.large", WeightedCapacity: 2 },
            { ImageId: ami, InstanceType: "c5.xlarge", WeightedCapacity: 4 },
          ],
        },
      }),
    );
    const pooled = await members(optimized.SpotFleetRequestId!);
    assert.equal(new Set(pooled.map((i) => `${i.InstanceType}/${i.Placement!.AvailabilityZone}`)).size, 1);
    const weight = pooled[0].InstanceType === "c5.large" ? 2 : 4;
    assert.equal(pooled.length * weight, 8);
    assert.equal((await fleet(optimized.SpotFleetRequestId!)).SpotFleetRequestConfig!.FulfilledCapacity, 8);
  });

  it("maintains its target when instances go, resizes, and cancels with its instances", async () => {
    const { SpotFleetRequestId } = await ec2.send(
      new RequestSpotFleetCommand({ SpotFleetRequestConfig: { IamFleetRole: role, TargetCapacity: 3, Type: "maintain", LaunchSpecifications: [{ ImageId: ami, InstanceType: "t3a.medium" }] } }),
    );
    const id = SpotFleetRequestId!;
    const first = await members(id);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first[0].InstanceId!] }));
    await stratus.clock.advance("30s");
    const replaced = await members(id);
    assert.equal(replaced.length, 3);
    assert.ok(!replaced.some((i) => i.InstanceId === first[0].InstanceId));

    await ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: id, TargetCapacity: 5 }));
    assert.equal((await members(id)).length, 5);
    await ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: id, TargetCapacity: 2 }));
    await stratus.clock.advance("30s");
    assert.equal((await members(id)).length, 2);

    const cancel = await ec2.send(new CancelSpotFleetRequestsCommand({ SpotFleetRequestIds: [id, "sfr-00000000-0000-0000-0000-000000000000"], TerminateInstances: true }));
    assert.deepEqual(cancel.SuccessfulFleetRequests![0], { SpotFleetRequestId: id, PreviousSpotFleetRequestState: "active", CurrentSpotFleetRequestState: "cancelled_terminating" });
    assert.equal(cancel.UnsuccessfulFleetRequests![0].Error!.Code, "fleetRequestIdDoesNotExist");
    await stratus.clock.advance("30s");
    assert.equal((await fleet(id)).SpotFleetRequestState, "cancelled");
    assert.equal((await members(id)).length, 0);
  });
});
