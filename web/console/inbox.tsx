/** The left column: tabs with counts, the status filter and the conversation list. */
import { memo } from 'preact/compat';
import { useEffect, useRef } from 'preact/hooks';
import { TeamBadge, TypeBadge } from './conversation';
import { shortTime } from './format';
import type { Lang, Translate } from './i18n';
import { contactName, lastMessageText } from './model';
import { routePath } from './route';
import type { Store } from './store';
import { TeamPanel } from './team';
import { VIEWS, type Conversation, type StatusFilter, type View } from './types';

export function InboxList({ s }: { s: Store }) {
  const t = s.t;
  const route = s.route.page === 'inbox' ? s.route : null;
  const view: View = route?.view ?? 'all';
  const rows = s.visibleList();
  const info = s.listInfo();
  const listRef = useRef<HTMLDivElement>(null);

  // Keep the open conversation's row in sight when it is chosen with the keyboard.
  useEffect(() => {
    listRef.current?.querySelector('.cn-row.is-open')?.scrollIntoView({ block: 'nearest' });
  }, [route?.id]);

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
      <div class="cn-listbar">
        <label>
          <span class="cn-sr">{t('showStatus')}</span>
          <select value={s.statusFilter} data-testid="cn-status-filter" onChange={(e) => s.setStatusFilter((e.currentTarget as HTMLSelectElement).value as StatusFilter)}>
            <option value="open">{t('status_open')}</option>
            <option value="resolved">{t('status_resolved')}</option>
            <option value="all">{t('status_all')}</option>
          </select>
        </label>
        {info.loading && <span class="cn-spinner" aria-label={t('loading')} />}
      </div>
      <div class="cn-list" ref={listRef} onKeyDown={onListKey}>
        {rows.map((conversation) => (
          <ConvRow
            key={conversation.id}
            c={conversation}
            view={view}
            open={route?.id === conversation.id}
            typing={s.typing.has(conversation.id)}
            meId={s.me?.id ?? 0}
            lang={s.lang}
            t={t}
            s={s}
          />
        ))}
        {info.loaded && !rows.length && <div class="cn-list-empty">{t('noConversations')}</div>}
        {!info.loaded && info.loading && <div class="cn-list-empty">{t('loading')}</div>}
        {info.error && (
          <div class="cn-list-empty cn-error">
            {t('loadFailed', { message: info.error })}{' '}
            <button type="button" class="cn-link" onClick={() => void s.loadList(view, s.statusFilter)}>
              {t('retry')}
            </button>
          </div>
        )}
        {info.loaded && info.nextBefore && (
          <button type="button" class="cn-btn cn-more" disabled={info.loading} onClick={() => void s.loadList(view, s.statusFilter, true)}>
            {t('loadMore')}
          </button>
        )}
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
  meId: number;
  lang: Lang;
  t: Translate;
  s: Store;
}

const ConvRow = memo(function ConvRow({ c, view, open, typing, meId, lang, t, s }: RowProps) {
  const text = lastMessageText(c, t);
  const unread = c.unread_count > 0;
  const assignee = c.assignee ? (c.assignee.id === meId ? `${c.assignee.name} (${t('itsYou')})` : c.assignee.name) : t('unassigned');
  return (
    <a
      href={routePath({ page: 'inbox', view, id: c.id })}
      class={`cn-row${open ? ' is-open' : ''}${unread ? ' is-unread' : ''}${c.status !== 'open' ? ' is-resolved' : ''}`}
      data-testid="cn-conv-row"
      data-id={c.id}
      data-number={c.number}
      data-status={c.status}
      data-type={c.type || 'chat'}
      aria-current={open ? 'true' : undefined}
      onClick={(event) => {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        s.openConversation(c.id);
      }}
    >
      <span class="cn-row-top">
        <span class="cn-row-name">{contactName(c.contact, t)}</span>
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
        <span class="cn-row-number">#{c.number}</span>
        <TypeBadge c={c} t={t} />
        <TeamBadge c={c} t={t} />
        <span class={`cn-row-assignee${c.assignee ? '' : ' is-none'}`}>{assignee}</span>
        {c.status !== 'open' && <span class="cn-badge">{t(`status_${c.status}` as 'status_open')}</span>}
      </span>
    </a>
  );
});
