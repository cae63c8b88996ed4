/**
 * The chat panel: `mount()` is what the launcher (widget.js) calls after importing this
 * module. Rendering only; the state and the server conversation live in state.ts.
 * Message text is always a text node (never innerHTML): whatever anyone writes shows literally.
 */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import css from './chat.css?inline';
import { FIELDS, MAX_BODY, WidgetChat, type Field, type Message, type MountOptions } from './state';

export type { MountOptions };
export interface ChatHandle {
  /** Opens or closes the panel (the launcher's button). */
  setOpen(open: boolean): void;
}

const mounted = new WeakMap<ShadowRoot, ChatHandle>();

export function mount(root: ShadowRoot, options: MountOptions): ChatHandle {
  const existing = mounted.get(root);
  if (existing) return existing;
  const style = document.createElement('style');
  style.textContent = css;
  const container = document.createElement('div');
  root.append(style, container);
  const chat = new WidgetChat(options, root.host as HTMLElement);
  render(<Panel chat={chat} />, container);
  void chat.start();
  const handle: ChatHandle = { setOpen: (open) => chat.setOpen(open) };
  mounted.set(root, handle);
  return handle;
}

const CLOSE_ICON = 'M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z';
const SEND_ICON = 'M3.4 20.4 20.9 12.9a1 1 0 0 0 0-1.8L3.4 3.6a1 1 0 0 0-1.4 1.1L3.8 11 14 12 3.8 13l-1.8 6.3a1 1 0 0 0 1.4 1.1z';
const Icon = ({ d }: { d: string }) => (
  <svg viewBox="0 0 24 24" aria-hidden="true">
    <path d={d} />
  </svg>
);

function Panel({ chat }: { chat: WidgetChat }) {
  const [, setVersion] = useState(0);
  // Subscribed during render, not in an effect: a fast answer (unknown site) must not slip
  // through before the effect runs.
  chat.onChange = () => setVersion((version) => version + 1);
  const panel = useRef<HTMLDivElement>(null);
  const { t, site } = chat;

  // Opening moves focus into the panel (the composer, or the form's first field).
  useEffect(() => {
    if (chat.open) panel.current?.querySelector<HTMLElement>('input,textarea')?.focus();
  }, [chat.open, !!site, chat.prechatNeeded]);

  const close = () => {
    chat.setOpen(false);
    chat.options.onOpen?.(false);
  };
  const title = site?.title || site?.name || t.title;
  const state = chat.status === 'stopped' ? 'offline' : chat.status;
  const statusText = chat.status === 'open' ? t.connected : chat.status === 'connecting' ? t.connecting : chat.status === 'offline' ? t.offline : '';

  return (
    <div
      ref={panel}
      class="hl-panel"
      data-testid="hl-panel"
      role="dialog"
      aria-label={title}
      lang={chat.lang}
      hidden={!chat.open}
      onKeyDown={(event) => event.key === 'Escape' && close()}
    >
      <div class="hl-head">
        <div>
          <h2>{title}</h2>
          <span class="hl-status" data-testid="hl-status" data-state={state}>
            {statusText}
          </span>
        </div>
        <button type="button" class="hl-close" data-testid="hl-close" aria-label={t.close} title={t.close} onClick={close}>
          <Icon d={CLOSE_ICON} />
        </button>
      </div>
      <Messages chat={chat} />
      {chat.agentTyping && (
        <div class="hl-typing" data-testid="hl-typing">
          {t.typing}
        </div>
      )}
      <div class="hl-notice" data-testid="hl-notice" role="status">
        {chat.status === 'stopped' ? t.unavailable : chat.notice}
      </div>
      {site && !chat.prechatNeeded && chat.status !== 'stopped' && <Composer chat={chat} />}
    </div>
  );
}

