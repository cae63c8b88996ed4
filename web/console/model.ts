/** Pure rules about conversations the store and the views share. */
import { preview } from './format';
import type { Translate } from './i18n';
import type { Conversation } from './types';

export const time = (iso: string | null | undefined) => (iso ? Date.parse(iso) || 0 : 0);

/** Newest activity first; ties by id, newest first (the server's order). */
export function byActivity(a: Conversation, b: Conversation): number {
  return time(b.last_activity_at) - time(a.last_activity_at) || b.id - a.id;
}

/**
 * Whether `incoming` is an older snapshot than `known` (a REST answer that left the server
 * before an event we already applied). `updated_at` and `last_seq` only grow.
 */
export function isStale(incoming: Conversation, known: Conversation): boolean {
  return time(incoming.updated_at) < time(known.updated_at) || incoming.last_seq < known.last_seq;
}

/**
 * What a conversation adds to the tab counts (docs/protocol.md, counts: open conversations):
 * [unassigned, mine, all] and the same three for "has unread messages".
 */
export function contribution(c: Conversation, agentId: number): number[] {
  if (c.status !== 'open') return [0, 0, 0, 0, 0, 0];
  const unassigned = c.assignee ? 0 : 1;
  const mine = c.assignee?.id === agentId ? 1 : 0;
  const unread = c.unread_count > 0 ? 1 : 0;
  return [unassigned, mine, 1, unassigned * unread, mine * unread, unread];
}

/** The contact's name, or "Visitor #id" for an anonymous one. */
export function contactName(contact: { id: number; name: string | null } | null | undefined, t: Translate): string {
  if (!contact) return '';
  return contact.name?.trim() || t('visitorN', { id: contact.id });
}

/** The last message as a list shows it: "Note: …", "Whisper: …", "Agent: …", or the customer's words. */
export function lastMessageText(c: Conversation, t: Translate): string {
  const last = c.last_message;
  if (!last) return t('noMessages');
  let prefix = '';
  if (last.kind === 'note') prefix = `${t('notePrefix')}: `;
  else if (last.kind === 'whisper') prefix = `${t('whisperPrefix')}: `;
  else if (last.author_type === 'agent') prefix = `${t('agent')}: `;
  else if (last.author_type === 'bot') prefix = `${t('bot')}: `;
  // A message of files only has no text: say so rather than show nothing.
  return prefix + (preview(last.body) || t('fileMessage'));
}
