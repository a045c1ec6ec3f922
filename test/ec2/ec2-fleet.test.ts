/**
 * EC2 Fleet through the SDK and the aws CLI: instant fleets (spot and
 * on-demand in one call), allocation strategies and weights, MaxTotalPrice,
 * attribute-based selection with vCPU units, maintain fleets that replace
 * instances and interrupted spot capacity on the virtual clock, ModifyFleet,
 * DeleteFleets, ValidFrom/ValidUntil, DescribeFleetHistory, filters and
 * AWS's errors.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  DeleteFleetsCommand,
  DescribeFleetHistoryCommand,
  DescribeFleetInstancesCommand,
  DescribeFleetsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSpotPriceHistoryCommand,
  ModifyFleetCommand,
  TerminateInstancesCommand,
  type CreateFleetCommandInput,
  type EC2Client,
  type Instance,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { awsCli } from "../support/stratus.js";
import { JAMMY_FILTER, rejectsWith, startEc2 } from "./support.js";

const HOUR = 3_600_000;
const FLEET_TAG = "aws:ec2:fleet-id";

async function setup(clockStart?: string) {
  const { stratus, ec2 } = await startEc2(clockStart ? { clockStart } : {});
  const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
  const ami = Images![0].ImageId!;
  let n = 0;
  const template = async (data: Record<string, unknown> = {}) =>
    (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `fleet-${++n}`, LaunchTemplateData: { ImageId: ami, ...data } }))).LaunchTemplate!.LaunchTemplateId!;
  const fleet = async (id: string) => (await ec2.send(new DescribeFleetsCommand({ FleetIds: [id] }))).Fleets![0];
  const instances = async (ids: string[]): Promise<Instance[]> =>
    ids.length ? (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations!.flatMap((r) => r.Instances!) : [];
  const members = async (id: string) => instances((await ec2.send(new DescribeFleetInstancesCommand({ FleetId: id }))).ActiveInstances!.map((a) => a.InstanceId!));
  const history = async (id: string, since = 0) => (await ec2.send(new DescribeFleetHistoryCommand({ FleetId: id, StartTime: new Date(since) }))).HistoryRecords!;
  const subTypes = async (id: string) => (await history(id)).map((h) => h.EventInformation!.EventSubType);
  /** Current spot prices per type and zone, as DescribeSpotPriceHistory reports them. */
  const prices = async (types: string[]) => {
    const { SpotPriceHistory } = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: types as never, ProductDescriptions: ["Linux/UNIX"], StartTime: new Date(stratus.clock.now()) }));
    return SpotPriceHistory!.map((p) => ({ type: p.InstanceType!, zone: p.AvailabilityZone!, price: Number(p.SpotPrice) }));
  };
  const create = (input: Partial<CreateFleetCommandInput> & Pick<CreateFleetCommandInput, "LaunchTemplateConfigs" | "TargetCapacitySpecification">) => ec2.send(new CreateFleetCommand(input));
  return { stratus, ec2, ami, template, fleet, instances, members, history, subTypes, prices, create };
}

