/**
 * The bubble next to the closed launcher: an operator's new message, a proactive invitation
 * or the site's invitation line. Clicking it opens the chat; the small cross only hides it.
 */
import { CLOSE_ICON, Icon } from './icons';
import type { WidgetChat } from './state';

export function Teaser({ chat }: { chat: WidgetChat }) {
  const { t, teaser } = chat;
  if (!teaser || chat.open || chat.mode === 'hidden') return null;
  let who = '';
  let text: string;
  if (teaser.kind === 'message') {
    const { author, body, attachments } = teaser.message;
    who = author.name || (author.type === 'bot' ? t.bot : t.agent);
    text = body || (attachments?.length ? `${t.file}: ${attachments.map((file) => file.name).join(', ')}` : '');
  } else {
    text = teaser.text;
  }
  const testId = teaser.kind === 'message' ? 'hl-preview' : teaser.kind === 'invitation' ? 'hl-invitation' : 'hl-label';
  return (
    <div class="hl-teaser" data-testid={testId} data-kind={teaser.kind} lang={chat.lang} role={teaser.kind === 'message' ? 'status' : undefined}>
      <button type="button" class="hl-teaser-open" data-testid={`${testId}-open`} title={teaser.kind === 'message' ? t.newMessage : undefined} onClick={() => chat.acceptTeaser()}>
        {who && <strong>{who}</strong>}
        <span data-testid={`${testId}-text`}>{text}</span>
      </button>
      <button type="button" class="hl-teaser-close" data-testid={`${testId}-close`} aria-label={t.dismiss} title={t.dismiss} onClick={() => chat.dismissTeaser()}>
        <Icon d={CLOSE_ICON} />
      </button>
    </div>
  );
}
