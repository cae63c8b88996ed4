/**
 * The open conversation: header with its actions (a supervisor's "Take over" among them), the
 * messages by seq (notes and whispers marked as such), typing and the composer with its modes:
 * reply, internal note and, for supervisors and admins, whisper. A reviewed conversation shows
 * its review (review.tsx) and the faults on the messages; replies are coached (coach.tsx). Message text is only ever a text node (links are <a> elements around text):
 * whatever a customer writes shows literally.
 */
import { memo } from 'preact/compat';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Attachments, ClipIcon, PendingUploads } from './attachments';
import { useCannedPicker } from './canned-picker';
import { ChannelMark } from './channel-icon';
import { CoachWarnings, useCoach } from './coach';
import { filesOf } from './files';
import { channelName } from './filter-bar';
import { clockTime, dayKey, dayLabel, fullTime, linkify } from './format';
import type { Lang, Translate } from './i18n';
import { useMentionPicker } from './mention-picker';
import { agentHandles, splitMentions } from './mentions';
import { contactName } from './model';
import { useMacroPicker } from './macro-picker';
import { findingsBySeq } from './quality';
import { MessageFaults, ReviewPanel } from './review';
import { StatusBadge, StatusControls } from './status-menu';
import { MAX_BODY, type Pending, type Store } from './store';
import { canTakeOver, composerKinds } from './supervisor';
import type { Conversation, Delivery, DeliveryStatus, Finding, InboxRef, Message } from './types';
import { loadText } from './ui';

/** Files dragged from the desktop (not text or links dragged within the page). */
const draggingFiles = (event: DragEvent) => !!event.dataTransfer?.types.includes('Files');

export function ConversationView({ s, id }: { s: Store; id: number }) {
  const t = s.t;
  const conversation = s.convs.get(id);
  const thread = s.thread(id);

  if (!conversation || !thread?.loaded) {
    return (
      <div class="cn-conversation cn-conversation-loading" data-testid="cn-conversation-loading" data-id={id}>
        {thread?.error ? (
          <div class="cn-empty cn-error">
            {t('loadFailed', { message: thread.error })}{' '}
            <button type="button" class="cn-link" onClick={() => void s.loadThread(id)}>
              {t('retry')}
            </button>
          </div>
        ) : (
          <div class="cn-empty">{t('loading')}</div>
        )}
      </div>
    );
  }

  return <LoadedConversation s={s} c={conversation} messages={thread.messages} />;
}

function LoadedConversation({ s, c, messages }: { s: Store; c: Conversation; messages: Message[] }) {
  const t = s.t;
  const [dropping, setDropping] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const review = s.reviews.of(c.id);
  return (
    <div
      ref={box}
      class={`cn-conversation${dropping ? ' is-dropping' : ''}`}
      data-testid="cn-conversation"
      data-id={c.id}
      data-status={c.status}
      // Files dropped anywhere on the conversation are attached to the reply.
      onDragOver={(event) => {
        if (!draggingFiles(event)) return;
        event.preventDefault();
        event.dataTransfer!.dropEffect = 'copy';
        setDropping(true);
      }}
      onDragLeave={(event) => {
        if (!event.relatedTarget || !box.current?.contains(event.relatedTarget as Node)) setDropping(false);
      }}
      onDrop={(event) => {
        setDropping(false);
        if (!draggingFiles(event)) return;
        event.preventDefault();
        s.uploads.add(c.id, filesOf(event.dataTransfer));
      }}
    >
      <ConversationHeader s={s} c={c} />
      {review && <ReviewPanel s={s} c={c} review={review} />}
      <MessageList s={s} c={c} messages={messages} pending={s.pendingOf(c.id)} />
      <TypingLine s={s} c={c} />
      <Composer key={c.id} s={s} c={c} />
      {dropping && (
        <div class="cn-drop" data-testid="cn-drop" aria-hidden="true">
          {t('dropFiles')}
        </div>
      )}
    </div>
  );
}

