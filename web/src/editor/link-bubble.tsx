/**
 * The bar that appears under the toolbar while the cursor is in a link: the address (opens in a
 * new tab, as Ctrl/Cmd+click in the text does), Edit (the toolbar's link box) and Remove. Under
 * the sticky toolbar rather than floating over the text, so it never hides what is being edited.
 */
import type { Editor } from '@tiptap/core';
import { isAllowedLinkHref } from './link-url.ts';

export type LinkBubbleProps = { editor: Editor; href: string; onEdit: () => void };

export function LinkBubble({ editor, href, onEdit }: LinkBubbleProps) {
  if (!href) return null;
  const openable = isAllowedLinkHref(href);
  return (
    <div class="ed-linkbubble" data-testid="link-bubble">
      {openable ? (
        <a class="ed-linkbubble__href" href={href} target="_blank" rel="noopener noreferrer nofollow" title="Open link">
          {href}
        </a>
      ) : (
        <span class="ed-linkbubble__href">{href}</span>
      )}
      <button type="button" class="ed-btn" onMouseDown={(e) => e.preventDefault()} onClick={onEdit}>
        Edit link
      </button>
      <button
        type="button"
        class="ed-btn"
        onMouseDown={(e) => e.preventDefault()}
        onClick={() => editor.chain().focus().extendMarkRange('link').unsetLink().run()}
      >
        Remove link
      </button>
    </div>
  );
}
