/** The wire's source of truth: pinned models match their provenance, generated code matches the models. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("models and generated code", () => {
  it("pins every model with the sha256, protocol and operation count PROVENANCE.json records", () => {
    const provenance = JSON.parse(readFileSync(path.join(ROOT, "models", "PROVENANCE.json"), "utf8"));
    assert.match(provenance.botocoreVersion, /^\d+\.\d+\.\d+$/);
    const files = readdirSync(path.join(ROOT, "models")).filter((f) => f.endsWith(".json") && f !== "PROVENANCE.json");
    assert.deepEqual(files.map((f) => f.replace(/\.json$/, "")).sort(), Object.keys(provenance.models).sort());
    for (const file of files) {
      const name = file.replace(/\.json$/, "");
      const text = readFileSync(path.join(ROOT, "models", file));
      const entry = provenance.models[name];
      assert.equal(createHash("sha256").update(text).digest("hex"), entry.sha256, `models/${file} changed without re-pinning (npm run models:refresh)`);
      const model = JSON.parse(text.toString("utf8"));
      assert.equal(model.metadata.protocol, entry.protocol);
      assert.equal(Object.keys(model.operations).length, entry.operations);
      assert.equal(model.metadata.apiVersion, entry.apiVersion);
      assert.equal(JSON.stringify(model).includes('"documentation"'), false, `models/${file} still carries documentation`);
    }
  });

  it("lists the implemented operations in docs/operations.md, up to date (operations-doc --check)", () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, "scripts", "operations-doc.mjs"), "--check"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
  });

  it("has generated interfaces that match the models (codegen --check)", () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, "scripts", "codegen.mjs"), "--check"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /generated files match the models/);
  });

  it("notices when a model changes and the generated code does not", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-codegen-"));
    try {
      for (const part of ["scripts", "models", path.join("src", "generated")]) cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
      const modelFile = path.join(dir, "models", "sts.json");
      const model = JSON.parse(readFileSync(modelFile, "utf8"));
      model.shapes.GetCallerIdentityResponse.members.Extra = { shape: "accountType" };
      writeFileSync(modelFile, JSON.stringify(model));
      const result = spawnSync(process.execPath, [path.join(dir, "scripts", "codegen.mjs"), "--check"], { encoding: "utf8" });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /generated files drifted from the models: .*sts\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