function ConversationHeader({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const me = s.me!;
  const mine = c.assignee?.id === me.id;
  const assignBusy = s.busy.has(`assign:${c.id}`);
  // Agents may take a free conversation or drop their own; supervisors and admins reassign,
  // and take over one that is someone else's.
  const takeOver = canTakeOver(me, c);
  const canTake = !mine && !takeOver && (s.canAssignOthers() || !c.assignee);
  const assignable = s.canAssignOthers() ? s.team.list.filter((a) => a.is_active) : [];
  return (
    <header class="cn-conv-head">
      <div class="cn-conv-title">
        <h2>
          <span class="cn-conv-number" data-testid="cn-conv-number" title={t('conversationN', { number: c.number })}>
            #{c.number}
          </span>{' '}
          {contactName(c.contact, t)}
        </h2>
        <div class="cn-conv-sub">
          {/* A form's conversation says "Web form" in its type badge already. */}
          <ChannelMark channel={c.inbox.channel} t={t} compact={c.type === 'form'} />
          <span class="cn-conv-inbox">{c.inbox.name}</span>
          <StatusBadge s={s} c={c} />
          <TypeBadge c={c} t={t} />
          <TeamBadge c={c} t={t} />
          {(c.transfer_count ?? 0) > 0 && (
            <span class="cn-transfers" data-testid="cn-transfer-count" data-count={c.transfer_count} title={t('transfersTitle')}>
              {t('transfersN', { count: c.transfer_count ?? 0 })}
            </span>
          )}
          <span class="cn-assignee-wrap">
            {t('assignee')}:{' '}
            <b class={`cn-assignee${c.assignee ? '' : ' is-none'}`} data-testid="cn-assignee" data-agent-id={c.assignee?.id ?? ''}>
              {c.assignee ? c.assignee.name : t('unassigned')}
            </b>
          </span>
        </div>
        <Collision s={s} c={c} />
      </div>
      <div class="cn-conv-actions">
        {canTake && (
          <button type="button" class="cn-btn" data-testid="cn-assign-me" disabled={assignBusy} title="Alt+A" onClick={() => void s.assignToMe(c.id)}>
            {t('assignMe')}
          </button>
        )}
        {takeOver && (
          <button
            type="button"
            class="cn-btn cn-take-over"
            data-testid="cn-take-over"
            disabled={assignBusy}
            title={`${t('takeOverTitle', { name: c.assignee?.name || '' })} (Alt+A)`}
            onClick={() => void s.takeOver(c.id)}
          >
            {t('takeOver')}
          </button>
        )}
        {mine && (
          <button type="button" class="cn-btn cn-btn-quiet" data-testid="cn-unassign" disabled={assignBusy} onClick={() => void s.assign(c.id, null)}>
            {t('unassign')}
          </button>
        )}
        {assignable.length > 0 && (
          <select
            class="cn-assign-select"
            data-testid="cn-assign-select"
            aria-label={t('assignTo')}
            disabled={assignBusy}
            value=""
            onChange={(e) => {
              const value = (e.currentTarget as HTMLSelectElement).value;
              (e.currentTarget as HTMLSelectElement).value = '';
              if (value) void s.assign(c.id, value === 'none' ? null : Number(value));
            }}
          >
            <option value="">{t('assignTo')}</option>
            {assignable
              .filter((a) => a.id !== c.assignee?.id)
              .map((a) => (
                <option key={a.id} value={a.id}>
                  {`${a.name} · ${t(`agentStatus_${a.status}` as 'agentStatus_online')} · ${loadText(a)}`}
                </option>
              ))}
            {c.assignee && <option value="none">{t('unassigned')}</option>}
          </select>
        )}
        {s.canTransfer(c) && (
          <button type="button" class="cn-btn" data-testid="cn-transfer" title="Alt+X" onClick={() => s.openTransfer(c.id)}>
            {t('transfer')}
          </button>
        )}
        <StatusControls s={s} c={c} />
        <button type="button" class="cn-btn cn-btn-quiet cn-info-toggle" aria-pressed={s.infoOpen} onClick={() => s.toggleInfo()}>
          {t('infoToggle')}
        </button>
      </div>
    </header>
  );
}

/** The team whose queue the conversation is in, after a transfer to a team. */
export function TeamBadge({ c, t }: { c: Conversation; t: Translate }) {
  if (!c.team) return null;
  return (
    <span class="cn-team-badge" data-testid="cn-conv-team" data-team-id={c.team.id} title={t('teamOfConversation')}>
      {c.team.name}
    </span>
  );
}

/** Offline-form and callback conversations say so; a plain chat needs no badge. */
export function TypeBadge({ c, t }: { c: Conversation; t: Translate }) {
  if (!c.type || c.type === 'chat') return null;
  return (
    <span class={`cn-type cn-type-${c.type}`} data-testid="cn-type" data-type={c.type}>
      {t(`type_${c.type}`)}
    </span>
  );
}

/**
 * The collision indicator: other agents who have this conversation on screen, and those of
 * them typing a reply (typing wins, and shows even before their `viewing` arrives).
 */
function Collision({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const typing = s.agentTyping.get(c.id);
  const others = new Map<number, { name: string; typing: boolean }>();
  for (const viewer of s.viewing.of(c.id)) others.set(viewer.id, { name: viewer.name, typing: false });
  for (const [id, entry] of typing || []) others.set(id, { name: entry.author.name || others.get(id)?.name || t('agent'), typing: true });
  if (!others.size) return null;
  return (
    <div class="cn-collision" data-testid="cn-collision" role="status">
      {[...others].map(([id, other]) => (
        <span key={id} class={`cn-viewer${other.typing ? ' is-typing' : ''}`} data-testid="cn-viewer" data-agent-id={id} data-state={other.typing ? 'typing' : 'viewing'}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            {other.typing ? <path d="M4 20h4L19 9l-4-4L4 16v4z" class="cn-stroke" /> : <path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12zm10 3a3 3 0 1 0 0-6 3 3 0 0 0 0 6z" class="cn-stroke" />}
          </svg>
          {t(other.typing ? 'collisionTyping' : 'collisionViewing', { name: other.name })}
        </span>
      ))}
    </div>
  );
}

function MessageList({ s, c, messages, pending }: { s: Store; c: Conversation; messages: Message[]; pending: Pending[] }) {
  const t = s.t;
  const box = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const seen = useRef(0);
  const [unseen, setUnseen] = useState(false);
  const draft = s.typing.get(c.id)?.draft || '';
  const total = messages.length + pending.length;
  // @handles of the team, for highlighting mentions in notes.
  const handles = useMemo(() => agentHandles(s.team.list), [s.team.list]);
  const review = s.reviews.of(c.id);
  const faults = useMemo(() => findingsBySeq(review), [review]);

  // Open at the newest message; follow new ones while the agent is at the bottom.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (atBottom.current || seen.current === 0) {
      el.scrollTop = el.scrollHeight;
      setUnseen(false);
    } else if (total > seen.current) setUnseen(true);
    seen.current = total;
  }, [total]);
  // The customer's draft grows at the bottom: keep it in sight while the agent is there.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && atBottom.current && draft) el.scrollTop = el.scrollHeight;
  }, [draft]);

  const onScroll = () => {
    const el = box.current!;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    if (atBottom.current && unseen) setUnseen(false);
  };

  const answerVia = s.answerVia.get(c.id);
  // An inbox no longer offered (switched off since) is still named, if not by its name; the
  // same object each time, for MessageItem's memo.
  const unknownInboxes = useMemo(() => new Map<number, InboxRef>(), [c.id]);
  const viaInbox = (id: number): InboxRef => {
    const offered = answerVia?.find((inbox) => inbox.id === id);
    if (offered) return offered;
    if (!unknownInboxes.has(id)) unknownInboxes.set(id, { id, name: `#${id}`, channel: '' });
    return unknownInboxes.get(id)!;
  };
  const items: preact.JSX.Element[] = [];
  let lastDay = '';
  let lastAuthor = '';
  for (const message of messages) {
    const day = dayKey(message.created_at);
    if (day !== lastDay) {
      items.push(
        <div key={`day-${day}`} class="cn-day" role="separator">
          <span>{dayLabel(message.created_at, s.lang, t('today'), t('yesterday'))}</span>
        </div>,
      );
      lastDay = day;
      lastAuthor = '';
    }
    const authorKey = `${message.author.type}:${message.author.id}:${message.kind}`;
    items.push(
      <MessageItem
        key={message.id}
        m={message}
        contactLabel={contactName(c.contact, t)}
        meId={s.me?.id ?? 0}
        lang={s.lang}
        t={t}
        continued={authorKey === lastAuthor}
        handles={handles}
        findings={faults.get(message.seq)}
        retrying={s.busy.has(`retry:${message.id}`)}
        onRetry={s.retryDelivery}
        via={message.via_inbox_id != null ? viaInbox(message.via_inbox_id) : null}
      />,
    );
    lastAuthor = authorKey;
  }

  return (
    <div class="cn-messages-wrap">
      <div class="cn-messages" ref={box} onScroll={onScroll} role="log" aria-live="polite">
        {items}
        {pending.map((item) => (
          <PendingItem key={item.client_id} s={s} p={item} />
        ))}
        {draft && (
          <div class="cn-msg cn-msg-in cn-from-contact cn-draft" data-testid="cn-typing-draft" aria-label={t('draftOf', { name: contactName(c.contact, t) })}>
            <div class="cn-msg-meta">
              <span class="cn-msg-who">{t('draftOf', { name: contactName(c.contact, t) })}</span>
            </div>
            <div class="cn-bubble">
              <div class="cn-body" data-testid="cn-typing-draft-text">
                {draft}
              </div>
            </div>
          </div>
        )}
      </div>
      {unseen && (
        <button
          type="button"
          class="cn-new-below"
          onClick={() => {
            box.current!.scrollTop = box.current!.scrollHeight;
            setUnseen(false);
          }}
        >
          {t('newMessages')}
        </button>
      )}
    </div>
  );
}

