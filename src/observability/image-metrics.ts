/**
 * Metrics of images in documents: uploads by outcome (stored, duplicate, too_large, unsupported,
 * quota) and sniffed type, the bytes stored, and the files the image cleanup deleted. A run of
 * `quota` outcomes means a workspace is full (docs/operations.md "Images").
 */
import client from 'prom-client';

export class ImageMetrics {
  readonly uploads: client.Counter<'outcome' | 'type'>;
  readonly storedBytes: client.Counter;
  readonly cleaned: client.Counter;

  constructor(registry: client.Registry) {
    const registers = [registry];
    this.uploads = new client.Counter({
      name: 'image_uploads_total',
      help: 'Image uploads by outcome (stored, duplicate, too_large, unsupported, quota) and sniffed type',
      labelNames: ['outcome', 'type'],
      registers,
    });
    this.storedBytes = new client.Counter({
      name: 'image_stored_bytes_total',
      help: 'Bytes of images stored (new images only, not duplicates)',
      registers,
    });
    this.cleaned = new client.Counter({
      name: 'image_files_deleted_total',
      help: 'Image files deleted by the cleanup (their document was purged, or no row names them)',
      registers,
    });
  }
}
