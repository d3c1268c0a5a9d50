/**
 * File storage in an S3-compatible object store (AWS S3, MinIO, Ceph, R2, ...) through the AWS
 * SDK. An object PUT is atomic, so readers never see half a file; downloads stream the object
 * body straight through the API (which checked the caller's access), so the bucket stays private.
 */
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { assertStorageKey, type FileStorage, STORAGE_KEY, type StoredFile } from '../../export/ports.ts';

export type S3StorageOptions = {
  bucket: string;
  /** Prepended to every key (e.g. `collab-docs/exports/`), so one bucket can hold several uses. */
  prefix: string;
  region: string;
  /** Unset = AWS S3 itself. */
  endpoint?: string;
  /** Bucket in the path instead of the host name (MinIO-likes, loopback test servers). */
  forcePathStyle?: boolean;
  /** Unset = the SDK's default chain (environment, web identity / IAM role, instance metadata). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
};

/** DeleteObjects takes at most 1,000 keys per call. */
const DELETE_BATCH = 1_000;

function isMissing(err: unknown): boolean {
  return (
    err instanceof S3ServiceException &&
    (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404)
  );
}

export class S3Storage implements FileStorage {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(opts: S3StorageOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix;
    this.client = new S3Client({
      region: opts.region,
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle,
      credentials: opts.credentials,
      // Flexible checksums (CRC trailers, aws-chunked bodies) only where S3 demands them: many
      // S3-compatible stores reject the newer default, and the SDK still sends Content-MD5 where required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: opts.connectionTimeoutMs ?? 5_000,
        requestTimeout: opts.requestTimeoutMs ?? 60_000,
      },
    });
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    assertStorageKey(key);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + key,
        Body: bytes,
        ContentLength: bytes.byteLength,
      }),
    );
  }

  async open(key: string): Promise<StoredFile | null> {
    assertStorageKey(key);
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      // In Node the body is an http.IncomingMessage: a Readable, streamed to the client as it arrives.
      return { stream: object.Body as Readable, size: object.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertStorageKey(key);
    // S3 answers 204 for a missing key too.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
  }

  async sweep(olderThan: Date, keep: (key: string) => boolean): Promise<number> {
    const doomed: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: this.prefix },
    )) {
      for (const object of page.Contents ?? []) {
        if (!object.Key || !object.LastModified) continue;
        const key = object.Key.slice(this.prefix.length);
        if (!STORAGE_KEY.test(key) || keep(key) || object.LastModified >= olderThan) continue;
        doomed.push(object.Key);
      }
    }
    let removed = 0;
    for (let i = 0; i < doomed.length; i += DELETE_BATCH) {
      const batch = doomed.slice(i, i + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(`S3 refused to delete ${failed.length} object(s), e.g. ${failed[0]?.Key}: ${failed[0]?.Code}`);
      }
      removed += batch.length;
    }
    return removed;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
