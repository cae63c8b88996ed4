/**
 * The contact as the conversation's side panel and the contact's page show it (DESIGN: a
 * contact is one person with many identities): its addresses and channels, a note when it was
 * merged into another contact, "Merge with another contact", the merges it took part in with
 * "Undo merge", and its conversations on every channel. The merge dialog, the merges and the
 * contact's page load on demand (contact-page.tsx): most days nobody merges.
 */
import { lazy, Suspense } from 'preact/compat';
import { useState } from 'preact/hooks';
import { MESSENGER_BAN_KINDS } from './bans';
import { ChannelGlyph, ChannelMark } from './channel-icon';
import { channelName } from './filter-bar';
import { preview, shortTime } from './format';
import { routePath } from './route';
import type { Store } from './store';
import type { BanKind, Contact, Identity } from './types';

const MergeDialog = lazy(() => import('./contact-page').then((module) => module.MergeDialog));
const MergeHistory = lazy(() => import('./contact-page').then((module) => module.MergeHistory));

/** A website visitor's id is long and means nothing to a person: its start and end tell two apart. */
function identityValue(identity: Identity): string {
  const value = identity.value;
  return identity.kind === 'web' && value.length > 14 ? `${value.slice(0, 6)}…${value.slice(-4)}` : value;
}

/** The contact's identities: each with its channel's mark; one the channel cannot deliver to says so.
 * With `onBan`, a messenger identity has a button to ban it (someone who writes only through a
 * bot has no e-mail or phone to ban). */
export function Identities({ s, contact, onBan }: { s: Store; contact: Contact; onBan?: (kind: BanKind, value: string) => void }) {
  const t = s.t;
  const identities = contact.identities || [];
  if (!identities.length) return null;
  return (
    <section class="cn-side-block cn-identities" data-testid="cn-contact-identities">
      <h4>{t('contactIdentities')}</h4>
      <ul>
        {identities.map((identity) => (
          <li
            key={`${identity.kind}:${identity.value}`}
            class={identity.blocked ? 'is-blocked' : undefined}
            data-testid="cn-identity"
            data-kind={identity.kind}
            data-value={identity.value}
            data-blocked={identity.blocked ? 'true' : 'false'}
          >
            <ChannelGlyph channel={identity.kind} />
            <span class="cn-identity-kind">{identity.kind === 'web' ? t('identityWeb') : channelName(identity.kind, t)}</span>
            <span class="cn-identity-value" title={identity.value}>
              {identityValue(identity)}
            </span>
            {identity.blocked && (
              <span class="cn-badge cn-badge-danger" data-testid="cn-identity-blocked" title={t('identityBlockedHint')}>
                {t('identityBlocked')}
              </span>
            )}
            {onBan && MESSENGER_BAN_KINDS.includes(identity.kind) && (
              <button
                type="button"
                class="cn-link cn-identity-ban"
                data-testid="cn-identity-ban"
                title={t('banIdentity', { channel: channelName(identity.kind, t) })}
                onClick={() => onBan(identity.kind as BanKind, identity.value)}
              >
                {t('banTitle')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "Merge with another contact", and the dialog it opens (loaded when first wanted). */
export function MergeAction({ s, contact, card }: { s: Store; contact: Contact; card?: boolean }) {
  const t = s.t;
  const [open, setOpen] = useState(false);
  if (contact.merged_into_id) return null;
  return (
    <div class="cn-contact-actions">
      <button type="button" class="cn-btn cn-btn-small" data-testid="cn-contact-merge" title={t('contactMergeHint')} onClick={() => setOpen(true)}>
        {t('contactMerge')}
      </button>
      {card && (
        <a
          class="cn-small"
          href={routePath({ page: 'contact', id: contact.id })}
          data-testid="cn-contact-card"
          onClick={(event) => {
            if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
            event.preventDefault();
            s.navigate({ page: 'contact', id: contact.id });
          }}
        >
          {t('contactCard')}
        </a>
      )}
      {open && (
        <Suspense fallback={null}>
          <MergeDialog s={s} contactId={contact.id} onClose={() => setOpen(false)} />
        </Suspense>
      )}
    </div>
  );
}

/**
 * The contact's merges with "Undo merge", and a note when it went into another contact. Both
 * are rare, so they come with the merge dialog's code, and only for a contact that has them.
 */
export function ContactMerges({ s, contact }: { s: Store; contact: Contact }) {
  if (!contact.merged_into_id && !s.merges.of(contact.id)?.length) return null;
  return (
    <Suspense fallback={null}>
      <MergeHistory s={s} contact={contact} />
    </Suspense>
  );
}

/** The contact's conversations (newest first) on every channel, each opened with a click. */
export function ContactConversations({ s, ids }: { s: Store; ids: number[] }) {
  const t = s.t;
  return (
    <ul>
      {ids.map((id) => {
        const other = s.convs.get(id);
        if (!other) return null;
        return (
          <li key={id}>
            <button
              type="button"
              class="cn-history-item"
              data-testid="cn-history-item"
              data-id={id}
              data-number={other.number}
              data-channel={other.inbox.channel}
              onClick={() => s.openConversation(id)}
            >
              <span class="cn-history-top">
                <ChannelMark channel={other.inbox.channel} t={t} compact />
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
  );
}
