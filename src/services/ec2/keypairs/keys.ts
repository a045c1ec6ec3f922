/**
 * Key material: real RSA 2048 (PKCS#1 PEM) and ED25519 (OpenSSH format)
 * private keys that `ssh-keygen -y` accepts, OpenSSH public keys, and the
 * fingerprints EC2 shows for each kind:
 *  - RSA created by EC2: SHA-1 of the PKCS#8 DER private key, colon-separated hex;
 *  - RSA imported: MD5 of the DER public key (SubjectPublicKeyInfo), colon-separated hex;
 *  - ED25519 (created or imported): base64 SHA-256 of the OpenSSH public key blob.
 */
import { crypto } from "../../../core/crypto.js";
import type { KeyObject } from "node:crypto";

export interface GeneratedKey {
  privateKey: string;
  publicKey: string;
  fingerprint: string;
}

function sshString(value: Buffer | string): Buffer {
  const data = typeof value === "string" ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

/** An SSH mpint: big-endian, with a leading zero byte when the top bit is set. */
function sshMpint(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  let bytes = value.subarray(start);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return sshString(bytes);
}

function colonHex(digest: Buffer): string {
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function rsaPublicBlob(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" }) as { n: string; e: string };
  return Buffer.concat([sshString("ssh-rsa"), sshMpint(Buffer.from(jwk.e, "base64url")), sshMpint(Buffer.from(jwk.n, "base64url"))]);
}

function ed25519PublicBlob(publicKey: Buffer): Buffer {
  return Buffer.concat([sshString("ssh-ed25519"), sshString(publicKey)]);
}

/** PuTTY's key file format, version 2, unencrypted. */
function ppk(algorithm: string, comment: string, publicBlob: Buffer, privateBlob: Buffer): string {
  const lines = (data: Buffer) => data.toString("base64").match(/.{1,64}/g) ?? [];
  const macKey = crypto().createHash("sha1").update("putty-private-key-file-mac-key").digest();
  const mac = crypto().createHmac("sha1", macKey)
    .update(Buffer.concat([sshString(algorithm), sshString("none"), sshString(comment), sshString(publicBlob), sshString(privateBlob)]))
    .digest("hex");
  const publicLines = lines(publicBlob);
  const privateLines = lines(privateBlob);
  return [
    `PuTTY-User-Key-File-2: ${algorithm}`,
    "Encryption: none",
    `Comment: ${comment}`,
    `Public-Lines: ${publicLines.length}`,
    ...publicLines,
    `Private-Lines: ${privateLines.length}`,
    ...privateLines,
    `Private-MAC: ${mac}`,
  ].join("\n");
}

export function generateRsaKey(comment: string, format: "pem" | "ppk" = "pem"): GeneratedKey {
  const { privateKey, publicKey } = crypto().generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
  let material = privateKey.export({ type: "pkcs1", format: "pem" }).toString().trimEnd();
  if (format === "ppk") {
    const jwk = privateKey.export({ format: "jwk" }) as { d: string; p: string; q: string; qi: string };
    const b = (v: string) => sshMpint(Buffer.from(v, "base64url"));
    material = ppk("ssh-rsa", comment, rsaPublicBlob(publicKey), Buffer.concat([b(jwk.d), b(jwk.p), b(jwk.q), b(jwk.qi)]));
  }
  return {
    privateKey: material,
    publicKey: `ssh-rsa ${rsaPublicBlob(publicKey).toString("base64")} ${comment}`,
    fingerprint: colonHex(crypto().createHash("sha1").update(pkcs8).digest()),
  };
}

export function generateEd25519Key(comment: string, format: "pem" | "ppk" = "pem"): GeneratedKey {
  const { privateKey } = crypto().generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" }) as { d: string; x: string };
  const seed = Buffer.from(jwk.d, "base64url");
  const pub = Buffer.from(jwk.x, "base64url");
  const blob = ed25519PublicBlob(pub);
  // openssh-key-v1, unencrypted: https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.key
  const check = crypto().randomBytes(4);
  let secret = Buffer.concat([check, check, sshString("ssh-ed25519"), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const padding: number[] = [];
  for (let i = 1; (secret.length + padding.length) % 8 !== 0; i++) padding.push(i);
  secret = Buffer.concat([secret, Buffer.from(padding)]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    Buffer.from([0, 0, 0, 1]),
    sshString(blob),
    sshString(secret),
  ]);
  const base64 = body.toString("base64").replace(/.{1,70}/g, "$&\n");
  return {
    privateKey:
      format === "ppk" ? ppk("ssh-ed25519", comment, blob, sshString(seed)) : `-----BEGIN OPENSSH PRIVATE KEY-----\n${base64}-----END OPENSSH PRIVATE KEY-----`,
    publicKey: `ssh-ed25519 ${blob.toString("base64")} ${comment}`,
    fingerprint: crypto().createHash("sha256").update(blob).digest("base64"),
  };
}

export interface ImportedKey {
  type: "rsa" | "ed25519";
  publicKey: string;
  fingerprint: string;
}

function readSshString(buffer: Buffer, offset: number): [Buffer, number] {
  if (offset + 4 > buffer.length) throw new Error("truncated");
  const length = buffer.readUInt32BE(offset);
  if (offset + 4 + length > buffer.length) throw new Error("truncated");
  return [buffer.subarray(offset + 4, offset + 4 + length), offset + 4 + length];
}

/**
 * Reads an OpenSSH public key ("ssh-rsa AAAA... comment", "ssh-ed25519 ..."),
 * an RFC 4716 ("---- BEGIN SSH2 PUBLIC KEY ----") or a PEM public key.
 * Returns undefined when the text is none of these.
 */
export function importPublicKey(material: string): ImportedKey | undefined {
  const text = material.trim();
  try {
    let blob: Buffer | undefined;
    const openssh = /^(ssh-rsa|ssh-ed25519)\s+([A-Za-z0-9+/=]+)(\s.*)?$/.exec(text);
    if (openssh) blob = Buffer.from(openssh[2], "base64");
    else if (text.startsWith("---- BEGIN SSH2 PUBLIC KEY ----")) {
      const lines = text.split(/\r?\n/).slice(1, -1).filter((l) => !/^[\w-]+:/.test(l) && !l.startsWith(" "));
      blob = Buffer.from(lines.join(""), "base64");
    } else if (text.startsWith("-----BEGIN")) {
      const key = crypto().createPublicKey(text);
      if (key.asymmetricKeyType === "rsa") blob = rsaPublicBlob(key);
      else if (key.asymmetricKeyType === "ed25519") blob = ed25519PublicBlob(Buffer.from((key.export({ format: "jwk" }) as { x: string }).x, "base64url"));
    }
    if (!blob) return undefined;
    const [type, afterType] = readSshString(blob, 0);
    if (type.toString() === "ssh-rsa") {
      const [e, afterE] = readSshString(blob, afterType);
      const [n] = readSshString(blob, afterE);
      const modulus = n[0] === 0 ? n.subarray(1) : n;
      const bits = modulus.length * 8;
      if (bits < 1024 || bits > 4096) return undefined;
      const key = crypto().createPublicKey({ key: { kty: "RSA", n: modulus.toString("base64url"), e: e.toString("base64url") }, format: "jwk" });
      const spki = key.export({ type: "spki", format: "der" });
      return { type: "rsa", publicKey: `ssh-rsa ${blob.toString("base64")}`, fingerprint: colonHex(crypto().createHash("md5").update(spki).digest()) };
    }
    if (type.toString() === "ssh-ed25519") {
      const [pub] = readSshString(blob, afterType);
      if (pub.length !== 32) return undefined;
      return { type: "ed25519", publicKey: `ssh-ed25519 ${blob.toString("base64")}`, fingerprint: crypto().createHash("sha256").update(blob).digest("base64") };
    }
    return undefined;
  } catch {
    return undefined;
  }
}