describe("EC2 Fleet", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let stratus: RunningStratus;
  let ec2: EC2Client;
  before(async () => {
    t = await setup();
    ({ stratus, ec2 } = t);
  });
  after(() => stratus.stop());

  it("launches an instant fleet of spot and on-demand instances in the call, tagged with the fleet", async () => {
    const lt = await t.template({ InstanceType: "t3.micro", TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "role", Value: "trainer" }] }] });
    const spot = await t.prices(["t3.small", "m5.large"]);
    const { FleetId, Instances, Errors } = await t.create({
      Type: "instant",
      LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "$Latest" }, Overrides: [{ InstanceType: "m5.large" }, { InstanceType: "t3.small" }] }],
      TargetCapacitySpecification: { TotalTargetCapacity: 5, OnDemandTargetCapacity: 2, DefaultTargetCapacityType: "spot" },
      TagSpecifications: [{ ResourceType: "fleet", Tags: [{ Key: "team", Value: "ml" }] }, { ResourceType: "instance", Tags: [{ Key: "job", Value: "batch-1" }] }],
    });
    assert.match(FleetId!, /^fleet-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(Errors, []);
    const onDemand = Instances!.filter((i) => i.Lifecycle === "on-demand").flatMap((i) => i.InstanceIds!);
    const spotIds = Instances!.filter((i) => i.Lifecycle === "spot").flatMap((i) => i.InstanceIds!);
    assert.deepEqual([onDemand.length, spotIds.length], [2, 3]);
    // On-demand: the cheapest type (lowest-price); spot: the cheapest pool.
    const cheapest = spot.sort((a, b) => a.price - b.price)[0];
    for (const i of await t.instances(onDemand)) {
      assert.deepEqual([i.InstanceType, i.InstanceLifecycle, i.SpotInstanceRequestId], ["t3.small", undefined, undefined]);
    }
    for (const i of await t.instances(spotIds)) {
      assert.deepEqual([i.InstanceType, i.Placement!.AvailabilityZone, i.InstanceLifecycle], [cheapest.type, cheapest.zone, "spot"]);
      const request = (await ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [i.SpotInstanceRequestId!] }))).SpotInstanceRequests![0];
      assert.deepEqual([request.State, request.Status!.Code, request.InstanceId], ["active", "fulfilled", i.InstanceId]);
    }
    for (const i of await t.instances([...onDemand, ...spotIds])) {
      const tags = Object.fromEntries(i.Tags!.map((tag) => [tag.Key, tag.Value]));
      assert.deepEqual([tags[FLEET_TAG], tags.role, tags.job, tags["aws:ec2launchtemplate:id"]], [FleetId, "trainer", "batch-1", lt]);
    }
    const described = await t.fleet(FleetId!);
    assert.deepEqual([described.Type, described.FleetState, described.FulfilledCapacity, described.FulfilledOnDemandCapacity], ["instant", "active", 5, 2]);
    assert.deepEqual(described.Tags, [{ Key: "team", Value: "ml" }]);
    assert.equal(described.Instances!.flatMap((i) => i.InstanceIds!).length, 5);
    const listed = (await ec2.send(new DescribeFleetsCommand({}))).Fleets!.map((f) => f.FleetId);
    assert.ok(!listed.includes(FleetId), "instant fleets are listed only by id");
    await rejectsWith(ec2.send(new DescribeFleetInstancesCommand({ FleetId })), "Unsupported", /instant fleet/);
  });

  it("fills spot capacity from the cheapest pool per unit, counting weights, across InstancePoolsToUseCount pools", async () => {
    const lt = await t.template();
    const weights: Record<string, number> = { "m5.large": 2, "m5.xlarge": 4, "c5.large": 1 };
    const best = (await t.prices(Object.keys(weights))).sort((a, b) => a.price / weights[a.type] - b.price / weights[b.type])[0];
    const { FleetId } = await t.create({
      Type: "request",
      LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "1" }, Overrides: Object.entries(weights).map(([type, w]) => ({ InstanceType: type as never, WeightedCapacity: w })) }],
      TargetCapacitySpecification: { TotalTargetCapacity: 9, DefaultTargetCapacityType: "spot" },
    });
    const launched = await t.members(FleetId!);
    assert.equal(launched.length, Math.ceil(9 / weights[best.type]));
    assert.ok(launched.every((i) => i.InstanceType === best.type && i.Placement!.AvailabilityZone === best.zone));
    assert.equal((await t.fleet(FleetId!)).FulfilledCapacity, launched.length * weights[best.type]);

    const two = (await t.prices(["c5.large"])).sort((a, b) => a.price - b.price).slice(0, 2).map((p) => p.zone).sort();
    const spread = await t.create({
      Type: "request",
      SpotOptions: { AllocationStrategy: "lowest-price", InstancePoolsToUseCount: 2 },
      LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "$Default" }, Overrides: [{ InstanceType: "c5.large" }] }],
      TargetCapacitySpecification: { TotalTargetCapacity: 4, DefaultTargetCapacityType: "spot" },
    });
    const zones = (await t.members(spread.FleetId!)).map((i) => i.Placement!.AvailabilityZone!);
    assert.deepEqual([...new Set(zones)].sort(), two);
    assert.deepEqual(zones.filter((z) => z === two[0]).length, 2);
  });

  it("orders on-demand capacity by price or by priority, and stops at MaxTotalPrice", async () => {
    const lt = await t.template({ InstanceType: "t3.micro" });
    const overrides = [{ InstanceType: "m5.large" as const, Priority: 1 }, { InstanceType: "c5.large" as const, Priority: 0 }, { InstanceType: "t3.small" as const }];
    const typesOf = async (allocation: "lowest-price" | "prioritized") => {
      const { Instances } = await t.create({
        Type: "instant",
        OnDemandOptions: { AllocationStrategy: allocation },
        LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "1" }, Overrides: overrides }],
        TargetCapacitySpecification: { TotalTargetCapacity: 2, DefaultTargetCapacityType: "on-demand" },
      });
      return Instances!.map((i) => i.InstanceType);
    };
    assert.deepEqual(await typesOf("lowest-price"), ["t3.small"]);
    assert.deepEqual(await typesOf("prioritized"), ["c5.large"]);
    // t3.micro is $0.0104 an hour: $0.05 buys four of the ten asked for.
    const capped = await t.create({
      Type: "instant",
      OnDemandOptions: { MaxTotalPrice: "0.05" },
      LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "1" } }],
      TargetCapacitySpecification: { TotalTargetCapacity: 10, DefaultTargetCapacityType: "on-demand" },
    });
    assert.equal(capped.Instances!.flatMap((i) => i.InstanceIds!).length, 4);
    assert.equal((await t.fleet(capped.FleetId!)).FulfilledCapacity, 4);
  });

  it("selects instance types by attributes and counts capacity in vCPUs", async () => {
    const lt = await t.template();
    const { Instances, FleetId } = await t.create({
      Type: "instant",
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "1" },
          Overrides: [{ InstanceRequirements: { VCpuCount: { Min: 4, Max: 8 }, MemoryMiB: { Min: 16384 }, AcceleratorManufacturers: ["nvidia"], AcceleratorCount: { Min: 1 } } }],
        },
      ],
      TargetCapacitySpecification: { TotalTargetCapacity: 16, DefaultTargetCapacityType: "spot", TargetCapacityUnitType: "vcpu" },
    });
    const launched = await t.instances(Instances!.flatMap((i) => i.InstanceIds!));
    const vcpus = launched.reduce((n, i) => n + i.CpuOptions!.CoreCount! * i.CpuOptions!.ThreadsPerCore!, 0);
    assert.ok(launched.every((i) => /^(g4dn|g5|p3)\./.test(i.InstanceType!)), launched.map((i) => i.InstanceType).join());
    assert.ok(vcpus >= 16 && vcpus < 24, `${vcpus} vCPUs`);
    assert.equal((await t.fleet(FleetId!)).TargetCapacitySpecification!.TargetCapacityUnitType, "vcpu");
    await rejectsWith(
      t.create({
        LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "1" }, Overrides: [{ InstanceType: "m5.large" }] }],
        TargetCapacitySpecification: { TotalTargetCapacity: 4, DefaultTargetCapacityType: "spot", TargetCapacityUnitType: "vcpu" },
      }),
      "InvalidParameterCombination",
      /InstanceRequirements/,
    );
  });

  it("maintains its target, resizes with ModifyFleet, and records its history", async () => {
    const lt = await t.template({ InstanceType: "t3.micro" });
    const start = stratus.clock.now().getTime();
    const { FleetId } = await t.create({
      LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "1" } }],
      TargetCapacitySpecification: { TotalTargetCapacity: 4, DefaultTargetCapacityType: "spot" },
      TagSpecifications: [{ ResourceType: "fleet", Tags: [{ Key: "team", Value: "infra" }] }],
    });
    const id = FleetId!;
    const described = await t.fleet(id);
    assert.deepEqual([described.Type, described.FleetState, described.ActivityStatus, described.ExcessCapacityTerminationPolicy], ["maintain", "active", "fulfilled", "termination"]);
    assert.deepEqual(described.TargetCapacitySpecification, { TotalTargetCapacity: 4, OnDemandTargetCapacity: 0, SpotTargetCapacity: 4, DefaultTargetCapacityType: "spot" });
    const first = await t.members(id);
    assert.equal(first.length, 4);

    // A terminated member is replaced on the clock.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first[0].InstanceId!] }));
    assert.equal((await t.fleet(id)).FulfilledCapacity, 3);
    await stratus.clock.advance("30s");
    const replaced = await t.members(id);
    assert.equal(replaced.length, 4);
    assert.ok(!replaced.some((i) => i.InstanceId === first[0].InstanceId));

    // Down with termination: the excess goes; no-termination keeps what runs; up launches more, on-demand too.
    await ec2.send(new ModifyFleetCommand({ FleetId: id, TargetCapacitySpecification: { TotalTargetCapacity: 2 } }));
    const shrunk = await t.fleet(id);
    assert.deepEqual([shrunk.FleetState, shrunk.ActivityStatus, shrunk.FulfilledCapacity], ["active", "pending_termination", 2]);
    assert.equal((await t.members(id)).length, 2);
    await stratus.clock.advance("2m");
    assert.equal((await t.fleet(id)).ActivityStatus, "fulfilled");
    await ec2.send(new ModifyFleetCommand({ FleetId: id, TargetCapacitySpecification: { TotalTargetCapacity: 5, OnDemandTargetCapacity: 1 } }));
    const grown = await t.members(id);
    assert.deepEqual([grown.length, grown.filter((i) => !i.InstanceLifecycle).length], [5, 1]);
    await ec2.send(new ModifyFleetCommand({ FleetId: id, ExcessCapacityTerminationPolicy: "no-termination", TargetCapacitySpecification: { TotalTargetCapacity: 3, OnDemandTargetCapacity: 0 } }));
    assert.equal((await t.members(id)).length, 5);
    assert.equal((await t.fleet(id)).FulfilledCapacity, 5);

    const records = await t.history(id, start);
    const kinds = records.map((r) => `${r.EventType}:${r.EventInformation!.EventSubType}`);
    assert.deepEqual(kinds.slice(0, 3), ["fleet-change:submitted", "fleet-change:active", "instance-change:launched"]);
    for (const kind of ["instance-change:terminated", "instance-change:termination_notified", "fleet-change:modify_in_progress", "fleet-change:modify_succeeded"]) assert.ok(kinds.includes(kind), kind);
    const launched = records.find((r) => r.EventInformation!.EventSubType === "launched")!;
    assert.equal(JSON.parse(launched.EventInformation!.EventDescription!).instanceType, "t3.micro");
    assert.ok(launched.Timestamp!.getTime() >= start && launched.Timestamp!.getTime() < start + 1000);
    const times = records.map((r) => r.Timestamp!.getTime());
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    const onlyFleet = await ec2.send(new DescribeFleetHistoryCommand({ FleetId: id, StartTime: new Date(start), EventType: "fleet-change" }));
    assert.ok(onlyFleet.HistoryRecords!.every((r) => r.EventType === "fleet-change"));
    assert.ok(onlyFleet.LastEvaluatedTime);
    const paged = await ec2.send(new DescribeFleetHistoryCommand({ FleetId: id, StartTime: new Date(start), MaxResults: 2 }));
    assert.equal(paged.HistoryRecords!.length, 2);
    assert.ok(paged.NextToken && !paged.LastEvaluatedTime);
    await rejectsWith(ec2.send(new DescribeFleetHistoryCommand({ FleetId: id } as never)), "MissingParameter", /StartTime/);

    // Tags, filters and paging.
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "stage", Value: "prod" }] }));
    assert.deepEqual((await t.fleet(id)).Tags, [{ Key: "team", Value: "infra" }, { Key: "stage", Value: "prod" }]);
    const byTag = await ec2.send(new DescribeFleetsCommand({ Filters: [{ Name: "tag:team", Values: ["infra"] }, { Name: "fleet-state", Values: ["active"] }, { Name: "type", Values: ["maintain"] }] }));
    assert.deepEqual(byTag.Fleets!.map((f) => f.FleetId), [id]);
    const page = await ec2.send(new DescribeFleetsCommand({ MaxResults: 1 }));
    assert.equal(page.Fleets!.length, 1);
    assert.ok(page.NextToken);
    await rejectsWith(ec2.send(new DescribeFleetsCommand({ Filters: [{ Name: "colour", Values: ["x"] }] })), "InvalidParameterValue", /colour/);
  });

  it("deletes fleets with or without their instances, with errors per fleet", async () => {
    const lt = await t.template({ InstanceType: "t3.micro" });
    const make = async (type: "maintain" | "instant" = "maintain") =>
      (await t.create({ Type: type, LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "1" } }], TargetCapacitySpecification: { TotalTargetCapacity: 2, DefaultTargetCapacityType: "spot" } }))
        .FleetId!;
    const keep = await make();
    const drop = await make();
    const instant = await make("instant");
    const kept = await t.members(keep);
    const dropped = await t.members(drop);
    const running = await ec2.send(new DeleteFleetsCommand({ FleetIds: [keep, instant, "fleet-00000000-0000-0000-0000-000000000000", "fleet-bad"], TerminateInstances: false }));
    assert.deepEqual(running.SuccessfulFleetDeletions, [{ FleetId: keep, PreviousFleetState: "active", CurrentFleetState: "deleted_running" }]);
    assert.deepEqual(running.UnsuccessfulFleetDeletions!.map((u) => [u.FleetId, u.Error!.Code]), [
      [instant, "NoTerminateInstancesNotSupported"],
      ["fleet-00000000-0000-0000-0000-000000000000", "fleetIdDoesNotExist"],
      ["fleet-bad", "fleetIdMalformed"],
    ]);
    const stillRunning = await t.instances(kept.map((i) => i.InstanceId!));
    assert.ok(stillRunning.every((i) => ["pending", "running"].includes(i.State!.Name!)));
    const request = (await ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [kept[0].SpotInstanceRequestId!] }))).SpotInstanceRequests![0];
    assert.deepEqual([request.State, request.Status!.Code], ["cancelled", "request-canceled-and-instance-running"]);

    const terminating = await ec2.send(new DeleteFleetsCommand({ FleetIds: [drop, instant], TerminateInstances: true }));
    assert.deepEqual(terminating.SuccessfulFleetDeletions!.map((s) => s.CurrentFleetState), ["deleted_terminating", "deleted_terminating"]);
    await stratus.clock.advance("2m");
    assert.equal((await t.fleet(drop)).FleetState, "deleted");
    assert.equal((await t.fleet(instant)).FleetState, "deleted");
    assert.ok((await t.instances(dropped.map((i) => i.InstanceId!))).every((i) => i.State!.Name === "terminated"));
    // A deleted_running fleet is done once its instances are.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: kept.map((i) => i.InstanceId!) }));
    await stratus.clock.advance("2m");
    assert.equal((await t.fleet(keep)).FleetState, "deleted");
    assert.deepEqual(await t.subTypes(keep).then((s) => s.filter((x) => x!.startsWith("deleted"))), ["deleted_running", "deleted"]);
    const again = await ec2.send(new DeleteFleetsCommand({ FleetIds: [keep], TerminateInstances: true }));
    assert.equal(again.UnsuccessfulFleetDeletions![0].Error!.Code, "fleetNotInDeletableState");
    // Deleted fleets go two days later.
    await stratus.clock.advance("3d");
    await rejectsWith(ec2.send(new DescribeFleetsCommand({ FleetIds: [keep] })), "InvalidFleetId.NotFound", new RegExp(keep));
  });

  it("starts at ValidFrom and expires at ValidUntil, terminating with TerminateInstancesWithExpiration", async () => {
    const lt = await t.template({ InstanceType: "t3.micro" });
    const now = stratus.clock.now().getTime();
    const { FleetId } = await t.create({
      Type: "request",
      ValidFrom: new Date(now + HOUR),
      ValidUntil: new Date(now + 3 * HOUR),
      TerminateInstancesWithExpiration: true,
      LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "1" } }],
      TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: "on-demand" },
    });
    assert.deepEqual([(await t.fleet(FleetId!)).FleetState, (await t.fleet(FleetId!)).FulfilledCapacity], ["submitted", 0]);
    await stratus.clock.advance("61m");
    const [member] = await t.members(FleetId!);
    assert.equal((await t.fleet(FleetId!)).FleetState, "active");
    await stratus.clock.advance("2h");
    assert.equal((await t.instances([member.InstanceId!]))[0].State!.Name, "terminated");
    assert.equal((await t.fleet(FleetId!)).FleetState, "deleted");
    assert.ok((await t.subTypes(FleetId!)).includes("expired"));
  });

  it("answers AWS's errors for bad requests, and repeats itself for a repeated ClientToken", async () => {
    const lt = await t.template({ InstanceType: "t3.micro" });
    const ref = { LaunchTemplateId: lt, Version: "1" };
    const target = { TotalTargetCapacity: 2, DefaultTargetCapacityType: "spot" as const };
    const bad = async (input: Partial<CreateFleetCommandInput>, code: string, message?: RegExp) =>
      rejectsWith(t.create({ LaunchTemplateConfigs: [{ LaunchTemplateSpecification: ref }], TargetCapacitySpecification: target, ...input }), code, message);
    await bad({ LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt } }] }, "MissingParameter", /Version/);
    await bad({ LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: "lt-0123456789abcdef0", Version: "1" } }] }, "InvalidLaunchTemplateId.NotFound");
    await bad({ LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateName: "nope", Version: "1" } }] }, "InvalidLaunchTemplateName.NotFoundException");
    await bad({ TargetCapacitySpecification: { TotalTargetCapacity: 2, OnDemandTargetCapacity: 2, SpotTargetCapacity: 1 } }, "InvalidParameterValue", /TotalTargetCapacity/);
    await bad({ TargetCapacitySpecification: { TotalTargetCapacity: 2 } }, "MissingParameter", /DefaultTargetCapacityType/);
    await bad({ Type: "request", SpotOptions: { InstanceInterruptionBehavior: "stop" } }, "InvalidParameterCombination", /maintain/);
    await bad({ SpotOptions: { MinTargetCapacity: 2, SingleInstanceType: true } }, "InvalidParameterCombination", /instant/);
    await bad({ Type: "instant", SpotOptions: { MinTargetCapacity: 2 } }, "InvalidParameterCombination", /SingleInstanceType/);
    await bad({ SpotOptions: { AllocationStrategy: "cheapest" as never } }, "InvalidParameterValue");
    await bad({ LaunchTemplateConfigs: [{ LaunchTemplateSpecification: ref, Overrides: [{ InstanceType: "m5.large", MaxPrice: "0.0005" }] }] }, "InvalidParameterValue", /MaxPrice/);
    await bad({ LaunchTemplateConfigs: [{ LaunchTemplateSpecification: ref, Overrides: [{ InstanceType: "m5.large" }, { InstanceType: "m5.large" }] }] }, "InvalidFleetConfig", /duplicate/);
    await bad({ LaunchTemplateConfigs: [{ LaunchTemplateSpecification: ref, Overrides: [{ AvailabilityZone: "us-east-1z" }] }] }, "InvalidParameterValue", /availability zone/);
    await bad({ TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "a", Value: "b" }] }] }, "InvalidParameterValue", /taggable/);
    await bad({ ValidUntil: new Date(stratus.clock.now().getTime() - 1000) }, "InvalidParameterValue", /ValidUntil/);
    await rejectsWith(ec2.send(new DescribeFleetsCommand({ FleetIds: ["fleet-1234"] })), "InvalidFleetId.Malformed");
    await rejectsWith(ec2.send(new DescribeFleetsCommand({ FleetIds: ["fleet-00000000-0000-0000-0000-000000000001"] })), "InvalidFleetId.NotFound");
    const request = await t.create({ Type: "request", LaunchTemplateConfigs: [{ LaunchTemplateSpecification: ref }], TargetCapacitySpecification: target });
    await rejectsWith(ec2.send(new ModifyFleetCommand({ FleetId: request.FleetId, TargetCapacitySpecification: { TotalTargetCapacity: 3 } })), "FleetNotInModifiableState");

    const input = { ClientToken: "train-42", LaunchTemplateConfigs: [{ LaunchTemplateSpecification: ref }], TargetCapacitySpecification: target };
    const first = await t.create(input);
    const second = await t.create(input);
    assert.equal(second.FleetId, first.FleetId);
    assert.equal((await t.fleet(first.FleetId!)).ClientToken, "train-42");
    await rejectsWith(t.create({ ...input, TargetCapacitySpecification: { ...target, TotalTargetCapacity: 3 } }), "IdempotentParameterMismatch");
  });

  it("creates a fleet from a JSON file with the aws CLI and describes it", async () => {
    const lt = await t.template({ InstanceType: "t3.micro" });
    const dir = mkdtempSync(path.join(tmpdir(), "fleet-"));
    const file = path.join(dir, "fleet.json");
    writeFileSync(
      file,
      JSON.stringify({
        LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "$Latest" }, Overrides: [{ InstanceType: "t3.small" }, { InstanceType: "t3.medium", WeightedCapacity: 2 }] }],
        TargetCapacitySpecification: { TotalTargetCapacity: 4, OnDemandTargetCapacity: 1, DefaultTargetCapacityType: "spot" },
        SpotOptions: { AllocationStrategy: "price-capacity-optimized" },
        Type: "maintain",
        TagSpecifications: [{ ResourceType: "fleet", Tags: [{ Key: "Name", Value: "cli-fleet" }] }],
      }),
    );
    const created = await awsCli(stratus, ["ec2", "create-fleet", "--cli-input-json", `file://${file}`]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.json().FleetId as string;
    assert.match(id, /^fleet-/);
    const described = await awsCli(stratus, ["ec2", "describe-fleets", "--fleet-ids", id, "--query", "Fleets[0].[FleetState,ActivityStatus,FulfilledCapacity,FulfilledOnDemandCapacity]", "--output", "text"]);
    assert.equal(described.code, 0, described.stderr);
    const [state, activity, fulfilled, onDemand] = described.stdout.trim().split("\t");
    assert.deepEqual([state, activity, Number(onDemand)], ["active", "fulfilled", 1]);
    assert.ok(Number(fulfilled) >= 4 && Number(fulfilled) <= 5);
    const filtered = await awsCli(stratus, ["ec2", "describe-fleets", "--filters", "Name=tag:Name,Values=cli-fleet", "Name=activity-status,Values=fulfilled"]);
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.deepEqual(filtered.json().Fleets.map((f: { FleetId: string }) => f.FleetId), [id]);
    const instances = await awsCli(stratus, ["ec2", "describe-instances", "--filters", `Name=tag:${FLEET_TAG},Values=${id}`, "--query", "Reservations[].Instances[].InstanceId", "--output", "json"]);
    assert.equal(instances.json().length, (await t.members(id)).length);
  });
});

