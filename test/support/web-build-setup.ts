/**
 * Vitest global setup: builds the web app once (only when its sources changed since the last
 * build) before any browser test starts, so parallel test files never race on dist/web.
 * A failed build is handed to the browser tests (which fail with it) instead of failing the
 * whole run.
 */
import type { TestProject } from 'vitest/node';
import { buildWebIfStale, DEFAULT_WEB_DIR } from '../../src/web/web-build.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    webBuildError: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  try {
    await buildWebIfStale(DEFAULT_WEB_DIR);
    project.provide('webBuildError', '');
  } catch (err) {
    project.provide('webBuildError', err instanceof Error ? err.message : String(err));
  }
}
