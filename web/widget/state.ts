/**
 * The chat's state and its conversation with the server, without any UI: the session
 * (REST), the realtime connection, the history, the outbox, typing and read marks. The Preact
 * view in chat.tsx renders `WidgetChat` and calls its methods; `onChange` tells it to re-render.
 */
import { pollingSocket } from '../shared/polling';
import { backoffDelay, connect, newClientId, type ConnState, type Frame, type OutboxFrame, type RealtimeClient } from '../shared/realtime';
import { Ratings, type Card } from './csat';
import { MAX_FILES, uploadFile, type FileInfo, type Upload, type UploadRefusal } from './files';
import { pickLang, strings, type Lang, type Strings } from './i18n';
import { pickInvitation, ShownLog, type Invitation } from './invitations';
import { onColor } from './look';
import { nextPlace, type QueuePlace } from './queue';
import { beep } from './sound';
import { siteStorage, type SiteStorage } from './storage';
import { countPageView, currentPage, touchVisit, watchNavigation, type Page, type Visit } from './tracking';

export const MAX_BODY = 5000;
export const FIELDS = ['name', 'email', 'phone'] as const;
export type Field = (typeof FIELDS)[number];
type FieldMode = 'hidden' | 'optional' | 'required';
type Contact = Record<Field, string | null>;
/**
 * What may show next to the closed launcher, one at a time: an operator's new message, a
 * proactive invitation, or the site's `invitation_text`.
 */
export type Teaser = { kind: 'message'; message: Message } | { kind: 'invitation'; id: string; text: string } | { kind: 'label'; text: string };
/** What the widget shows (docs/protocol.md, "Widget"): the chat, the offline form, or nothing. */
export type Mode = 'online' | 'offline' | 'hidden';
/** A request form in the panel: idle (the form), waiting for its ack, or confirmed. */
export type Progress = '' | 'sending' | 'done';
export type Errors = Partial<Record<string, string>>;

export interface Site {
  name: string;
  title: string;
  greeting: string;
  color: string;
  position: 'left' | 'right';
  language: string;
  prechat: Record<Field, FieldMode>;
  offline_text?: string;
  callback?: boolean;
  transcript?: boolean;
  /** Operators see the draft as it is typed; the composer says so. */
  typing_preview?: boolean;
  logo_url?: string | null;
  size?: 'compact' | 'standard' | 'large';
  sounds?: boolean;
  /** A line next to the closed launcher, inviting a chat. */
  invitation_text?: string;
  invitations?: Invitation[];
  /** Ask the visitor to rate a resolved conversation. */
  csat?: boolean;
}

export interface Message {
  id?: number;
  conversation_id?: number;
  seq?: number;
  author: { type: 'contact' | 'agent' | 'bot' | 'system'; id?: number | null; name?: string | null };
  body: string;
  attachments?: FileInfo[];
  created_at: string;
  client_id?: string | null;
  /** Not yet acknowledged by the server (still in the outbox). */
  pending?: boolean;
}

export interface Conversation {
  id: number;
  number?: number;
  status: string;
  /** chat, offline (left through the offline form) or callback. */
  type?: string;
  last_seq?: number;
  /** The visitor's rating, 1–5, once given. */
  csat_rating?: number | null;
}

export interface MountOptions {
  /** The server's address, e.g. "https://helpline.example.com" (no trailing slash). */
  origin: string;
  siteKey: string;
  /** "ru" | "en" from the embed's data-lang; anything else means "decide". */
  lang?: string;
  /** The panel was opened or closed from inside (close button, Escape). */
  onOpen?(open: boolean): void;
  /** Messages from the support side the visitor has not seen yet. */
  onUnread?(count: number): void;
  /** The mode as the server last said it; `hidden` means draw nothing at all. */
  onMode?(mode: Mode): void;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[\d\s().-]+$/;
const TYPING_EVERY = 2000;
const TYPING_IDLE = 4000;
const TYPING_SHOWN = 6000;
// With typing_preview the draft follows the keystrokes, at most ~3 frames a second.
const DRAFT_EVERY = 350;
const MAX_DRAFT = 2000;
// A single-page site sets the new title just after pushState: report the page a moment later.
const NAVIGATION_SETTLE = 300;
const VISIT_TOUCH_EVERY = 15_000;

export class WidgetChat {
  readonly storage: SiteStorage;
  lang: Lang;
  t: Strings;
  site: Site | null = null;
  contact: Contact = { name: null, email: null, phone: null };
  /** connecting | open | offline, plus "stopped" when the site key is unknown. */
  status: ConnState | 'stopped' = 'connecting';
  mode: Mode = 'online';
  open = false;
  agentTyping = false;
  notice = '';
  fieldErrors: Errors = {};
  prechatNeeded = false;
  /** A body handed back to the composer after the server refused it. */
  returnedDraft = '';
  conversations = new Map<number, Conversation>();
  /** The offline form went out on this page: its thanks stay on screen. */
  offlineSent = false;
  /** A request form shown instead of the conversation, if any. */
  sheet: 'callback' | 'transcript' | null = null;
  callback: Progress = '';
  callbackErrors: Errors = {};
  transcript: Progress = '';
  transcriptErrors: Errors = {};
  /** Files picked for the next message, in the order picked. */
  uploads: Upload[] = [];
  /** What shows next to the closed launcher, if anything. */
  teaser: Teaser | null = null;
  /**
   * The invitation the visitor accepted: the first operator-side line of the conversation it
   * starts (never stored), shown after the conversations up to id `after` (the history).
   */
  invitation: { text: string; after: number } | null = null;
  /** Where the visitor's conversation waits in a team's queue, while it does. */
  queue: QueuePlace | null = null;
  onChange: () => void = () => {};

