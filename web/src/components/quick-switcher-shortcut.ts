/** The quick switcher's shortcut, apart from the switcher itself so the shell listens without loading it. */

/** Ctrl+K, or Cmd+K on a Mac. */
export function isQuickSwitcherShortcut(e: KeyboardEvent): boolean {
  return e.key.toLowerCase() === 'k' && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey;
}
