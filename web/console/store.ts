/**
 * The console's state and its conversation with the server, without any UI: the session,
 * the realtime connection (/ws/console), REST loads, the outbox, typing, read marks, alerts
 * and routing. Components render `Store` and call its methods; `subscribe` re-renders them.
 *
 * Consistency model (docs/protocol.md, "Realtime rules" and "Console"): after the first
 * `welcome` the state is loaded over REST and every event is applied as an upsert. A REST
 * answer may be older than an event that arrived while it was in flight, so after applying
 * one, the events received since the request started are applied again (`withReplay`), and a
 * conversation never goes back to an older `updated_at` / `last_seq`.
 *
 * The smaller sub-domains live in modules of their own, which the store owns and feeds:
 * agents.ts (the team), presence.ts (my status, auto-away), viewing.ts (collisions),
 * canned.ts, bans.ts, site-settings.ts, account-settings.ts, files.ts (uploads), visitors.ts
 * (live visitors), teams.ts, chat.ts (the operator chat), monitor.ts (the supervisors' live
 * monitor), supervisor.ts (whispers, taking over), quality.ts (reviews, the quality report),
 * inbox-lists.ts (the list's filter, pages and bulk selection), views.ts (saved views),
 * taxonomy.ts (categories, custom fields, tags), desk.ts (properties, statuses, the audit
 * trail, bulk actions), routing.ts (routing rules), sla.ts (SLA policies, breach alerts),
 * forms.ts (inboxes, web forms, submissions), macros.ts, csat.ts (ratings) and reviewer.ts
 * (the automatic reviewer's settings), merges.ts (contacts merged and unmerged). The channels
 * and integrations pages' state (channels.ts, integrations.ts) loads with the page; what the
 * inbox needs of channels — a message's delivery (`message.delivery`, "Send
 * again") and a conversation's channel context — is kept here.
 */
import { consolePollingSocket } from './polling';
import { connect, newClientId, type ConnState, type Frame, type OutboxFrame, type RealtimeClient } from '../shared/realtime';
import { AccountSettingsStore } from './account-settings';
import { Team } from './agents';
import { alertOnce, NewConversationAlerts, primeOnFirstClick } from './alerts';
import { ApiError, get, post, setCsrfToken, setUnauthenticatedHandler } from './api';
import { Bans } from './bans';
import { CannedResponses } from './canned';
import { OperatorChat, type ChatHost } from './chat';
import { Csat } from './csat';
import { Desk, type DeskHost } from './desk';
import { Uploads } from './files';
import { WebForms } from './forms';
import { preview } from './format';
import { formatWait, initialLang, storeLang, translator, type Lang, type StringKey, type Translate } from './i18n';
import { InboxLists, type ListHost } from './inbox-lists';
import { Macros } from './macros';
import { ContactMerges } from './merges';
import { contactName, contribution, isStale } from './model';
import { Monitor } from './monitor';
import { StoredOutbox } from './outbox';
import { Presence } from './presence';
import { QualityReport, Reviews } from './quality';
import { ReviewerSettings } from './reviewer';
import { ADMIN_PAGES, parseRoute, rememberView, routePath, storedView, SUPERVISOR_PAGES, type Route } from './route';
import { RoutingRules } from './routing';
import { SiteSettingsStore } from './site-settings';
import { slaBreachNews, SlaPolicies } from './sla';
import { composerKinds, isPrivateKind, isSupervisor, knownKind, takenAwayNews, whisperNews, type News } from './supervisor';
import { Taxonomy } from './taxonomy';
import { Teams } from './teams';
import { SavedViews } from './views';
import { Viewing } from './viewing';
import { LiveVisitors } from './visitors';
import {
  type Agent,
  type AgentStatus,
  type Author,
  type ChatMessage,
  type ChatRoom,
  type Contact,
  type Conversation,
  type ConversationContext,
  type Counts,
  type Delivery,
  type EventFrame,
  type FileInfo,
  type InboxRef,
  type Message,
  type Review,
  type MessageKind,
  type TeamInfo,
  type View,
  type Visitor,
} from './types';

export const MAX_BODY = 5000;
const TYPING_EVERY_MS = 2000;
const TYPING_IDLE_MS = 4000;
const TYPING_SHOWN_MS = 6000;
const RECENT_EVENTS = 2000;
const NO_WELCOME_MS = 5000;
/** Conversations that moved between contacts (a merge moves many): their contacts are read once after this. */
const CONTACT_RELOAD_MS = 300;
/** How long a new conversation's alert waits to see whether an agent started it. */
const AGENT_STARTED_MS = 300;

export interface Pending {
  client_id: string;
  conversation_id: number;
  body: string;
  kind: string;
  order: number;
  /** Files that go with it (`file_ids`); only ids for a message restored from storage. */
  files?: FileInfo[];
  fileIds?: number[];
  /** The inbox it leaves through instead of the conversation's (`via_inbox_id`). */
  via?: number | null;
  /** Refused by the server (no longer in the outbox): why. */
  error?: string;
  /** The server asked us to slow down; the outbox resends it by itself. */
  rateLimited?: boolean;
}

export interface Thread {
  messages: Message[];
  loaded: boolean;
  loading: boolean;
  error: string | null;
}

export interface Typing {
  author: { type: string; id: number | null; name: string | null };
  until: number;
  /** The customer's text as typed, where the site shows agents a typing preview. */
  draft?: string | null;
}

/** Where a conversation is transferred: an agent, or a team's queue. */
export type TransferTarget = { agentId: number } | { teamId: number };

type Source = 'event' | 'action' | 'load' | 'replay';

/** What a transfer came to: done, refused because the agent is full, or another error's text. */
export type TransferResult = { ok: true } | { ok: false; atCapacity: boolean; error: string };

export interface Toast {
  text: string;
  kind: 'error' | 'info';
  at: number;
  /** A button in the toast, e.g. "Assign anyway". */
  action?: { label: string; run: () => void };
}

// ---------------------------------------------------------------------------------------

export class Store {
  lang: Lang = initialLang();
  t: Translate = translator(this.lang);

  auth: 'loading' | 'anon' | 'in' | 'unreachable' = 'loading';
  me: Agent | null = null;
  account: { id: number; name: string } | null = null;
  conn: ConnState = 'offline';
  /** A `welcome` arrived since login: a later 'connecting' is a reconnect. */
  everWelcomed = false;
  route: Route = parseRoute(location.pathname);

  counts: Counts | null = null;
  readonly convs = new Map<number, Conversation>();
  readonly threads = new Map<number, Thread>();
  readonly pending = new Map<string, Pending>();
  /** By contact id; null when the contact has no website visitor. */
  readonly visitors = new Map<number, Visitor | null>();
  readonly contacts = new Map<number, Contact>();
  /** Conversation id → where it came from, as its channel tells (the Telegram @username …). */
  readonly contexts = new Map<number, ConversationContext>();
  /** Contact id → its conversations' ids (newest first), once loaded. */
  readonly contactConvs = new Map<number, number[]>();
  /** Contact id → why it could not be read (the contact's page says so). */
  readonly contactErrors = new Map<number, string>();
  /** Conversation id → the customer typing there. */
  readonly typing = new Map<number, Typing>();
  /** Conversation id → other agents typing there. */
  readonly agentTyping = new Map<number, Map<number, Typing>>();
  readonly drafts = new Map<number, string>();
  /** The composer's mode per conversation (reply when absent); see `composerMode`. */
  private readonly composerModes = new Map<number, MessageKind>();
  /** Conversation id → the other inboxes an agent may answer it through (`answer_via`: e-mail …). */
  readonly answerVia = new Map<number, InboxRef[]>();
  /** Conversation id → the inbox the agent chose to answer through (null: the conversation's). */
  private readonly answerChoice = new Map<number, number | null>();
  /** Keys of actions in flight ("resolve:37"), to disable their buttons. */
  readonly busy = new Set<string>();
  toast: Toast | null = null;
  /** On narrow screens the visitor panel is a drawer: is it open? */
  infoOpen = false;
  /** The conversation whose transfer dialog is open. */
  transferFor: number | null = null;
  /** A conversation opened with j / k: its reply box leaves the focus where it is. */
  quietOpen: number | null = null;

