/** Key pairs: CreateKeyPair (real keys), ImportKeyPair, DescribeKeyPairs, DeleteKeyPair. */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  CreateKeyPairRequest,
  DeleteKeyPairRequest,
  DeleteKeyPairResult,
  DescribeKeyPairsRequest,
  DescribeKeyPairsResult,
  ImportKeyPairRequest,
  ImportKeyPairResult,
  KeyPair,
  KeyPairInfo,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { KINDS, checkIdShape } from "../lookup.js";
import { scopeOf } from "../network/module.js";
import type { Ec2State } from "../state.js";
import { tagsFor } from "../tags.js";
import { generateEd25519Key, generateRsaKey, importPublicKey } from "./keys.js";

export class KeyPairsModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
  ) {
    state.registerTaggable({
      prefix: "key",
      resourceType: "key-pair",
      collection: (scope) => this.keys(scope),
      notFound: { code: KINDS.keyPair.notFoundCode, noun: KINDS.keyPair.noun },
    });
  }

  /** Key pairs by KeyPairId. */
  keys(scope: Scope): ScopedCollection<KeyPairInfo> {
    return this.state.collection<KeyPairInfo>("key-pairs", scope);
  }

  findByName(scope: Scope, name: string): KeyPairInfo | undefined {
    return this.keys(scope)
      .values()
      .find((k) => k.KeyName === name);
  }

  CreateKeyPair(input: CreateKeyPairRequest, ctx: CallContext): KeyPair {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "key-pair");
    checkName(input.KeyName);
    if (this.findByName(scope, input.KeyName)) throw Ec2Errors.keyPairDuplicate(input.KeyName);
    const type = input.KeyType ?? "rsa";
    if (type !== "rsa" && type !== "ed25519") throw Ec2Errors.invalidValueFor(type, "KeyType");
    const format = input.KeyFormat ?? "pem";
    const key = type === "rsa" ? generateRsaKey(input.KeyName, format) : generateEd25519Key(input.KeyName, format);
    const record: KeyPairInfo = {
      KeyPairId: ec2Id("key"),
      KeyName: input.KeyName,
      KeyType: type,
      KeyFingerprint: key.fingerprint,
      PublicKey: key.publicKey,
      CreateTime: this.cloud.clock.date(),
      Tags: tags,
    };
    this.keys(scope).put(record.KeyPairId!, record);
    return { KeyPairId: record.KeyPairId, KeyName: record.KeyName, KeyFingerprint: record.KeyFingerprint, KeyMaterial: key.privateKey, Tags: tags.length ? tags : undefined };
  }

  ImportKeyPair(input: ImportKeyPairRequest, ctx: CallContext): ImportKeyPairResult {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "key-pair");
    checkName(input.KeyName);
    if (this.findByName(scope, input.KeyName)) throw Ec2Errors.keyPairDuplicate(input.KeyName);
    const material = Buffer.isBuffer(input.PublicKeyMaterial) ? input.PublicKeyMaterial.toString("utf8") : String(input.PublicKeyMaterial ?? "");
    const key = importPublicKey(material);
    if (!key) throw Ec2Errors.custom("InvalidKey.Format", "Key is not in valid OpenSSH public key format");
    const record: KeyPairInfo = {
      KeyPairId: ec2Id("key"),
      KeyName: input.KeyName,
      KeyType: key.type,
      KeyFingerprint: key.fingerprint,
      PublicKey: `${key.publicKey} ${input.KeyName}`,
      CreateTime: this.cloud.clock.date(),
      Tags: tags,
    };
    this.keys(scope).put(record.KeyPairId!, record);
    return { KeyPairId: record.KeyPairId, KeyName: record.KeyName, KeyFingerprint: record.KeyFingerprint, Tags: tags.length ? tags : undefined };
  }

  DescribeKeyPairs(input: DescribeKeyPairsRequest, ctx: CallContext): DescribeKeyPairsResult {
    const scope = scopeOf(ctx);
    let keys = this.keys(scope).values();
    if (input.KeyNames?.length) {
      const selected: KeyPairInfo[] = [];
      for (const name of input.KeyNames) {
        const key = keys.find((k) => k.KeyName === name);
        if (!key) throw Ec2Errors.keyPairNotFound(name);
        selected.push(key);
      }
      keys = selected;
    }
    if (input.KeyPairIds?.length) {
      for (const id of input.KeyPairIds) checkIdShape(id, { ...KINDS.keyPair, malformedCode: "InvalidKeyPair.Malformed" });
      const missing = input.KeyPairIds.filter((id) => !keys.some((k) => k.KeyPairId === id));
      if (missing.length) throw Ec2Errors.custom("InvalidKeyPair.NotFound", `The key pair '${missing.join(", ")}' does not exist`);
      keys = keys.filter((k) => input.KeyPairIds!.includes(k.KeyPairId!));
    }
    const predicate = compileFilters<KeyPairInfo>(input.Filters, {
      fields: {
        "key-pair-id": (k) => k.KeyPairId,
        "key-name": (k) => k.KeyName,
        fingerprint: (k) => k.KeyFingerprint,
        "key-type": (k) => k.KeyType,
      },
      tags: tagsOf,
    });
    const out = keys
      .filter(predicate)
      .sort((a, b) => (a.KeyName! < b.KeyName! ? -1 : 1))
      .map((k) => ({ ...k, PublicKey: input.IncludePublicKey ? k.PublicKey : undefined, Tags: k.Tags?.length ? k.Tags : [] }));
    return { KeyPairs: out };
  }

  DeleteKeyPair(input: DeleteKeyPairRequest, ctx: CallContext): DeleteKeyPairResult {
    const scope = scopeOf(ctx);
    let key: KeyPairInfo | undefined;
    if (input.KeyPairId) {
      checkIdShape(input.KeyPairId, { ...KINDS.keyPair, malformedCode: "InvalidKeyPair.Malformed" });
      key = this.keys(scope).get(input.KeyPairId);
      if (!key) throw Ec2Errors.custom("InvalidKeyPair.NotFound", `The key pair '${input.KeyPairId}' does not exist`);
    } else if (input.KeyName !== undefined) {
      // Deleting a key name that does not exist succeeds, as in EC2.
      key = this.findByName(scope, input.KeyName);
    } else throw Ec2Errors.missingParameter("KeyName");
    if (key) this.keys(scope).delete(key.KeyPairId!);
    return { Return: true, KeyPairId: key?.KeyPairId };
  }
}

function checkName(name: string): void {
  if (name.length === 0 || name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) {
    throw Ec2Errors.invalidParameterValue(`Value (${name}) for parameter keyName is invalid. Key names must be ASCII and between 1 and 255 characters.`);
  }
}