describe("EC2 Fleet spot interruptions", () => {
  it("a maintain fleet replaces a spot instance interrupted by the price once the price allows", async () => {
    const t = await setup("2026-03-02T00:00:00Z");
    try {
      const type = "m5.large";
      const zone = "us-east-1b";
      const priceNow = async () => (await t.prices([type])).find((p) => p.zone === zone)!.price;
      const maxPrice = await priceNow();
      const lt = await t.template({ InstanceType: type });
      const { FleetId } = await t.create({
        LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: lt, Version: "1" }, Overrides: [{ AvailabilityZone: zone, MaxPrice: maxPrice.toFixed(6) }] }],
        TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: "spot" },
      });
      const [first] = await t.members(FleetId!);
      assert.ok(first);
      let interrupted = false;
      for (let change = 0; change < 4 * 30; change++) {
        const { SpotPriceHistory } = await t.ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: [type], AvailabilityZone: zone, ProductDescriptions: ["Linux/UNIX"], StartTime: new Date(t.stratus.clock.now()) }));
        await t.stratus.clock.set(SpotPriceHistory![0].Timestamp!.getTime() + 6 * HOUR + 1000);
        await t.stratus.clock.advance("2m1s"); // past the interruption notice
        const price = await priceNow();
        const now = await t.members(FleetId!);
        if (!interrupted && price > maxPrice) {
          interrupted = true;
          assert.equal((await t.instances([first.InstanceId!]))[0].StateReason!.Code, "Server.SpotInstanceTermination");
          assert.deepEqual(now, [], "no member while the price is above the fleet's maximum");
          assert.equal((await t.fleet(FleetId!)).ActivityStatus, "pending_fulfillment");
        } else if (interrupted && price <= maxPrice) {
          assert.equal(now.length, 1);
          assert.notEqual(now[0].InstanceId, first.InstanceId);
          const records = await t.history(FleetId!);
          const terminated = records.find((r) => r.EventInformation!.EventSubType === "terminated")!;
          assert.equal(terminated.EventInformation!.InstanceId, first.InstanceId);
          assert.match(terminated.EventInformation!.EventDescription!, /interrupted/);
          assert.ok(records.some((r) => r.EventType === "service-error" && r.EventInformation!.EventSubType === "launchSpecUnusable"));
          assert.ok(records.some((r) => r.EventInformation!.EventSubType === "launched" && r.EventInformation!.InstanceId === now[0].InstanceId));
          return;
        }
      }
      throw new Error(interrupted ? "the fleet never replaced its instance" : "the price never rose above the maximum");
    } finally {
      await t.stratus.stop();
    }
  });
});