  readonly team = new Team(this, (agent) => {
    if (this.me) this.me = { ...this.me, ...agent };
  });
  readonly presence = new Presence(this, (agent) => this.team.upsert(agent));
  readonly viewing = new Viewing(
    (frame) => this.rt?.send(frame) ?? false,
    () => this.me?.id ?? null,
  );
  readonly canned = new CannedResponses(this);
  readonly bans = new Bans(this);
  readonly siteSettings = new SiteSettingsStore(this);
  readonly accountSettings = new AccountSettingsStore(this, (minutes) => {
    this.presence.autoAwayMinutes = minutes;
  });
  readonly uploads = new Uploads(this);
  readonly liveVisitors = new LiveVisitors(this);
  readonly teams = new Teams(this, () => void this.chat.loadRooms());
  readonly chat = new OperatorChat(this.chatHost());
  readonly monitor = new Monitor(this);
  readonly reviews = new Reviews(this);
  readonly quality = new QualityReport(this);
  readonly taxonomy = new Taxonomy(this);
  readonly views = new SavedViews(this);
  readonly desk = new Desk(this.deskHost());
  readonly inbox = new InboxLists(this.listHost());
  readonly routing = new RoutingRules(this);
  readonly sla = new SlaPolicies(this);
  readonly forms = new WebForms(this);
  readonly macros = new Macros(this.deskHost());
  readonly csat = new Csat(this);
  readonly reviewer = new ReviewerSettings(this);
  readonly merges = new ContactMerges(this);