function Linked({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((piece, index) =>
        piece.href ? (
          <a key={index} href={piece.href} target="_blank" rel="noopener noreferrer">
            {piece.text}
          </a>
        ) : (
          piece.text
        ),
      )}
    </>
  );
}

/** The text of a message; in notes, @mentions of agents are highlighted (mine more so). */
function Body({ text, handles, meId }: { text: string; handles?: ReadonlyMap<string, number>; meId?: number }) {
  if (!handles) {
    return (
      <div class="cn-body" data-testid="cn-message-body" hidden={!text}>
        <Linked text={text} />
      </div>
    );
  }
  return (
    <div class="cn-body" data-testid="cn-message-body" hidden={!text}>
      {splitMentions(text, handles).map((piece, index) =>
        piece.agentId === undefined ? (
          <Linked key={index} text={piece.text} />
        ) : (
          <mark key={index} class={`cn-mention${piece.agentId === meId ? ' is-me' : ''}`} data-testid="cn-mention" data-agent-id={piece.agentId}>
            {piece.text}
          </mark>
        ),
      )}
    </div>
  );
}

interface ItemProps {
  m: Message;
  contactLabel: string;
  meId: number;
  lang: Lang;
  t: Translate;
  continued: boolean;
  handles: ReadonlyMap<string, number>;
  /** What the review found in this message. */
  findings?: Finding[];
  /** "Send again" of a failed delivery is in flight. */
  retrying: boolean;
  onRetry: (m: Message) => void;
  /** The inbox it left or came through, when not the conversation's. */
  via?: InboxRef | null;
}

