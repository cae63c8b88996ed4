/**
 * The chat panel: `mount()` is what the launcher (widget.js) calls after importing this
 * module. Rendering only; the state and the server conversation live in state.ts.
 * Message text is always a text node (never innerHTML): whatever anyone writes shows literally.
 */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import css from './chat.css?inline';
import type { ComponentChildren } from 'preact';
import { Attachments, Uploads } from './attachments';
import { RatingCard } from './csat-card';
import { CLIP_ICON, CLOSE_ICON, Icon, MAIL_ICON, PHONE_ICON, SEND_ICON } from './icons';
import { queueText } from './queue';
import { FIELDS, MAX_BODY, WidgetChat, type Errors, type Field, type Message, type MountOptions } from './state';
import { Teaser } from './teaser';

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
  render(<Widget chat={chat} />, container);
  void chat.start();
  const handle: ChatHandle = { setOpen: (open) => chat.setOpen(open) };
  mounted.set(root, handle);
  return handle;
}

function Widget({ chat }: { chat: WidgetChat }) {
  const [, setVersion] = useState(0);
  // Subscribed during render, not in an effect: a fast answer (unknown site) must not slip
  // through before the effect runs.
  chat.onChange = () => setVersion((version) => version + 1);
  return (
    <>
      <Teaser chat={chat} />
      <Panel chat={chat} />
    </>
  );
}

/** Files dragged from the desktop onto the panel (not text or links dragged within the page). */
const draggingFiles = (event: DragEvent) => !!event.dataTransfer?.types.includes('Files');

function Panel({ chat }: { chat: WidgetChat }) {
  const panel = useRef<HTMLDivElement>(null);
  const [dropping, setDropping] = useState(false);
  const { t, site, sheet } = chat;
  const offlineForm = !!site && chat.offlineFormNeeded();

  // Opening moves focus into the panel (the composer, or the form's first field, or the
  // field a refusal names); so does switching between the conversation and a request form.
  useEffect(() => {
    const find = (selector: string) => panel.current?.querySelector<HTMLElement>(selector);
    if (chat.open) (find('[aria-invalid=true]') || find('input,textarea'))?.focus();
  }, [chat.open, !!site, chat.prechatNeeded, offlineForm, sheet]);

  if (chat.mode === 'hidden') return null;
  const close = () => {
    chat.setOpen(false);
    chat.options.onOpen?.(false);
  };
  const title = site?.title || site?.name || t.title;
  const state = chat.status === 'stopped' ? 'offline' : chat.status;
  const statusText =
    chat.status === 'open' ? (chat.mode === 'offline' ? t.offlineStatus : t.connected) : chat.status === 'connecting' ? t.connecting : chat.status === 'offline' ? t.offline : '';
  const live = site && chat.status !== 'stopped';
  const composing = live && !sheet && !chat.prechatNeeded && !offlineForm && !chat.undecided();
  const tool = (name: 'callback' | 'transcript', label: string, d: string) => (
    <button
      type="button"
      class="hl-tool"
      data-testid={`hl-${name}-open`}
      aria-label={label}
      title={label}
      aria-pressed={sheet === name ? 'true' : 'false'}
      onClick={() => chat.openSheet(sheet === name ? null : name)}
    >
      <Icon d={d} />
    </button>
  );

  return (
    <div
      ref={panel}
      class="hl-panel"
      data-testid="hl-panel"
      data-mode={chat.mode}
      data-size={site?.size || 'standard'}
      data-dropping={dropping ? 'true' : undefined}
      role="dialog"
      aria-label={title}
      lang={chat.lang}
      hidden={!chat.open}
      onKeyDown={(event) => event.key === 'Escape' && close()}
      // Files dropped on the panel are always taken, attached only where the composer is: left
      // alone, the browser would open the file in place of the visitor's page.
      onDragOver={(event) => {
        if (!draggingFiles(event)) return;
        event.preventDefault();
        event.dataTransfer!.dropEffect = composing ? 'copy' : 'none';
        setDropping(!!composing);
      }}
      onDragLeave={(event) => {
        if (!event.relatedTarget || !panel.current?.contains(event.relatedTarget as Node)) setDropping(false);
      }}
      onDrop={(event) => {
        setDropping(false);
        if (!draggingFiles(event)) return;
        event.preventDefault();
        if (composing) chat.attach([...event.dataTransfer!.files]);
      }}
    >
      <div class="hl-head">
        {site?.logo_url && <Logo src={site.logo_url} />}
        <div>
          <h2>{title}</h2>
          <span class="hl-status" data-testid="hl-status" data-state={state} data-mode={chat.mode}>
            {statusText}
          </span>
        </div>
        {live && site.callback && tool('callback', t.callbackOpen, PHONE_ICON)}
        {live && site.transcript && chat.currentConversation() && tool('transcript', t.transcriptOpen, MAIL_ICON)}
        <button type="button" class="hl-tool" data-testid="hl-close" aria-label={t.close} title={t.close} onClick={close}>
          <Icon d={CLOSE_ICON} />
        </button>
      </div>
      {live && sheet === 'callback' ? (
        <CallbackForm chat={chat} />
      ) : live && sheet === 'transcript' ? (
        <TranscriptForm chat={chat} />
      ) : (
        <>
          <Messages chat={chat} offlineForm={offlineForm} />
          {chat.queue && (
            <div class="hl-queue" data-testid="hl-queue" role="status">
              {queueText(chat.queue, t)}
            </div>
          )}
          {chat.agentTyping && (
            <div class="hl-typing" data-testid="hl-typing">
              {t.typing}
            </div>
          )}
        </>
      )}
      <div class="hl-notice" data-testid="hl-notice" role="status">
        {chat.status === 'stopped' ? t.unavailable : chat.notice}
      </div>
      {composing && (
        <>
          {chat.mode === 'offline' && !chat.offlineSent && chat.contact.email && (
            <div class="hl-note" data-testid="hl-offline-note">
              {t.offlineNote}
            </div>
          )}
          {site.typing_preview && (
            <div class="hl-note" data-testid="hl-preview-notice">
              {t.previewNotice}
            </div>
          )}
          <Composer chat={chat} />
        </>
      )}
      {dropping && (
        <div class="hl-drop" data-testid="hl-drop" aria-hidden="true">
          {t.dropHere}
        </div>
      )}
    </div>
  );
}

