/** App-wide status messages ("Document deleted"), shown briefly and read out by an aria-live region. */
import { useEffect, useState } from 'preact/hooks';

export type Notice = { id: number; text: string; tone: 'info' | 'error' };

const SHOW_MS = 5_000;
const listeners = new Set<(n: Notice | null) => void>();
let next = 1;
let timer: ReturnType<typeof setTimeout> | undefined;

export function notify(text: string, tone: Notice['tone'] = 'info'): void {
  const notice = { id: next++, text, tone };
  for (const l of listeners) l(notice);
  clearTimeout(timer);
  timer = setTimeout(() => {
    for (const l of listeners) l(null);
  }, SHOW_MS);
}

export function useNotice(): Notice | null {
  const [notice, setNotice] = useState<Notice | null>(null);
  useEffect(() => {
    listeners.add(setNotice);
    return () => {
      listeners.delete(setNotice);
    };
  }, []);
  return notice;
}
