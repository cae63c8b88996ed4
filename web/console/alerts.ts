/**
 * Telling the agent something new arrived: a short beep made with WebAudio (no audio file to
 * load) and a browser notification when permission was granted. Permission is asked once,
 * after the first click (browsers refuse or penalise prompts without a user gesture), and the
 * AudioContext is unlocked by that same click.
 */

const SOUND_KEY = 'helpline.console.sound';
let audio: AudioContext | null = null;
let primed = false;

export function soundEnabled(): boolean {
  try {
    return localStorage.getItem(SOUND_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function setSoundEnabled(on: boolean): void {
  try {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  } catch {
    /* storage blocked */
  }
}

function audioContext(): AudioContext | null {
  if (audio) return audio;
  const Ctor: typeof AudioContext | undefined = (window as any).AudioContext || (window as any).webkitAudioContext;
  if (!Ctor) return null;
  try {
    audio = new Ctor();
  } catch {
    audio = null;
  }
  return audio;
}

/** Installs the one-time first-click hook: unlock audio, ask for notification permission. */
export function primeOnFirstClick(): void {
  if (primed) return;
  primed = true;
  const onClick = () => {
    removeEventListener('click', onClick, true);
    void audioContext()?.resume().catch(() => {});
    if (typeof Notification !== 'undefined' && Notification.permission === 'default') {
      Notification.requestPermission().catch(() => {});
    }
  };
  addEventListener('click', onClick, true);
}

/** Two short tones, about a third of a second. */
export function beep(): void {
  if (!soundEnabled()) return;
  const ctx = audioContext();
  if (!ctx) return;
  if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
  const start = ctx.currentTime + 0.01;
  const gain = ctx.createGain();
  gain.connect(ctx.destination);
  gain.gain.setValueAtTime(0.0001, start);
  [880, 1175].forEach((frequency, index) => {
    const at = start + index * 0.16;
    const tone = ctx.createOscillator();
    tone.type = 'sine';
    tone.frequency.setValueAtTime(frequency, at);
    tone.connect(gain);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.14);
    tone.start(at);
    tone.stop(at + 0.15);
  });
}

/** Shows a notification if allowed; clicking it focuses the console and calls `onClick`. */
export function notify(title: string, body: string, tag: string, onClick?: () => void): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    const note = new Notification(title, { body: body.slice(0, 200), tag, icon: undefined });
    note.onclick = () => {
      window.focus();
      onClick?.();
      note.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}

const BURST_MS = 10_000;
const BURST_SIZE = 3;
const FOLD_MS = 5_000;
// conversation.created comes before the event of the first message (same transaction), so
// the notification waits a moment to show what the customer wrote.
const FIRST_MESSAGE_MS = 250;

export interface NewConversationText {
  /** Title and body for one conversation, asked for when the notification is shown. */
  describe(id: number): { title: string; body: string };
  /** Title for a folded burst of `count` conversations. */
  summary(count: number): string;
  /** The agent clicked the notification of this conversation. */
  open(id: number): void;
}

/**
 * One beep and one notification per new conversation, never twice for the same one. A burst
 * (say, many conversations replayed after a reconnect) is folded into one summary so the
 * agent is not flooded.
 */
export class NewConversationAlerts {
  private readonly seen = new Set<number>();
  private recent: number[] = [];
  private folded = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly text: NewConversationText) {}

  created(id: number): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const now = Date.now();
    this.recent = this.recent.filter((at) => now - at < BURST_MS);
    if (this.recent.length >= BURST_SIZE) {
      this.folded++;
      this.timer ??= setTimeout(() => this.flush(), FOLD_MS);
      return;
    }
    this.recent.push(now);
    beep();
    setTimeout(() => {
      const { title, body } = this.text.describe(id);
      notify(title, body, `helpline-conversation-${id}`, () => this.text.open(id));
    }, FIRST_MESSAGE_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const count = this.folded;
    this.folded = 0;
    if (count) {
      beep();
      notify(this.text.summary(count), '', 'helpline-new-conversations');
    }
  }
}

const alerted = new Set<string>();

/**
 * One beep and one notification for a piece of news about one conversation (say, it was
 * transferred to this agent), never twice for the same `tag`: a replayed event stays quiet.
 */
export function alertOnce(title: string, body: string, tag: string, onClick?: () => void): void {
  if (alerted.has(tag)) return;
  alerted.add(tag);
  beep();
  notify(title, body, tag, onClick);
}
