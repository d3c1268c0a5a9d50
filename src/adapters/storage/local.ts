/**
 * File storage in a local directory (the embedded default): written atomically (temp file +
 * rename), so a reader never sees half a file. Only one host sees it — several instances need
 * the PostgreSQL or S3 store (docs/operations.md "Export storage").
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertStorageKey, type FileStorage, STORAGE_KEY, type StoredFile } from '../../export/ports.ts';

export class LocalDirectoryStorage implements FileStorage {
  private readonly dir: string;
  private ready: Promise<unknown> | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  private ensureDir(): Promise<unknown> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    return this.ready;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    assertStorageKey(key);
    await this.ensureDir();
    const tmp = join(this.dir, `.${key}.${process.pid}.tmp`);
    try {
      await writeFile(tmp, bytes);
      // A reader never sees a half-written file: the name appears only once the bytes are there.
      await rename(tmp, join(this.dir, key));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async open(key: string): Promise<StoredFile | null> {
    assertStorageKey(key);
    const path = join(this.dir, key);
    try {
      const s = await stat(path);
      return { stream: createReadStream(path), size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertStorageKey(key);
    try {
      await unlink(join(this.dir, key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async sweep(olderThan: Date, keep: (key: string) => boolean): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      const isTemp = name.startsWith('.') && name.endsWith('.tmp');
      if (!isTemp && (!STORAGE_KEY.test(name) || keep(name))) continue;
      const path = join(this.dir, name);
      const s = await stat(path).catch(() => null);
      if (!s || s.mtime >= olderThan) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }
}
