/**
 * Spot interruptions on the virtual clock: when the spot price of an
 * instance's pool rises above its request's maximum price, the request is
 * marked, and two minutes later the instance is terminated or stopped with
 * AWS's reasons and status codes; persistent requests come back when the
 * price falls again. Prices are read through DescribeSpotPriceHistory.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSpotFleetInstancesCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSpotPriceHistoryCommand,
  RequestSpotFleetCommand,
  RequestSpotInstancesCommand,
  type EC2Client,
  type Instance,
  type SpotInstanceRequest,
} from "@aws-sdk/client-ec2";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig } from "../support/stratus.js";
import { JAMMY_FILTER, startEc2 } from "./support.js";

const TYPE = "m5.large";
const ZONE = "us-east-1b";
const HOUR = 3_600_000;

describe("EC2 spot interruptions", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;
  let sg: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2({ clockStart: "2026-03-02T00:00:00Z" }));
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images!.sort((a, b) => (a.CreationDate! < b.CreationDate! ? -1 : 1)).at(-1)!.ImageId!;
    sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "spot-interruptions", Description: "spot" }))).GroupId!;
  });
  after(() => stratus.stop());

  const instance = async (id: string): Promise<Instance> => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
  const request = async (id: string): Promise<SpotInstanceRequest> => (await ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [id] }))).SpotInstanceRequests![0];
  /** The pool's spot price now, as DescribeSpotPriceHistory reports it. */
  const priceNow = async (): Promise<number> => {
    const { SpotPriceHistory } = await ec2.send(
      new DescribeSpotPriceHistoryCommand({ InstanceTypes: [TYPE], AvailabilityZone: ZONE, ProductDescriptions: ["Linux/UNIX"], StartTime: new Date(stratus.clock.now()) }),
    );
    return Number(SpotPriceHistory![0].SpotPrice);
  };
  const requestAtCurrentPrice = async (options: { Type?: "one-time" | "persistent"; InstanceInterruptionBehavior?: "terminate" | "stop" } = {}) => {
    const price = await priceNow();
    const { SpotInstanceRequests } = await ec2.send(
      new RequestSpotInstancesCommand({
        SpotPrice: price.toFixed(6),
        ...options,
        LaunchSpecification: { ImageId: ami, InstanceType: TYPE, SecurityGroupIds: [sg], Placement: { AvailabilityZone: ZONE } },
      }),
    );
    const id = SpotInstanceRequests![0].SpotInstanceRequestId!;
    const fulfilled = await request(id);
    assert.equal(fulfilled.Status!.Code, "fulfilled");
    return { id, maxPrice: price, instanceId: fulfilled.InstanceId! };
  };
  /** Moves the clock to just after the pool's next price change (prices change every six hours). */
  const nextPriceChange = async (): Promise<void> => {
    const { SpotPriceHistory } = await ec2.send(
      new DescribeSpotPriceHistoryCommand({ InstanceTypes: [TYPE], AvailabilityZone: ZONE, ProductDescriptions: ["Linux/UNIX"], StartTime: new Date(stratus.clock.now()) }),
    );
    await stratus.clock.set(SpotPriceHistory![0].Timestamp!.getTime() + 6 * HOUR + 1000);
  };
  /** Moves the clock from price change to price change until the request is marked; checks it was marked exactly when the price passed its maximum. */
  const advanceUntilMarked = async (id: string, maxPrice: number): Promise<SpotInstanceRequest> => {
    for (let change = 0; change < 4 * 30; change++) {
      await nextPriceChange();
      const current = await request(id);
      const price = await priceNow();
      if (current.Status!.Code!.startsWith("marked-for-")) {
        assert.ok(price > maxPrice, `marked at ${price}, maximum ${maxPrice}`);
        return current;
      }
      assert.ok(price <= maxPrice, `not marked at ${price}, above the maximum ${maxPrice}`);
    }
    throw new Error("the price never rose above the maximum in 30 days");
  };

  it("terminates a one-time request's instance two minutes after the price passes its maximum", async () => {
    const { id, maxPrice, instanceId } = await requestAtCurrentPrice();
    await stratus.clock.advance("1m");
    assert.equal((await instance(instanceId)).State!.Name, "running");
    const marked = await advanceUntilMarked(id, maxPrice);
    assert.equal(marked.Status!.Code, "marked-for-termination");
    assert.equal(marked.State, "closed");
    // The notice: still running for up to two minutes.
    assert.equal((await instance(instanceId)).State!.Name, "running");
    const markedAt = marked.Status!.UpdateTime!.getTime();
    await stratus.clock.set(new Date(markedAt + 119_000).toISOString());
    assert.equal((await instance(instanceId)).State!.Name, "running");
    await stratus.clock.advance("2s");
    const going = await instance(instanceId);
    assert.ok(["shutting-down", "terminated"].includes(going.State!.Name!), going.State!.Name);
    assert.equal(going.StateReason!.Code, "Server.SpotInstanceTermination");
    const after = await request(id);
    assert.equal(after.Status!.Code, "instance-terminated-by-price");
    assert.equal(after.State, "closed");
    // The aws CLI sees the same.
    const cli = await awsCli(stratus, ["ec2", "describe-spot-instance-requests", "--spot-instance-request-ids", id, "--query", "SpotInstanceRequests[0].[State,Status.Code]", "--output", "text"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout.trim(), "closed\tinstance-terminated-by-price");
  });

  it("stops a persistent request's instance and starts it again when the price falls back", async () => {
    const { id, maxPrice, instanceId } = await requestAtCurrentPrice({ Type: "persistent", InstanceInterruptionBehavior: "stop" });
    const marked = await advanceUntilMarked(id, maxPrice);
    assert.equal(marked.Status!.Code, "marked-for-stop");
    assert.equal(marked.State, "active");
    await stratus.clock.advance("3m");
    const stopped = await instance(instanceId);
    assert.ok(["stopping", "stopped"].includes(stopped.State!.Name!), stopped.State!.Name);
    assert.equal(stopped.StateReason!.Code, "Server.SpotInstanceShutdown");
    const disabled = await request(id);
    assert.equal(disabled.State, "disabled");
    assert.equal(disabled.Status!.Code, "instance-stopped-by-price");
    // Hour by hour: the instance stays stopped while the price is above the maximum, and runs again once it is not.
    for (let change = 0; change < 4 * 30; change++) {
      await nextPriceChange();
      const price = await priceNow();
      const state = (await instance(instanceId)).State!.Name!;
      if (price <= maxPrice) {
        assert.ok(["pending", "running"].includes(state), `${state} at ${price} <= ${maxPrice}`);
        const back = await request(id);
        assert.equal(back.State, "active");
        assert.equal(back.Status!.Code, "fulfilled");
        assert.equal(back.InstanceId, instanceId);
        return;
      }
      assert.equal(state, "stopped");
    }
    throw new Error("the price never came back under the maximum");
  });

  it("a maintained spot fleet replaces an interrupted member once the price allows", async () => {
    const iam = new IAMClient(sdkConfig(stratus));
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "spotfleet.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    const role = (await iam.send(new CreateRoleCommand({ RoleName: "interruptions-fleet-role", AssumeRolePolicyDocument: trust }))).Role!.Arn!;
    const maxPrice = await priceNow();
    const { SpotFleetRequestId } = await ec2.send(
      new RequestSpotFleetCommand({
        SpotFleetRequestConfig: {
          IamFleetRole: role,
          TargetCapacity: 1,
          Type: "maintain",
          SpotPrice: maxPrice.toFixed(6),
          LaunchSpecifications: [{ ImageId: ami, InstanceType: TYPE, Placement: { AvailabilityZone: ZONE } }],
        },
      }),
    );
    const members = async () => (await ec2.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId }))).ActiveInstances!.map((i) => i.InstanceId!);
    const [first] = await members();
    assert.ok(first);
    let interrupted = false;
    for (let change = 0; change < 4 * 30; change++) {
      await nextPriceChange();
      await stratus.clock.advance("2m1s"); // past the interruption notice
      const price = await priceNow();
      const now = await members();
      if (!interrupted && price > maxPrice) {
        interrupted = true;
        assert.equal((await instance(first)).StateReason!.Code, "Server.SpotInstanceTermination");
        assert.deepEqual(now, [], "no member while the price is above the fleet's maximum");
      } else if (interrupted && price <= maxPrice) {
        assert.equal(now.length, 1);
        assert.notEqual(now[0], first);
        return;
      }
    }
    throw new Error(interrupted ? "the fleet never replaced its member" : "the price never rose above the maximum");
  });

  it("never interrupts at the default maximum price (on-demand)", async () => {
    const { SpotInstanceRequests } = await ec2.send(
      new RequestSpotInstancesCommand({ LaunchSpecification: { ImageId: ami, InstanceType: TYPE, SecurityGroupIds: [sg], Placement: { AvailabilityZone: ZONE } } }),
    );
    const id = SpotInstanceRequests![0].SpotInstanceRequestId!;
    const instanceId = (await request(id)).InstanceId!;
    const start = stratus.clock.now().getTime();
    await stratus.clock.advance("20d");
    const { SpotPriceHistory } = await ec2.send(
      new DescribeSpotPriceHistoryCommand({ InstanceTypes: [TYPE], AvailabilityZone: ZONE, ProductDescriptions: ["Linux/UNIX"], StartTime: new Date(start), EndTime: new Date(start + 20 * 24 * HOUR) }),
    );
    const prices = SpotPriceHistory!.map((p) => Number(p.SpotPrice));
    const onDemand = Number((await request(id)).SpotPrice);
    assert.ok(Math.max(...prices) > Math.min(...prices), "prices moved");
    assert.ok(Math.max(...prices) <= onDemand);
    assert.equal((await instance(instanceId)).State!.Name, "running");
    assert.equal((await request(id)).Status!.Code, "fulfilled");
  });
});
