/**
 * Supervision rules (docs/protocol.md, message kinds and "taking over"): who may whisper and
 * take a conversation over, which modes the composer offers, and the news an agent is told
 * of — a whisper in their conversation, a conversation of theirs given to someone else.
 * Pure functions: the store decides when to ask, alerts.ts makes the noise.
 */
import { preview } from './format';
import type { Translate } from './i18n';
import { contactName } from './model';
import type { Agent, Conversation, Message, MessageKind } from './types';

/** Supervisors and admins watch the monitor, whisper and take over. */
export const isSupervisor = (me: Agent | null | undefined): boolean => me?.role === 'supervisor' || me?.role === 'admin';

/** Kinds the customer never sees, on any channel. */
export const isPrivateKind = (kind: string | null | undefined): boolean => kind === 'note' || kind === 'whisper';

/** A kind read back from storage: anything unknown is a plain reply, never a private kind made public by mistake. */
export function knownKind(kind: unknown): MessageKind {
  return kind === 'note' || kind === 'whisper' ? kind : 'text';
}

/** The composer's modes for this agent: agents never get the whisper. */
export function composerKinds(me: Agent | null | undefined): readonly MessageKind[] {
  return isSupervisor(me) ? ['text', 'note', 'whisper'] : ['text', 'note'];
}

/** An open conversation assigned to someone else: a supervisor may take it over (assign it to themselves). */
export function canTakeOver(me: Agent | null | undefined, c: Conversation): boolean {
  return !!me && isSupervisor(me) && c.status === 'open' && !!c.assignee && c.assignee.id !== me.id;
}

/** Something to tell the agent about one conversation: once per `tag`. */
export interface News {
  title: string;
  body: string;
  tag: string;
  conversationId: number;
}

/** A supervisor whispered in a conversation assigned to me (not my own whisper from another tab). */
export function whisperNews(message: Message, conversation: Conversation | undefined, meId: number | undefined, t: Translate): News | null {
  if (message.kind !== 'whisper' || !meId || conversation?.assignee?.id !== meId) return null;
  if (message.author.type === 'agent' && message.author.id === meId) return null;
  return {
    title: t('whisperAlert', { name: message.author.name || t('agent'), number: conversation.number }),
    body: preview(message.body, 160),
    tag: `helpline-whisper-${message.id}`,
    conversationId: message.conversation_id,
  };
}

/**
 * A conversation of mine became someone else's (or nobody's) by another's hand: a supervisor
 * took it over, reassigned or transferred it. `by` is who made the change (null: the system).
 */
export function takenAwayNews(
  known: Conversation | undefined,
  next: Conversation,
  by: { type?: string; id?: number | null; name?: string | null } | null | undefined,
  meId: number | undefined,
  t: Translate,
): News | null {
  if (!meId || known?.assignee?.id !== meId || next.assignee?.id === meId) return null;
  if (by?.type === 'agent' && by.id === meId) return null;
  const number = next.number;
  let title: string;
  if (!next.assignee) title = t('unassignedAway', { number });
  else if (by?.id === next.assignee.id) title = t('takenOverBy', { name: next.assignee.name, number });
  else title = t('reassignedAway', { name: next.assignee.name, number });
  return { title, body: contactName(next.contact, t), tag: `helpline-away-${next.id}-${next.updated_at}`, conversationId: next.id };
}
