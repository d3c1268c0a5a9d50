import { describe, expect, it } from 'vitest';
import { filenameFromDisposition } from '../content-disposition.ts';
import { exportOutcome, pollDelayMs } from './export-job.ts';

describe('following an export job', () => {
  it('is ready with its download URL once succeeded, and failed with the reason when it failed or died', () => {
    expect(exportOutcome({ id: 'j', status: 'queued' })).toEqual({ kind: 'pending' });
    expect(exportOutcome({ id: 'j', status: 'running' })).toEqual({ kind: 'pending' });
    expect(exportOutcome({ id: 'j', status: 'succeeded', downloadUrl: '/api/v1/exports/j/download' })).toEqual({
      kind: 'ready',
      url: '/api/v1/exports/j/download',
    });
    expect(exportOutcome({ id: 'j', status: 'succeeded' }).kind).toBe('failed');
    expect(exportOutcome({ id: 'j', status: 'dead', error: 'document cannot be rendered' })).toEqual({
      kind: 'failed',
      message: 'The export could not be made (document cannot be rendered).',
    });
  });

  it('polls quickly at first, then every 2 s', () => {
    expect([0, 1, 2, 3, 4, 10].map(pollDelayMs)).toEqual([250, 500, 1000, 2000, 2000, 2000]);
  });

  it("reads the server's file name, preferring the UTF-8 form", () => {
    expect(filenameFromDisposition(`attachment; filename="Caf_.pdf"; filename*=UTF-8''Caf%C3%A9.pdf`, 'x')).toBe(
      'Café.pdf',
    );
    expect(filenameFromDisposition('attachment; filename="Plan.docx"', 'x')).toBe('Plan.docx');
    expect(filenameFromDisposition('attachment; filename=Plan.md', 'x')).toBe('Plan.md');
    expect(filenameFromDisposition(null, 'export.pdf')).toBe('export.pdf');
    expect(filenameFromDisposition(`attachment; filename*=UTF-8''%E0%A4%A`, 'export.pdf')).toBe('export.pdf');
  });
});