/** The site's logo in the header; gone if it does not load (a broken image is worse than none). */
function Logo({ src }: { src: string }) {
  const [failed, setFailed] = useState(false);
  useEffect(() => setFailed(false), [src]);
  return failed ? null : <img class="hl-logo" data-testid="hl-logo" src={src} alt="" onError={() => setFailed(true)} />;
}

function Messages({ chat, offlineForm }: { chat: WidgetChat; offlineForm: boolean }) {
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

  // An accepted invitation opens the new conversation: at the top, or after the history.
  const invitation = chat.invitation;
  const invitationLine = invitation && (
    <div class="hl-msg" key="invitation" data-testid="hl-invitation-line" data-author="agent">
      <div class="hl-bubble">{invitation.text}</div>
    </div>
  );
  const history = invitation ? messages.filter((message) => message.conversation_id! <= invitation.after).length : 0;

  const several = chat.conversations.size > 1;
  const items = [];
  let previous: Message | undefined;
  for (const message of messages) {
    if (history && items.length && messages.indexOf(message) === history) items.push(invitationLine);
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
    const conversation = conversationId ? chat.conversations.get(conversationId) : undefined;
    if (conversation && next?.conversation_id !== conversationId && conversation.status === 'resolved') {
      items.push(
        <div class="hl-divider" key={'r' + conversationId}>
          {t.resolved}
        </div>,
      );
      const card = chat.ratingCard(conversation);
      if (card) items.push(<RatingCard key={'csat' + conversationId} chat={chat} conversationId={conversation.id} card={card} />);
    }
  }
  if (history && history === messages.length) items.push(invitationLine);

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
      {!history && invitationLine}
      {site?.greeting && (
        <div class="hl-msg" data-testid="hl-greeting" data-author="agent">
          <div class="hl-bubble">{site.greeting}</div>
        </div>
      )}
      {items}
      {chat.status === 'stopped' ? null : offlineForm ? (
        <OfflineForm chat={chat} />
      ) : chat.offlineSent ? (
        <div class="hl-form hl-done" data-testid="hl-offline-thanks" role="status">
          {t.offlineThanks}
        </div>
      ) : (
        site && chat.prechatNeeded && <Prechat chat={chat} />
      )}
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
      <div class="hl-bubble" data-files={message.attachments?.length ? 'true' : undefined}>
        <div data-testid="hl-message-body" hidden={!message.body}>
          {message.body}
        </div>
        {!!message.attachments?.length && <Attachments files={message.attachments} chat={chat} />}
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

/** One labelled input (or textarea) of a form, with its error under it. */
function Input(props: {
  form: string;
  name: string;
  label: string;
  value: string;
  onValue(value: string): void;
  error?: string;
  required?: boolean;
  optional?: string;
  type?: string;
  autocomplete?: string;
  maxLength?: number;
  placeholder?: string;
  area?: boolean;
  onEnter?(): void;
}) {
  const { form, name, error } = props;
  const errorId = `hl-${form}-error-${name}`;
  const Tag = props.area ? 'textarea' : 'input';
  return (
    <label class="hl-field">
      <span>
        {props.label}
        {props.required ? ' *' : props.optional && <small> ({props.optional})</small>}
      </span>
      <Tag
        data-testid={`hl-${form}-${name}`}
        name={name}
        type={props.area ? undefined : props.type || 'text'}
        autocomplete={props.autocomplete}
        maxLength={props.maxLength || 200}
        placeholder={props.placeholder}
        rows={props.area ? 3 : undefined}
        required={props.required}
        aria-invalid={error ? 'true' : 'false'}
        aria-describedby={error ? errorId : undefined}
        value={props.value}
        onInput={(event) => props.onValue(event.currentTarget.value)}
        onKeyDown={(event: KeyboardEvent) => {
          // In the textarea as in the composer: Enter sends, Shift+Enter is a new line.
          if (props.onEnter && event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
            event.preventDefault();
            props.onEnter();
          }
        }}
      />
      {error && (
        <span class="hl-error" id={errorId} data-testid="hl-field-error" data-field={name}>
          {error}
        </span>
      )}
    </label>
  );
}

/** A form card: no browser validation bubbles (ours are translated), focus to the first error. */
function Form(props: {
  name: string;
  intro?: string;
  errors: Errors;
  submit: string;
  busy?: boolean;
  onSubmit(): void;
  /** Request forms have a way back to the conversation. */
  backTo?: WidgetChat;
  children: ComponentChildren;
}) {
  const form = useRef<HTMLFormElement>(null);
  // Server errors arrive later than the submit: send focus to the field they name.
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('[aria-invalid=true]')?.focus();
  }, [props.errors]);
  const t = props.backTo?.t;
  return (
    <form
      ref={form}
      class="hl-form"
      data-testid={props.name === 'prechat' ? 'hl-prechat' : `hl-${props.name}-form`}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!props.busy) props.onSubmit();
      }}
    >
      {props.intro && <p>{props.intro}</p>}
      {props.children}
      {props.errors.form && (
        <p class="hl-error" role="alert" data-testid="hl-form-error">
          {props.errors.form}
        </p>
      )}
      <button type="submit" class="hl-primary" data-testid={`hl-${props.name}-${props.name === 'prechat' ? 'submit' : 'send'}`} aria-disabled={props.busy ? 'true' : undefined}>
        {props.submit}
      </button>
      {t && (
        <button type="button" class="hl-link" data-testid="hl-back" onClick={() => props.backTo!.openSheet(null)}>
          {t.back}
        </button>
      )}
    </form>
  );
}

