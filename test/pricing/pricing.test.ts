/**
 * The Price List Query API with SDK v3 and /usr/bin/aws: products in AWS's
 * price-list shape, the filter types, pagination, and prices that agree with
 * the ones the rest of Stratus charges (spot stays below on-demand).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeSpotPriceHistoryCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  DescribeServicesCommand,
  GetAttributeValuesCommand,
  GetProductsCommand,
  paginateGetProducts,
  PricingClient,
  type Filter,
} from "@aws-sdk/client-pricing";
import type { RunningStratus } from "../../src/index.js";
import { onDemandUsd } from "../support/pricing.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

function term(Field: string, Value: string): Filter {
  return { Type: "TERM_MATCH", Field, Value };
}

describe("Pricing", () => {
  let stratus: RunningStratus;
  let pricing: PricingClient;
  before(async () => {
    stratus = await startTestStratus();
    pricing = new PricingClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  it("describes its services with their attribute names", async () => {
    const all = await pricing.send(new DescribeServicesCommand({}));
    assert.equal(all.FormatVersion, "aws_v1");
    assert.deepEqual(all.Services!.map((s) => s.ServiceCode).sort(), ["AmazonEC2", "AmazonS3", "AmazonVPC"]);
    const ec2 = await pricing.send(new DescribeServicesCommand({ ServiceCode: "AmazonEC2" }));
    for (const name of ["instanceType", "location", "operatingSystem", "tenancy", "volumeApiName", "regionCode"]) assert.ok(ec2.Services![0].AttributeNames!.includes(name), name);
    const unknown = await pricing.send(new DescribeServicesCommand({ ServiceCode: "AmazonNothing" }));
    assert.deepEqual(unknown.Services, []);
  });

  it("prices an instance type in a region as a price-list document", async () => {
    const { PriceList } = await pricing.send(
      new GetProductsCommand({
        ServiceCode: "AmazonEC2",
        Filters: [term("instanceType", "t3.medium"), term("location", "US East (N. Virginia)"), term("operatingSystem", "Linux"), term("tenancy", "Shared"), term("preInstalledSw", "NA"), term("capacitystatus", "Used")],
      }),
    );
    assert.equal(PriceList!.length, 1);
    const item = JSON.parse(PriceList![0] as string);
    assert.equal(item.serviceCode, "AmazonEC2");
    assert.equal(item.product.productFamily, "Compute Instance");
    assert.equal(item.product.attributes.vcpu, "2");
    assert.equal(item.product.attributes.memory, "4 GiB");
    assert.equal(item.product.attributes.usagetype, "BoxUsage:t3.medium");
    assert.match(item.product.sku, /^[A-Z0-9]{16}$/);
    assert.equal(onDemandUsd(item), 0.0416);
    // Windows carries its licence; Frankfurt costs more than Virginia.
    const windows = await pricing.send(new GetProductsCommand({ ServiceCode: "AmazonEC2", Filters: [term("instanceType", "t3.medium"), term("regionCode", "us-east-1"), term("operatingSystem", "Windows")] }));
    assert.ok(onDemandUsd(JSON.parse(windows.PriceList![0] as string)) > 0.0416);
    const frankfurt = await pricing.send(new GetProductsCommand({ ServiceCode: "AmazonEC2", Filters: [term("instanceType", "t3.medium"), term("location", "EU (Frankfurt)"), term("operatingSystem", "Linux")] }));
    const item2 = JSON.parse(frankfurt.PriceList![0] as string);
    assert.equal(item2.product.attributes.usagetype, "EUC1-BoxUsage:t3.medium");
    assert.ok(onDemandUsd(item2) > 0.0416);
  });

  it("filters with ANY_OF, CONTAINS and NONE_OF, and lists attribute values", async () => {
    const gpu = await pricing.send(
      new GetProductsCommand({
        ServiceCode: "AmazonEC2",
        Filters: [
          { Type: "ANY_OF", Field: "instanceType", Value: "g4dn.xlarge,g5.xlarge" },
          { Type: "CONTAINS", Field: "location", Value: "Oregon" },
          { Type: "NONE_OF", Field: "operatingSystem", Value: "Windows,RHEL,SUSE" },
        ],
      }),
    );
    const types = gpu.PriceList!.map((p: any) => JSON.parse(p as string).product.attributes.instanceType).sort();
    assert.deepEqual(types, ["g4dn.xlarge", "g5.xlarge"]);
    const classes = await pricing.send(new GetAttributeValuesCommand({ ServiceCode: "AmazonS3", AttributeName: "volumeType" }));
    assert.ok(classes.AttributeValues!.some((v) => v.Value === "Standard - Infrequent Access"));
    const gp3 = await pricing.send(new GetProductsCommand({ ServiceCode: "AmazonEC2", Filters: [term("volumeApiName", "gp3"), term("productFamily", "Storage"), term("regionCode", "us-east-1")] }));
    assert.equal(onDemandUsd(JSON.parse(gp3.PriceList![0] as string)), 0.08);
  });

  it("pages with NextToken and refuses a token from another query", async () => {
    const pages: number[] = [];
    const skus = new Set<string>();
    for await (const page of paginateGetProducts({ client: pricing, pageSize: 40 }, { ServiceCode: "AmazonS3", Filters: [term("productFamily", "Storage")] })) {
      pages.push(page.PriceList!.length);
      for (const item of page.PriceList!) skus.add(JSON.parse(item as string).product.sku);
    }
    assert.ok(pages.length > 1, String(pages));
    assert.equal(skus.size, pages.reduce((a, b) => a + b, 0));
    const first = await pricing.send(new GetProductsCommand({ ServiceCode: "AmazonS3", MaxResults: 5 }));
    await assert.rejects(pricing.send(new GetProductsCommand({ ServiceCode: "AmazonEC2", MaxResults: 5, NextToken: first.NextToken })), { name: "InvalidNextTokenException" });
    await assert.rejects(pricing.send(new GetProductsCommand({ ServiceCode: "Amazon EC2" })), { name: "InvalidParameterException" });
  });

  it("agrees with EC2: spot prices stay below the on-demand price list", async () => {
    const ec2 = new EC2Client(sdkConfig(stratus, "us-west-2"));
    const history = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ["m5.large"], ProductDescriptions: ["Linux/UNIX"] }));
    assert.ok(history.SpotPriceHistory!.length > 0);
    const { PriceList } = await pricing.send(new GetProductsCommand({ ServiceCode: "AmazonEC2", Filters: [term("instanceType", "m5.large"), term("regionCode", "us-west-2"), term("operatingSystem", "Linux")] }));
    const onDemand = onDemandUsd(JSON.parse(PriceList![0] as string));
    for (const point of history.SpotPriceHistory!) assert.ok(Number(point.SpotPrice) <= onDemand, `${point.SpotPrice} > ${onDemand}`);
  });

  it("answers the aws CLI's get-products with a --query over the price list", async () => {
    const result = await awsCli(stratus, [
      "pricing", "get-products", "--region", "us-east-1", "--service-code", "AmazonS3",
      "--filters", "Type=TERM_MATCH,Field=regionCode,Value=us-east-1", "Type=TERM_MATCH,Field=volumeType,Value=Standard",
      "--query", "PriceList[0]", "--output", "text",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const item = JSON.parse(result.stdout);
    const [offer] = Object.values(item.terms.OnDemand) as any[];
    const tiers = (Object.values(offer.priceDimensions) as any[]).map((d) => [d.beginRange, d.endRange, d.pricePerUnit.USD]);
    assert.deepEqual(tiers, [["0", "51200", "0.0230000000"], ["51200", "512000", "0.0220000000"], ["512000", "Inf", "0.0210000000"]]);
  });
});
