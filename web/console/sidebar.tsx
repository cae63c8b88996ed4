/**
 * The right column. "Details": the conversation's properties (properties.tsx), the customer's
 * rating and the submitted web form (conversation-extras.tsx), the channel it came through with
 * what the channel tells about the customer (the Telegram @username), who the customer is,
 * where they are on the site, bans, the contact's addresses and channels and its merges
 * (contact-card.tsx), and their other conversations on every channel. "History": the
 * conversation's changes (audit.tsx).
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { AuditTrail } from './audit';
import { BanDialog } from './bans-page';
import { ChannelMark } from './channel-icon';
import { ContactConversations, ContactMerges, Identities, MergeAction } from './contact-card';
import { RatingBlock, SubmittedForm } from './conversation-extras';
import { fullTime, safeHref } from './format';
import { contactName } from './model';
import { PropertiesPanel } from './properties';
import type { Store } from './store';
import type { BanKind, Conversation, ConversationContext, Visitor } from './types';
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
  // The website's facts (page, browser, IP …) mean nothing for a Telegram or e-mail customer
  // who never visited the site.
  const web = conversation.inbox.channel === 'web' || !!visitor;

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
          <ChannelBlock s={s} c={conversation} context={s.contexts.get(id)} />
          <div class="cn-visitor-head">
            {web && (
              <span
                class={`cn-online${visitor?.online ? ' is-online' : ''}`}
                data-testid="cn-visitor-online"
                data-online={visitor?.online ? 'true' : 'false'}
                title={visitor?.online ? t('online') : t('offline')}
                aria-label={visitor?.online ? t('online') : t('offline')}
              />
            )}
            <h3 data-testid="cn-visitor-name">{contactName(contact, t)}</h3>
          </div>
          <div class="cn-visitor-tags">
            {web && <span class="cn-muted">{visitor?.online ? t('online') : t('offline')}</span>}
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
            {web && <WebFacts s={s} visitor={visitor} />}
          </dl>
          {visitor === null && web && <p class="cn-muted cn-small">{t('noVisitor')}</p>}
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
          <Identities s={s} contact={contact} onBan={(kind, value) => setBanning({ kind, value })} />
          <MergeAction s={s} contact={contact} card />
          <ContactMerges s={s} contact={contact} />
          <section class="cn-history" data-testid="cn-history">
            <h4>{t('history')}</h4>
            {others.length === 0 && <p class="cn-muted cn-small">{t('noHistory')}</p>}
            <ContactConversations s={s} ids={others} />
          </section>
        </>
      )}
    </aside>
  );
}

/** What the console shows of a conversation's context, in this order; other keys are the channel's own bookkeeping. */
const CONTEXT_KEYS = ['username', 'subject', 'email', 'phone'] as const;

/** A Telegram @username as a link to the chat with them on t.me. */
function telegramLink(username: string): string | null {
  const match = /^@?([A-Za-z0-9_]{4,64})$/.exec(username.trim());
  return match ? `https://t.me/${match[1]}` : null;
}

/** The channel the conversation came through, its inbox, and what the channel says about the customer. */
function ChannelBlock({ s, c, context }: { s: Store; c: Conversation; context: ConversationContext | undefined }) {
  const t = s.t;
  const channel = c.inbox.channel;
  const facts = CONTEXT_KEYS.map((key) => [key, context?.[key]] as const).filter((pair): pair is readonly [(typeof CONTEXT_KEYS)[number], string] => typeof pair[1] === 'string' && !!pair[1].trim());
  return (
    <section class="cn-side-block cn-channel-block" data-testid="cn-channel-context" data-channel={channel}>
      <h4>{t('channelOf')}</h4>
      <div class="cn-channel-line">
        <ChannelMark channel={channel} t={t} />
        <span class="cn-muted" data-testid="cn-channel-inbox">
          {c.inbox.name}
        </span>
      </div>
      {facts.length > 0 && (
        <dl class="cn-facts">
          {facts.map(([key, value]) => {
            const href = key === 'username' && channel === 'telegram' ? telegramLink(value) : key === 'email' ? `mailto:${value}` : null;
            return (
              <Fragment key={key}>
                <dt>{t(`context_${key}`)}</dt>
                <dd data-testid={`cn-context-${key}`}>
                  {href ? (
                    <a href={href} target="_blank" rel="noopener noreferrer">
                      {value}
                    </a>
                  ) : (
                    value
                  )}
                </dd>
              </Fragment>
            );
          })}
        </dl>
      )}
    </section>
  );
}

/** What the widget told about the customer on the site: where they are, came from, with what. */
function WebFacts({ s, visitor }: { s: Store; visitor: Visitor | null | undefined }) {
  const t = s.t;
  const page = visitor?.current_page;
  const device = visitor ? deviceLine(visitor) : '';
  const country = visitor?.country ? `${placeText(visitor, s.lang)} (${visitor.country.toUpperCase()})` : visitor?.city || '';
  const dash = '—';
  return (
    <>
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
    </>
  );
}
