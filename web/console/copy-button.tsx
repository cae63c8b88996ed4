/** A button that copies a text (a link, a snippet) and says so for a moment. */
import { useState } from 'preact/hooks';
import type { Store } from './store';

/** Copies text; where the clipboard API is refused, through a selected text field. */
async function copyText(text: string, field?: HTMLTextAreaElement | HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!field) return false;
    field.focus();
    field.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

export function CopyButton({ s, text, field, testid, label }: { s: Store; text: string; field?: () => HTMLTextAreaElement | HTMLInputElement | null; testid: string; label: string }) {
  const t = s.t;
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="cn-btn cn-btn-small"
      data-testid={testid}
      data-copied={copied ? 'true' : 'false'}
      onClick={async () => {
        if (await copyText(text, field?.())) {
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        } else s.showToast(t('copyFailed'));
      }}
    >
      {copied ? t('copied') : label}
    </button>
  );
}
