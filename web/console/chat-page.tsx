/**
 * The operator chat page: the rooms (teams, then one per colleague) with unread badges on
 * the left, the chosen room's history with "load older", and a composer. Messages not yet
 * stored show as sending, or with retry / discard when the server refused them.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { CHAT_MAX_BODY, type ChatPending } from './chat';
import { clockTime, dayKey, dayLabel, fullTime, linkify } from './format';
import type { Store } from './store';
import type { ChatMessage, ChatRoom } from './types';
import { PresenceDot } from './ui';

export function ChatPage({ s }: { s: Store }) {
  const t = s.t;
  const chat = s.chat;
  const rooms = [...chat.rooms].sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'team' ? -1 : 1));
  const active = chat.room(chat.active);

  // Opening the page chooses the remembered room (or the first with unread messages).
  useEffect(() => {
    if (!chat.roomsLoaded) return;
    // Read the current choice, not the one of the render: a click may have come between
    // the render and this effect, and must not be overridden.
    const current = chat.room(chat.active);
    if (!current) {
      const first = rooms.find((room) => room.unread > 0) || rooms[0];
      if (first) chat.open(first.room);
    } else chat.open(current.room); // reads its history the first time, marks it read
  }, [chat.roomsLoaded, active?.room]);

  return (
    <main class="cn-chat-page">
      <aside class="cn-chat-rooms" data-testid="cn-chat-rooms" aria-label={t('chatRooms')}>
        <h2>{t('chatTitle')}</h2>
        {chat.roomsError && <p class="cn-error cn-small">{t('loadFailed', { message: chat.roomsError })}</p>}
        {!chat.roomsLoaded && !chat.roomsError && <p class="cn-muted cn-small">{t('loading')}</p>}
        {chat.roomsLoaded && !rooms.length && <p class="cn-muted cn-small">{t('chatNoRooms')}</p>}
        <ul>
          {rooms.map((room) => (
            <li key={room.room}>
              <button
                type="button"
                class={`cn-chat-room${room.room === active?.room ? ' is-active' : ''}${room.unread ? ' is-unread' : ''}`}
                data-testid="cn-chat-room"
                data-room={room.room}
                data-kind={room.kind}
                data-unread={room.unread}
                aria-current={room.room === active?.room ? 'true' : undefined}
                onClick={() => chat.open(room.room)}
              >
                <RoomIcon s={s} room={room} />
                <span class="cn-chat-room-name">{room.name}</span>
                {room.unread > 0 && (
                  <span class="cn-unread" data-testid="cn-chat-room-unread">
                    {room.unread}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section class="cn-chat-room-pane">{active ? <Room key={active.room} s={s} room={active} /> : <div class="cn-empty">{t('chatChoose')}</div>}</section>
    </main>
  );
}

function RoomIcon({ s, room }: { s: Store; room: ChatRoom }) {
  if (room.kind === 'direct') {
    const agent = room.agent_id ? s.team.byId(room.agent_id) : undefined;
    return <PresenceDot status={agent?.status || 'offline'} t={s.t} />;
  }
  return (
    <span class="cn-room-team" aria-hidden="true">
      #
    </span>
  );
}

function Room({ s, room }: { s: Store; room: ChatRoom }) {
  const t = s.t;
  const chat = s.chat;
  const history = chat.historyOf(room.room);
  const messages = history?.messages || [];
  const stored = new Set(messages.map((m) => m.client_id).filter(Boolean));
  const pending = chat.pendingOf(room.room).filter((item) => !stored.has(item.client_id));
  const box = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const firstId = messages[0]?.id;
  const lastKey = `${messages[messages.length - 1]?.id ?? 0}:${pending.length}`;
  const heightBefore = useRef(0);

  // Follow new messages while at the bottom; keep the place when older ones are added on top.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [lastKey]);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && heightBefore.current) {
      el.scrollTop += el.scrollHeight - heightBefore.current;
      heightBefore.current = 0;
    }
  }, [firstId]);

  const members = room.kind === 'team' ? s.teams.byId(Number(room.room.split(':')[1])) : undefined;
  const items: preact.JSX.Element[] = [];
  let lastDay = '';
  let lastAuthor = 0;
  for (const message of messages) {
    const day = dayKey(message.created_at);
    if (day !== lastDay) {
      items.push(
        <div key={`day-${day}`} class="cn-day" role="separator">
          <span>{dayLabel(message.created_at, s.lang, t('today'), t('yesterday'))}</span>
        </div>,
      );
      lastDay = day;
      lastAuthor = 0;
    }
    items.push(<ChatItem key={message.id} s={s} m={message} continued={lastAuthor === message.author.id} />);
    lastAuthor = message.author.id;
  }

  return (
    <div class="cn-chat-room-view" data-testid="cn-chat-room-view" data-room={room.room}>
      <header class="cn-conv-head">
        <div class="cn-conv-title">
          <h2 data-testid="cn-chat-room-title">
            {room.kind === 'team' ? '# ' : ''}
            {room.name}
          </h2>
          <div class="cn-conv-sub">
            {room.kind === 'team' ? (members ? t('teamMembersN', { count: members.member_ids.length }) : t('teamRoom')) : t('directRoom')}
          </div>
        </div>
      </header>
      <div class="cn-messages-wrap">
        <div
          class="cn-messages"
          ref={box}
          role="log"
          aria-live="polite"
          data-testid="cn-chat-messages"
          onScroll={() => {
            const el = box.current!;
            atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
          }}
        >
          {history?.more && (
            <button
              type="button"
              class="cn-btn cn-more"
              data-testid="cn-chat-older"
              disabled={history.loading}
              onClick={() => {
                heightBefore.current = box.current?.scrollHeight || 0;
                void chat.loadOlder(room.room);
              }}
            >
              {t('loadOlder')}
            </button>
          )}
          {history?.error && (
            <div class="cn-empty cn-error">
              {t('loadFailed', { message: history.error })}{' '}
              <button type="button" class="cn-link" onClick={() => void chat.loadLatest(room.room)}>
                {t('retry')}
              </button>
            </div>
          )}
          {!history?.loaded && !history?.error && <div class="cn-empty">{t('loading')}</div>}
          {history?.loaded && !messages.length && !pending.length && <div class="cn-empty">{t('chatEmpty')}</div>}
          {items}
          {pending.map((item) => (
            <PendingChatItem key={item.client_id} s={s} p={item} />
          ))}
        </div>
      </div>
      <ChatComposer s={s} room={room} />
    </div>
  );
}

function ChatBody({ text }: { text: string }) {
  return (
    <div class="cn-body" data-testid="cn-chat-body">
      {linkify(text).map((piece, index) =>
        piece.href ? (
          <a key={index} href={piece.href} target="_blank" rel="noopener noreferrer">
            {piece.text}
          </a>
        ) : (
          piece.text
        ),
      )}
    </div>
  );
}

function ChatItem({ s, m, continued }: { s: Store; m: ChatMessage; continued: boolean }) {
  const mine = m.author.id === s.me?.id;
  return (
    <div class={`cn-msg ${mine ? 'cn-msg-out cn-from-agent' : 'cn-msg-in cn-from-colleague'}${continued ? ' is-continued' : ''}`} data-testid="cn-chat-message" data-id={m.id} data-author-id={m.author.id} data-pending="false">
      {!continued && (
        <div class="cn-msg-meta">
          <span class="cn-msg-who">{mine ? `${m.author.name} (${s.t('itsYou')})` : m.author.name}</span>
        </div>
      )}
      <div class="cn-bubble" title={fullTime(m.created_at, s.lang)}>
        <ChatBody text={m.body} />
        <time class="cn-msg-time" dateTime={m.created_at}>
          {clockTime(m.created_at, s.lang)}
        </time>
      </div>
    </div>
  );
}

function PendingChatItem({ s, p }: { s: Store; p: ChatPending }) {
  const t = s.t;
  return (
    <div class={`cn-msg cn-msg-out cn-from-agent is-pending${p.state === 'failed' ? ' is-failed' : ''}`} data-testid="cn-chat-message" data-pending="true" data-state={p.state} data-client-id={p.client_id}>
      <div class="cn-bubble">
        <ChatBody text={p.body} />
      </div>
      <div class="cn-msg-state" role={p.state === 'failed' ? 'alert' : undefined}>
        {p.state === 'failed' ? (
          <>
            {t('notSent', { reason: p.error || '' })}{' '}
            <button type="button" class="cn-link" onClick={() => s.chat.retry(p.client_id)}>
              {t('retry')}
            </button>{' '}
            <button type="button" class="cn-link" onClick={() => s.chat.discard(p.client_id)}>
              {t('discard')}
            </button>
          </>
        ) : p.state === 'queued' && s.conn !== 'open' ? (
          t('chatQueued')
        ) : (
          t('sending')
        )}
      </div>
    </div>
  );
}

const chatDrafts = new Map<string, string>();

function ChatComposer({ s, room }: { s: Store; room: ChatRoom }) {
  const t = s.t;
  const [text, setText] = useState(() => chatDrafts.get(room.room) || '');
  const area = useRef<HTMLTextAreaElement>(null);
  const length = text.trim().length;
  const tooLong = length > CHAT_MAX_BODY;
  useEffect(() => area.current?.focus(), []);
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 180)}px`;
  }, [text]);
  const update = (value: string) => {
    setText(value);
    if (value) chatDrafts.set(room.room, value);
    else chatDrafts.delete(room.room);
  };
  const submit = () => {
    if (!length || tooLong) return;
    if (s.chat.send(room.room, text)) update('');
    area.current?.focus();
  };
  return (
    <form
      class="cn-composer cn-chat-composer"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <textarea
        ref={area}
        data-testid="cn-chat-input"
        rows={2}
        value={text}
        spellcheck
        placeholder={t('chatPlaceholder', { name: room.name })}
        aria-label={t('chatPlaceholder', { name: room.name })}
        aria-invalid={tooLong}
        onInput={(e) => update((e.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey) {
            event.preventDefault();
            submit();
          } else if (event.key === 'Escape') (event.currentTarget as HTMLTextAreaElement).blur();
        }}
      />
      {tooLong && (
        <div class="cn-composer-error" role="alert">
          {t('tooLong', { max: CHAT_MAX_BODY })}
        </div>
      )}
      <button type="submit" class="cn-btn cn-btn-primary cn-send" data-testid="cn-chat-send" disabled={!length || tooLong}>
        {t('send')}
      </button>
    </form>
  );
}
