/**
 * Console passwords against the account's password policy, or AWS's default
 * one when the account has none: 8 to 128 characters with three of the four
 * kinds (upper case, lower case, digits, symbols). Passwords are kept only as
 * salted hashes, enough to refuse reuse.
 */
import { crypto } from "../../core/crypto.js";
import { IamErrors } from "./errors.js";
import type { PasswordPolicyRecord } from "./store.js";

/** The symbols IAM counts as "non-alphanumeric" in password policies. */
const SYMBOLS = new Set("!@#$%^&*()_+-=[]{}|'");

/** UpdateAccountPasswordPolicy's defaults for the parameters a caller leaves out. */
export const POLICY_DEFAULTS: PasswordPolicyRecord = {
  MinimumPasswordLength: 6,
  RequireSymbols: false,
  RequireNumbers: false,
  RequireUppercaseCharacters: false,
  RequireLowercaseCharacters: false,
  AllowUsersToChangePassword: false,
};

function kinds(password: string): { upper: boolean; lower: boolean; digit: boolean; symbol: boolean } {
  return {
    upper: /[A-Z]/.test(password),
    lower: /[a-z]/.test(password),
    digit: /[0-9]/.test(password),
    symbol: [...password].some((c) => SYMBOLS.has(c)),
  };
}

/** Throws PasswordPolicyViolation unless the password meets the policy (AWS's default when undefined). */
export function checkPassword(password: string, policy: PasswordPolicyRecord | undefined, previous: string[], salt: string): void {
  const has = kinds(password);
  if (!policy) {
    const count = [has.upper, has.lower, has.digit, has.symbol].filter(Boolean).length;
    if (password.length < 8 || count < 3) throw IamErrors.passwordPolicyViolation();
    return;
  }
  if (password.length < policy.MinimumPasswordLength) throw IamErrors.passwordPolicyViolation();
  if (policy.RequireUppercaseCharacters && !has.upper) throw IamErrors.passwordPolicyViolation();
  if (policy.RequireLowercaseCharacters && !has.lower) throw IamErrors.passwordPolicyViolation();
  if (policy.RequireNumbers && !has.digit) throw IamErrors.passwordPolicyViolation();
  if (policy.RequireSymbols && !has.symbol) throw IamErrors.passwordPolicyViolation();
  const remembered = policy.PasswordReusePrevention ?? 0;
  if (remembered > 0 && previous.slice(0, remembered).includes(hashPassword(password, salt))) throw IamErrors.passwordPolicyViolation();
}

export function hashPassword(password: string, salt: string): string {
  return crypto().createHash("sha256").update(`${salt}:${password}`).digest("base64");
}