/** A form's values: the contact's fields, prefilled with what the server already knows, and `more`. */
function useContactValues<T extends string>(chat: WidgetChat, more: () => Record<T, string>) {
  return useState<Record<Field | T, string>>(() => ({
    name: chat.contact.name || '',
    email: chat.contact.email || '',
    phone: chat.contact.phone || '',
    ...more(),
  }));
}

function contactInput<V extends Record<Field, string>>(chat: WidgetChat, form: string, field: Field, values: V, set: (values: V) => void, required: boolean) {
  const { t } = chat;
  return (
    <Input
      key={field}
      form={form}
      name={field}
      label={t[field]}
      type={field === 'email' ? 'email' : field === 'phone' ? 'tel' : 'text'}
      autocomplete={field === 'phone' ? 'tel' : field}
      maxLength={field === 'email' ? 254 : 200}
      required={required}
      optional={t.optional}
      error={chat.fieldErrors[field]}
      value={values[field]}
      onValue={(value) => set({ ...values, [field]: value })}
    />
  );
}

function Prechat({ chat }: { chat: WidgetChat }) {
  const { t } = chat;
  const prechat = chat.site!.prechat;
  const [values, setValues] = useContactValues(chat, () => ({}));
  return (
    <Form name="prechat" intro={t.prechatIntro} errors={chat.fieldErrors} submit={t.start} onSubmit={() => chat.submitPrechat(values)}>
      {FIELDS.filter((field) => prechat[field] !== 'hidden').map((field) =>
        contactInput(chat, 'prechat', field, values, setValues, prechat[field] === 'required'),
      )}
    </Form>
  );
}

/**
 * No operator is available and the visitor has no open conversation: name, e-mail (the
 * answer goes there) and the question. A phone only when the site requires one.
 */
