/**
 * The editor's door to the image API: uploads a file (XMLHttpRequest, for its upload progress)
 * and turns an image's API URL into something an `<img>` can show. `<img>` cannot send the bearer
 * token, so each image is fetched with it and shown through a `blob:` URL, made once per image and
 * session (the browser's HTTP cache keeps the bytes: they are `private, immutable`). No credential
 * ever goes into the document: node attributes are persisted and synced to everyone.
 */
import { API_BASE, type ApiClient, ApiError } from '../../api.ts';

export type ImageContext = { api: ApiClient; documentId: string };

/** What the server accepts (it checks the bytes again; this only spares a pointless upload). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const IMAGE_ACCEPT = IMAGE_TYPES.join(',');

const OWN_IMAGE = /^\/api\/v1\/documents\/[0-9a-f-]{36}\/images\/[0-9a-f-]{36}$/i;

/** An image this server stores (fetched with the token), as opposed to data: or remote URLs. */
export function isStoredImageSrc(src: unknown): src is string {
  return typeof src === 'string' && OWN_IMAGE.test(src);
}

/** What went wrong with an upload, in plain words. */
export function uploadErrorMessage(status: number, detail: string | undefined, maxBytesHint?: string): string {
  if (status === 0) return 'The image could not be uploaded: cannot reach the server. Check your connection.';
  if (status === 413) return `That image is too large${maxBytesHint ? ` (the limit is ${maxBytesHint})` : ''}.`;
  if (status === 415) return 'Only PNG, JPEG, GIF and WebP images can be added.';
  if (status === 403) return 'You can only view this document, so you cannot add images.';
  if (status === 429) return 'Too many images at once. Please wait a moment and try again.';
  if (status === 409 && detail) return detail.charAt(0).toUpperCase() + detail.slice(1);
  if (status >= 500) return 'The server had a problem storing the image. Please try again.';
  return detail ? `The image could not be added: ${detail}` : `The image could not be added (error ${status}).`;
}

type UploadAnswer = { url: string; width: number | null; height: number | null };

export class ImageLoader {
  private readonly ctx: ImageContext;
  private readonly shown = new Map<string, Promise<string>>();

  constructor(ctx: ImageContext) {
    this.ctx = ctx;
  }

  /** Uploads one file; `onProgress` gets 0…1. Rejects with an ApiError in plain words. */
  async upload(file: Blob, onProgress: (fraction: number) => void): Promise<UploadAnswer> {
    const token = await this.ctx.api.accessToken();
    const url = `${API_BASE}/documents/${encodeURIComponent(this.ctx.documentId)}/images`;
    return new Promise<UploadAnswer>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new ApiError(0, uploadErrorMessage(0, undefined)));
      xhr.onload = () => {
        let body: { url?: string; width?: number | null; height?: number | null; detail?: string } | undefined;
        try {
          body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
        } catch {
          body = undefined;
        }
        if (xhr.status >= 200 && xhr.status < 300 && typeof body?.url === 'string') {
          resolve({ url: body.url, width: body.width ?? null, height: body.height ?? null });
        } else {
          reject(new ApiError(xhr.status, uploadErrorMessage(xhr.status, body?.detail)));
        }
      };
      xhr.send(file);
    });
  }

  /** A `blob:` URL showing a stored image (one fetch per image per session). */
  objectUrl(src: string): Promise<string> {
    let shown = this.shown.get(src);
    if (!shown) {
      shown = this.ctx.api.download(src).then(({ blob }) => URL.createObjectURL(blob));
      // A failure is not remembered: the next render (or reconnect) tries again.
      shown.catch(() => this.shown.delete(src));
      this.shown.set(src, shown);
    }
    return shown;
  }

  destroy(): void {
    for (const shown of this.shown.values())
      shown.then(
        (url) => URL.revokeObjectURL(url),
        () => undefined,
      );
    this.shown.clear();
  }
}

/** The bytes of a `data:image/…;base64,` URL (fetch() of data: URLs is blocked by the CSP). */
export function blobFromDataUrl(dataUrl: string): Blob | undefined {
  const match = /^data:(image\/[a-z0-9.+-]+);base64,([a-z0-9+/=\s]*)$/i.exec(dataUrl);
  if (!match) return undefined;
  try {
    const binary = atob((match[2] ?? '').replace(/\s+/g, ''));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type: (match[1] ?? '').toLowerCase() });
  } catch {
    return undefined;
  }
}
