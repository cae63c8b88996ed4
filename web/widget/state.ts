/**
 * The chat's state and its conversation with the server, without any UI: the session
 * (REST), the realtime connection, the history, the outbox, typing and read marks. The Preact
 * view in chat.tsx renders `WidgetChat` and calls its methods; `onChange` tells it to re-render.
 */
import { pollingSocket } from '../shared/polling';
import { backoffDelay, connect, newClientId, type ConnState, type Frame, type OutboxFrame, type RealtimeClient } from '../shared/realtime';
import { pickLang, strings, type Lang, type Strings } from './i18n';
import { siteStorage, type SiteStorage } from './storage';

export const MAX_BODY = 5000;
export const FIELDS = ['name', 'email', 'phone'] as const;
export type Field = (typeof FIELDS)[number];
type FieldMode = 'hidden' | 'optional' | 'required';
type Contact = Record<Field, string | null>;

export interface Site {
  name: string;
  title: string;
  greeting: string;
  color: string;
  position: 'left' | 'right';
  language: string;
  prechat: Record<Field, FieldMode>;
}

export interface Message {
  id?: number;
  conversation_id?: number;
  seq?: number;
  author: { type: 'contact' | 'agent' | 'bot' | 'system'; id?: number | null; name?: string | null };
  body: string;
  created_at: string;
  client_id?: string | null;
  /** Not yet acknowledged by the server (still in the outbox). */
  pending?: boolean;
}

export interface Conversation {
  id: number;
  number?: number;
  status: string;
  last_seq?: number;
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
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[\d\s().-]+$/;
const TYPING_EVERY = 2000;
const TYPING_IDLE = 4000;
const TYPING_SHOWN = 6000;

/** What the server is told about the page. Only http(s) URLs: the server refuses others. */
function currentPage() {
  const url = (value: string) => (/^https?:/i.test(value) ? value.slice(0, 2000) : null);
  return { url: url(location.href), title: document.title.slice(0, 500), referrer: url(document.referrer) };
}

export class WidgetChat {
  readonly storage: SiteStorage;
  lang: Lang;
  t: Strings;
  site: Site | null = null;
  contact: Contact = { name: null, email: null, phone: null };
  /** connecting | open | offline, plus "stopped" when the site key is unknown. */
  status: ConnState | 'stopped' = 'connecting';
  open = false;
  agentTyping = false;
  notice = '';
  fieldErrors: Partial<Record<Field, string>> = {};
  prechatNeeded = false;
  /** A body handed back to the composer after the server refused it. */
  returnedDraft = '';
  conversations = new Map<number, Conversation>();
  onChange: () => void = () => {};

  private messages = new Map<number, Message>();
  /** message.send frames refused because the pre-chat form is required; resent after it. */
  private held: OutboxFrame[];
  /** When each unconfirmed message was written (this page's memory; a reload shows its own time). */
  private writtenAt = new Map<string, string>();
  private token: string | null;
  private visitorId: string | null = null;
  private rt: RealtimeClient | null = null;
  private seen: Record<string, number>;
  private readSent: Record<string, number>;
  private typingActive = false;
  private typingSentAt = 0;
  private typingIdle?: ReturnType<typeof setTimeout>;
  private typingShown?: ReturnType<typeof setTimeout>;
  private noticeTimer?: ReturnType<typeof setTimeout>;
  private unread = -1;

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
      onStop: () => {
        this.status = 'stopped';
        this.changed();
      },
      outbox: this.storage.json<OutboxFrame[]>('outbox', []).filter((frame) => frame && frame.client_id),
      onOutbox: (frames) => this.storage.set('outbox', frames.length ? JSON.stringify(frames) : null),
    });
    // SPA navigation: tell the operator which page the visitor is on now.
    const page = () => this.rt?.send({ type: 'page', ...currentPage() });
    addEventListener('popstate', page);
    addEventListener('hashchange', page);
    document.addEventListener('visibilitychange', () => this.changed());
    this.changed();
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
        this.applySession(await response.json());
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
    this.changed();
  }

  /** Site colour and side on the shadow host, cached so the launcher draws them next time. */
  private applyLook(site: Site): void {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(site.color.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const look = {
      color: site.color,
      on: 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? '#111827' : '#ffffff',
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
    switch (frame.type) {
      case 'welcome':
        for (const conversation of frame.conversations || []) this.conversations.set(conversation.id, conversation);
        if (this.conversations.size) this.storage.set('chat', '1');
        break;
      case 'message':
        this.add(frame.message);
        if (frame.message.author.type !== 'contact') this.setAgentTyping(false);
        break;
      case 'conversation':
        this.conversations.set(frame.conversation.id, frame.conversation);
        break;
      case 'ack':
        if (frame.message) {
          this.add(frame.message);
          this.storage.set('chat', '1');
          this.markSeen(frame.message);
        } else {
          this.prechatAccepted();
        }
        break;
      case 'typing':
        this.setAgentTyping(!!frame.active);
        break;
      case 'error':
        if (sent) this.refused(frame, sent);
        break;
      default:
        return; // pong and friends change nothing on screen
    }
    this.changed();
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

  /** Returns false (and says why) when the body cannot be sent. */
  send(text: string): boolean {
    const body = text.trim();
    if (!body) return false;
    if (body.length > MAX_BODY) {
      this.showNotice(this.t.tooLong);
      return false;
    }
    this.stopTyping();
    this.storage.set('chat', '1');
    const clientId = newClientId();
    this.stamp(clientId);
    this.rt?.enqueue({ type: 'message.send', client_id: clientId, body });
    this.changed();
    return true;
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
      if (field === 'email' && !EMAIL.test(value)) errors.email = this.t.badEmail;
      const digits = value.replace(/\D/g, '').length;
      if (field === 'phone' && (!PHONE.test(value) || digits < 5 || digits > 15)) errors.phone = this.t.badPhone;
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

  /** Called on every keystroke in the composer: `typing` at most every 2 s, off after 4 s idle. */
  typed(text: string): void {
    if (!text.trim()) return this.stopTyping();
    const now = Date.now();
    if (!this.typingActive || now - this.typingSentAt >= TYPING_EVERY) {
      if (this.rt?.send({ type: 'typing', active: true })) {
        this.typingActive = true;
        this.typingSentAt = now;
      }
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE);
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdle);
    if (this.typingActive) {
      this.typingActive = false;
      this.rt?.send({ type: 'typing', active: false });
    }
  }

  setOpen(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    if (!open) this.stopTyping();
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