const DELIVERY_GLYPHS: Record<DeliveryStatus, preact.JSX.Element> = {
  pending: (
    <>
      <circle cx="12" cy="12" r="8" />
      <path d="M12 8v4l2.5 2" />
    </>
  ),
  sent: <path d="M5 12.5l4.5 4.5L19 7.5" />,
  delivered: <path d="M2 12.5l4.5 4.5L16 7.5M11 16.5l.5.5L21 7.5" />,
  read: <path d="M2 12.5l4.5 4.5L16 7.5M11 16.5l.5.5L21 7.5" />,
  failed: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M12 7.5v5.5M12 16.5v.1" />
    </>
  ),
};

/** The clock, one tick, two ticks, two coloured ticks or a red mark, by the message's time. */
function DeliveryMark({ delivery, t }: { delivery: Delivery; t: Translate }) {
  const label = t(`delivery_${delivery.status}` as 'delivery_sent');
  return (
    <span class={`cn-delivery cn-delivery-${delivery.status}`} data-testid="cn-delivery" data-status={delivery.status} title={label} aria-label={label} role="img">
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <g class="cn-stroke">{DELIVERY_GLYPHS[delivery.status] || DELIVERY_GLYPHS.pending}</g>
      </svg>
    </span>
  );
}

/** "by E-mail": a message that left or came through another channel than the conversation's. */
function ViaMark({ via, t }: { via: InboxRef; t: Translate }) {
  return (
    <span class="cn-via" data-testid="cn-via" title={t('viaChannelTitle', { inbox: via.name })}>
      {t('viaChannel', { channel: via.channel ? channelName(via.channel, t) : t('anotherChannel') })}
    </span>
  );
}

