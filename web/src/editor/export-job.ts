/** Pure rules of following an export job from the browser (tested without a browser). */

import type { ExportJob as ApiExportJob, ExportFormat } from '../api-types.ts';

export type { ExportFormat };
/** The fields of an export job (api-types.ts) these rules read. */
export type ExportJob = Pick<ApiExportJob, 'id' | 'status'> & Partial<Pick<ApiExportJob, 'error' | 'downloadUrl'>>;

export const EXPORT_CHOICES: { format: ExportFormat; label: string }[] = [
  { format: 'pdf', label: 'PDF' },
  { format: 'docx', label: 'Word (.docx)' },
  { format: 'markdown', label: 'Markdown' },
  { format: 'html', label: 'HTML' },
];

export type ExportOutcome = { kind: 'pending' } | { kind: 'ready'; url: string } | { kind: 'failed'; message: string };

export function exportOutcome(job: ExportJob): ExportOutcome {
  if (job.status === 'succeeded') {
    return job.downloadUrl
      ? { kind: 'ready', url: job.downloadUrl }
      : { kind: 'failed', message: 'The exported file is no longer available. Please export again.' };
  }
  if (job.status === 'failed' || job.status === 'dead') {
    const reason = job.error ? ` (${job.error})` : '';
    return { kind: 'failed', message: `The export could not be made${reason}.` };
  }
  return { kind: 'pending' };
}

/** Quick first checks (most exports take well under a second), then every 2 s. */
export function pollDelayMs(polls: number): number {
  return Math.min(250 * 2 ** polls, 2_000);
}
