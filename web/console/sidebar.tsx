/**
 * The right column. "Details": the conversation's properties (properties.tsx), the customer's
 * rating and the submitted web form (conversation-extras.tsx), who the customer is, where they
 * are on the site, their other conversations, and bans. "History": the conversation's changes
 * (audit.tsx).
 */
import { useState } from 'preact/hooks';
import { AuditTrail } from './audit';
import { BanDialog } from './bans-page';
import { RatingBlock, SubmittedForm } from './conversation-extras';
import { fullTime, preview, safeHref, shortTime } from './format';
import { contactName } from './model';
import { PropertiesPanel } from './properties';
import type { Store } from './store';
import type { BanKind, Visitor } from './types';
import { deviceLine } from './visitors';
import { placeText, Trail, UtmTags } from './visitors-page';

/** A URL as a link that opens in a new tab without telling the page who opened it. */
function ExternalLink({ url, text }: { url: string | null | undefined; text?: string | null }) {
  const href = safeHref(url);
  const label = text?.trim() || url || '';
  if (!href) return <span>{label}</span>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" title={url || undefined}>
      {label}
    </a>
  );
}

export function VisitorSidebar({ s, id }: { s: Store; id: number }) {
  const t = s.t;
  const [banning, setBanning] = useState<{ kind: BanKind; value: string } | null>(null);
  const [tab, setTab] = useState<'details' | 'audit'>('details');
  const conversation = s.convs.get(id);
  if (!conversation) return <aside class="cn-sidepane" data-testid="cn-visitor" />;
  const contactId = conversation.contact.id;
  const contact = { ...conversation.contact, ...(s.contacts.get(contactId) || {}) };
  const visitor: Visitor | null | undefined = s.visitors.get(contactId);
  const others = (s.contactConvs.get(contactId) || []).filter((other) => other !== id);
  const earlier = others.some((other) => other < id);
  const returning = (visitor?.visits ?? 0) > 1 || earlier;
  const page = visitor?.current_page;
  const device = visitor ? deviceLine(visitor) : '';
  const country = visitor?.country ? `${placeText(visitor, s.lang)} (${visitor.country.toUpperCase()})` : visitor?.city || '';
  const dash = '—';

  return (
    <aside class="cn-sidepane" data-testid="cn-visitor" data-contact-id={contactId} aria-label={t('visitor')}>
      <button type="button" class="cn-drawer-close cn-icon-btn" aria-label={t('close')} title={t('close')} onClick={() => s.toggleInfo(false)}>
        ×
      </button>
      <div class="cn-side-tabs" role="tablist">
        {(['details', 'audit'] as const).map((name) => (
          <button key={name} type="button" role="tab" class="cn-side-tab" data-testid={`cn-side-tab-${name}`} aria-selected={tab === name} onClick={() => setTab(name)}>
            {t(name === 'details' ? 'sideDetails' : 'sideAudit')}
          </button>
        ))}
      </div>
      {tab === 'audit' ? (
        <AuditTrail s={s} c={conversation} />
      ) : (
        <>
          <PropertiesPanel key={id} s={s} c={conversation} />
          <RatingBlock s={s} c={conversation} />
          {conversation.type === 'form' && <SubmittedForm s={s} c={conversation} />}
          <div class="cn-visitor-head">
            <span
              class={`cn-online${visitor?.online ? ' is-online' : ''}`}
              data-testid="cn-visitor-online"
              data-online={visitor?.online ? 'true' : 'false'}
              title={visitor?.online ? t('online') : t('offline')}
              aria-label={visitor?.online ? t('online') : t('offline')}
            />
            <h3 data-testid="cn-visitor-name">{contactName(contact, t)}</h3>
          </div>
          <div class="cn-visitor-tags">
            <span class="cn-muted">{visitor?.online ? t('online') : t('offline')}</span>
            {returning && (
              <span class="cn-returning" data-testid="cn-returning">
                {t('returning')}
              </span>
            )}
          </div>
          <dl class="cn-facts">
            {contact.email && (
              <>
                <dt>{t('email')}</dt>
                <dd data-testid="cn-visitor-email">
                  <a href={`mailto:${contact.email}`}>{contact.email}</a>
                </dd>
              </>
            )}
            {contact.phone && (
              <>
                <dt>{t('phone')}</dt>
                <dd data-testid="cn-visitor-phone">{contact.phone}</dd>
              </>
            )}
            <dt>{t('currentPage')}</dt>
            <dd data-testid="cn-visitor-page" class="cn-url">
              {page?.url ? (
                <>
                  <ExternalLink url={page.url} text={page.title} />
                  {page.title && <small>{page.url}</small>}
                </>
              ) : (
                dash
              )}
            </dd>
            {!!visitor?.pages?.length && (
              <>
                <dt>{t('trail')}</dt>
                <dd data-testid="cn-visitor-trail">
                  <Trail visitor={visitor} t={t} lang={s.lang} />
                </dd>
              </>
            )}
            <dt>{t('referrer')}</dt>
            <dd data-testid="cn-visitor-referrer" class="cn-url">
              {visitor?.referrer ? <ExternalLink url={visitor.referrer} /> : visitor ? t('direct') : dash}
            </dd>
            {visitor?.search_query && (
              <>
                <dt>{t('searchQuery')}</dt>
                <dd data-testid="cn-visitor-search">«{visitor.search_query}»</dd>
              </>
            )}
            {visitor?.utm && Object.keys(visitor.utm).length > 0 && (
              <>
                <dt>UTM</dt>
                <dd data-testid="cn-visitor-utm">
                  <UtmTags utm={visitor.utm} />
                </dd>
              </>
            )}
            <dt>{t('browser')}</dt>
            <dd data-testid="cn-visitor-browser">{device || dash}</dd>
            <dt>{t('country')}</dt>
            <dd data-testid="cn-visitor-country">{country || dash}</dd>
            <dt>{t('ip')}</dt>
            <dd data-testid="cn-visitor-ip">{visitor?.ip || dash}</dd>
            <dt>{t('visits')}</dt>
            <dd data-testid="cn-visitor-visits">{visitor ? visitor.visits : dash}</dd>
            <dt>{t('firstSeen')}</dt>
            <dd>{visitor ? fullTime(visitor.first_seen_at, s.lang) : dash}</dd>
            <dt>{t('lastSeen')}</dt>
            <dd>{visitor ? fullTime(visitor.last_seen_at, s.lang) : dash}</dd>
            {visitor?.language && (
              <>
                <dt>{t('languageOfVisitor')}</dt>
                <dd>{visitor.language}</dd>
              </>
            )}
          </dl>
          {visitor === null && <p class="cn-muted cn-small">{t('noVisitor')}</p>}
          {visitor && (
            <div class="cn-visitor-actions">
              <button type="button" class="cn-btn cn-btn-small cn-btn-quiet-danger" data-testid="cn-ban-visitor" onClick={() => setBanning({ kind: 'visitor', value: visitor.visitor_id })}>
                {t('banVisitor')}
              </button>
              {visitor.ip && (
                <button type="button" class="cn-btn cn-btn-small cn-btn-quiet-danger" data-testid="cn-ban-ip" onClick={() => setBanning({ kind: 'ip', value: visitor.ip! })}>
                  {t('banIp')}
                </button>
              )}
            </div>
          )}
          {banning && <BanDialog s={s} kind={banning.kind} value={banning.value} onClose={() => setBanning(null)} />}
          <section class="cn-history" data-testid="cn-history">
            <h4>{t('history')}</h4>
            {others.length === 0 && <p class="cn-muted cn-small">{t('noHistory')}</p>}
            <ul>
              {others.map((otherId) => {
                const other = s.convs.get(otherId);
                if (!other) return null;
                return (
                  <li key={otherId}>
                    <button type="button" class="cn-history-item" data-testid="cn-history-item" data-id={otherId} data-number={other.number} onClick={() => s.openConversation(otherId)}>
                      <span class="cn-history-top">
                        <b>#{other.number}</b>
                        <span class={`cn-status cn-status-${other.status}`}>{t(`status_${other.status}` as 'status_open')}</span>
                        <time dateTime={other.created_at}>{shortTime(other.last_activity_at, s.lang)}</time>
                      </span>
                      <span class="cn-history-preview">{preview(other.last_message?.body, 90) || t('noMessages')}</span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
        </>
      )}
    </aside>
  );
}
