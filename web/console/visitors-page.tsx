/**
 * Live visitors: who is on the site now, where they are and where they came from, kept live
 * by `visitor.updated` events; "Start chat" writes to one of them (their widget shows the
 * message by its launcher) and opens the conversation.
 */
import { useState } from 'preact/hooks';
import { newClientId } from '../shared/realtime';
import { countryName, flag, fullTime, safeHref } from './format';
import type { Lang, Translate } from './i18n';
import { MAX_BODY, type Store } from './store';
import type { Visitor } from './types';
import { Modal, useNow } from './ui';
import { deviceLine, elapsed } from './visitors';

/** A page as a link with its title, the URL under it. */
export function PageLink({ url, title }: { url: string | null | undefined; title?: string | null }) {
  const href = safeHref(url);
  const label = title?.trim() || url || '—';
  return (
    <span class="cn-page-link">
      {href ? (
        <a href={href} target="_blank" rel="noopener noreferrer" title={url || undefined}>
          {label}
        </a>
      ) : (
        <span>{label}</span>
      )}
      {title?.trim() && url && <small>{url}</small>}
    </span>
  );
}

export function placeText(visitor: Visitor, lang: Lang): string {
  if (!visitor.country) return visitor.city || '';
  const country = countryName(visitor.country, lang) || visitor.country.toUpperCase();
  return `${flag(visitor.country)} ${visitor.city ? `${visitor.city}, ` : ''}${country}`.trim();
}

export function UtmTags({ utm }: { utm: Record<string, string> | null | undefined }) {
  const tags = Object.entries(utm || {});
  if (!tags.length) return null;
  return (
    <span class="cn-utm" data-testid="cn-utm">
      {tags.map(([key, value]) => (
        <span key={key} class="cn-chip cn-utm-tag" data-key={key}>
          {key.replace(/^utm_/, '')}: {value}
        </span>
      ))}
    </span>
  );
}

export function Trail({ visitor, t, lang }: { visitor: Visitor; t: Translate; lang: Lang }) {
  const pages = visitor.pages || [];
  if (!pages.length) return <span class="cn-muted">—</span>;
  return (
    <details class="cn-trail" data-testid="cn-trail">
      <summary>{t('trailN', { count: pages.length })}</summary>
      <ol>
        {pages.map((page, index) => (
          <li key={index} data-testid="cn-trail-page" data-url={page.url || ''}>
            <PageLink url={page.url} title={page.title} />
            {page.at && <time dateTime={page.at}>{fullTime(page.at, lang)}</time>}
          </li>
        ))}
      </ol>
    </details>
  );
}

