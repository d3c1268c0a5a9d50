/** The outline's entries: every heading of level 1–3 in document order, with where it starts. */

export type OutlineHeading = { level: 1 | 2 | 3; text: string; pos: number };

/** The few ProseMirror node features read here (duck-typed: the page's chunk carries no ProseMirror). */
type NodeLike = {
  type: { name: string };
  attrs: Record<string, unknown>;
  textContent: string;
  descendants(f: (node: NodeLike, pos: number) => boolean | undefined): void;
};

const MAX_TEXT = 120;

export function outlineHeadings(doc: NodeLike): OutlineHeading[] {
  const headings: OutlineHeading[] = [];
  doc.descendants((node, pos) => {
    if (node.type.name !== 'heading') return true;
    const level = node.attrs.level;
    if (level === 1 || level === 2 || level === 3) {
      const text = node.textContent.trim().replace(/\s+/g, ' ');
      headings.push({ level, text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text, pos });
    }
    return false; // nothing to find inside a heading
  });
  return headings;
}

/** Equal outlines need no re-render (typing in a paragraph moves positions but not headings). */
export function sameOutline(a: readonly OutlineHeading[], b: readonly OutlineHeading[]): boolean {
  return (
    a.length === b.length && a.every((h, i) => h.level === b[i]?.level && h.text === b[i]?.text && h.pos === b[i]?.pos)
  );
}

/** Ctrl+Shift+O (Cmd+Shift+O on Apple keyboards). */
export function isOutlineShortcut(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>) {
  return (event.ctrlKey || event.metaKey) && event.shiftKey && !event.altKey && event.key.toLowerCase() === 'o';
}