function Messages({ chat }: { chat: WidgetChat }) {
  const list = useRef<HTMLDivElement>(null);
  const stuck = useRef(true);
  const messages = chat.list();
  const { t, site } = chat;

  // Follow new messages while the visitor is at the bottom; leave them alone when scrolled up.
  useLayoutEffect(() => {
    const el = list.current;
    if (el && stuck.current) el.scrollTop = el.scrollHeight;
  });
  useEffect(() => {
    stuck.current = true;
  }, [chat.open]);

  const several = chat.conversations.size > 1;
  const items = [];
  let previous: Message | undefined;
  for (const message of messages) {
    const conversationId = message.conversation_id;
    if (several && conversationId && conversationId !== previous?.conversation_id) {
      const number = chat.conversations.get(conversationId)?.number;
      items.push(
        <div class="hl-divider" key={'c' + conversationId}>
          {t.conversation + (number ?? '')}
        </div>,
      );
    }
    items.push(<Bubble key={message.id ?? message.client_id} message={message} chat={chat} />);
    previous = message;
    const next = messages[messages.indexOf(message) + 1];
    if (conversationId && next?.conversation_id !== conversationId && chat.conversations.get(conversationId)?.status === 'resolved') {
      items.push(
        <div class="hl-divider" key={'r' + conversationId}>
          {t.resolved}
        </div>,
      );
    }
  }

  return (
    <div
      ref={list}
      class="hl-messages"
      data-testid="hl-messages"
      role="log"
      aria-label={t.messages}
      tabIndex={0}
      onScroll={(event) => {
        const el = event.currentTarget;
        stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {site?.greeting && (
        <div class="hl-msg" data-testid="hl-greeting" data-author="agent">
          <div class="hl-bubble">{site.greeting}</div>
        </div>
      )}
      {items}
      {site && chat.prechatNeeded && chat.status !== 'stopped' && <Prechat chat={chat} />}
    </div>
  );
}

function Bubble({ message, chat }: { message: Message; chat: WidgetChat }) {
  const { t } = chat;
  const type = message.author.type;
  const who = type === 'contact' ? '' : type === 'system' ? '' : message.author.name || (type === 'bot' ? t.bot : t.agent);
  return (
    <div
      class="hl-msg"
      data-testid="hl-message"
      data-author={type}
      data-seq={message.seq}
      data-pending={message.pending ? 'true' : 'false'}
    >
      <div class="hl-bubble" data-testid="hl-message-body">
        {message.body}
      </div>
      <div class="hl-meta">
        {who && who + ' · '}
        <time dateTime={message.created_at}>{when(message.created_at, chat.lang)}</time>
        {message.pending && ' · ' + t.sending}
      </div>
    </div>
  );
}

/** "14:05" today, "3 нояб., 14:05" on other days. */
function when(iso: string, lang: string): string {
  const date = new Date(iso);
  if (isNaN(+date)) return '';
  const time = date.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
  return date.toDateString() === new Date().toDateString()
    ? time
    : date.toLocaleDateString(lang, { day: 'numeric', month: 'short' }) + ', ' + time;
}

function Prechat({ chat }: { chat: WidgetChat }) {
  const { t } = chat;
  const prechat = chat.site!.prechat;
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Record<Field, string>>(() => ({
    name: chat.contact.name || '',
    email: chat.contact.email || '',
    phone: chat.contact.phone || '',
  }));
  const errors = chat.fieldErrors;
  // Server errors arrive later than the submit: send focus to the field they name.
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('[aria-invalid=true]')?.focus();
  }, [errors]);

  return (
    <form
      ref={form}
      class="hl-prechat"
      data-testid="hl-prechat"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        chat.submitPrechat(values);
      }}
    >
      <p>{t.prechatIntro}</p>
      {FIELDS.filter((field) => prechat[field] !== 'hidden').map((field) => {
        const error = errors[field];
        const required = prechat[field] === 'required';
        return (
          <label class="hl-field" key={field}>
            <span>
              {t[field]}
              {required ? ' *' : <small> ({t.optional})</small>}
            </span>
            <input
              data-testid={'hl-prechat-' + field}
              name={field}
              type={field === 'email' ? 'email' : field === 'phone' ? 'tel' : 'text'}
              autocomplete={field === 'phone' ? 'tel' : field}
              maxLength={field === 'email' ? 254 : 200}
              required={required}
              aria-invalid={error ? 'true' : 'false'}
              aria-describedby={error ? 'hl-error-' + field : undefined}
              value={values[field]}
              onInput={(event) => setValues({ ...values, [field]: event.currentTarget.value })}
            />
            {error && (
              <span class="hl-error" id={'hl-error-' + field} data-testid="hl-field-error" data-field={field}>
                {error}
              </span>
            )}
          </label>
        );
      })}
      <button type="submit" class="hl-primary" data-testid="hl-prechat-submit">
        {t.start}
      </button>
    </form>
  );
}

function Composer({ chat }: { chat: WidgetChat }) {
  const { t } = chat;
  const input = useRef<HTMLTextAreaElement>(null);
  // The draft survives a reload too: nothing typed is lost.
  const [draft, setDraftState] = useState(() => chat.storage.get('draft') || '');
  const setDraft = (text: string) => {
    setDraftState(text);
    chat.storage.set('draft', text || null);
  };
  // A message the server refused (too long, ...) comes back into an empty composer.
  useEffect(() => {
    if (!chat.returnedDraft) return;
    if (!draft.trim()) setDraft(chat.returnedDraft);
    chat.returnedDraft = '';
  });
  // Grow with the text up to the CSS max-height.
  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = el.scrollHeight + 2 + 'px';
  }, [draft]);

  const length = draft.trim().length;
  const submit = () => {
    if (chat.send(draft)) setDraft('');
    input.current?.focus();
  };
  return (
    <>
      <form
        class="hl-composer"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <textarea
          ref={input}
          class="hl-input"
          data-testid="hl-input"
          rows={1}
          aria-label={t.placeholder}
          placeholder={t.placeholder}
          aria-describedby="hl-count"
          value={draft}
          onInput={(event) => {
            const text = event.currentTarget.value;
            setDraft(text);
            chat.typed(text);
          }}
          onKeyDown={(event) => {
            // Enter sends, Shift+Enter is a new line; never while an IME is composing.
            if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
              event.preventDefault();
              submit();
            }
          }}
        />
        <button type="submit" class="hl-send" data-testid="hl-send" aria-label={t.send} title={t.send}>
          <Icon d={SEND_ICON} />
        </button>
      </form>
      <div class="hl-count" id="hl-count" data-over={length > MAX_BODY ? '' : undefined} hidden={length < MAX_BODY - 500} aria-live="polite">
        {length} / {MAX_BODY}
      </div>
    </>
  );
}
