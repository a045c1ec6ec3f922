/**
 * Credentials from the instance metadata service, as on an instance with a
 * role: session credentials issued by Stratus's STS, served by an IMDS
 * stand-in, used (and verified by strict auth) to read the model.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import { modelTensors, SMALL_MODEL } from "./reference.js";
import { saveStateDict } from "./torch-writer.js";
import { EXERCISE_METADATA, KEYS, MODEL_KEY, reload, startCloud, startImds, startWorkload, type Cloud } from "./support.js";

describe("inference server credentials from IMDS", () => {
  let cloud: Cloud;
  let session: { accessKeyId: string; secretAccessKey: string; sessionToken: string };

  before(async () => {
    cloud = await startCloud();
    await cloud.put(MODEL_KEY, saveStateDict(modelTensors(SMALL_MODEL, 5)), EXERCISE_METADATA);
    const sts = new STSClient({ endpoint: cloud.stratus.endpoint, region: "us-east-1", credentials: KEYS, maxAttempts: 1 });
    const issued = (await sts.send(new GetSessionTokenCommand({ DurationSeconds: 3600 }))).Credentials!;
    session = { accessKeyId: issued.AccessKeyId!, secretAccessKey: issued.SecretAccessKey!, sessionToken: issued.SessionToken! };
  });
  after(() => cloud?.stratus.stop());

  /** A server with no credentials of its own, asking `imdsEndpoint`. */
  async function loadWith(imdsEndpoint: string) {
    const server = await startWorkload(cloud.serverOptions({ credentials: undefined, imdsEndpoint }));
    try {
      return await reload(server);
    } finally {
      await server.close();
    }
  }

  it("gets an IMDSv2 token, then the role's session credentials, and reads the model with them", async () => {
    const imds = await startImds(session);
    try {
      const { status, body } = await loadWith(imds.url);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.model_version, "1.0");
      assert.equal(imds.requests[0], "PUT /latest/api/token -");
      assert.ok(imds.requests.includes("GET /latest/meta-data/iam/security-credentials/ imds-token-0123456789"));
      assert.ok(imds.requests.includes("GET /latest/meta-data/iam/security-credentials/ml-inference-role imds-token-0123456789"));
    } finally {
      await imds.close();
    }
  });

  it("falls back to IMDSv1 when the token is refused", async () => {
    const imds = await startImds(session, { v1Only: true });
    try {
      const { status } = await loadWith(imds.url);
      assert.equal(status, 200);
      assert.ok(imds.requests.includes("GET /latest/meta-data/iam/security-credentials/ml-inference-role -"));
    } finally {
      await imds.close();
    }
  });

  it("fails to load, saying why, with wrong credentials or no metadata service", async () => {
    const imds = await startImds({ ...session, secretAccessKey: "not-the-secret" });
    try {
      const { status, body } = await loadWith(imds.url);
      assert.equal(status, 503);
      assert.match(body.error, /SignatureDoesNotMatch/);
    } finally {
      await imds.close();
    }
    const gone = await loadWith(imds.url);
    assert.equal(gone.status, 503);
    assert.match(gone.body.error, /no AWS credentials: none in the environment .* does not answer/);
  });
});
