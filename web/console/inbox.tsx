/**
 * The left column: tabs with counts, the filter bar with saved views, the bulk-action bar and
 * the conversation list (more pages load as it scrolls). A row shows the priority when it is
 * high or urgent, the tags, and the time left against the SLA, coloured by the clock.
 */
import { memo } from 'preact/compat';
import { useEffect, useRef, useState } from 'preact/hooks';
import { BulkBar } from './bulk-bar';
import { ChannelMark } from './channel-icon';
import { TeamBadge, TypeBadge } from './conversation';
import { FilterBar } from './filter-bar';
import { shortDuration, shortTime } from './format';
import type { Lang, Translate } from './i18n';
import { slaState } from './inbox-filter';
import { contactName, lastMessageText, time } from './model';
import { routePath } from './route';
import type { Store } from './store';
import { TeamPanel } from './team';
import { VIEWS, type Conversation, type View } from './types';

/** SLA chips are coloured against the clock, so the list looks again this often. */
const SLA_TICK_MS = 30_000;

/** The time of this render, advancing every `ms`. */
export function useTick(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export function InboxList({ s }: { s: Store }) {
  const t = s.t;
  const route = s.route.page === 'inbox' ? s.route : null;
  const view: View = route?.view ?? 'all';
  useTick(SLA_TICK_MS);
  const now = Date.now();
  const rows = s.inbox.rows(view, now);
  const info = s.inbox.state(view);
  const listRef = useRef<HTMLDivElement>(null);
  const endRef = useRef<HTMLDivElement>(null);
  const selected = rows.filter((c) => s.inbox.selected.has(c.id)).map((c) => c.id);

  // Keep the open conversation's row in sight when it is chosen with the keyboard.
  useEffect(() => {
    listRef.current?.querySelector('.cn-row.is-open')?.scrollIntoView({ block: 'nearest' });
  }, [route?.id]);

  // The next page loads when the end of the list scrolls into sight.
  const more = info.loaded && !!info.nextCursor && !info.loading && !info.error;
  useEffect(() => {
    const end = endRef.current;
    if (!end || !more || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) void s.inbox.load(view, true);
    }, { root: listRef.current, rootMargin: '120px' });
    observer.observe(end);
    return () => observer.disconnect();
  }, [more, view, info]);

  const onListKey = (event: KeyboardEvent) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const items = [...(listRef.current?.querySelectorAll<HTMLElement>('.cn-row') || [])];
    const index = items.indexOf(document.activeElement as HTMLElement);
    const next = items[Math.max(0, Math.min(items.length - 1, index + (event.key === 'ArrowDown' ? 1 : -1)))];
    if (next) {
      next.focus();
      event.preventDefault();
    }
  };

  return (
    <section class="cn-listpane" aria-label={t('inbox')}>
      <div class="cn-tabs" role="tablist">
        {VIEWS.map((tab) => {
          const count = s.counts ? s.counts[tab] : null;
          const unread = s.counts ? s.counts.unread[tab] : 0;
          return (
            <button
              key={tab}
              type="button"
              role="tab"
              class="cn-tab"
              aria-selected={tab === view}
              data-testid={`cn-tab-${tab}`}
              title={unread ? t('unreadIn', { count: unread }) : undefined}
              onClick={() => s.setView(tab)}
            >
              <span class="cn-tab-label">{t(`tab_${tab}`)}</span>
              <span class="cn-tab-num">
                <span class="cn-tab-count" data-testid="cn-tab-count">
                  {count ?? ''}
                </span>
                {unread > 0 && (
                  <span class="cn-tab-unread" data-testid="cn-tab-unread" aria-label={t('unreadIn', { count: unread })}>
                    {unread}
                  </span>
                )}
              </span>
            </button>
          );
        })}
      </div>
      <FilterBar s={s} view={view} rows={rows} selected={selected} loading={info.loading} />
      {selected.length > 0 && <BulkBar s={s} ids={selected} />}
      <div class="cn-list" ref={listRef} onKeyDown={onListKey} data-testid="cn-list" aria-busy={info.loading}>
        {rows.map((conversation) => (
          <ConvRow
            key={conversation.id}
            c={conversation}
            view={view}
            open={route?.id === conversation.id}
            typing={s.typing.has(conversation.id)}
            checked={s.inbox.selected.has(conversation.id)}
            meId={s.me?.id ?? 0}
            now={now}
            lang={s.lang}
            t={t}
            s={s}
          />
        ))}
        {info.loaded && !rows.length && !info.error && <div class="cn-list-empty">{t('noConversations')}</div>}
        {!info.loaded && info.loading && <div class="cn-list-empty">{t('loading')}</div>}
        {info.error && (
          <div class="cn-list-empty cn-error" data-testid="cn-list-error" role="alert">
            {t('loadFailed', { message: info.error })}{' '}
            <button type="button" class="cn-link" onClick={() => void s.inbox.load(view, info.loaded)}>
              {t('retry')}
            </button>
          </div>
        )}
        {info.loaded && info.nextCursor && (
          <button type="button" class="cn-btn cn-more" data-testid="cn-more" disabled={info.loading} onClick={() => void s.inbox.load(view, true)}>
            {info.loading ? t('loading') : t('loadMore')}
          </button>
        )}
        <div ref={endRef} class="cn-list-end" aria-hidden="true" />
      </div>
      <TeamPanel s={s} />
    </section>
  );
}