const MessageItem = memo(function MessageItem({ m, contactLabel, meId, lang, t, continued, handles, findings, retrying, onRetry, via }: ItemProps) {
  const type = m.author.type;
  const note = m.kind === 'note';
  const whisper = m.kind === 'whisper';
  let who: string;
  if (type === 'contact') who = m.author.name || contactLabel;
  else if (type === 'agent') who = m.author.id === meId ? `${m.author.name || t('agent')} (${t('itsYou')})` : m.author.name || t('agent');
  else if (type === 'bot') who = m.author.name || t('bot');
  else who = t('system');
  const side = type === 'contact' ? 'in' : type === 'system' ? 'center' : 'out';
  const faulty = !!findings?.some((finding) => !finding.marked_wrong);
  // Only what left through a channel has a delivery (the customer's own messages never do).
  const delivery = type !== 'contact' ? m.delivery : null;
  const failed = delivery?.status === 'failed';
  return (
    <div
      class={`cn-msg cn-msg-${side} cn-from-${type}${note ? ' cn-note' : ''}${whisper ? ' cn-whisper' : ''}${continued ? ' is-continued' : ''}${faulty ? ' has-fault' : ''}${failed ? ' is-failed' : ''}`}
      data-testid="cn-message"
      data-author={type}
      data-kind={m.kind}
      data-seq={m.seq}
      data-id={m.id}
      data-pending="false"
      data-delivery={delivery?.status}
      data-faults={findings?.map((finding) => finding.fault).join(' ') || undefined}
    >
      {whisper ? (
        // Every whisper says whose it is: it must never pass for something the customer saw.
        <div class="cn-msg-meta">
          <span class="cn-whisper-tag" data-testid="cn-whisper-label">
            {t('whisperFrom', { name: who })}
          </span>
        </div>
      ) : (
        type !== 'system' &&
        !continued && (
          <div class="cn-msg-meta">
            <span class="cn-msg-who">{who}</span>
            {note && <span class="cn-note-tag">{t('internalNote')}</span>}
          </div>
        )
      )}
      <div class="cn-bubble" title={fullTime(m.created_at, lang)}>
        <Body text={m.body} handles={note ? handles : undefined} meId={meId} />
        {!!m.attachments?.length && <Attachments files={m.attachments} t={t} lang={lang} />}
        {delivery || via ? (
          <div class="cn-msg-foot">
            {via && <ViaMark via={via} t={t} />}
            <time class="cn-msg-time" dateTime={m.created_at}>
              {clockTime(m.created_at, lang)}
            </time>
            {delivery && <DeliveryMark delivery={delivery} t={t} />}
          </div>
        ) : (
          <time class="cn-msg-time" dateTime={m.created_at}>
            {clockTime(m.created_at, lang)}
          </time>
        )}
      </div>
      {failed && delivery && (
        // Spelt out, not only a tooltip: the agent must see that the customer did not get it.
        <div class="cn-msg-state cn-delivery-error" data-testid="cn-delivery-error" role="alert">
          <span data-testid="cn-delivery-reason">{delivery.error ? t('deliveryFailed', { reason: delivery.error }) : t('delivery_failed')}</span>{' '}
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-delivery-retry" disabled={retrying} onClick={() => onRetry(m)}>
            {t('sendAgain')}
          </button>
        </div>
      )}
      {!!findings?.length && <MessageFaults findings={findings} t={t} />}
    </div>
  );
});

