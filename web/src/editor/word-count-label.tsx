/**
 * "N words" under the toolbar. Counted when typing pauses (not on every keystroke: a 10,000-word
 * document would pay for a full count per key), from the editor's text.
 */
import type { Editor } from '@tiptap/core';
import { useEffect, useState } from 'preact/hooks';
import { countWords, wordCountText } from './word-count.ts';

const RECOUNT_AFTER_MS = 400;

function count(editor: Editor): number {
  const doc = editor.state.doc;
  return countWords(doc.textBetween(0, doc.content.size, '\n', ' '));
}

export function WordCount({ editor }: { editor: Editor }) {
  const [words, setWords] = useState(() => count(editor));
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(() => setWords(count(editor)), RECOUNT_AFTER_MS);
    };
    editor.on('update', schedule);
    setWords(count(editor));
    return () => {
      clearTimeout(timer);
      editor.off('update', schedule);
    };
  }, [editor]);
  return (
    <span class="ed-wordcount" data-testid="word-count">
      {wordCountText(words)}
    </span>
  );
}