interface RowProps {
  c: Conversation;
  view: View;
  open: boolean;
  typing: boolean;
  checked: boolean;
  meId: number;
  /** The clock the SLA chip is coloured by. */
  now: number;
  lang: Lang;
  t: Translate;
  s: Store;
}

const ConvRow = memo(function ConvRow({ c, view, open, typing, checked, meId, now, lang, t, s }: RowProps) {
  const text = lastMessageText(c, t);
  const unread = c.unread_count > 0;
  const assignee = c.assignee ? (c.assignee.id === meId ? `${c.assignee.name} (${t('itsYou')})` : c.assignee.name) : t('unassigned');
  const tags = c.tags || [];
  return (
    <div class={`cn-row-wrap${checked ? ' is-checked' : ''}`}>
      <input
        type="checkbox"
        class="cn-row-check"
        data-testid="cn-row-check"
        data-id={c.id}
        checked={checked}
        aria-label={t('selectConversation_n', { number: c.number })}
        onChange={(e) => s.inbox.toggle(c.id, (e.currentTarget as HTMLInputElement).checked)}
      />
      <a
        href={routePath({ page: 'inbox', view, id: c.id })}
        class={`cn-row${open ? ' is-open' : ''}${unread ? ' is-unread' : ''}${c.status !== 'open' ? ' is-resolved' : ''}`}
        data-testid="cn-conv-row"
        data-id={c.id}
        data-number={c.number}
        data-status={c.status}
        data-priority={c.priority || 'normal'}
        data-type={c.type || 'chat'}
        data-contact-id={c.contact.id}
        aria-current={open ? 'true' : undefined}
        onClick={(event) => {
          if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
          event.preventDefault();
          s.openConversation(c.id);
        }}
      >
        <span class="cn-row-top">
          <span class="cn-row-name">{contactName(c.contact, t)}</span>
          <SlaChip c={c} now={now} t={t} lang={lang} />
          <time class="cn-row-time" dateTime={c.last_activity_at}>
            {shortTime(c.last_activity_at, lang)}
          </time>
        </span>
        <span class="cn-row-mid">
          {typing ? <span class="cn-row-typing">{t('typingShort')}</span> : <span class="cn-row-preview">{text}</span>}
          {unread && (
            <span class="cn-unread" data-testid="cn-unread">
              {c.unread_count}
            </span>
          )}
        </span>
        <span class="cn-row-bottom">
          <ChannelMark channel={c.inbox.channel} t={t} compact />
          <span class="cn-row-number">#{c.number}</span>
          <PriorityBadge c={c} t={t} />
          <TypeBadge c={c} t={t} />
          <TeamBadge c={c} t={t} />
          {tags.slice(0, 3).map((tag) => (
            <span key={tag} class="cn-tag cn-tag-small" data-testid="cn-row-tag" data-tag={tag}>
              {tag}
            </span>
          ))}
          {tags.length > 3 && <span class="cn-muted">+{tags.length - 3}</span>}
          <span class={`cn-row-assignee${c.assignee ? '' : ' is-none'}`}>{assignee}</span>
          {c.status !== 'open' && <span class="cn-badge">{t(`status_${c.status}` as 'status_open')}</span>}
        </span>
      </a>
    </div>
  );
});

/** High and urgent stand out; low and normal need no mark in a list. */
export function PriorityBadge({ c, t }: { c: Conversation; t: Translate }) {
  if (c.priority !== 'high' && c.priority !== 'urgent') return null;
  return (
    <span class={`cn-priority cn-priority-${c.priority}`} data-testid="cn-row-priority" data-priority={c.priority} title={t('priority')}>
      {t(`priority_${c.priority}`)}
    </span>
  );
}

/** The time left to the SLA's next due time, or how long it is overdue, coloured ok / at risk / breached. */
export function SlaChip({ c, now, t, lang }: { c: Conversation; now: number; t: Translate; lang: Lang }) {
  const state = slaState(c, now);
  if (!state) return null;
  const left = (time(c.sla!.due_at) - now) / 1000;
  // Short in the row ("12 min", "−25 min"); the title says it in words.
  const text = state === 'breached' ? `−${shortDuration(-left, lang)}` : shortDuration(left, lang);
  const title = `${t(`sla_${state}`)}: ${state === 'breached' ? t('slaOverdue', { time: shortDuration(-left, lang) }) : t('slaLeft', { time: shortDuration(left, lang) })}`;
  return (
    <span class={`cn-sla cn-sla-${state}`} data-testid="cn-sla" data-state={state} title={title} aria-label={title}>
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <circle cx="12" cy="13" r="8" class="cn-stroke" />
        <path d="M12 9v4l2.5 2.5M9 2h6" class="cn-stroke" />
      </svg>
      {text}
    </span>
  );
}
