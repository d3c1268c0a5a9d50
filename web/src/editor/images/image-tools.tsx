/**
 * The toolbar's image controls: "Add image" (a file picker; paste and drag-and-drop work without
 * it), the upload progress or last error in plain words, and the alt text of the selected image.
 * Renders nothing when the editor has no image uploads (a reader's editor, tests).
 */
import type { Editor } from '@tiptap/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import { IMAGE_ACCEPT } from './image-loader.ts';
import { type ImageStatus, imageUploadsOf } from './image-uploads.ts';

/** The selected image node's alt text, or undefined when the selection is not one image. */
function selectedImageAlt(editor: Editor): string | undefined {
  // A NodeSelection has `node` (duck-typed: importing ProseMirror here would weigh on the page's chunk).
  const node = (editor.state.selection as { node?: { type: { name: string }; attrs: Record<string, unknown> } }).node;
  if (node?.type.name !== 'image') return undefined;
  const alt = node.attrs.alt;
  return typeof alt === 'string' ? alt : '';
}

/** "Add image": opens the file picker (toolbar button; paste and drop need no button). */
export function ImageButton({ editor, editable }: { editor: Editor; editable: boolean }) {
  const uploads = imageUploadsOf(editor);
  const file = useRef<HTMLInputElement>(null);
  if (!uploads || !editable) return null;
  return (
    <div class="ed-toolgroup">
      <button
        type="button"
        class="ed-tool ed-tool--image"
        aria-label="Add image"
        title="Add image (or paste or drop one)"
        onMouseDown={(e) => e.preventDefault()}
        onClick={() => file.current?.click()}
      >
        <ImageIcon />
      </button>
      <input
        ref={file}
        class="ed-imagetools__file"
        type="file"
        accept={IMAGE_ACCEPT}
        multiple
        tabIndex={-1}
        aria-hidden="true"
        data-testid="image-file-input"
        onChange={(e) => {
          const files = Array.from(e.currentTarget.files ?? []);
          e.currentTarget.value = '';
          if (files.length > 0) void uploads.insertFiles(editor, files);
        }}
      />
    </div>
  );
}

/** Under the toolbar: upload progress or the last error, and the selected image's alt text. */
export function ImagePanel({ editor, editable }: { editor: Editor; editable: boolean }) {
  const uploads = imageUploadsOf(editor);
  const [status, setStatus] = useState<ImageStatus>(() => uploads?.current ?? { kind: 'idle' });
  const [alt, setAlt] = useState<string | undefined>(() => selectedImageAlt(editor));

  useEffect(() => uploads?.subscribe(setStatus), [uploads]);
  useEffect(() => {
    const read = () => setAlt(selectedImageAlt(editor));
    editor.on('selectionUpdate', read);
    editor.on('transaction', read);
    return () => {
      editor.off('selectionUpdate', read);
      editor.off('transaction', read);
    };
  }, [editor]);

  if (!uploads || !editable) return null;
  return (
    <>
      {status.kind !== 'idle' && (
        <p
          class={`ed-imagestatus${status.kind === 'error' ? ' ed-imagestatus--error' : ''}`}
          role={status.kind === 'error' ? 'alert' : 'status'}
        >
          {status.text}{' '}
          {status.kind === 'error' && (
            <button type="button" class="ed-btn" onClick={() => uploads.set({ kind: 'idle' })}>
              OK
            </button>
          )}
        </p>
      )}
      {alt !== undefined && <AltTextForm editor={editor} alt={alt} />}
    </>
  );
}

function AltTextForm({ editor, alt }: { editor: Editor; alt: string }) {
  const [value, setValue] = useState(alt);
  useEffect(() => setValue(alt), [alt]);
  return (
    <form
      class="ed-linkform ed-altform"
      onSubmit={(e) => {
        e.preventDefault();
        editor.chain().focus().updateAttributes('image', { alt: value.trim() }).run();
      }}
    >
      <label class="ed-linkform__label" for="ed-image-alt">
        Alt text
      </label>
      <input
        id="ed-image-alt"
        class="ed-linkform__input"
        type="text"
        maxLength={500}
        placeholder="Describe the image for people who cannot see it"
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit" class="ed-btn ed-btn--primary">
        Save alt text
      </button>
    </form>
  );
}

function ImageIcon() {
  return (
    <svg class="ed-icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <rect x="3" y="4" width="18" height="16" rx="2" fill="none" stroke="currentColor" stroke-width="2" />
      <circle cx="9" cy="10" r="2" fill="currentColor" />
      <path d="M4 18l5-5 4 4 3-3 4 4" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" />
    </svg>
  );
}
