/**
 * GenerateMac and VerifyMac on HMAC keys (HMAC_224/256/384/512, key usage
 * GENERATE_VERIFY_MAC). The HMAC key never leaves KMS, as on AWS; the MAC
 * algorithm must be the one the key spec names.
 */
import type { GenerateMacRequest, GenerateMacResponse, VerifyMacRequest, VerifyMacResponse } from "../../generated/kms.js";
import { crypto } from "../../core/crypto.js";
import { KmsErrors } from "./errors.js";
import type { KeyRing } from "./keys.js";
import { HMAC_SPECS, MAC_ALGORITHMS } from "./specs.js";
import type { KeyRecord } from "./store.js";

export class Macs {
  constructor(private readonly ring: KeyRing) {}

  generate(key: KeyRecord, input: GenerateMacRequest): GenerateMacResponse {
    this.check(key, input, "GenerateMac");
    return { KeyId: key.Arn, Mac: this.mac(key, input), MacAlgorithm: input.MacAlgorithm };
  }

  verify(key: KeyRecord, input: VerifyMacRequest): VerifyMacResponse {
    this.check(key, input, "VerifyMac");
    const expected = this.mac(key, input);
    if (input.Mac.length !== expected.length || !crypto().timingSafeEqual(input.Mac, expected)) throw KmsErrors.invalidMac();
    return { KeyId: key.Arn, MacValid: true, MacAlgorithm: input.MacAlgorithm };
  }

  private check(key: KeyRecord, input: GenerateMacRequest, operation: string): void {
    this.ring.assertUsage(key, "GENERATE_VERIFY_MAC", operation);
    if (HMAC_SPECS[key.KeySpec]?.algorithm !== input.MacAlgorithm) throw KmsErrors.incompatibleAlgorithm(input.MacAlgorithm, key.KeySpec);
    this.ring.assertUsable(key);
    if (input.DryRun) throw KmsErrors.dryRun();
  }

  private mac(key: KeyRecord, input: GenerateMacRequest): Buffer {
    return crypto().createHmac(MAC_ALGORITHMS[input.MacAlgorithm], this.ring.secret(key)).update(input.Message).digest();
  }
}
