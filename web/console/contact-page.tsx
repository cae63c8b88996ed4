/**
 * Loaded on demand: the merge dialog, a contact's merges with "Undo merge" (and the note on a
 * contact that was merged) and a contact's page (/console/contacts/{id}).
 *
 * The dialog finds the other contact of the same person with the contact search
 * (`GET /api/v1/contacts?q=…`: name in any form, e-mail, phone digits, or an identity typed
 * whole, such as a Telegram id; merged contacts are left out, the most recently active come
 * first) and offers what it found, but this contact, with the channels each is known on and how
 * many conversations it has; a number ("1042", "#1042") is also looked up as a contact's id.
 * The chosen contact is read in full, the merge is spelt out ("conversations, addresses and
 * channels of X will go to Y"), and after it the dialog says what moved, with "Undo merge" at
 * hand. The contact in the panel stays: `POST /api/v1/contacts/{this}/merge`.
 *
 * The page shows a contact with its addresses, merges and conversations on every channel; a
 * contact that was merged says into which one, with a link.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get } from './api';
import { ChannelGlyph } from './channel-icon';
import { ContactConversations, Identities, MergeAction } from './contact-card';
import { channelName } from './filter-bar';
import { fullTime } from './format';
import { routePath } from './route';
import './contacts.css';
import { contactStrings, type ContactTranslate } from './i18n-contacts';
import { mergeContacts, undoMerge } from './merge-actions';
import { contactName } from './model';
import type { Store } from './store';
import type { Contact, ContactMerge, Conversation } from './types';
import { Modal } from './ui';

const SEARCH_AFTER_MS = 300;
/** How many contacts a search lists (the contact itself, when found, is left out of them). */
const SEARCH_LIMIT = 20;
/** "123", "#123", "№ 123": a contact's number. */
const CONTACT_NUMBER = /^[#№]?\s*(\d{1,15})$/;

/** A contact as `GET /api/v1/contacts?q=` lists it. */
interface FoundContact extends Contact {
  conversations_count: number;
  last_activity_at: string | null;
}

/** A contact the search found: what it is known by, with its identities (the channels). */
interface Candidate {
  contact: Contact;
  /** How many conversations it has. */
  conversations: number;
  /** When its latest conversation was last active (null: none, or looked up by number). */
  lastActivity: string | null;
  /** Looked up by its number rather than found by the search. */
  byNumber: boolean;
}

/** A contact read in full for the confirmation: with how many conversations it has. */
interface Detail {
  contact: Contact;
  conversations: number;
}

/** A sentence whose `{name}` placeholders are drawn by `parts`. */
function Sentence({ text, parts }: { text: string; parts: Record<string, ComponentChildren> }) {
  const pieces = text.split(/\{(\w+)\}/);
  return <>{pieces.map((piece, index) => (index % 2 ? (parts[piece] ?? `{${piece}}`) : piece))}</>;
}

const quoted = (s: Store, contact: Contact) => `«${contactName(contact, s.t)}»`;

/** The kinds of channel a contact is known on: one identity per channel it came through. */
const channelsOf = (contact: Contact) => [...new Set((contact.identities || []).map((identity) => identity.kind))];

/** The contacts found, in the server's order (the most recently active first), without `exclude`. */
function candidatesOf(found: FoundContact[], exclude: number): Candidate[] {
  return found
    .filter((contact) => contact.id !== exclude)
    .map((contact) => ({ contact, conversations: contact.conversations_count, lastActivity: contact.last_activity_at, byNumber: false }));
}

async function readContact(id: number): Promise<Detail> {
  const data = await get<{ contact: Contact; conversations: Conversation[] }>(`/api/v1/contacts/${id}`);
  return { contact: data.contact, conversations: data.conversations.length };
}

/** A link to a contact's page, by name when the console knows it. */
function ContactLink({ s, ct, id }: { s: Store; ct: ContactTranslate; id: number }) {
  const known = s.contacts.get(id) || [...s.convs.values()].find((c) => c.contact.id === id)?.contact;
  const label = known?.name?.trim() ? `«${known.name.trim()}» (${ct('contactN', { id })})` : ct('contactN', { id });
  return (
    <a
      href={routePath({ page: 'contact', id })}
      data-testid="cn-contact-link"
      data-contact-id={id}
      onClick={(event) => {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        s.navigate({ page: 'contact', id });
      }}
    >
      {label}
    </a>
  );
}

/** A sentence with `{name}` standing for a link to a contact. */
function WithContact({ s, ct, text, id }: { s: Store; ct: ContactTranslate; text: string; id: number }) {
  return <Sentence text={text} parts={{ name: <ContactLink s={s} ct={ct} id={id} /> }} />;
}

/** Shown for a contact that went into another one: the person is to be found there. */
function MergedNote({ s, ct, contact }: { s: Store; ct: ContactTranslate; contact: Contact }) {
  if (!contact.merged_into_id) return null;
  return (
    <p class="cn-merged-note" data-testid="cn-contact-merged" data-into={contact.merged_into_id} role="note">
      <WithContact s={s} ct={ct} text={ct('contactMergedNote')} id={contact.merged_into_id} />
    </p>
  );
}

/** The merges the contact took part in, newest first, each with "Undo merge" until undone. */
function MergeList({ s, ct, contactId }: { s: Store; ct: ContactTranslate; contactId: number }) {
  const merges = s.merges.of(contactId) || [];
  const [confirming, setConfirming] = useState<number | null>(null);
  // The other contact's name, for the sentence (merges are few).
  useEffect(() => {
    for (const merge of merges) {
      const other = merge.survivor_id === contactId ? merge.merged_id : merge.survivor_id;
      if (!s.contacts.has(other)) void s.loadContact(other);
    }
  }, [merges.map((merge) => merge.id).join()]);
  if (!merges.length) return null;
  return (
    <section class="cn-side-block cn-merges" data-testid="cn-contact-merges">
      <h4>{ct('contactMerges')}</h4>
      <ul>
        {merges.map((merge) => (
          <MergeItem
            key={merge.id}
            s={s}
            ct={ct}
            merge={merge}
            contactId={contactId}
            confirming={confirming === merge.id}
            onUndo={async () => {
              if (confirming !== merge.id) {
                setConfirming(merge.id);
                return;
              }
              setConfirming(null);
              if (await undoMerge(s, merge)) s.showToast(ct('mergeUndoneToast'), 'info');
            }}
          />
        ))}
      </ul>
    </section>
  );
}

function MergeItem({ s, ct, merge, contactId, confirming, onUndo }: { s: Store; ct: ContactTranslate; merge: ContactMerge; contactId: number; confirming: boolean; onUndo: () => void }) {
  const survived = merge.survivor_id === contactId;
  const other = survived ? merge.merged_id : merge.survivor_id;
  const by = merge.created_by_id !== null ? s.team.byId(merge.created_by_id)?.name : undefined;
  return (
    <li
      class={merge.undone_at ? 'is-undone' : undefined}
      data-testid="cn-merge"
      data-id={merge.id}
      data-survivor-id={merge.survivor_id}
      data-merged-id={merge.merged_id}
      data-undone={merge.undone_at ? 'true' : 'false'}
    >
      <span class="cn-merge-what">
        <WithContact s={s} ct={ct} text={ct(survived ? 'mergeJoined' : 'mergeWentInto')} id={other} />
      </span>
      <small class="cn-muted">
        {fullTime(merge.created_at, s.lang)}
        {by ? ` · ${by}` : ''} · {ct('mergeMoved', { conversations: merge.conversations, identities: merge.identities })}
      </small>
      {merge.undone_at ? (
        <small class="cn-muted" data-testid="cn-merge-undone">
          {ct('mergeUndoneAt', { time: fullTime(merge.undone_at, s.lang) })}
        </small>
      ) : (
        <button
          type="button"
          class={`cn-btn cn-btn-small${confirming ? ' cn-btn-danger' : ' cn-btn-quiet-danger'}`}
          data-testid="cn-merge-undo"
          data-confirming={confirming ? 'true' : 'false'}
          disabled={s.merges.busy.has(`undo:${merge.id}`)}
          onClick={onUndo}
        >
          {confirming ? ct('mergeUndoConfirm') : ct('mergeUndo')}
        </button>
      )}
    </li>
  );
}

/** The merges and the merged note of the side panel (contact-card.tsx shows them when there are any). */
export function MergeHistory({ s, contact }: { s: Store; contact: Contact }) {
  const ct = useMemo(() => contactStrings(s.lang), [s.lang]);
  return (
    <>
      <MergedNote s={s} ct={ct} contact={contact} />
      <MergeList s={s} ct={ct} contactId={contact.id} />
    </>
  );
}

/** The dialog's steps; `done` keeps this contact as it was before, to say what went into it. */
type Step = { step: 'search' } | { step: 'confirm'; other: Detail } | { step: 'done'; other: Detail; self: Contact; merge: ContactMerge };

export function MergeDialog({ s, contactId, onClose }: { s: Store; contactId: number; onClose: () => void }) {
  const t = s.t;
  const ct = useMemo(() => contactStrings(s.lang), [s.lang]);
  const [state, setState] = useState<Step>({ step: 'search' });
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Candidate[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const serial = useRef(0);
  const fromConversation = [...s.convs.values()].find((c) => c.contact.id === contactId)?.contact;
  const self: Contact = { id: contactId, name: null, email: null, phone: null, ...fromConversation, ...s.contacts.get(contactId) };

  // Searches a moment after typing stops; an answer to an older query is dropped.
  useEffect(() => {
    const text = query.trim();
    const mine = ++serial.current;
    if (!text) {
      setResults(null);
      setSearching(false);
      setError('');
      return;
    }
    setSearching(true);
    const timer = setTimeout(async () => {
      const number = CONTACT_NUMBER.exec(text);
      const [found, byNumber] = await Promise.all([
        get<{ contacts: FoundContact[] }>(`/api/v1/contacts?limit=${SEARCH_LIMIT}&q=${encodeURIComponent(text)}`).then(
          (data) => ({ candidates: candidatesOf(data.contacts, contactId), error: '' }),
          (failure: unknown) => ({ candidates: [] as Candidate[], error: failure instanceof ApiError && failure.code === 'invalid_field' ? failure.message : s.errorText(failure) }),
        ),
        number && Number(number[1]) !== contactId ? readContact(Number(number[1])).catch(() => null) : Promise.resolve(null),
      ]);
      if (mine !== serial.current) return;
      const candidates = found.candidates.filter((candidate) => candidate.contact.id !== byNumber?.contact.id);
      if (byNumber) candidates.unshift({ contact: byNumber.contact, conversations: byNumber.conversations, lastActivity: null, byNumber: true });
      setResults(candidates);
      setError(candidates.length ? '' : found.error);
      setSearching(false);
    }, SEARCH_AFTER_MS);
    return () => clearTimeout(timer);
  }, [query]);

  const choose = async (candidate: Candidate) => {
    setBusy(true);
    setError('');
    try {
      setState({ step: 'confirm', other: await readContact(candidate.contact.id) });
    } catch (failure) {
      setError(s.errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  const merge = async (other: Detail) => {
    setBusy(true);
    setError('');
    const before = self;
    try {
      const done = await mergeContacts(s, contactId, other.contact.id);
      setState({ step: 'done', other, self: before, merge: done });
    } catch (failure) {
      setError(failure instanceof ApiError && failure.code === 'conflict' ? ct('mergeConflict') : ct('mergeFailed', { message: s.errorText(failure) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal label={t('contactMerge')} testid="cn-merge-dialog" onClose={onClose} wide>
      {state.step === 'search' ? (
        <>
          <h2>{t('contactMerge')}</h2>
          <p class="cn-muted cn-small">{ct('mergeIntro')}</p>
          <label class="cn-merge-search">
            <span class="cn-sr">{ct('mergeSearch')}</span>
            <input
              type="search"
              data-testid="cn-merge-search"
              placeholder={ct('mergeSearch')}
              value={query}
              autocomplete="off"
              spellcheck={false}
              onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
            />
          </label>
          <div class="cn-merge-results" aria-live="polite" data-state={searching ? 'searching' : 'idle'} data-testid="cn-merge-results">
            {searching && <p class="cn-muted cn-small">{ct('mergeSearching')}</p>}
            {!searching && results && !results.length && !error && (
              <p class="cn-muted cn-small" data-testid="cn-merge-nothing">
                {ct('mergeNothing')}
              </p>
            )}
            {!!results?.length && (
              <ul>
                {results.map((candidate) => (
                  <CandidateRow key={candidate.contact.id} s={s} ct={ct} candidate={candidate} disabled={busy} onChoose={() => void choose(candidate)} />
                ))}
              </ul>
            )}
          </div>
          {busy && <p class="cn-muted cn-small">{ct('mergeReading')}</p>}
          {error && (
            <p class="cn-field-error" role="alert" data-testid="cn-merge-error">
              {error}
            </p>
          )}
          <div class="cn-form-actions">
            <button type="button" class="cn-btn" data-testid="cn-merge-cancel" onClick={onClose}>
              {t('cancel')}
            </button>
          </div>
        </>
      ) : state.step === 'confirm' ? (
        <>
          <h2>{ct('mergeConfirmTitle')}</h2>
          <div class="cn-merge-pair">
            <ContactBox s={s} ct={ct} label={ct('mergeGoes')} detail={state.other} testid="cn-merge-other" />
            <span class="cn-merge-arrow" aria-hidden="true">
              →
            </span>
            <ContactBox s={s} ct={ct} label={ct('mergeStays')} detail={{ contact: self, conversations: s.contactConvs.get(contactId)?.length ?? 0 }} testid="cn-merge-this" />
          </div>
          {state.other.contact.merged_into_id ? (
            <p class="cn-field-error" role="alert" data-testid="cn-merge-error">
              {ct('mergeConflict')}
            </p>
          ) : (
            <p class="cn-merge-sentence" data-testid="cn-merge-sentence">
              <b>
                <Sentence text={ct('mergeWillMove')} parts={{ other: quoted(s, state.other.contact), this: quoted(s, self) }} />
              </b>{' '}
              <Sentence text={ct('mergeWillFill')} parts={{ other: quoted(s, state.other.contact), this: quoted(s, self) }} />
            </p>
          )}
          {error && (
            <p class="cn-field-error" role="alert" data-testid="cn-merge-error">
              {error}
            </p>
          )}
          <div class="cn-form-actions">
            <button
              type="button"
              class="cn-btn"
              data-testid="cn-merge-back"
              onClick={() => {
                setError('');
                setState({ step: 'search' });
              }}
            >
              {ct('mergeBack')}
            </button>
            <button type="button" class="cn-btn cn-btn-primary" data-testid="cn-merge-confirm" disabled={busy || !!state.other.contact.merged_into_id} onClick={() => void merge(state.other)}>
              {busy ? ct('mergeBusy') : ct('mergeSubmit')}
            </button>
          </div>
        </>
      ) : (
        <>
          <h2>{t('contactMerge')}</h2>
          <p class="cn-merge-done" role="status" data-testid="cn-merge-result" data-merge-id={state.merge.id}>
            <Sentence
              text={ct('mergeDone', { conversations: state.merge.conversations, identities: state.merge.identities })}
              parts={{ other: <b>{quoted(s, state.other.contact)}</b>, this: <b>{quoted(s, state.self)}</b> }}
            />
          </p>
          <div class="cn-form-actions">
            <button
              type="button"
              class="cn-btn cn-btn-quiet-danger"
              data-testid="cn-merge-result-undo"
              disabled={s.merges.busy.has(`undo:${state.merge.id}`)}
              onClick={async () => {
                if (await undoMerge(s, state.merge)) {
                  s.showToast(ct('mergeUndoneToast'), 'info');
                  onClose();
                }
              }}
            >
              {ct('mergeUndo')}
            </button>
            <button type="button" class="cn-btn cn-btn-primary" data-testid="cn-merge-close" onClick={onClose} autofocus>
              {t('close')}
            </button>
          </div>
        </>
      )}
    </Modal>
  );
}

function ChannelGlyphs({ s, channels }: { s: Store; channels: string[] }) {
  return (
    <span class="cn-merge-channels">
      {channels.map((channel) => (
        <ChannelGlyph key={channel} channel={channel} label={channel === 'web' ? s.t('identityWeb') : channelName(channel, s.t)} />
      ))}
    </span>
  );
}

function CandidateRow({ s, ct, candidate, disabled, onChoose }: { s: Store; ct: ContactTranslate; candidate: Candidate; disabled: boolean; onChoose: () => void }) {
  const contact = candidate.contact;
  const details = [contact.email, contact.phone].filter(Boolean).join(' · ');
  const merged = contact.merged_into_id;
  return (
    <li>
      <button type="button" class="cn-merge-candidate" data-testid="cn-merge-candidate" data-contact-id={contact.id} disabled={disabled || !!merged} onClick={onChoose}>
        <span class="cn-merge-candidate-top">
          <b>{contactName(contact, s.t)}</b>
          <span class="cn-muted cn-small">{ct('contactN', { id: contact.id })}</span>
          {candidate.byNumber && <span class="cn-badge">{ct('mergeByNumber')}</span>}
          <ChannelGlyphs s={s} channels={channelsOf(contact)} />
        </span>
        <span class="cn-muted cn-small">
          {details || ct('mergeNoDetails')}
          {` · ${ct('mergeConversations', { count: candidate.conversations })}`}
          {candidate.lastActivity ? ` · ${ct('mergeLastActive', { time: fullTime(candidate.lastActivity, s.lang) })}` : ''}
          {merged ? ` · ${ct('mergeAlready', { id: merged })}` : ''}
        </span>
      </button>
    </li>
  );
}

/** One of the two contacts in the confirmation: who, how to reach them, how many conversations. */
function ContactBox({ s, ct, label, detail, testid }: { s: Store; ct: ContactTranslate; label: string; detail: Detail; testid: string }) {
  const contact = detail.contact;
  return (
    <div class="cn-merge-box" data-testid={testid} data-contact-id={contact.id}>
      <small class="cn-muted">{label}</small>
      <b>{contactName(contact, s.t)}</b>
      <span class="cn-muted cn-small">{ct('contactN', { id: contact.id })}</span>
      {contact.email && <span class="cn-small">{contact.email}</span>}
      {contact.phone && <span class="cn-small">{contact.phone}</span>}
      <span class="cn-small">
        {ct('mergeConversations', { count: detail.conversations })} · {ct('mergeAddresses', { count: (contact.identities || []).length })}
      </span>
      <ChannelGlyphs s={s} channels={channelsOf(contact)} />
    </div>
  );
}

/** /console/contacts/{id}: the contact, its addresses and merges, and its conversations on every channel. */
export function ContactPage({ s, id }: { s: Store; id: number }) {
  const t = s.t;
  const ct = useMemo(() => contactStrings(s.lang), [s.lang]);
  const contact = s.contacts.get(id);
  const error = s.contactErrors.get(id);
  const ids = s.contactConvs.get(id);
  return (
    <main class="cn-admin cn-page-contact" data-testid="cn-contact-page" data-contact-id={id} data-merged-into={contact?.merged_into_id ?? ''}>
      <p class="cn-small">
        <a
          href="/console/"
          data-testid="cn-contact-back"
          onClick={(event) => {
            if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
            event.preventDefault();
            s.openConversation(null);
          }}
        >
          {ct('contactBack')}
        </a>
      </p>
      {!contact ? (
        <section class="cn-panel">
          {error ? (
            <p class="cn-error" role="alert">
              {t('loadFailed', { message: error })}{' '}
              <button type="button" class="cn-link" onClick={() => void s.loadContact(id)}>
                {t('retry')}
              </button>
            </p>
          ) : (
            <p class="cn-muted">{t('loading')}</p>
          )}
        </section>
      ) : (
        <>
          <section class="cn-panel cn-contact-panel" data-testid="cn-contact">
            <div class="cn-panel-head">
              <h2 data-testid="cn-contact-name">{contactName(contact, t)}</h2>
              <span class="cn-muted cn-small">{ct('contactN', { id })}</span>
            </div>
            <MergedNote s={s} ct={ct} contact={contact} />
            <dl class="cn-facts">
              {contact.email && (
                <>
                  <dt>{t('email')}</dt>
                  <dd data-testid="cn-contact-email">
                    <a href={`mailto:${contact.email}`}>{contact.email}</a>
                  </dd>
                </>
              )}
              {contact.phone && (
                <>
                  <dt>{t('phone')}</dt>
                  <dd data-testid="cn-contact-phone">{contact.phone}</dd>
                </>
              )}
              {contact.created_at && (
                <>
                  <dt>{ct('contactCreated')}</dt>
                  <dd>{fullTime(contact.created_at, s.lang)}</dd>
                </>
              )}
            </dl>
            <Identities s={s} contact={contact} />
            <MergeAction s={s} contact={contact} />
            <MergeList s={s} ct={ct} contactId={id} />
          </section>
          <section class="cn-panel cn-history" data-testid="cn-history">
            <h2>{t('history')}</h2>
            {ids && !ids.length && <p class="cn-muted cn-small">{contact.merged_into_id ? ct('contactConversationsNone') : ct('contactNoConversations')}</p>}
            <ContactConversations s={s} ids={ids || []} />
          </section>
        </>
      )}
    </main>
  );
}