function PendingItem({ s, p }: { s: Store; p: Pending }) {
  const t = s.t;
  const note = p.kind === 'note';
  const whisper = p.kind === 'whisper';
  return (
    <div
      class={`cn-msg cn-msg-out cn-from-agent is-pending${note ? ' cn-note' : ''}${whisper ? ' cn-whisper' : ''}${p.error ? ' is-failed' : ''}`}
      data-testid="cn-message"
      data-author="agent"
      data-kind={p.kind}
      data-seq=""
      data-pending="true"
      data-client-id={p.client_id}
    >
      {(note || whisper) && (
        <div class="cn-msg-meta">
          {note ? (
            <span class="cn-note-tag">{t('internalNote')}</span>
          ) : (
            <span class="cn-whisper-tag" data-testid="cn-whisper-label">
              {t('whisperFrom', { name: `${s.me?.name || t('agent')} (${t('itsYou')})` })}
            </span>
          )}
        </div>
      )}
      <div class="cn-bubble">
        <Body text={p.body} />
        {p.files?.length ? (
          <Attachments files={p.files} t={t} lang={s.lang} />
        ) : p.fileIds?.length ? (
          <div class="cn-muted cn-small">{t('filesN', { count: p.fileIds.length })}</div>
        ) : null}
      </div>
      <div class="cn-msg-state" role={p.error ? 'alert' : undefined}>
        {p.error ? (
          <>
            {t('notSent', { reason: p.error })}{' '}
            <button type="button" class="cn-link" onClick={() => s.retryPending(p.client_id)}>
              {t('retry')}
            </button>{' '}
            <button type="button" class="cn-link" onClick={() => s.discardPending(p.client_id)}>
              {t('discard')}
            </button>
          </>
        ) : p.rateLimited ? (
          t('waitingRate')
        ) : (
          t('sending')
        )}
      </div>
    </div>
  );
}

