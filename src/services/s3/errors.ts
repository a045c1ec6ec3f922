/** S3's error catalogue: codes, statuses and messages as AWS documents them, defined once. */
import { AwsError } from "../../core/errors.js";

/** User-defined metadata: at most 2 KB, the UTF-8 bytes of every key and value together. */
export const MAX_METADATA_BYTES = 2048;

const e = (code: string, message: string, status: number, fields?: Record<string, string | number | undefined>, headers?: Record<string, string>) =>
  new AwsError(code, message, { status, fields, headers });

export const S3Errors = {
  metadataTooLarge: (size: number) =>
    e("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", 400, { Size: size, MaxSizeAllowed: MAX_METADATA_BYTES }),
  noSuchBucket: (bucket: string) => e("NoSuchBucket", "The specified bucket does not exist", 404, { BucketName: bucket }),
  noSuchKey: (key: string, headers?: Record<string, string>) => e("NoSuchKey", "The specified key does not exist.", 404, { Key: key }, headers),
  noSuchVersion: (key: string, versionId: string) => e("NoSuchVersion", "The specified version does not exist.", 404, { Key: key, VersionId: versionId }),
  noSuchUpload: (uploadId: string) =>
    e("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", 404, { UploadId: uploadId }),
  /** A bucket that has had versioning says what is left in it: versions (and delete markers). */
  bucketNotEmpty: (bucket: string, versioned = false) =>
    e("BucketNotEmpty", versioned ? "The bucket you tried to delete is not empty. You must delete all versions in the bucket." : "The bucket you tried to delete is not empty", 409, {
      BucketName: bucket,
    }),
  bucketAlreadyExists: (bucket: string) =>
    e("BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", 409, { BucketName: bucket }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    e("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409, { BucketName: bucket }),
  invalidBucketName: (bucket: string) => e("InvalidBucketName", "The specified bucket is not valid.", 400, { BucketName: bucket }),
  illegalLocationConstraint: (constraint: string | undefined) =>
    e(
      "IllegalLocationConstraintException",
      constraint
        ? `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`
        : "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
      400,
    ),
  invalidLocationConstraint: (constraint: string) =>
    e("InvalidLocationConstraint", "The specified location-constraint is not valid", 400, { LocationConstraint: constraint }),
  keyTooLong: (size: number) => e("KeyTooLongError", "Your key is too long", 400, { MaxSizeAllowed: 1024, Size: size }),
  invalidRange: (range: string, size: number) =>
    e("InvalidRange", "The requested range is not satisfiable", 416, { RangeRequested: range, ActualObjectSize: size }, { "content-range": `bytes */${size}` }),
  preconditionFailed: (condition: string) =>
    e("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, { Condition: condition }),
  notModified: (headers: Record<string, string>) => e("NotModified", "Not Modified", 304, undefined, headers),
  badDigest: (expected?: string, calculated?: string) =>
    e("BadDigest", "The Content-MD5 you specified did not match what we received.", 400, { ExpectedDigest: expected, CalculatedDigest: calculated }),
  badChecksum: (algorithm: string) => e("BadDigest", `The ${algorithm} you specified did not match the calculated checksum.`, 400),
  invalidDigest: (value: string) => e("InvalidDigest", "The Content-MD5 you specified is not valid.", 400, { "Content-MD5": value }),
  sha256Mismatch: (client: string, computed: string) =>
    e("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
      ClientComputedContentSHA256: client,
      S3ComputedContentSHA256: computed,
    }),
  invalidPart: (uploadId: string, partNumber: number, etag?: string) =>
    e(
      "InvalidPart",
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      400,
      { UploadId: uploadId, PartNumber: partNumber, ETag: etag },
    ),
  invalidPartOrder: (uploadId: string) =>
    e("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", 400, { UploadId: uploadId }),
  entityTooSmall: (size: number, partNumber: number, etag: string) =>
    e("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", 400, {
      ProposedSize: size,
      MinSizeAllowed: 5 * 1024 * 1024,
      PartNumber: partNumber,
      ETag: etag,
    }),
  entityTooLarge: (size: number, max: number) =>
    e("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400, { ProposedSize: size, MaxSizeAllowed: max }),
  invalidArgument: (message: string, name?: string, value?: string) =>
    e("InvalidArgument", message, 400, { ArgumentName: name, ArgumentValue: value }),
  invalidRequest: (message: string) => e("InvalidRequest", message, 400),
  invalidObjectState: (storageClass: string, accessTier?: string) =>
    accessTier
      ? e("InvalidObjectState", "The operation is not valid for the object's access tier", 403, { StorageClass: storageClass, AccessTier: accessTier })
      : e("InvalidObjectState", "The operation is not valid for the object's storage class", 403, { StorageClass: storageClass }),
  invalidStorageClass: (storageClass: string) =>
    e("InvalidStorageClass", "The storage class you specified is not valid", 400, { StorageClassRequested: storageClass }),
  methodNotAllowed: (method: string, resourceType: string, headers?: Record<string, string>) =>
    e("MethodNotAllowed", "The specified method is not allowed against this resource.", 405, { Method: method, ResourceType: resourceType }, headers),
  incompleteBody: () => e("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header", 400),
  missingContentLength: () => e("MissingContentLength", "You must provide the Content-Length HTTP header.", 411),
  malformedXml: () =>
    e("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400),
  invalidPartNumber: () => e("InvalidPartNumber", "The requested partnumber is not satisfiable", 416),
  accessDenied: () => e("AccessDenied", "Access Denied", 403),
  badRequest: (message: string) => e("BadRequest", message, 400),
  invalidTag: (message: string) => e("InvalidTag", message, 400),
  noSuchTagSet: () => e("NoSuchTagSet", "The TagSet does not exist", 404),
  invalidToken: () => e("InvalidArgument", "The continuation token provided is incorrect", 400, { ArgumentName: "continuation-token" }),
  notImplementedHeader: (header: string) =>
    e("NotImplemented", "A header you provided implies functionality that is not implemented", 501, { Header: header }),
  signatureDoesNotMatch: () =>
    e("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", 403),
};