function OfflineForm({ chat }: { chat: WidgetChat }) {
  const { t } = chat;
  const prechat = chat.site!.prechat;
  const [values, setValues] = useContactValues(chat, () => ({ question: chat.takeOfflineDraft() }));
  const submit = () => chat.submitOffline(values);
  return (
    <Form name="offline" intro={chat.site!.offline_text || t.offlineText} errors={chat.fieldErrors} submit={t.leave} onSubmit={submit}>
      {prechat.name !== 'hidden' && contactInput(chat, 'offline', 'name', values, setValues, prechat.name === 'required')}
      {contactInput(chat, 'offline', 'email', values, setValues, true)}
      {prechat.phone === 'required' && contactInput(chat, 'offline', 'phone', values, setValues, true)}
      <Input
        form="offline"
        name="question"
        label={t.question}
        area
        required
        maxLength={MAX_BODY}
        error={chat.fieldErrors.question}
        value={values.question}
        onValue={(question) => setValues({ ...values, question })}
        onEnter={submit}
      />
    </Form>
  );
}

/** A confirmation in place of a request form; focused, so a screen reader says it. */
function Done({ chat, name, text }: { chat: WidgetChat; name: string; text: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.focus(), []);
  return (
    <div class="hl-sheet">
      <div ref={box} class="hl-form hl-done" data-testid={`hl-${name}-done`} role="status" tabIndex={-1}>
        <p>{text}</p>
        <button type="button" class="hl-primary" data-testid="hl-back" onClick={() => chat.openSheet(null)}>
          {chat.t.back}
        </button>
      </div>
    </div>
  );
}

function CallbackForm({ chat }: { chat: WidgetChat }) {
  const { t } = chat;
  const [values, setValues] = useContactValues(chat, () => ({ time: '' }));
  if (chat.callback === 'done') return <Done chat={chat} name="callback" text={t.callbackDone} />;
  const busy = chat.callback === 'sending';
  const errors = chat.callbackErrors;
  const input = (name: 'phone' | 'name' | 'time', label: string, more: object) => (
    <Input
      form="callback"
      name={name}
      label={label}
      optional={t.optional}
      error={errors[name]}
      value={values[name]}
      onValue={(value) => setValues({ ...values, [name]: value })}
      {...more}
    />
  );
  return (
    <div class="hl-sheet">
      <Form name="callback" intro={t.callbackIntro} errors={errors} submit={busy ? t.sending : t.callbackSend} busy={busy} onSubmit={() => chat.submitCallback(values)} backTo={chat}>
        {input('phone', t.phone, { type: 'tel', autocomplete: 'tel', required: true, maxLength: 40 })}
        {input('name', t.name, { autocomplete: 'name' })}
        {input('time', t.time, { maxLength: 100, placeholder: t.timeHint })}
      </Form>
    </div>
  );
}

function TranscriptForm({ chat }: { chat: WidgetChat }) {
  const { t } = chat;
  const [email, setEmail] = useState(chat.contact.email || '');
  if (chat.transcript === 'done') return <Done chat={chat} name="transcript" text={t.transcriptDone} />;
  const busy = chat.transcript === 'sending';
  return (
    <div class="hl-sheet">
      <Form name="transcript" intro={t.transcriptIntro} errors={chat.transcriptErrors} submit={busy ? t.sending : t.transcriptSend} busy={busy} onSubmit={() => chat.submitTranscript(email)} backTo={chat}>
        <Input
          form="transcript"
          name="email"
          label={t.email}
          type="email"
          autocomplete="email"
          maxLength={254}
          required
          error={chat.transcriptErrors.email}
          value={email}
          onValue={setEmail}
        />
      </Form>
    </div>
  );
}

function Composer({ chat }: { chat: WidgetChat }) {
  const { t } = chat;
  const input = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
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
      <Uploads chat={chat} />
      <form
        class="hl-composer"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          data-testid="hl-file-input"
          onChange={(event) => {
            chat.attach([...(event.currentTarget.files || [])]);
            event.currentTarget.value = ''; // the same file may be picked again
          }}
        />
        <button type="button" class="hl-tool hl-attach" data-testid="hl-attach" aria-label={t.attach} title={t.attach} onClick={() => picker.current?.click()}>
          <Icon d={CLIP_ICON} />
        </button>
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
          onPaste={(event) => {
            // A screenshot pasted: attach it. Not when there is text too (a spreadsheet's cells
            // come as text and as a picture of them; the text is what was meant).
            const data = event.clipboardData;
            if (!data?.files.length || data.types.includes('text/plain')) return;
            event.preventDefault();
            chat.attach([...data.files]);
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