  private listeners = new Set<() => void>();
  private emitTimer: ReturnType<typeof setTimeout> | undefined;
  private rt: RealtimeClient | null = null;
  private lastEventId: number | null = null;
  private welcomeHead = 0;
  private welcomed = false;
  /** State has been (or is being) loaded over REST: after the first `welcome`, or the no-welcome fallback. */
  private ready = false;
  private eventSerial = 0;
  private recent: { serial: number; frame: EventFrame }[] = [];
  private countsLoading = false;
  private countsDirty = false;
  private countsTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly readInFlight = new Map<number, number>();
  private readonly alerts = new NewConversationAlerts({
    describe: (id) => {
      const conversation = this.convs.get(id);
      const name = contactName(conversation?.contact, this.t);
      const preview = conversation?.last_message?.body || '';
      return { title: `${this.t('newConversation')} #${conversation?.number ?? id}`, body: preview ? `${name}: ${preview}` : name };
    },
    summary: (count) => this.t('newConversations', { count }),
    open: (id) => this.navigate({ page: 'inbox', view: this.route.page === 'inbox' ? this.route.view : storedView(), id }),
  });
  private pendingOrder = 0;
  private storedOutbox: StoredOutbox | null = null;
  private typingOut: { conversationId: number; lastSentAt: number; idle?: ReturnType<typeof setTimeout> } | null = null;
  private typingSweep: ReturnType<typeof setInterval> | undefined;
  private bootTimer: ReturnType<typeof setTimeout> | undefined;
  private noWelcomeTimer: ReturnType<typeof setTimeout> | undefined;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;
  /** Contacts to read again shortly (conversations moved between them): one read for a burst. */
  private readonly contactsDue = new Set<number>();
  private contactsTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    setUnauthenticatedHandler(() => {
      if (this.auth === 'in') this.signedOut();
    });
    addEventListener('popstate', () => {
      this.route = parseRoute(location.pathname);
      this.routeChanged();
    });
    document.addEventListener('visibilitychange', () => {
      this.maybeMarkRead();
      this.chat.maybeRead();
    });
    addEventListener('focus', () => {
      this.maybeMarkRead();
      this.chat.maybeRead();
    });
    // Leaving the page: the others stop showing us at once rather than after 45 s.
    addEventListener('pagehide', () => this.viewing.show(null));
    addEventListener('pageshow', () => this.showViewing());
  }

  /** What the operator chat needs of the store: the Host, and whether the chat page is on screen. */
  private chatHost(): ChatHost {
    const self = this;
    return {
      get t() {
        return self.t;
      },
      get me() {
        return self.me;
      },
      emit: () => self.emit(),
      showToast: (text, kind) => self.showToast(text, kind),
      errorText: (error) => self.errorText(error),
      chatOnScreen: () => self.auth === 'in' && self.route.page === 'chat' && document.visibilityState === 'visible',
      incoming: (message, room) => self.alertChat(message, room),
    };
  }

  /** What the inbox list needs of the store: its conversations, and REST loads with replay. */
  private listHost(): ListHost {
    const self = this;
    return {
      get t() {
        return self.t;
      },
      get me() {
        return self.me;
      },
      convs: this.convs,
      emit: () => self.emit(),
      showToast: (text, kind) => self.showToast(text, kind),
      errorText: (error) => self.errorText(error),
      currentView: () => (self.route.page === 'inbox' ? self.route.view : null),
      load: (request, apply) => self.withReplay(request, apply),
      upsert: (conversation) => self.upsertConv(conversation, 'load'),
      categories: () => self.taxonomy.loadedCategories(),
    };
  }

  /** What the service-desk actions need: answers applied like the store's own. */
  private deskHost(): DeskHost {
    const self = this;
    return {
      get t() {
        return self.t;
      },
      get me() {
        return self.me;
      },
      busy: this.busy,
      emit: () => self.emit(),
      showToast: (text, kind, action) => self.showToast(text, kind, action),
      errorText: (error) => self.errorText(error),
      applied: (conversation) => self.upsertConv(conversation, 'action'),
    };
  }

  // ---- subscription -------------------------------------------------------------------

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Tells the views to render, at most once per frame: a busy account sends many events a
   * second, and rendering after each would waste the agent's CPU.
   */
  emit(): void {
    if (this.emitTimer !== undefined) return;
    this.emitTimer = setTimeout(() => {
      this.emitTimer = undefined;
      for (const listener of this.listeners) listener();
    }, 16);
  }

  setLang(lang: Lang): void {
    this.lang = lang;
    this.t = translator(lang);
    storeLang(lang);
    document.documentElement.lang = lang;
    this.emit();
  }

  toggleInfo(open = !this.infoOpen): void {
    this.infoOpen = open;
    this.emit();
  }

  showToast(text: string, kind: 'error' | 'info' = 'error', action?: Toast['action']): void {
    this.toast = { text, kind, at: Date.now(), action };
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => this.dismissToast(), action ? 12000 : 6000);
    this.emit();
  }

  dismissToast(): void {
    clearTimeout(this.toastTimer);
    this.toast = null;
    this.emit();
  }

  errorText(error: unknown): string {
    if (error instanceof ApiError) {
      if (error.code === 'network') return this.t('networkError');
      const key = `err_${error.code}` as StringKey;
      const known = this.t(key);
      return known === key ? error.message || error.code : known;
    }
    return String((error as Error)?.message || error);
  }

  // ---- session --------------------------------------------------------------------------

  async boot(): Promise<void> {
    document.documentElement.lang = this.lang;
    clearTimeout(this.bootTimer);
    try {
      const me = await get('/api/v1/me');
      this.signedIn(me);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.auth = 'anon';
      } else {
        this.auth = 'unreachable';
        this.bootTimer = setTimeout(() => void this.boot(), 3000);
      }
      this.emit();
    }
  }

  /** Logs in; throws ApiError (invalid_credentials, too_many_attempts, …) for the form. */
  async login(email: string, password: string): Promise<void> {
    const answer = await post('/api/v1/auth/login', { email, password });
    setCsrfToken(answer.csrf_token);
    const me = await get('/api/v1/me');
    this.signedIn(me);
  }

  async logout(): Promise<void> {
    this.stopTyping();
    this.viewing.stop();
    try {
      await post('/api/v1/auth/logout', {});
    } catch {
      /* the session may already be gone; we leave anyway */
    }
    this.signedOut();
  }

  private signedIn(me: { agent: Agent; account: { id: number; name: string; settings?: { auto_away_minutes?: number } }; csrf_token: string }): void {
    this.me = me.agent;
    this.account = { id: me.account.id, name: me.account.name };
    setCsrfToken(me.csrf_token);
    this.auth = 'in';
    this.generation++;
    if (!this.mayOpen(this.route)) this.route = { page: 'inbox', view: storedView(), id: null };
    history.replaceState(null, '', routePath(this.route));
    primeOnFirstClick();
    this.presence.start(me.agent.id, me.account.settings?.auto_away_minutes ?? 0);
    this.chat.start(me.account.id, me.agent.id);
    void this.canned.load();
    this.startRealtime();
    clearInterval(this.typingSweep);
    this.typingSweep = setInterval(() => this.sweepTyping(), 1000);
    this.routeChanged();
  }

  /** Back to the login form: the session ended (logout, 401, close code 4001). */
  signedOut(): void {
    this.generation++;
    this.viewing.stop();
    this.presence.stop();
    this.rt?.close();
    this.rt = null;
    clearInterval(this.typingSweep);
    this.transferFor = null;
    this.canned.reset();
    this.bans.reset();
    this.siteSettings.reset();
    this.accountSettings.reset();
    this.uploads.reset();
    this.liveVisitors.reset();
    this.teams.reset();
    this.chat.reset();
    this.monitor.reset();
    this.reviews.reset();
    this.quality.reset();
    this.inbox.reset();
    this.taxonomy.reset();
    this.views.reset();
    this.desk.reset();
    for (const module of [this.routing, this.sla, this.forms, this.macros, this.csat, this.reviewer, this.merges]) module.reset();
    clearTimeout(this.contactsTimer);
    this.contactsTimer = undefined;
    this.contactsDue.clear();
    clearTimeout(this.noWelcomeTimer);
    clearTimeout(this.countsTimer);
    this.typingOut = null;
    this.auth = 'anon';
    this.me = null;
    this.account = null;
    this.conn = 'offline';
    this.counts = null;
    this.lastEventId = null;
    this.welcomed = false;
    this.everWelcomed = false;
    this.ready = false;
    this.recent = [];
    for (const map of [this.convs, this.threads, this.pending, this.visitors, this.contacts, this.contexts, this.contactConvs, this.contactErrors, this.typing, this.agentTyping, this.drafts, this.composerModes, this.answerVia, this.answerChoice, this.readInFlight]) {
      map.clear();
    }
    this.storedOutbox = null;
    this.team.reset();
    setCsrfToken('');
    this.emit();
  }

  // ---- realtime ------------------------------------------------------------------------

  private startRealtime(): void {
    const me = this.me!;
    this.storedOutbox = new StoredOutbox(`helpline.console.outbox.${this.account?.id ?? 0}.${me.id}`);
    const restored = this.storedOutbox.restore();
    for (const frame of restored) {
      this.pending.set(frame.client_id, {
        client_id: frame.client_id,
        conversation_id: frame.conversation_id,
        body: frame.body,
        // A note or whisper stays one: a private kind must never come back as a reply.
        kind: knownKind(frame.kind),
        order: ++this.pendingOrder,
        fileIds: Array.isArray(frame.file_ids) ? frame.file_ids.filter((id: unknown) => typeof id === 'number') : undefined,
        via: typeof frame.via_inbox_id === 'number' ? frame.via_inbox_id : null,
      });
    }
    this.lastEventId = null;
    this.welcomed = false;
    this.ready = false;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/console`;
    const generation = this.generation;
    this.rt = connect(url, {
      hello: () => ({ type: 'hello', last_event_id: this.lastEventId }),
      fallback: consolePollingSocket,
      outbox: restored,
      onOutbox: (frames) => this.storedOutbox?.save(frames),
      onState: (state) => {
        if (generation !== this.generation) return;
        this.conn = state;
        if (state !== 'open') {
          this.clearTyping();
          this.viewing.disconnected();
          this.chat.disconnected();
        }
        this.emit();
      },
      onFrame: (frame, sent) => {
        if (generation === this.generation) this.onFrame(frame, sent);
      },
      onAuthError: () => {
        if (generation === this.generation) this.signedOut();
      },
      onStop: () => {
        if (generation !== this.generation) return;
        this.conn = 'offline';
        this.emit();
      },
    });
    // A network that blocks WebSockets must not leave an empty screen: load what REST has.
    clearTimeout(this.noWelcomeTimer);
    this.noWelcomeTimer = setTimeout(() => {
      if (!this.welcomed && generation === this.generation) this.reloadAll();
    }, NO_WELCOME_MS);
  }

  private onFrame(frame: Frame, sent?: OutboxFrame): void {
    switch (frame.type) {
      case 'welcome': {
        this.welcomed = true;
        this.everWelcomed = true;
        clearTimeout(this.noWelcomeTimer);
        this.viewing.connected();
        const head = Number(frame.last_event_id) || 0;
        this.welcomeHead = head;
        if (this.lastEventId === null) {
          // First connection: no replay; load over REST and apply events from here on.
          this.lastEventId = head;
          this.reloadAll();
        } else if (head < this.lastEventId) {
          // The server's log is not the one we followed (a restored database). This
          // connection would skip events up to our old id, so start over on a new one.
          this.lastEventId = head;
          this.reloadAll(true);
          queueMicrotask(() => this.rt?.reconnect());
        }
        // Chat messages are not in the event log: what came while we were away is read again.
        this.chat.connected(frame.fallback === true);
        break;
      }
      case 'event': {
        const event = frame as EventFrame;
        if (typeof event.id !== 'number') break;
        if (this.lastEventId !== null && event.id <= this.lastEventId) break;
        this.lastEventId = event.id;
        this.recent.push({ serial: ++this.eventSerial, frame: event });
        if (this.recent.length > RECENT_EVENTS) this.recent.splice(0, this.recent.length - RECENT_EVENTS);
        this.applyEvent(event, 'event');
        break;
      }
      case 'resync':
        this.lastEventId = this.welcomeHead;
        this.reloadAll();
        break;
      case 'typing':
        this.onTyping(frame);
        break;
      case 'viewing':
        this.viewing.received(frame);
        break;
      case 'chat':
        this.chat.received(frame.message as ChatMessage);
        break;
      case 'ack': {
        const clientId = String(frame.client_id || '');
        if (frame.message) this.addMessage(frame.message as Message);
        this.pending.delete(clientId);
        break;
      }
      case 'error': {
        const clientId = frame.client_id as string | undefined;
        const item = clientId ? this.pending.get(clientId) : undefined;
        if (item && sent) {
          if (frame.code === 'rate_limited') {
            item.rateLimited = true;
          } else {
            item.error = this.errorText(new ApiError(0, String(frame.code), String(frame.message || '')));
            item.rateLimited = false;
          }
        } else if (frame.code && frame.code !== 'not_authenticated') {
          console.warn('helpline console: server error frame', frame);
        }
        break;
      }
      default:
        break;
    }
    this.emit();
  }

  private applyEvent(frame: EventFrame, source: 'event' | 'replay'): void {
    const data = frame.data || {};
    switch (frame.event) {
      case 'conversation.created':
        if (data.conversation) {
          this.upsertConv(data.conversation, source, true);
          if (source === 'event') this.alertNewConversation(data.conversation);
          if (data.conversation.assignee) this.team.loadsSoon();
        }
        break;
      case 'conversation.updated':
        if (data.conversation) {
          const known = this.convs.get(data.conversation.id);
          this.upsertConv(data.conversation, source);
          const changed: string[] = Array.isArray(data.changed) ? data.changed : [];
          if (source === 'event') {
            this.alertAssigned(known, data.conversation as Conversation, changed);
            this.announce(takenAwayNews(known, data.conversation as Conversation, data.by, this.me?.id, this.t));
          }
          if (changed.includes('assignee') || changed.includes('status')) this.team.loadsSoon();
        }
        break;
      case 'message.created':
        if (data.conversation) this.upsertConv(data.conversation, source);
        if (data.message) {
          const message = data.message as Message;
          this.addMessage(message);
          if (message.client_id && this.pending.has(message.client_id)) {
            this.pending.delete(message.client_id);
            this.rt?.drop(message.client_id);
          }
          if (message.author.type === 'contact') this.typing.delete(message.conversation_id);
          if (message.author.type === 'agent' && message.author.id != null) {
            this.agentTyping.get(message.conversation_id)?.delete(message.author.id);
          }
          if (source === 'event') {
            this.alertMention(message);
            this.announce(whisperNews(message, this.convs.get(message.conversation_id), this.me?.id, this.t));
          }
        }
        break;
      case 'message.delivery':
        if (typeof data.conversation_id === 'number' && typeof data.message_id === 'number' && data.delivery) {
          this.setDelivery(data.conversation_id, data.message_id, data.delivery as Delivery);
        }
        break;
      case 'contact.updated':
        if (data.contact) {
          this.updateContact(data.contact as Contact);
          this.monitor.contact(data.contact as Contact);
          this.merges.changed((data.contact as Contact).id);
          this.reachChanged((data.contact as Contact).id);
        }
        break;
      case 'visitor.updated':
        if (typeof data.contact_id === 'number') this.visitors.set(data.contact_id, data.visitor ?? null);
        this.liveVisitors.apply(data.visitor as Visitor | null);
        break;
      case 'agent.updated':
        if (data.agent) {
          this.team.upsert(data.agent as Agent);
          this.monitor.agent(data.agent as Agent);
        }
        break;
      case 'conversation.reviewed':
        if (typeof data.conversation_id === 'number') this.reviews.apply(data.conversation_id, (data.review as Review | null) ?? null);
        break;
      case 'team.updated':
        if (data.team) {
          this.teams.apply(data.team as TeamInfo, data.deleted === true);
          this.monitor.team(data.team as TeamInfo, data.deleted === true);
        }
        break;
      case 'sla.breached':
        if (source === 'event') this.announce(slaBreachNews(data, this.me, this.t));
        break;
      default:
        break;
    }
  }

  /** Runs a REST load, applies it, then re-applies the events that arrived meanwhile. */
  private async withReplay<T>(load: () => Promise<T>, apply: (data: T) => void): Promise<void> {
    const start = this.eventSerial;
    const generation = this.generation;
    const data = await load();
    if (generation !== this.generation) return;
    apply(data);
    for (const item of this.recent) if (item.serial > start) this.applyEvent(item.frame, 'replay');
    this.emit();
  }

  /**
   * First load after `welcome`, and after `resync`: everything over REST again. The open
   * thread stays on screen meanwhile (messages never change), unless the server's history
   * itself was replaced (`fresh`: ids may now name other messages).
   */
  private reloadAll(fresh = false): void {
    this.ready = true;
    const openId = this.route.page === 'inbox' ? this.route.id : null;
    this.convs.clear();
    this.inbox.clear();
    this.contactConvs.clear();
    // Read again when its page is on screen (loadPage below) or next opened.
    this.merges.reset();
    this.monitor.reset();
    this.reviews.reset();
    for (const id of [...this.threads.keys()]) if (fresh || id !== openId) this.threads.delete(id);
    void this.refreshCounts();
    // Categories and fields (until the tree is here, a category filter is the server's to judge).
    void this.taxonomy.load();
    void this.views.load();
    if (this.route.page === 'inbox') {
      this.inbox.ensure(this.route.view);
      if (openId) void this.loadThread(openId);
    } else if (this.route.page !== 'admin') this.loadPage();
    void this.team.load();
    void this.teams.load();
    // The live list also gives the navigation its count; events keep it current from here.
    if (this.route.page !== 'visitors') void this.liveVisitors.load();
    this.emit();
  }

  // ---- conversations --------------------------------------------------------------------

  private upsertConv(conversation: Conversation, source: Source, created = false): void {
    // A list's snapshot may predate a resolve the monitor has seen; events and answers do not.
    if (source !== 'load') this.monitor.conversation(conversation);
    const known = this.convs.get(conversation.id);
    if (known && isStale(conversation, known)) return;
    this.convs.set(conversation.id, conversation);
    if (known && known.contact.id !== conversation.contact.id) this.contactMoved(conversation.id, known.contact.id, conversation.contact.id);
    const ids = this.contactConvs.get(conversation.contact.id);
    if (ids && !ids.includes(conversation.id)) {
      ids.push(conversation.id);
      ids.sort((a, b) => b - a);
    }
    if (source === 'event' || source === 'action') this.countsChanged(known, conversation, created);
    if (source === 'event') this.inbox.noticed(conversation);
    if (this.route.page === 'inbox' && this.route.id === conversation.id) queueMicrotask(() => this.maybeMarkRead());
  }

  /**
   * A conversation went to another contact (a merge, or its undo): it leaves the old contact's
   * list; a contact on screen whose conversations came or went is read again (its identities
   * and visitor moved too, and the server does not announce the contact that was merged away).
   */
  private contactMoved(conversationId: number, from: number, to: number): void {
    const before = this.contactConvs.get(from);
    if (before) this.contactConvs.set(from, before.filter((id) => id !== conversationId));
    const route = this.route;
    const shown = route.page === 'contact' ? [route.id] : route.page === 'inbox' && route.id ? [this.convs.get(route.id)?.contact.id] : [];
    for (const contactId of [from, to]) {
      if (shown.includes(contactId) || this.contacts.has(contactId)) this.contactDue(contactId);
    }
  }

  private contactDue(contactId: number): void {
    this.contactsDue.add(contactId);
    if (this.contactsTimer) return;
    this.contactsTimer = setTimeout(() => {
      this.contactsTimer = undefined;
      const due = [...this.contactsDue];
      this.contactsDue.clear();
      for (const id of due) void this.loadContact(id);
    }, CONTACT_RELOAD_MS);
  }

  private countsChanged(known: Conversation | undefined, next: Conversation, created: boolean): void {
    const me = this.me?.id ?? -1;
    const after = contribution(next, me);
    const before = known ? contribution(known, me) : created ? [0, 0, 0, 0, 0, 0] : null;
    if (before && before.every((value, index) => value === after[index])) return;
    if (before && this.counts) {
      const delta = after.map((value, index) => value - before[index]);
      const counts = this.counts;
      this.counts = {
        unassigned: Math.max(0, counts.unassigned + delta[0]),
        mine: Math.max(0, counts.mine + delta[1]),
        all: Math.max(0, counts.all + delta[2]),
        unread: {
          unassigned: Math.max(0, counts.unread.unassigned + delta[3]),
          mine: Math.max(0, counts.unread.mine + delta[4]),
          all: Math.max(0, counts.unread.all + delta[5]),
        },
      };
    }
    // The local delta shows at once; the server's numbers confirm it shortly after.
    this.refreshCountsSoon();
  }

  private refreshCountsSoon(): void {
    if (this.countsTimer) return;
    this.countsTimer = setTimeout(() => {
      this.countsTimer = undefined;
      void this.refreshCounts();
    }, 500);
  }

  async refreshCounts(): Promise<void> {
    if (this.countsLoading) {
      this.countsDirty = true;
      return;
    }
    this.countsLoading = true;
    const generation = this.generation;
    try {
      const counts = await get<Counts>('/api/v1/conversations/counts');
      if (generation === this.generation) this.counts = counts;
    } catch {
      /* shown numbers stay; the next event or reconnect tries again */
    } finally {
      this.countsLoading = false;
      if (this.countsDirty) {
        this.countsDirty = false;
        this.refreshCountsSoon();
      }
      this.emit();
    }
  }

  /** The rows of the tab on screen under the current filter, in its order. */
  visibleList(): Conversation[] {
    return this.route.page === 'inbox' && this.me ? this.inbox.rows(this.route.view) : [];
  }

  // ---- one conversation ------------------------------------------------------------------

  thread(id: number): Thread | undefined {
    return this.threads.get(id);
  }

  async loadThread(id: number): Promise<void> {
    let thread = this.threads.get(id);
    if (!thread) {
      thread = { messages: [], loaded: false, loading: false, error: null };
      this.threads.set(id, thread);
    }
    if (thread.loading) return;
    void this.reviews.load(id);
    const current = thread;
    current.loading = true;
    current.error = null;
    this.emit();
    let contactId: number | null = null;
    try {
      await this.withReplay(
        () =>
          get<{ conversation: Conversation; messages: Message[]; visitor: Visitor | null; context?: ConversationContext; answer_via?: InboxRef[] }>(
            `/api/v1/conversations/${id}`,
          ),
        (data) => {
          this.upsertConv(data.conversation, 'load');
          this.contexts.set(id, data.context && typeof data.context === 'object' ? data.context : {});
          this.answerVia.set(id, Array.isArray(data.answer_via) ? data.answer_via : []);
          const byId = new Map<number, Message>();
          for (const message of [...current.messages, ...data.messages]) byId.set(message.id, message);
          current.messages = [...byId.values()].sort((a, b) => a.seq - b.seq);
          current.loaded = true;
          contactId = data.conversation.contact.id;
          this.visitors.set(contactId, data.visitor);
          for (const message of data.messages) {
            if (message.client_id && this.pending.has(message.client_id)) {
              this.pending.delete(message.client_id);
              this.rt?.drop(message.client_id);
            }
          }
        },
      );
    } catch (error) {
      current.error = error instanceof ApiError && error.code === 'not_found' ? this.t('err_not_found') : this.errorText(error);
    } finally {
      current.loading = false;
      this.emit();
    }
    if (contactId !== null) void this.loadContact(contactId);
    this.maybeMarkRead();
  }

  /**
   * Reads a contact with its conversations on every channel and its visitor; the first time,
   * also the merges it took part in (events keep them current from then on).
   */
  async loadContact(contactId: number): Promise<void> {
    if (!this.merges.of(contactId)) void this.merges.load(contactId);
    try {
      await this.withReplay(
        () => get<{ contact: Contact; visitor: Visitor | null; conversations: Conversation[] }>(`/api/v1/contacts/${contactId}`),
        (data) => {
          this.contacts.set(contactId, data.contact);
          this.contactErrors.delete(contactId);
          this.visitors.set(contactId, data.visitor);
          for (const conversation of data.conversations) this.upsertConv(conversation, 'load');
          // Only those still of this contact: an event newer than this answer may have moved one (a merge).
          this.contactConvs.set(
            contactId,
            data.conversations
              .map((c) => c.id)
              .filter((id) => this.convs.get(id)?.contact.id === contactId)
              .sort((a, b) => b - a),
          );
        },
      );
    } catch (error) {
      // The sidebar shows what the conversation itself brought; the contact's page says why.
      this.contactErrors.set(contactId, error instanceof ApiError && error.code === 'not_found' ? this.t('err_not_found') : this.errorText(error));
      this.emit();
    }
  }

  private updateContact(contact: Contact): void {
    const known = this.contacts.get(contact.id);
    this.contacts.set(contact.id, { ...known, ...contact });
    for (const [id, c] of this.convs) {
      if (c.contact.id !== contact.id) continue;
      this.convs.set(id, { ...c, contact: { id: contact.id, name: contact.name, email: contact.email, phone: contact.phone } });
    }
  }

  private addMessage(message: Message): void {
    const thread = this.threads.get(message.conversation_id);
    if (!thread || !thread.loaded) return;
    if (thread.messages.some((m) => m.id === message.id)) return;
    const lastSeq = thread.messages.length ? thread.messages[thread.messages.length - 1].seq : 0;
    thread.messages = [...thread.messages.filter((m) => m.seq !== message.seq), message].sort((a, b) => a.seq - b.seq);
    // A hole in the numbering means we missed something: read the whole thread again.
    if (message.seq > lastSeq + 1 && !thread.loading) queueMicrotask(() => void this.loadThread(message.conversation_id));
  }

  /**
   * A message's delivery moved on (`message.delivery`): the stored message is replaced, so the
   * list redraws it. A thread not loaded yet gets it with the messages when it loads.
   */
  private setDelivery(conversationId: number, messageId: number, delivery: Delivery): void {
    const thread = this.threads.get(conversationId);
    if (!thread?.loaded) return;
    const index = thread.messages.findIndex((m) => m.id === messageId);
    if (index < 0) return;
    const messages = [...thread.messages];
    messages[index] = { ...messages[index], delivery: { status: delivery.status, error: delivery.error ?? null } };
    thread.messages = messages;
  }

  /**
   * "Send again" for a message whose delivery failed: it becomes pending and the events tell
   * the rest. A bound property, so the message list can hand it on without redrawing.
   */
  readonly retryDelivery = async (message: Message): Promise<void> => {
    const key = `retry:${message.id}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.emit();
    try {
      const data = await post<{ message: Message }>(`/api/v1/conversations/${message.conversation_id}/messages/${message.id}/retry`, {});
      // Events may have moved it on already (the channel took it while this answer was on its
      // way): the answer only replaces a state that is still "failed".
      const known = this.threads.get(message.conversation_id)?.messages.find((m) => m.id === message.id);
      if (data.message?.delivery && known?.delivery?.status === 'failed') this.setDelivery(message.conversation_id, message.id, data.message.delivery);
    } catch (error) {
      // 409: it did not fail (any more): what the server has is what to show.
      if (error instanceof ApiError && error.code === 'conflict') void this.loadThread(message.conversation_id);
      else this.showToast(this.errorText(error));
    } finally {
      this.busy.delete(key);
      this.emit();
    }
  };

  pendingOf(conversationId: number): Pending[] {
    const items: Pending[] = [];
    for (const item of this.pending.values()) if (item.conversation_id === conversationId) items.push(item);
    return items.sort((a, b) => a.order - b.order);
  }

  /**
   * Queues a reply, note or whisper, with the files uploaded for it (the body may then be
   * empty); it shows as pending until the server's `ack`.
   */
  send(conversationId: number, body: string, kind: MessageKind, files: FileInfo[] = []): boolean {
    const text = body.trim();
    if ((!text && !files.length) || text.length > MAX_BODY || !this.rt) return false;
    const clientId = newClientId();
    const fileIds = files.map((file) => file.id);
    const via = kind === 'text' ? this.answerViaOf(conversationId) : null;
    this.pending.set(clientId, { client_id: clientId, conversation_id: conversationId, body: text, kind, order: ++this.pendingOrder, files, fileIds, via });
    this.storedOutbox?.own(clientId);
    this.stopTyping();
    this.rt.enqueue(this.sendFrame(this.pending.get(clientId)!));
    this.emit();
    return true;
  }

  /** The `message.send` frame of a pending message: the same `client_id` every time. */
  private sendFrame(item: Pending) {
    const frame: OutboxFrame = { type: 'message.send', client_id: item.client_id, conversation_id: item.conversation_id, body: item.body, kind: item.kind };
    if (item.fileIds?.length) frame.file_ids = item.fileIds;
    if (item.via != null) frame.via_inbox_id = item.via;
    return frame;
  }

  /**
   * The inbox a reply in this conversation leaves through, null for its own: the agent's
   * choice, else the way the customer wrote last (their e-mail reply to a chat is answered by
   * e-mail).
   */
  answerViaOf(conversationId: number): number | null {
    const choices = this.answerVia.get(conversationId) || [];
    const offered = (id: number | null | undefined) => id != null && choices.some((inbox) => inbox.id === id);
    if (this.answerChoice.has(conversationId)) {
      const chosen = this.answerChoice.get(conversationId)!;
      return offered(chosen) ? chosen : null;
    }
    const messages = this.threads.get(conversationId)?.messages || [];
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i].author.type === 'contact') return offered(messages[i].via_inbox_id) ? messages[i].via_inbox_id! : null;
    }
    return null;
  }

  /** A contact's addresses changed: the open conversation may be answered another way now. */
  private reachChanged(contactId: number): void {
    const id = this.route.page === 'inbox' ? this.route.id : null;
    if (id != null && this.convs.get(id)?.contact.id === contactId) void this.loadThread(id);
  }

  setAnswerVia(conversationId: number, inboxId: number | null): void {
    this.answerChoice.set(conversationId, inboxId);
    this.emit();
  }

  retryPending(clientId: string): void {
    const item = this.pending.get(clientId);
    if (!item || !this.rt) return;
    item.error = undefined;
    this.rt.enqueue(this.sendFrame(item));
    this.emit();
  }

  discardPending(clientId: string): void {
    this.pending.delete(clientId);
    this.rt?.drop(clientId);
    this.emit();
  }

  /** What the composer of a conversation writes: a reply, a note, or (supervisors) a whisper. */
  composerMode(conversationId: number): MessageKind {
    const mode = this.composerModes.get(conversationId) ?? 'text';
    return composerKinds(this.me).includes(mode) ? mode : 'text';
  }

  /** Switches the composer to `kind`, or back to a reply when it is in that mode already. */
  toggleComposerMode(conversationId: number, kind: MessageKind): void {
    const next = this.composerMode(conversationId) === kind || !composerKinds(this.me).includes(kind) ? 'text' : kind;
    if (next === 'text') this.composerModes.delete(conversationId);
    else this.composerModes.set(conversationId, next);
    if (next !== 'text') this.stopTyping();
    this.emit();
  }

  // ---- typing ------------------------------------------------------------------------------

  /** Called on every composer input. Notes and whispers are private: the customer is never told. */
  composerInput(conversationId: number, text: string, kind: MessageKind): void {
    if (isPrivateKind(kind) || !text.trim()) {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    const out = this.typingOut;
    if (out && out.conversationId !== conversationId) this.stopTyping();
    if (!this.typingOut || now - this.typingOut.lastSentAt >= TYPING_EVERY_MS) {
      if (this.rt?.send({ type: 'typing', conversation_id: conversationId, active: true })) {
        this.typingOut = { conversationId, lastSentAt: now, idle: this.typingOut?.idle };
      }
    }
    if (this.typingOut) {
      clearTimeout(this.typingOut.idle);
      this.typingOut.idle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
    }
  }

  stopTyping(): void {
    const out = this.typingOut;
    if (!out) return;
    clearTimeout(out.idle);
    this.typingOut = null;
    this.rt?.send({ type: 'typing', conversation_id: out.conversationId, active: false });
  }

  private onTyping(frame: Frame): void {
    const conversationId = Number(frame.conversation_id);
    const author = (frame.author || {}) as Author;
    if (!conversationId) return;
    const draft = typeof frame.draft === 'string' && frame.draft.trim() ? frame.draft : null;
    const entry: Typing = { author: { type: author.type, id: author.id ?? null, name: author.name ?? null }, until: Date.now() + TYPING_SHOWN_MS, draft };
    if (author.type === 'contact') {
      if (frame.active) this.typing.set(conversationId, entry);
      else this.typing.delete(conversationId);
      return;
    }
    if (author.type !== 'agent' || author.id == null || author.id === this.me?.id) return;
    let map = this.agentTyping.get(conversationId);
    if (!map) this.agentTyping.set(conversationId, (map = new Map()));
    if (frame.active) map.set(author.id, entry);
    else map.delete(author.id);
  }

  private sweepTyping(): void {
    const now = Date.now();
    let changed = false;
    for (const [id, entry] of this.typing) {
      if (entry.until <= now) {
        this.typing.delete(id);
        changed = true;
      }
    }
    for (const map of this.agentTyping.values()) {
      for (const [id, entry] of map) {
        if (entry.until <= now) {
          map.delete(id);
          changed = true;
        }
      }
    }
    if (this.viewing.sweep(now)) changed = true;
    if (changed) this.emit();
  }

  /** Typing frames stop with the connection; nobody is shown typing while we are offline. */
  private clearTyping(): void {
    this.typing.clear();
    this.agentTyping.clear();
  }

  // ---- read marks ------------------------------------------------------------------------

  /** Marks the open conversation read when the agent can actually see it. */
  maybeMarkRead(): void {
    if (this.auth !== 'in' || this.route.page !== 'inbox' || !this.route.id) return;
    if (document.visibilityState !== 'visible') return;
    const id = this.route.id;
    const conversation = this.convs.get(id);
    const thread = this.threads.get(id);
    if (!conversation || !thread?.loaded || conversation.unread_count <= 0) return;
    const lastMessage = thread.messages[thread.messages.length - 1];
    const seq = Math.max(conversation.last_seq, lastMessage?.seq ?? 0);
    if (this.readInFlight.get(id) === seq) return;
    this.readInFlight.set(id, seq);
    post<{ conversation: Conversation }>(`/api/v1/conversations/${id}/read`, { seq })
      .then((data) => {
        this.upsertConv(data.conversation, 'action');
        this.emit();
      })
      .catch(() => {
        /* tried again on the next message, focus or visibility change */
      })
      .finally(() => {
        if (this.readInFlight.get(id) === seq) this.readInFlight.delete(id);
      });
  }

  // ---- actions on a conversation -----------------------------------------------------------

  private async act(key: string, request: () => Promise<{ conversation: Conversation }>): Promise<void> {
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.emit();
    try {
      const data = await request();
      this.upsertConv(data.conversation, 'action');
    } catch (error) {
      this.showToast(this.errorText(error));
    } finally {
      this.busy.delete(key);
      this.emit();
    }
  }

  /**
   * Assigns (null: unassigns). An agent at capacity refuses with 409 `at_capacity`: the toast
   * then offers to assign anyway (`force`).
   */
  async assign(id: number, agentId: number | null, force = false): Promise<void> {
    const key = `assign:${id}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.emit();
    try {
      const data = await post<{ conversation: Conversation }>(`/api/v1/conversations/${id}/assign`, { agent_id: agentId, force });
      this.upsertConv(data.conversation, 'action');
    } catch (error) {
      if (error instanceof ApiError && error.code === 'at_capacity' && agentId !== null) {
        const name = this.team.byId(agentId)?.name || this.t('agent');
        this.showToast(this.t('atCapacity', { name }), 'error', { label: this.t('assignAnyway'), run: () => void this.assign(id, agentId, true) });
      } else this.showToast(this.errorText(error));
    } finally {
      this.busy.delete(key);
      this.emit();
    }
  }

  /**
   * Hands the conversation to another agent, or to a team (its least-loaded available member,
   * else the team's queue), with an optional note (stored by the server as a note of ours).
   * `force` overrides the receiver's capacity.
   */
  async transfer(id: number, target: TransferTarget, note: string, force = false): Promise<TransferResult> {
    const key = `transfer:${id}`;
    if (this.busy.has(key)) return { ok: false, atCapacity: false, error: '' };
    this.busy.add(key);
    this.emit();
    try {
      const body: Record<string, unknown> = 'teamId' in target ? { team_id: target.teamId, force } : { agent_id: target.agentId, force };
      if (note.trim()) body.note = note.trim();
      const data = await post<{ conversation: Conversation }>(`/api/v1/conversations/${id}/transfer`, body);
      this.upsertConv(data.conversation, 'action');
      const done = data.conversation;
      const text =
        'teamId' in target
          ? done.assignee
            ? this.t('transferredTeamTo', { team: done.team?.name || '', name: done.assignee.name })
            : this.t('transferredTeamQueue', { team: done.team?.name || '' })
          : this.t('transferred', { name: done.assignee?.name || '' });
      this.showToast(text, 'info');
      this.team.loadsSoon();
      return { ok: true };
    } catch (error) {
      const atCapacity = error instanceof ApiError && error.code === 'at_capacity';
      if (error instanceof ApiError && error.code === 'invalid_field' && error.field === 'agent_id') {
        return { ok: false, atCapacity, error: this.t('transferSameAgent') };
      }
      return { ok: false, atCapacity, error: this.errorText(error) };
    } finally {
      this.busy.delete(key);
      this.emit();
    }
  }

  /** Who may hand this conversation on: anyone while it is theirs or unassigned; supervisors and admins always. */
  canTransfer(c: Conversation): boolean {
    return c.status === 'open' && (this.canAssignOthers() || !c.assignee || c.assignee.id === this.me?.id);
  }

  openTransfer(id: number | null): void {
    this.transferFor = id;
    if (id !== null) {
      void this.team.load();
      void this.teams.load();
    }
    this.emit();
  }

  assignToMe(id: number): Promise<void> {
    return this.assign(id, this.me!.id);
  }

  /**
   * A supervisor takes over someone else's conversation: it is assigned to them (the server
   * never checks one's own capacity) and their composer goes back to replying.
   */
  async takeOver(id: number): Promise<void> {
    await this.assignToMe(id);
    if (this.convs.get(id)?.assignee?.id === this.me?.id) {
      this.composerModes.delete(id);
      this.emit();
    }
  }

  resolve(id: number): Promise<void> {
    return this.act(`status:${id}`, () => post(`/api/v1/conversations/${id}/resolve`, {}));
  }

  reopen(id: number): Promise<void> {
    return this.act(`status:${id}`, () => post(`/api/v1/conversations/${id}/reopen`, {}));
  }

  canAssignOthers(): boolean {
    return this.me?.role === 'admin' || this.me?.role === 'supervisor';
  }

  // ---- alerts ------------------------------------------------------------------------------

  private alertNewConversation(conversation: Conversation): void {
    // Conversations an agent opens are their own doing, not news. One an agent starts with
    // a live visitor is created empty, its first (agent's) message right behind it in the
    // same batch of events: decide once that has had a moment to arrive.
    const isAgents = (c: Conversation | undefined) => c?.last_message?.author_type === 'agent';
    if (isAgents(conversation)) return;
    const generation = this.generation;
    setTimeout(() => {
      if (generation === this.generation && !isAgents(this.convs.get(conversation.id))) this.alerts.created(conversation.id);
    }, AGENT_STARTED_MS);
  }

  /**
   * A conversation became ours by someone else's hand (a transfer, or a supervisor assigning
   * it): beep, notify, and say so on screen. The event does not name who made the change, so
   * "someone else" means: not an assign or transfer this tab has in flight.
   */
  private alertAssigned(known: Conversation | undefined, next: Conversation, changed: string[]): void {
    const me = this.me?.id;
    if (!me || next.assignee?.id !== me || next.status !== 'open') return;
    if (known ? known.assignee?.id === me : !changed.includes('assignee')) return;
    if (this.busy.has(`assign:${next.id}`) || this.busy.has(`transfer:${next.id}`)) return;
    const transfer = (next.transfer_count ?? 0) > (known?.transfer_count ?? 0) || (!known && changed.includes('transfer_count'));
    const title = this.t(transfer ? 'transferredToYou' : 'assignedToYou', { number: next.number });
    const name = contactName(next.contact, this.t);
    const open = () => this.navigate({ page: 'inbox', view: this.route.page === 'inbox' ? this.route.view : storedView(), id: next.id });
    alertOnce(title, name, `helpline-assigned-${next.id}-${next.transfer_count ?? 0}`, open);
    const onScreen = this.route.page === 'inbox' && this.route.id === next.id;
    this.showToast(`${title}: ${name}`, 'info', onScreen ? undefined : { label: this.t('open'), run: open });
  }

  /**
   * A note that @mentions me arrived: beep, notify, and say so on screen with "Open". My own
   * notes (from another tab) and replayed events stay quiet (`alertOnce` by message id).
   */
  private alertMention(message: Message): void {
    const me = this.me?.id;
    if (!me || !message.mentions?.includes(me)) return;
    if (message.author.type === 'agent' && message.author.id === me) return;
    const conversation = this.convs.get(message.conversation_id);
    const title = this.t('mentionedYou', { name: message.author.name || this.t('agent'), number: conversation?.number ?? message.conversation_id });
    const body = preview(message.body, 160);
    const open = () => this.navigate({ page: 'inbox', view: this.route.page === 'inbox' ? this.route.view : storedView(), id: message.conversation_id });
    alertOnce(title, body, `helpline-mention-${message.id}`, open);
    const onScreen = this.route.page === 'inbox' && this.route.id === message.conversation_id;
    this.showToast(body ? `${title}: ${body}` : title, 'info', onScreen ? undefined : { label: this.t('open'), run: open });
  }

  /** Beeps, notifies (once per tag) and says on screen what `news` tells, with "Open" unless it is on screen. */
  private announce(news: News | null): void {
    if (!news) return;
    const open = () => this.navigate({ page: 'inbox', view: this.route.page === 'inbox' ? this.route.view : storedView(), id: news.conversationId });
    alertOnce(news.title, news.body, news.tag, open);
    const onScreen = this.route.page === 'inbox' && this.route.id === news.conversationId;
    this.showToast(news.body ? `${news.title}: ${news.body}` : news.title, 'info', onScreen ? undefined : { label: this.t('open'), run: open });
  }

  /** An operator-chat message from a colleague while that room is not on screen. */
  private alertChat(message: ChatMessage, room: ChatRoom | undefined): void {
    const name = room?.kind === 'team' ? `${message.author.name} · #${room.name}` : message.author.name;
    const open = () => {
      this.chat.open(message.room);
      this.navigate({ page: 'chat' });
    };
    alertOnce(this.t('chatFrom', { name }), preview(message.body, 160), `helpline-chat-${message.id}`, open);
    this.showToast(`${name}: ${preview(message.body, 120)}`, 'info', { label: this.t('open'), run: open });
  }

  // ---- live visitors -------------------------------------------------------------------------

  /** The contact's name when a conversation told us, else "Visitor #id". */
  visitorName(visitor: Visitor): string {
    const contactId = visitor.contact_id ?? 0;
    const known = this.contacts.get(contactId) || [...this.convs.values()].find((c) => c.contact.id === contactId)?.contact;
    return contactName(known || { id: contactId, name: null }, this.t);
  }

  /** The newest open conversation of a contact this console knows, if any. */
  openConversationOf(contactId: number | undefined): Conversation | undefined {
    if (contactId === undefined) return undefined;
    let found: Conversation | undefined;
    for (const c of this.convs.values()) {
      if (c.contact.id === contactId && c.status === 'open' && (!found || c.id > found.id)) found = c;
    }
    return found;
  }

  /**
   * Starts a chat with a live visitor and opens it; resolves to null when done, else to the
   * reason to show. The same `clientId` for a retry stores nothing new.
   */
  async inviteVisitor(visitorId: string, body: string, clientId: string): Promise<string | null> {
    try {
      const data = await this.liveVisitors.invite(visitorId, body, clientId);
      this.upsertConv(data.conversation, 'action');
      this.addMessage(data.message);
      this.liveVisitors.markInChat(visitorId);
      this.navigate({ page: 'inbox', view: data.conversation.assignee?.id === this.me?.id ? 'mine' : 'all', id: data.conversation.id });
      return null;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'not_found') return this.t('visitorLeft');
      return this.errorText(error);
    }
  }

  // ---- my status ------------------------------------------------------------------------------

  /** The header's status switch. */
  setMyStatus(status: Exclude<AgentStatus, 'offline'>): Promise<void> {
    return this.presence.choose(status);
  }

  // ---- navigation --------------------------------------------------------------------------

  /** Agents and settings are for admins only; the monitor for supervisors and admins. */
  mayOpen(route: Route): boolean {
    if (route.page === 'inbox' || route.page === 'contact') return true;
    if (ADMIN_PAGES.includes(route.page)) return this.me?.role === 'admin';
    if (SUPERVISOR_PAGES.includes(route.page)) return isSupervisor(this.me);
    return true;
  }

  navigate(route: Route, replace = false): void {
    if (!this.mayOpen(route)) route = { page: 'inbox', view: storedView(), id: null };
    const path = routePath(route);
    if (replace) history.replaceState(null, '', path);
    else if (location.pathname !== path) history.pushState(null, '', path);
    this.route = route;
    this.routeChanged();
  }

  openConversation(id: number | null): void {
    const view = this.route.page === 'inbox' ? this.route.view : storedView();
    this.navigate({ page: 'inbox', view, id });
  }

  setView(view: View): void {
    const id = this.route.page === 'inbox' ? this.route.id : null;
    this.navigate({ page: 'inbox', view, id });
  }

  /** What a page other than the inbox shows, read when it opens (there are no events for it). */
  private loadPage(): void {
    const route = this.route;
    const page = route.page;
    if (route.page === 'contact') {
      void this.loadContact(route.id);
      if (!this.team.loaded) void this.team.load();
    } else if (page === 'admin') void this.team.load();
    else if (page === 'monitor') void this.monitor.load();
    else if (page === 'quality') void this.quality.load();
    else if (page === 'canned') void this.canned.load();
    else if (page === 'macros') void Promise.all([this.macros.load(), this.taxonomy.load(), this.teams.load(), this.team.load()]);
    else if (page === 'routing') void Promise.all([this.routing.load(), this.sla.load(), this.forms.load(), this.taxonomy.load(), this.teams.load(), this.team.load()]);
    else if (page === 'sla') void Promise.all([this.sla.load(), this.forms.load(), this.taxonomy.load()]);
    else if (page === 'forms') void Promise.all([this.forms.load(), this.taxonomy.load()]);
    else if (page === 'reviewer') void this.reviewer.load();
    else if (page === 'bans') void this.bans.load();
    else if (page === 'categories' || page === 'fields') void this.taxonomy.load();
    else if (page === 'settings') {
      void this.siteSettings.load();
      void this.accountSettings.load();
    } else if (page === 'visitors') void this.liveVisitors.load();
    else if (page === 'teams') {
      void this.teams.load();
      void this.team.load();
    } else if (page === 'chat') {
      void this.chat.loadRooms();
      if (!this.team.loaded) void this.team.load();
    }
  }

  private showViewing(): void {
    this.viewing.show(this.auth === 'in' && this.route.page === 'inbox' ? this.route.id : null);
  }

  private routeChanged(): void {
    this.transferFor = null;
    if (this.route.page !== 'inbox' || this.route.id !== this.quietOpen) this.quietOpen = null;
    this.showViewing();
    // Before the first `welcome` nothing is loaded: reloadAll() will, for the current route.
    if (this.auth !== 'in' || !this.ready) {
      this.emit();
      return;
    }
    const route = this.route;
    if (route.page !== 'inbox') {
      this.stopTyping();
      if (!this.mayOpen(route)) {
        this.navigate({ page: 'inbox', view: storedView(), id: null }, true);
        return;
      }
      this.loadPage();
      if (route.page === 'chat') this.chat.maybeRead();
    } else {
      rememberView(route.view);
      if (this.typingOut && this.typingOut.conversationId !== route.id) this.stopTyping();
      this.inbox.ensure(route.view);
      if (route.id) {
        const thread = this.threads.get(route.id);
        if (!thread || (!thread.loaded && !thread.loading)) void this.loadThread(route.id);
        else {
          const conversation = this.convs.get(route.id);
          if (conversation && !this.contactConvs.has(conversation.contact.id)) void this.loadContact(conversation.contact.id);
          this.maybeMarkRead();
        }
      }
      if (!this.team.loaded) void this.team.load();
    }
    this.emit();
  }

  /**
   * Alt+↑ / Alt+↓, j / k: the previous or next conversation of the current list. With
   * `focusReply` false (j / k) the reply box does not take the focus, so the next j still
   * moves on; `r` goes to the reply box.
   */
  step(delta: number, focusReply = true): void {
    if (this.route.page !== 'inbox') return;
    const rows = this.visibleList();
    if (!rows.length) return;

    const index = rows.findIndex((c) => c.id === (this.route as { id: number | null }).id);
    const next = index < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, index + delta));
    this.quietOpen = focusReply ? null : rows[next].id;
    this.openConversation(rows[next].id);
  }

  waitText(seconds: number): string {
    return formatWait(seconds, this.lang);
  }
}

export const store = new Store();