  private messages = new Map<number, Message>();
  /** message.send frames refused because the pre-chat form is required; resent after it. */
  private held: OutboxFrame[];
  /** When each unconfirmed message was written (this page's memory; a reload shows its own time). */
  private writtenAt = new Map<string, string>();
  private token: string | null;
  private visitorId: string | null = null;
  /**
   * Whether we know which conversations the visitor has: at once for a visitor without any,
   * after `welcome` otherwise (the offline form is only for someone with no open one).
   */
  private known = false;
  /** The offline form's contact.update, so that a refusal brings that form back (not pre-chat). */
  private offlineUpdateId = '';
  /** The question of a refused offline form, handed back to it. */
  private offlineDraft = '';
  /**
   * transcript.request in flight. Not in the outbox: its rate limit is 5 a day, and a
   * `rate_limited` outbox frame would hold every message behind it for `retry_after`.
   * Resent with the same client_id after a reconnect until answered (the server dedups).
   */
  private transcriptFrame: OutboxFrame | null = null;
  private rt: RealtimeClient | null = null;
  private seen: Record<string, number>;
  private readSent: Record<string, number>;
  private typingActive = false;
  private typingSentAt = 0;
  private typingIdle?: ReturnType<typeof setTimeout>;
  private typingShown?: ReturnType<typeof setTimeout>;
  private noticeTimer?: ReturnType<typeof setTimeout>;
  private unread = -1;
  /** The draft not yet sent as a typing preview (typing_preview sites). */
  private draftPending: string | null = null;
  private draftTimer?: ReturnType<typeof setTimeout>;
  /** Attachments of the visitor's unconfirmed messages, by client_id, to show them meanwhile. */
  private sentFiles = new Map<string, FileInfo[]>();
  /** From `welcome`, for the invitation rules. */
  private country: string | null = null;
  /**
   * last_seq of each conversation at this page's first `welcome`. Messages after it are news
   * (a sound, a preview by the launcher); those before it the visitor could have seen already.
   */
  private firstSeqs: Record<string, number> | null = null;
  private visit: Visit;
  /** When this page view began: the load, or the last single-page navigation. */
  private pageStartedAt = Date.now() - performance.now();
  /** The URL of this page view (a single-page navigation to another URL is a new one). */
  private pageUrl = location.href;
  /** The page as last reported to the server. */
  private page: Page = currentPage();
  private navigationTimer?: ReturnType<typeof setTimeout>;
  private visitTouchedAt = Date.now();
  private shownLog: ShownLog;
  private readonly ratings: Ratings;
  /** The visitor closed a teaser on this page view: no more invitations or label here. */
  private teaserDismissed = false;

  constructor(
    readonly options: MountOptions,
    private readonly host?: HTMLElement,
  ) {
    this.storage = siteStorage(options.siteKey);
    this.token = this.storage.get('token');
    this.seen = this.storage.json('seen', {});
    this.readSent = { ...this.seen };
    this.held = this.storage.json('held', []);
    this.lang = pickLang(options.lang);
    this.t = strings[this.lang];
    this.visit = countPageView(this.storage, this.pageStartedAt);
    this.shownLog = new ShownLog(this.storage);
    this.ratings = new Ratings(this.storage);
  }

  // -- start ------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (!(await this.startSession())) return;
    const wsUrl = this.options.origin.replace(/^http/, 'ws') + '/ws/widget';
    this.rt = connect(wsUrl, {
      hello: () => ({ type: 'hello', token: this.token, cursors: this.cursors(), page: currentPage() }),
      fallback: () => pollingSocket(this.options.origin + '/api/widget/v1'),
      onFrame: (frame, sent) => this.receive(frame, sent),
      onState: (state) => {
        if (this.status !== 'stopped') this.status = state;
        if (state !== 'open') this.setAgentTyping(false);
        this.changed();
      },
      onAuthError: async () => {
        this.dropToken();
        if (!(await this.startSession())) this.rt?.close();
      },
      // 4003: a ban made while connected (chat_unavailable), a site switched off, a foreign
      // origin. Nothing a visitor can do about it: go quiet for this page view.
      onStop: () => this.hide(false),
      outbox: this.storage.json<OutboxFrame[]>('outbox', []).filter((frame) => frame && frame.client_id),
      onOutbox: (frames) => this.storage.set('outbox', frames.length ? JSON.stringify(frames) : null),
    });
    // Single-page sites: tell the operators which page the visitor is on now.
    watchNavigation(() => {
      clearTimeout(this.navigationTimer);
      this.navigationTimer = setTimeout(() => this.navigated(), NAVIGATION_SETTLE);
    });
    document.addEventListener('visibilitychange', () => this.changed());
    setInterval(() => this.tick(), 1000);
    this.changed();
  }

