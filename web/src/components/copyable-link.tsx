/**
 * A link to pass on (an invitation while mail goes to files, a new invite link): shown in a
 * read-only field, selectable by hand, with a Copy button for the clipboard.
 */
import { useId, useState } from 'preact/hooks';

export function CopyableLink({ label, url }: { label: string; url: string }) {
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="copyable">
        <input id={id} type="text" readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" class="button" onClick={copy}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
      </div>
      {copied === 'failed' && <p class="hint">Could not reach the clipboard: select the link and copy it.</p>}
    </div>
  );
}