export function VisitorsPage({ s }: { s: Store }) {
  const t = s.t;
  const live = s.liveVisitors;
  const now = useNow();
  const [inviting, setInviting] = useState<Visitor | null>(null);
  const rows = live.list();
  return (
    <main class="cn-visitors-page">
      <section class="cn-panel" data-testid="cn-live-visitors" data-count={rows.length}>
        <div class="cn-panel-head">
          <h2>{t('liveVisitorsTitle')}</h2>
          <span class="cn-badge" data-testid="cn-live-count">
            {rows.length}
          </span>
          {live.loading && <span class="cn-spinner" aria-label={t('loading')} />}
        </div>
        {live.error && <p class="cn-error">{t('loadFailed', { message: live.error })}</p>}
        {live.loaded && !rows.length && <p class="cn-muted" data-testid="cn-live-empty">{t('liveVisitorsNone')}</p>}
        {rows.length > 0 && (
          <div class="cn-table-wrap">
            <table class="cn-table cn-live-table">
              <thead>
                <tr>
                  <th>{t('visitor')}</th>
                  <th>{t('currentPage')}</th>
                  <th>{t('timeOnSite')}</th>
                  <th>{t('source')}</th>
                  <th>{t('place')}</th>
                  <th>{t('device')}</th>
                  <th class="cn-right">{t('visitNumber')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {rows.map((visitor) => (
                  <VisitorRow key={visitor.visitor_id} s={s} visitor={visitor} now={now} onInvite={() => setInviting(visitor)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {inviting && <InviteDialog key={inviting.visitor_id} s={s} visitor={inviting} onClose={() => setInviting(null)} />}
    </main>
  );
}

function VisitorRow({ s, visitor, now, onInvite }: { s: Store; visitor: Visitor; now: number; onInvite: () => void }) {
  const t = s.t;
  const page = visitor.current_page;
  const name = s.visitorName(visitor);
  const conversation = s.openConversationOf(visitor.contact_id);
  return (
    <tr data-testid="cn-live-visitor" data-visitor-id={visitor.visitor_id} data-contact-id={visitor.contact_id ?? ''} data-in-chat={visitor.in_chat ? 'true' : 'false'}>
      <td>
        <b class="cn-block">{name}</b>
        {visitor.in_chat ? (
          <span class="cn-badge cn-badge-ok" data-testid="cn-live-in-chat">
            {t('inChat')}
          </span>
        ) : (
          <span class="cn-muted cn-small">{t('notInChat')}</span>
        )}
      </td>
      <td class="cn-url cn-live-page" data-testid="cn-live-page" data-url={page?.url || ''}>
        <PageLink url={page?.url} title={page?.title} />
        <Trail visitor={visitor} t={t} lang={s.lang} />
      </td>
      <td class="cn-nowrap" data-testid="cn-live-time" title={visitor.visit_started_at ? fullTime(visitor.visit_started_at, s.lang) : undefined}>
        {elapsed(visitor.visit_started_at || visitor.first_seen_at, now, s.lang)}
        {visitor.page_views ? <small class="cn-muted cn-block">{t('pageViewsN', { count: visitor.page_views })}</small> : null}
      </td>
      <td class="cn-url" data-testid="cn-live-source">
        {visitor.referrer ? <PageLink url={visitor.referrer} /> : <span class="cn-muted">{t('direct')}</span>}
        {visitor.search_query && (
          <span class="cn-search-query" data-testid="cn-live-search">
            «{visitor.search_query}»
          </span>
        )}
        <UtmTags utm={visitor.utm} />
      </td>
      <td data-testid="cn-live-place">{placeText(visitor, s.lang) || '—'}</td>
      <td data-testid="cn-live-device">{deviceLine(visitor) || '—'}</td>
      <td class="cn-right" data-testid="cn-live-visits">
        {visitor.visits}
      </td>
      <td class="cn-right cn-nowrap">
        {conversation && (
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-live-open" onClick={() => s.openConversation(conversation.id)}>
            {t('open')}
          </button>
        )}{' '}
        <button type="button" class="cn-btn cn-btn-small cn-btn-primary" data-testid="cn-live-invite" onClick={onInvite}>
          {visitor.in_chat ? t('writeToVisitor') : t('startChat')}
        </button>
      </td>
    </tr>
  );
}

function InviteDialog({ s, visitor, onClose }: { s: Store; visitor: Visitor; onClose: () => void }) {
  const t = s.t;
  const [text, setText] = useState(() => t('inviteDefault'));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  // One id for this dialog: a second click after a lost answer stores nothing new.
  const [clientId] = useState(newClientId);
  const body = text.trim();

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy || !body || body.length > MAX_BODY) return;
    setBusy(true);
    setError('');
    const failure = await s.inviteVisitor(visitor.visitor_id, body, clientId);
    setBusy(false);
    if (failure === null) onClose();
    else setError(failure);
  };

  return (
    <Modal label={t('startChat')} testid="cn-invite-dialog" onClose={onClose} wide>
      <form class="cn-form" onSubmit={submit}>
        <h2>{t('startChatWith', { name: s.visitorName(visitor) })}</h2>
        <p class="cn-muted cn-small cn-url">
          <PageLink url={visitor.current_page?.url} title={visitor.current_page?.title} />
        </p>
        <label>
          <span>{t('inviteMessage')}</span>
          <textarea
            data-testid="cn-invite-text"
            rows={3}
            maxLength={MAX_BODY}
            value={text}
            autofocus
            onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void submit(event);
            }}
          />
        </label>
        <p class="cn-muted cn-small">{t('inviteHint')}</p>
        {error && (
          <div class="cn-field-error" data-testid="cn-invite-error" role="alert">
            {error}
          </div>
        )}
        <div class="cn-form-actions">
          <button type="button" class="cn-btn" onClick={onClose}>
            {t('cancel')}
          </button>
          <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-invite-submit" disabled={busy || !body}>
            {busy ? t('sending') : t('startChat')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