function TypingLine({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const customer = s.typing.get(c.id);
  const agents = [...(s.agentTyping.get(c.id)?.values() || [])];
  return (
    <div class="cn-typing-line" aria-live="polite">
      {customer && (
        <span class="cn-typing" data-testid="cn-typing">
          <i class="cn-typing-dots" aria-hidden="true">
            <b />
            <b />
            <b />
          </i>
          {t('isTyping', { name: customer.author.name || contactName(c.contact, t) })}
        </span>
      )}
      {agents.map((entry) => (
        <span key={entry.author.id} class="cn-typing cn-typing-agent" data-testid="cn-agent-typing">
          {t('agentIsTyping', { name: entry.author.name || t('agent') })}
        </span>
      ))}
    </div>
  );
}

/** Where a reply goes when the customer can also be reached another way (a chat by e-mail). */
function AnswerVia({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const choices = s.answerVia.get(c.id);
  if (!choices?.length) return null;
  const via = s.answerViaOf(c.id);
  return (
    <label class="cn-answer-via" title={t('answerViaTitle')}>
      <span>{t('answerVia')}</span>
      <select
        data-testid="cn-answer-via"
        value={via == null ? '' : String(via)}
        onChange={(event) => {
          const value = event.currentTarget.value;
          s.setAnswerVia(c.id, value ? Number(value) : null);
        }}
      >
        <option value="">{channelName(c.inbox.channel, t)}</option>
        {choices.map((inbox) => (
          <option key={inbox.id} value={String(inbox.id)}>
            {`${channelName(inbox.channel, t)} · ${inbox.name}`}
          </option>
        ))}
      </select>
    </label>
  );
}

function Composer({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const [text, setText] = useState(() => s.drafts.get(c.id) || '');
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const mode = s.composerMode(c.id);
  const note = mode === 'note';
  const whisper = mode === 'whisper';
  const mayWhisper = composerKinds(s.me).includes('whisper');
  const length = text.trim().length;
  const tooLong = length > MAX_BODY;
  const uploads = s.uploads.of(c.id);
  const uploading = s.uploads.busy(c.id);
  const files = s.uploads.ready(c.id);
  // A message may be only files; it waits until every chosen file is uploaded.
  const sendable = (length > 0 || files.length > 0) && !tooLong && !uploading;
  // The browser's spell checker in the customer's language when the widget told us it.
  const visitorLang = s.visitors.get(c.contact.id)?.language?.split(/[-_]/)[0]?.toLowerCase() || undefined;

  const resize = () => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 220)}px`;
  };
  useLayoutEffect(resize, [text]);
  const mounted = useRef(false);
  useEffect(() => {
    // Opened with j / k the focus stays outside, so the next key moves on again.
    if (mounted.current || s.quietOpen !== c.id) area.current?.focus();
    mounted.current = true;
  }, [mode]);
  // Leaving the conversation tells the customer we stopped typing.
  useEffect(() => () => s.stopTyping(), []);

  const update = (value: string) => {
    setText(value);
    if (value) s.drafts.set(c.id, value);
    else s.drafts.delete(c.id);
    s.composerInput(c.id, value, mode);
  };
  const picker = useCannedPicker(s, c, area, update);
  const mentions = useMentionPicker(s, note, area, update);
  const macros = useMacroPicker(s, c, area, update);
  const coach = useCoach(c.id, text, mode);
  // The box's text at this moment, for a send that waited for the coach.
  const latest = useRef(text);
  latest.current = text;

  const sendNow = (body: string) => {
    if (s.send(c.id, body, mode, s.uploads.ready(c.id))) {
      coach.sent();
      if (latest.current === body) setText('');
      s.drafts.delete(c.id);
      s.uploads.clear(c.id);
      area.current?.focus();
    }
  };
  const submit = async () => {
    if (!sendable || coach.checking) return;
    const body = text;
    // Advice only: a draft the coach has warnings for is held once, to show them.
    if (!(await coach.beforeSend(body.trim()))) return;
    // Edited while the coach thought: what is in the box now is for the agent to send.
    if (latest.current !== body) return;
    sendNow(body);
  };

  return (
    <form
      class={`cn-composer${note ? ' is-note' : ''}${whisper ? ' is-whisper' : ''}`}
      data-mode={mode}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <div class="cn-composer-bar">
        <button type="button" class="cn-note-toggle" data-testid="cn-note-toggle" aria-pressed={note} title="Alt+N" onClick={() => s.toggleComposerMode(c.id, 'note')}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M5 3h10l4 4v14H5z M14 3v5h5" class="cn-stroke" />
          </svg>
          {t('noteToggle')}
        </button>
        {mayWhisper && (
          <button
            type="button"
            class="cn-note-toggle cn-whisper-toggle"
            data-testid="cn-whisper-toggle"
            aria-pressed={whisper}
            title={`${t('whisperTitle')} (Alt+W)`}
            onClick={() => s.toggleComposerMode(c.id, 'whisper')}
          >
            <svg viewBox="0 0 24 24" aria-hidden="true">
              <path d="M4 5h16v10H9l-5 4z M8 9h8 M8 12h5" class="cn-stroke" />
            </svg>
            {t('whisperToggle')}
          </button>
        )}
        <button type="button" class="cn-note-toggle cn-attach" data-testid="cn-attach" title={t('attach')} onClick={() => fileInput.current?.click()}>
          <ClipIcon />
          {t('attach')}
        </button>
        {macros.button}
        {mode === 'text' && <AnswerVia s={s} c={c} />}
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="cn-file-input"
          onChange={(event) => {
            s.uploads.add(c.id, [...(event.currentTarget.files || [])]);
            event.currentTarget.value = ''; // the same file may be chosen again
          }}
        />
        <span class={`cn-counter${tooLong ? ' is-over' : ''}`} aria-live="polite">
          {length > MAX_BODY - 500 ? `${length} / ${MAX_BODY}` : ''}
        </span>
      </div>
      <PendingUploads items={uploads} t={t} lang={s.lang} onRemove={(key) => s.uploads.remove(c.id, key)} />
      {picker.element}
      {mentions.element}
      {macros.element}
      <CoachWarnings coach={coach} t={t} onSendAnyway={() => sendable && sendNow(text)} />
      <textarea
        ref={area}
        data-testid="cn-composer"
        rows={2}
        value={text}
        spellcheck
        lang={visitorLang}
        placeholder={note ? t('notePlaceholder') : whisper ? t('whisperPlaceholder') : t('composerPlaceholder')}
        aria-label={note ? t('noteToggle') : whisper ? t('whisperToggle') : t('send')}
        aria-invalid={tooLong}
        aria-autocomplete="list"
        onInput={(e) => {
          update((e.currentTarget as HTMLTextAreaElement).value);
          picker.sync();
          mentions.sync();
        }}
        onClick={() => {
          picker.sync();
          mentions.sync();
        }}
        onKeyUp={(event) => {
          if (/^(ArrowLeft|ArrowRight|Home|End)$/.test(event.key)) {
            picker.sync();
            mentions.sync();
          }
        }}
        onPaste={(event) => {
          // A pasted screenshot is attached. Not when text comes too (a spreadsheet's cells
          // arrive as text and as a picture of them; the text is what was meant).
          const data = event.clipboardData;
          const pasted = filesOf(data);
          if (!pasted.length || data?.types.includes('text/plain')) return;
          event.preventDefault();
          s.uploads.add(c.id, pasted);
        }}
        onKeyDown={(event) => {
          if (picker.onKeyDown(event) || mentions.onKeyDown(event)) {
            event.preventDefault();
            event.stopPropagation();
            return;
          }
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey) {
            event.preventDefault();
            void submit();
          } else if (event.key === 'Escape') {
            (event.currentTarget as HTMLTextAreaElement).blur();
          }
        }}
        onBlur={() => s.stopTyping()}
      />
      {tooLong && (
        <div class="cn-composer-error" role="alert">
          {t('tooLong', { max: MAX_BODY })}
        </div>
      )}
      <button type="submit" class="cn-btn cn-btn-primary cn-send" data-testid="cn-send" disabled={!sendable} aria-busy={coach.checking} title={uploading ? t('waitUploads') : undefined}>
        {note ? t('addNote') : whisper ? t('whisperSend') : t('send')}
      </button>
    </form>
  );
}