  /** After a pushState, replaceState, popstate or hashchange, once the page has settled. */
  private navigated(): void {
    if (location.href !== this.pageUrl) {
      // Another page of the visit: its own time on page, its own every_page invitations.
      this.pageUrl = location.href;
      this.visit = countPageView(this.storage, Date.now());
      this.pageStartedAt = Date.now();
      this.shownLog.onThisPage.clear();
      this.teaserDismissed = false;
      if (this.teaser?.kind === 'invitation') this.teaser = null;
    }
    const page = currentPage();
    // Nothing to say after e.g. a replaceState of scroll state; nothing sent while
    // disconnected either: the next `hello` carries the page.
    if ((page.url !== this.page.url || page.title !== this.page.title) && this.rt?.send({ type: 'page', ...page })) this.page = page;
    this.changed();
  }

  /** Every second: keeps the visit alive and judges the invitation rules. */
  private tick(): void {
    if (document.visibilityState !== 'visible') return;
    if (Date.now() - this.visitTouchedAt > VISIT_TOUCH_EVERY) {
      this.visitTouchedAt = Date.now();
      touchVisit(this.storage, this.visit);
    }
    this.offerTeaser();
  }

  /**
   * Shows an invitation (the first rule that holds) or the site's label next to the closed
   * launcher. Never over the open chat, never to someone with an open conversation, never
   * while another teaser is up or after the visitor closed one on this page; only while
   * connected, so that `invitation.shown` goes out.
   */
  private offerTeaser(): void {
    const site = this.site;
    if (!site || this.open || this.teaser?.kind === 'message' || this.teaser?.kind === 'invitation') return;
    if (this.teaserDismissed || this.mode === 'hidden' || this.status !== 'open' || !this.known || this.hasOpenConversation()) return;
    const invitation = pickInvitation(site.invitations || [], this.shownLog, {
      url: location.href,
      secondsOnPage: (Date.now() - this.pageStartedAt) / 1000,
      visit: this.visit,
      country: this.country,
      online: this.mode === 'online',
    });
    if (invitation && this.rt?.send({ type: 'invitation.shown', invitation_id: invitation.id })) {
      this.shownLog.record(invitation, this.visit);
      this.teaser = { kind: 'invitation', id: invitation.id, text: invitation.text };
      this.onChange();
    } else if (!this.teaser && site.invitation_text && this.mode === 'online' && !this.conversations.size && this.storage.get('label') !== String(this.visit.number)) {
      this.teaser = { kind: 'label', text: site.invitation_text };
      this.onChange();
    }
  }

  /** The visitor clicked the teaser: the chat opens (with the invitation's words first). */
  acceptTeaser(): void {
    const teaser = this.teaser;
    if (!teaser) return;
    if (teaser.kind === 'invitation') {
      this.invitation = { text: teaser.text, after: Math.max(0, ...this.conversations.keys()) };
      this.rt?.send({ type: 'invitation.accepted', invitation_id: teaser.id });
    }
    this.teaser = null;
    this.setOpen(true);
    this.options.onOpen?.(true);
  }

  /** The visitor closed the teaser: nothing more of the kind on this page view. */
  dismissTeaser(): void {
    // The label stays away for the rest of the visit: it says the same thing on every page.
    if (this.teaser?.kind === 'label') this.storage.set('label', String(this.visit.number));
    if (this.teaser?.kind !== 'message') this.teaserDismissed = true;
    this.teaser = null;
    this.onChange();
  }

