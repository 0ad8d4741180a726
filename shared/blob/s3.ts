import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { createReadStream } from "node:fs";
import { type BlobStore, checkKey } from "./store.ts";

/** Where an S3-compatible store is and how to sign for it. */
export interface S3BlobStoreOptions {
  bucket: string;
  /** Service URL, e.g. `http://127.0.0.1:4568` for s3rver; absent: AWS by region. */
  endpoint?: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key prefix inside the bucket, e.g. `llmseg/`. */
  prefix?: string;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "NoSuchKey" || name === "NotFound";
}

/**
 * A {@link BlobStore} on an S3-compatible service (@aws-sdk/client-s3, path-style addressing so
 * s3rver and MinIO-like servers work). A PutObject is atomic by the S3 contract.
 */
export function s3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region ?? "us-east-1",
    forcePathStyle: true,
    // Trailing-checksum (aws-chunked) uploads are not understood by every S3-compatible server.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
  });
  const Bucket = options.bucket;
  const prefix = options.prefix ?? "";
  const keyOf = (key: string): string => prefix + checkKey(key);

  return {
    async put(key, bytes) {
      await client.send(new PutObjectCommand({ Bucket, Key: keyOf(key), Body: bytes }));
    },
    async putFile(key, path) {
      const { size } = await Deno.stat(path);
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: keyOf(key),
          Body: createReadStream(path),
          ContentLength: size,
        }),
      );
    },
    async get(key) {
      try {
        const reply = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(key) }));
        return reply.Body?.transformToWebStream() as ReadableStream<Uint8Array> | undefined;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async read(key) {
      try {
        const reply = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(key) }));
        return reply.Body ? await reply.Body.transformToByteArray() : undefined;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async stat(key) {
      try {
        const reply = await client.send(new HeadObjectCommand({ Bucket, Key: keyOf(key) }));
        return { size: reply.ContentLength ?? 0 };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(key) }));
    },
    async list(listPrefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const reply = await client.send(
          new ListObjectsV2Command({
            Bucket,
            Prefix: prefix + listPrefix,
            ContinuationToken: token,
          }),
        );
        for (const item of reply.Contents ?? []) {
          if (item.Key) keys.push(item.Key.slice(prefix.length));
        }
        token = reply.IsTruncated ? reply.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
  };
}