  /**
   * POST /session until it answers: drops a refused token and tries again without it, backs
   * off while the network or the server is down, gives up on an unknown site.
   */
  private async startSession(): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      let response: Response | null = null;
      try {
        response = await fetch(this.options.origin + '/api/widget/v1/session', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            site_key: this.options.siteKey,
            visitor_token: this.token,
            page: currentPage(),
            locale: navigator.language || null,
          }),
        });
      } catch {
        /* offline: back off below */
      }
      if (response?.ok) {
        const data = await response.json();
        // A ban: the answer is just {"mode": "hidden"}. The token is kept, so a lifted ban
        // brings back the same visitor with their history.
        if (data.mode === 'hidden') {
          this.hide(true);
          return false;
        }
        this.applySession(data);
        return true;
      }
      if (response && response.status === 401 && this.token) {
        this.dropToken();
        attempt = -1; // the next try is a new visitor, not a repeat
        continue;
      }
      if (response && response.status < 500 && response.status !== 429) {
        this.status = 'stopped'; // unknown_site or a request we cannot fix by retrying
        this.changed();
        return false;
      }
      this.status = 'offline';
      this.changed();
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt)));
    }
  }

  private applySession(data: {
    visitor_token: string;
    visitor_id: string;
    mode?: Mode;
    site: Site;
    contact: Contact;
    has_conversations: boolean;
  }): void {
    this.token = data.visitor_token;
    this.storage.set('token', data.visitor_token);
    if (this.visitorId && this.visitorId !== data.visitor_id) {
      // A new visitor (the old token was refused): the old history is not theirs.
      this.messages.clear();
      this.conversations.clear();
    }
    this.visitorId = data.visitor_id;
    this.site = data.site;
    this.contact = { ...this.contact, ...data.contact };
    this.lang = pickLang(this.options.lang, data.site.language);
    this.t = strings[this.lang];
    if (data.has_conversations) this.storage.set('chat', '1');
    this.applyLook(data.site);
    this.prechatNeeded = this.needsPrechat(data.has_conversations);
    this.known = !data.has_conversations && !this.conversations.size;
    this.setMode(data.mode || 'online');
  }

  /** Follows the server's word on what to show; `hidden` (a ban) stops everything. */
  private setMode(mode: Mode): void {
    if (mode === 'hidden') return this.hide(true);
    this.storage.set('hidden', null);
    this.mode = mode;
    this.options.onMode?.(mode);
    this.changed();
  }

  /**
   * Draws nothing more and never connects again on this page. `remember`: the launcher
   * draws nothing on the next pages either until the session call says otherwise.
   */
  private hide(remember: boolean): void {
    if (remember) this.storage.set('hidden', '1');
    this.mode = 'hidden';
    this.rt?.close();
    this.options.onMode?.('hidden');
    this.changed();
  }

  /** Site colour and side on the shadow host, cached so the launcher draws them next time. */
  private applyLook(site: Site): void {
    const look = {
      color: site.color,
      on: onColor(site.color),
      position: site.position,
      lang: this.lang,
    };
    this.storage.set('look', JSON.stringify(look));
    const host = this.host;
    host?.style.setProperty('--hl-color', look.color);
    host?.style.setProperty('--hl-on', look.on);
    host?.setAttribute('data-position', look.position);
  }

  private needsPrechat(hasConversations: boolean): boolean {
    const prechat = this.site!.prechat;
    const visible = FIELDS.filter((field) => prechat[field] !== 'hidden');
    if (!visible.length) return false;
    const missing = visible.some((field) => prechat[field] === 'required' && !this.contact[field]);
    if (missing) return !this.outboxHas('contact.update');
    const known = visible.some((field) => this.contact[field]);
    return !known && !hasConversations && !this.storage.get('prechat') && !this.outboxHas('contact.update') && !this.outboxHas('message.send');
  }

  private outboxHas(type: string): boolean {
    const frames = this.rt ? this.rt.outbox() : this.storage.json<OutboxFrame[]>('outbox', []);
    return frames.some((frame) => frame.type === type);
  }

  private dropToken(): void {
    this.token = null;
    this.storage.set('token', null);
  }

  /** The last seq this page has of each conversation; empty on a fresh page. */
  private cursors(): Record<string, number> {
    const cursors: Record<string, number> = {};
    for (const message of this.messages.values()) {
      const id = String(message.conversation_id);
      cursors[id] = Math.max(cursors[id] || 0, message.seq || 0);
    }
    return cursors;
  }

  // -- frames from the server -------------------------------------------------------------

  private receive(frame: Frame, sent?: OutboxFrame): void {
    this.queue = nextPlace(this.queue, frame);
    switch (frame.type) {
      case 'welcome':
        for (const conversation of frame.conversations || []) this.conversations.set(conversation.id, conversation);
        if (this.conversations.size) this.storage.set('chat', '1');
        this.known = true;
        this.country = frame.country || null;
        this.page = currentPage(); // what `hello` just said
        if (!this.firstSeqs) {
          this.firstSeqs = {};
          for (const conversation of frame.conversations || []) this.firstSeqs[conversation.id] = conversation.last_seq || 0;
        }
        if (this.transcriptFrame) this.rt!.send(this.transcriptFrame);
        if (frame.mode) return this.setMode(frame.mode);
        break;
      case 'message': {
        const message: Message = frame.message;
        const news = this.isNews(message);
        this.add(message);
        if (message.author.type !== 'contact') {
          this.setAgentTyping(false);
          this.offlineSent = false; // an answer takes the thanks' place at the bottom
          if (news) this.announce(message);
        }
        break;
      }
      case 'conversation':
        this.conversations.set(frame.conversation.id, frame.conversation);
        if (frame.conversation.status !== 'resolved') this.ratings.reopened(frame.conversation.id);
        if (frame.conversation.status === 'open') {
          // An operator started a chat (or one reopened): no invitation over it, and an
          // optional introduction no longer stands between the visitor and the answer.
          if (this.teaser?.kind !== 'message') this.teaser = null;
          if (this.prechatNeeded) this.prechatNeeded = this.needsPrechat(true);
        }
        break;
      case 'ack':
        if (frame.client_id && frame.client_id === this.transcriptFrame?.client_id) {
          this.transcriptFrame = null;
          this.transcript = 'done';
        } else if (frame.message) {
          this.add(frame.message);
          this.storage.set('chat', '1');
          this.markSeen(frame.message);
        } else if (sent?.type === 'callback.request') {
          this.callbackAccepted(frame, sent);
        } else if (sent?.type === 'csat.submit' || frame.rating != null) {
          // Also a repeated ack (the frame was resent before the first came): not the pre-chat form's.
          this.ratings.accepted(frame.conversation_id);
        } else {
          if (frame.contact) this.contact = { ...this.contact, ...frame.contact };
          this.prechatAccepted();
        }
        break;
      case 'typing':
        this.setAgentTyping(!!frame.active);
        break;
      case 'queue':
        break; // nextPlace() above took it in
      case 'error':
        if (frame.code === 'chat_unavailable') return this.hide(true);
        if (frame.client_id && frame.client_id === this.transcriptFrame?.client_id) this.transcriptRefused(frame);
        else if (sent) this.refused(frame, sent);
        break;
      default:
        return; // pong and friends change nothing on screen
    }
    this.changed();
  }

  /** A message that is new since this page started (not part of the history it loaded). */
  private isNews(message: Message): boolean {
    if (!this.firstSeqs || message.id == null || this.messages.has(message.id)) return false;
    return message.seq! > (this.firstSeqs[message.conversation_id!] || 0);
  }

  /**
   * An operator's new message: a short sound where the site wants it, and, while the panel
   * is closed, the message itself next to the launcher (with the unread badge). Not the
   * panel flung open: the visitor may be busy on the page, and focus must not be taken.
   */
  private announce(message: Message): void {
    if (message.author.type === 'system') return;
    if (this.site?.sounds !== false) beep();
    if (!this.open) this.teaser = { kind: 'message', message };
  }

  private add(message: Message): void {
    if (!message || message.id == null || this.messages.has(message.id)) return;
    this.messages.set(message.id, message);
    if (!this.conversations.has(message.conversation_id!)) {
      this.conversations.set(message.conversation_id!, { id: message.conversation_id!, status: 'open' });
    }
  }

  /** The visitor has obviously seen the conversation up to what they just wrote. */
  private markSeen(message: Message): void {
    const id = String(message.conversation_id);
    if ((this.seen[id] || 0) < message.seq!) this.seen[id] = message.seq!;
    this.storage.set('seen', JSON.stringify(this.seen));
  }

  private refused(frame: Frame, original: OutboxFrame): void {
    if (original.type === 'callback.request') return this.callbackRefused(frame, original);
    if (original.type === 'csat.submit') return this.ratings.refused(original, this.t.csatFailed);
    if (original.type === 'contact.update' && original.client_id === this.offlineUpdateId) {
      // The offline form was refused (a bad e-mail): bring it back with the question in it.
      // The question was held behind the form, so it was not stored without the address.
      this.offlineSent = false;
      this.offlineDraft = this.held.map((held) => held.body).join('\n\n');
      this.hold([]);
      this.fieldErrors = frame.field ? { [frame.field]: this.fieldMessage(frame) } : {};
      if (!frame.field) this.showNotice(this.t.notSent);
      return;
    }
    if (original.type === 'contact.update') {
      // The pre-chat form was refused: show it again with the server's word next to the field.
      this.prechatNeeded = true;
      if (frame.field) this.fieldErrors = { [frame.field]: this.fieldMessage(frame) };
      else this.showNotice(this.t.notSent);
      return;
    }
    if (frame.code === 'rate_limited') {
      this.showNotice(this.t.rateLimited); // realtime.ts keeps it and resends after retry_after
    } else if (frame.code === 'invalid_field' && FIELDS.includes(frame.field)) {
      // The site requires a pre-chat field this visitor has not given: hold the message.
      this.hold([...this.held, original]);
      this.prechatNeeded = true;
      this.fieldErrors = { [frame.field]: this.fieldMessage(frame) };
    } else {
      // message_too_long, empty_message and anything unexpected: dropped; give the text back.
      this.showNotice(frame.code === 'message_too_long' ? this.t.tooLong : frame.code === 'empty_message' ? this.t.empty : this.t.notSent);
      this.returnedDraft = original.body;
    }
  }

  private fieldMessage(frame: Frame): string {
    if (this.lang === 'en' && frame.message) return String(frame.message);
    return frame.field === 'email' ? this.t.badEmail : frame.field === 'phone' ? this.t.badPhone : this.t.required;
  }

  private callbackAccepted(frame: Frame, sent: OutboxFrame): void {
    this.callback = 'done';
    this.contact.phone = sent.phone;
    if (sent.name) this.contact.name = sent.name;
    const id = frame.conversation_id;
    if (id && !this.conversations.has(id)) this.conversations.set(id, { id, status: 'open', type: 'callback' });
    this.storage.set('chat', '1');
  }

  private callbackRefused(frame: Frame, sent: OutboxFrame): void {
    // It shares the message rate limit: a short wait and realtime.ts resends it by itself.
    // A long one (a limit of its own) is shown, and then it must not go out later unseen.
    if (frame.code === 'rate_limited' && Number(frame.retry_after) <= 60) return;
    this.rt?.drop(sent.client_id);
    this.callback = '';
    this.callbackErrors = frame.field ? { [frame.field]: this.fieldMessage(frame) } : { form: this.requestError(frame) };
  }

  private transcriptRefused(frame: Frame): void {
    this.transcriptFrame = null;
    this.transcript = '';
    this.transcriptErrors = frame.field === 'email' ? { email: this.fieldMessage(frame) } : { form: this.requestError(frame) };
  }

  private requestError(frame: Frame): string {
    return frame.code === 'rate_limited' ? this.t.tooOften : this.t.notSent;
  }

  private prechatAccepted(): void {
    this.storage.set('prechat', '1');
    this.fieldErrors = {};
    const held = this.held;
    this.hold([]);
    for (const frame of held) this.rt!.enqueue(frame);
  }

  /** Held messages are kept in localStorage too: nothing typed is lost on a reload. */
  private hold(frames: OutboxFrame[]): void {
    this.held = frames;
    this.storage.set('held', frames.length ? JSON.stringify(frames) : null);
  }

  private setAgentTyping(active: boolean): void {
    clearTimeout(this.typingShown);
    this.agentTyping = active;
    // A lost "active: false" must not leave the indicator on forever.
    if (active) this.typingShown = setTimeout(() => this.setAgentTyping(false), TYPING_SHOWN);
    this.onChange();
  }

  showNotice(text: string): void {
    clearTimeout(this.noticeTimer);
    this.notice = text;
    this.noticeTimer = setTimeout(() => {
      this.notice = '';
      this.onChange();
    }, 8000);
    this.onChange();
  }

  // -- what the view reads ----------------------------------------------------------------

  hasOpenConversation(): boolean {
    return [...this.conversations.values()].some((conversation) => conversation.status === 'open');
  }

  /** The rating card at the end of a conversation, if it has one now. */
  ratingCard(conversation: Conversation): Card | null {
    return this.ratings.card(conversation, !!this.site?.csat, this.rt ? this.rt.outbox() : []);
  }

  /** The conversation a transcript is of: the open one, else the latest. */
  currentConversation(): number | undefined {
    const ids = [...this.conversations.values()]
      .sort((a, b) => Number(b.status === 'open') - Number(a.status === 'open') || b.id - a.id)
      .map((conversation) => conversation.id);
    return ids[0];
  }

  /**
   * The offline form takes the composer's place for a visitor with no open conversation
   * (one who has one keeps chatting, operators or not) and nothing on its way.
   */
  offlineFormNeeded(): boolean {
    return (
      this.mode === 'offline' &&
      this.known &&
      !this.offlineSent &&
      !this.hasOpenConversation() &&
      !this.held.length &&
      !this.outboxHas('message.send')
    );
  }

  /** Whether the conversation view may take input (not before we know it is no offline form). */
  undecided(): boolean {
    return this.mode === 'offline' && !this.known;
  }

  /** The question of a refused offline form, once. */
  takeOfflineDraft(): string {
    const draft = this.offlineDraft;
    this.offlineDraft = '';
    return draft;
  }

  /** Every message, by conversation then seq, then the visitor's unconfirmed ones. */
  list(): Message[] {
    const stored = [...this.messages.values()].sort(
      (a, b) => a.conversation_id! - b.conversation_id! || a.seq! - b.seq!,
    );
    const confirmed = new Set(stored.map((message) => message.client_id).filter(Boolean));
    const waiting = [...(this.rt ? this.rt.outbox() : []), ...this.held]
      .filter((frame) => frame.type === 'message.send' && !confirmed.has(frame.client_id))
      .map<Message>((frame) => ({
        author: { type: 'contact' },
        body: frame.body,
        attachments: this.sentFiles.get(frame.client_id),
        client_id: frame.client_id,
        created_at: this.writtenAt.get(frame.client_id) || this.stamp(frame.client_id),
        pending: true,
      }));
    return [...stored, ...waiting];
  }

  private stamp(clientId: string): string {
    const now = new Date().toISOString();
    this.writtenAt.set(clientId, now);
    return now;
  }

  // -- what the visitor does --------------------------------------------------------------

  /** Sends the text with the picked files; returns false (and says why) when it cannot. */
  send(text: string): boolean {
    const body = text.trim();
    const uploads = this.uploads;
    if (!body && !uploads.length) return false;
    if (body.length > MAX_BODY) {
      this.showNotice(this.t.tooLong);
      return false;
    }
    if (uploads.some((upload) => !upload.file)) {
      this.showNotice(this.t.stillUploading);
      return false;
    }
    this.stopTyping();
    this.storage.set('chat', '1');
    const clientId = newClientId();
    this.stamp(clientId);
    const frame: OutboxFrame = { type: 'message.send', client_id: clientId, body };
    if (uploads.length) {
      const files = uploads.map((upload) => upload.file!);
      frame.file_ids = files.map((file) => file.id);
      this.sentFiles.set(clientId, files);
      this.clearUploads();
    }
    this.rt?.enqueue(frame);
    this.changed();
    return true;
  }

  /**
   * Files picked, pasted or dropped: each goes up at once, so that sending is quick and a
   * refused one is said before anything is sent. A refused file is not kept.
   */
  attach(files: File[]): void {
    for (const file of files) {
      if (this.uploads.length >= MAX_FILES) {
        this.showNotice(this.t.tooManyFiles);
        break;
      }
      const upload: Upload = { key: newClientId(), name: file.name || 'file' };
      if (/^image\//.test(file.type)) upload.preview = URL.createObjectURL(file);
      this.uploads = [...this.uploads, upload];
      uploadFile(this.options.origin, this.token || '', file).then(
        (stored) => {
          if (!this.uploads.includes(upload)) return; // removed meanwhile; the server forgets unsent files
          this.uploads = this.uploads.map((item) => (item === upload ? { ...item, file: stored } : item));
          this.onChange();
        },
        (why: UploadRefusal) => {
          this.detach(upload.key);
          const text = why === 'too_large' ? this.t.fileTooLarge : why === 'type' ? this.t.fileType : this.t.fileFailed;
          this.showNotice(text.replace('{name}', upload.name));
        },
      );
    }
    this.onChange();
  }

  detach(key: string): void {
    const upload = this.uploads.find((item) => item.key === key);
    if (upload?.preview) URL.revokeObjectURL(upload.preview);
    this.uploads = this.uploads.filter((item) => item !== upload);
    this.onChange();
  }

  private clearUploads(): void {
    for (const upload of this.uploads) if (upload.preview) URL.revokeObjectURL(upload.preview);
    this.uploads = [];
  }

  /** The client-side check of a contact field; undefined when it is fine (or empty). */
  private invalid(field: string, value: string): string | undefined {
    const digits = value.replace(/\D/g, '').length;
    if (field === 'email' && value && !EMAIL.test(value)) return this.t.badEmail;
    if (field === 'phone' && value && (!PHONE.test(value) || digits < 5 || digits > 15)) return this.t.badPhone;
  }

  /**
   * The offline form: contact.update (name, e-mail, a phone the site requires) then the
   * question. The question waits in `held` until the contact is stored, as after the
   * pre-chat form, so it is never stored without the address the answer goes to; `held`
   * is in localStorage, so a reload loses neither.
   */
  submitOffline(values: Record<Field | 'question', string>): Errors {
    const prechat = this.site!.prechat;
    const errors: Errors = {};
    const frame: OutboxFrame = { type: 'contact.update', client_id: newClientId() };
    for (const field of FIELDS) {
      const value = values[field].trim();
      const required = field === 'email' || prechat[field] === 'required';
      const error = value ? this.invalid(field, value) : required && this.t.required;
      if (error) errors[field] = error;
      if (value) frame[field] = value;
    }
    const question = values.question.trim();
    if (!question) errors.question = this.t.required;
    else if (question.length > MAX_BODY) errors.question = this.t.tooLong;
    this.fieldErrors = errors;
    if (!Object.keys(errors).length) {
      for (const field of FIELDS) if (frame[field]) this.contact[field] = frame[field];
      this.offlineSent = true;
      this.prechatNeeded = false;
      this.offlineUpdateId = frame.client_id;
      this.storage.set('chat', '1');
      const message: OutboxFrame = { type: 'message.send', client_id: newClientId(), body: question };
      this.stamp(message.client_id);
      this.hold([...this.held, message]);
      this.rt?.enqueue(frame);
    }
    this.changed();
    return errors;
  }

  /** The stars (and a comment) for a resolved conversation: `csat.submit` through the outbox. */
  rate(conversationId: number, rating: number, comment: string): void {
    this.rt?.enqueue(this.ratings.submit(conversationId, rating, comment));
    this.changed();
  }

  /** The visitor closed the card: it does not come back for this conversation. */
  dismissRating(conversationId: number): void {
    this.ratings.dismiss(conversationId);
    this.changed();
  }

  openSheet(sheet: 'callback' | 'transcript' | null): void {
    this.sheet = sheet;
    // A confirmed request shows its form again next time: one may ask twice.
    if (sheet === 'callback' && this.callback === 'done') this.callback = '';
    if (sheet === 'transcript' && this.transcript === 'done') this.transcript = '';
    this.changed();
  }

  /** "Call me back": through the outbox, so a reconnect or a reload neither loses nor repeats it. */
  submitCallback(values: { phone: string; name: string; time: string }): void {
    const phone = values.phone.trim();
    const name = values.name.trim();
    const time = values.time.trim();
    const error = phone ? this.invalid('phone', phone) : this.t.required;
    this.callbackErrors = error ? { phone: error } : {};
    if (!error) {
      this.callback = 'sending';
      this.rt?.enqueue({ type: 'callback.request', client_id: newClientId(), phone, ...(name && { name }), ...(time && { time: time.slice(0, 100) }) });
    }
    this.changed();
  }

  /** "Send me this conversation by e-mail". */
  submitTranscript(value: string): void {
    const email = value.trim();
    const error = email ? this.invalid('email', email) : this.contact.email ? undefined : this.t.required;
    this.transcriptErrors = error ? { email: error } : {};
    const conversationId = this.currentConversation();
    if (!error && conversationId) {
      this.transcript = 'sending';
      this.transcriptFrame = { type: 'transcript.request', client_id: newClientId(), conversation_id: conversationId, ...(email && { email }) };
      this.rt?.send(this.transcriptFrame); // else after the next `welcome`
    }
    this.changed();
  }

  /** Validates and sends the pre-chat form; returns the errors (empty when it went out). */
  submitPrechat(values: Record<Field, string>): Partial<Record<Field, string>> {
    const prechat = this.site!.prechat;
    const errors: Partial<Record<Field, string>> = {};
    const frame: OutboxFrame = { type: 'contact.update', client_id: newClientId() };
    let any = false;
    for (const field of FIELDS) {
      if (prechat[field] === 'hidden') continue;
      const value = values[field].trim();
      if (!value) {
        if (prechat[field] === 'required' && !this.contact[field]) errors[field] = this.t.required;
        continue;
      }
      const error = this.invalid(field, value);
      if (error) errors[field] = error;
      frame[field] = value;
      any = true;
    }
    this.fieldErrors = errors;
    if (!Object.keys(errors).length) {
      // Optimistic: the form goes away at once; the outbox keeps the form ahead of the first
      // message, and a refusal brings the form back with the server's reason.
      this.prechatNeeded = false;
      if (any) {
        for (const field of FIELDS) if (frame[field]) this.contact[field] = frame[field];
        this.rt?.enqueue(frame);
      } else {
        this.storage.set('prechat', '1');
      }
    }
    this.changed();
    return errors;
  }

  /**
   * Called on every keystroke in the composer: `typing` at most every 2 s, off after 4 s idle.
   * Where the site has typing_preview the frame carries the draft and follows the text, at
   * most every 350 ms, the last state always going out.
   */
  typed(text: string): void {
    if (!text.trim()) return this.stopTyping();
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE);
    const now = Date.now();
    if (this.site?.typing_preview) {
      this.draftPending = text.slice(0, MAX_DRAFT);
      if (now - this.typingSentAt >= DRAFT_EVERY) this.sendDraft();
      else this.draftTimer ||= setTimeout(() => this.sendDraft(), this.typingSentAt + DRAFT_EVERY - now);
      return;
    }
    if (!this.typingActive || now - this.typingSentAt >= TYPING_EVERY) {
      if (this.rt?.send({ type: 'typing', active: true })) {
        this.typingActive = true;
        this.typingSentAt = now;
      }
    }
  }

  private sendDraft(): void {
    clearTimeout(this.draftTimer);
    this.draftTimer = undefined;
    if (this.draftPending == null) return;
    if (this.rt?.send({ type: 'typing', active: true, draft: this.draftPending })) {
      this.typingActive = true;
      this.typingSentAt = Date.now();
    }
    this.draftPending = null;
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdle);
    clearTimeout(this.draftTimer);
    this.draftTimer = undefined;
    this.draftPending = null;
    if (this.typingActive) {
      this.typingActive = false;
      this.rt?.send({ type: 'typing', active: false });
    }
  }

  setOpen(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    if (open) this.teaser = null; // never next to the open chat
    else this.stopTyping();
    this.changed();
  }

  // -- after every change -----------------------------------------------------------------

  /** Marks what the visitor can see as read, tells the launcher the unread count, re-renders. */
  changed(): void {
    const visible = this.open && document.visibilityState === 'visible';
    let unread = 0;
    const latest: Record<string, number> = {};
    const latestOther: Record<string, number> = {};
    for (const message of this.messages.values()) {
      const id = String(message.conversation_id);
      latest[id] = Math.max(latest[id] || 0, message.seq!);
      if (message.author.type === 'contact') continue;
      latestOther[id] = Math.max(latestOther[id] || 0, message.seq!);
      if (!visible && message.seq! > (this.seen[id] || 0)) unread++;
    }
    if (visible) {
      let moved = false;
      for (const id in latest) {
        if (latest[id] > (this.seen[id] || 0)) {
          this.seen[id] = latest[id];
          moved = true;
        }
        // `read` only when something from the support side became read, and only once.
        if (latestOther[id] > (this.readSent[id] || 0) && this.rt?.send({ type: 'read', conversation_id: Number(id), seq: latest[id] })) {
          this.readSent[id] = latest[id];
        }
      }
      if (moved) this.storage.set('seen', JSON.stringify(this.seen));
    }
    if (unread !== this.unread) this.options.onUnread?.((this.unread = unread));
    this.onChange();
  }
}
