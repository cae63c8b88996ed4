/**
 * The console's keyboard shortcuts: one table both runs them and lists them in the `?` help,
 * so the help cannot name a key that does nothing. Alt combinations work everywhere, also
 * while typing; single keys only outside text fields. Keys are matched by their physical
 * position (`event.code`), so they work in any keyboard layout (j is j on a Russian one too).
 * Alt+letters avoid the ones browsers use for their menus (D, E, F; Firefox: B, H, S, T, V).
 *
 * Rows without `run` are handled where they apply (the composer, dialogs) and are listed here
 * so the help is complete.
 */
import { OPEN_CANNED_EVENT } from './canned-picker';
import { OPEN_MACROS_EVENT } from './macro-picker';
import type { StringKey } from './i18n';
import type { Store } from './store';
import { isSupervisor } from './supervisor';
import { VIEWS } from './types';

export interface HotkeyContext {
  s: Store;
  /** The conversation on screen, if any. */
  openId: number | null;
  toggleHelp(): void;
}

export interface Hotkey {
  keys: string;
  what: StringKey;
  /** Only Alt combinations: single keys would be typed into text fields. */
  alt?: boolean;
  match?(event: KeyboardEvent): boolean;
  run?(ctx: HotkeyContext, event: KeyboardEvent): void;
  /** Only for some roles: others neither see it in the help nor get it. */
  available?(s: Store): boolean;
}

const plain = (event: KeyboardEvent) => !event.altKey && !event.ctrlKey && !event.metaKey;
const alt = (code: string) => (event: KeyboardEvent) => event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.code === code;
const composer = () => document.querySelector<HTMLTextAreaElement>('[data-testid="cn-composer"]');

export const HOTKEYS: readonly Hotkey[] = [
  {
    keys: 'Alt+↓ / Alt+↑',
    what: 'kbdNextPrev',
    alt: true,
    match: (e) => e.altKey && !e.ctrlKey && !e.metaKey && (e.code === 'ArrowDown' || e.code === 'ArrowUp'),
    run: ({ s }, e) => s.step(e.code === 'ArrowDown' ? 1 : -1),
  },
  {
    keys: 'j / k',
    what: 'kbdNextPrev',
    match: (e) => plain(e) && !e.shiftKey && (e.code === 'KeyJ' || e.code === 'KeyK'),
    run: ({ s }, e) => s.step(e.code === 'KeyJ' ? 1 : -1, false),
  },
  {
    keys: 'Alt+1 / 2 / 3',
    what: 'kbdTabs',
    alt: true,
    match: (e) => e.altKey && !e.ctrlKey && !e.metaKey && /^Digit[1-3]$/.test(e.code),
    run: ({ s }, e) => s.setView(VIEWS[Number(e.code.slice(-1)) - 1]),
  },
  {
    keys: 'Alt+M',
    what: 'kbdMonitor',
    alt: true,
    available: (s) => isSupervisor(s.me),
    match: alt('KeyM'),
    run: ({ s }) => s.navigate({ page: 'monitor' }),
  },
  {
    keys: 'r',
    what: 'kbdFocus',
    match: (e) => plain(e) && !e.shiftKey && e.code === 'KeyR',
    run: ({ openId }) => {
      if (openId) composer()?.focus();
    },
  },
  { keys: 'Enter', what: 'kbdSend' },
  { keys: '/', what: 'kbdCannedSlash' },
  {
    keys: 'Alt+C',
    what: 'kbdCanned',
    alt: true,
    match: alt('KeyC'),
    run: ({ openId }) => {
      if (openId) composer()?.dispatchEvent(new CustomEvent(OPEN_CANNED_EVENT));
    },
  },
  {
    keys: 'Alt+Q',
    what: 'kbdMacros',
    alt: true,
    match: alt('KeyQ'),
    run: ({ openId }) => {
      if (openId) composer()?.dispatchEvent(new CustomEvent(OPEN_MACROS_EVENT));
    },
  },
  {
    keys: 'Alt+N',
    what: 'kbdNote',
    alt: true,
    match: alt('KeyN'),
    run: ({ s, openId }) => {
      if (!openId) return;
      s.toggleComposerMode(openId, 'note');
      composer()?.focus();
    },
  },
  {
    keys: 'Alt+W',
    what: 'kbdWhisper',
    alt: true,
    available: (s) => isSupervisor(s.me),
    match: alt('KeyW'),
    run: ({ s, openId }) => {
      if (!openId) return;
      s.toggleComposerMode(openId, 'whisper');
      composer()?.focus();
    },
  },
  {
    keys: 'Alt+A',
    what: 'kbdAssign',
    alt: true,
    match: alt('KeyA'),
    run: ({ s, openId }) => {
      if (openId) void s.assignToMe(openId);
    },
  },
  {
    keys: 'Alt+R',
    what: 'kbdResolve',
    alt: true,
    match: alt('KeyR'),
    run: ({ s, openId }) => {
      const conversation = openId ? s.convs.get(openId) : undefined;
      // As the header's button: resolved ones reopen; closed is final.
      if (!conversation || conversation.status === 'closed') return;
      void (conversation.status === 'resolved' ? s.reopen(conversation.id) : s.resolve(conversation.id));
    },
  },
  {
    keys: 'Alt+X',
    what: 'kbdTransfer',
    alt: true,
    match: alt('KeyX'),
    run: ({ s, openId }) => {
      const conversation = openId ? s.convs.get(openId) : undefined;
      if (conversation && s.canTransfer(conversation)) s.openTransfer(conversation.id);
    },
  },
  { keys: 'Esc', what: 'kbdEscape' },
  {
    keys: '?',
    what: 'kbdHelp',
    match: (e) => !e.altKey && !e.ctrlKey && !e.metaKey && e.key === '?',
    run: (ctx) => ctx.toggleHelp(),
  },
];

const isTypingTarget = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));

/** The shortcuts this agent has (and the help lists). */
export function hotkeysFor(s: Store): Hotkey[] {
  return HOTKEYS.filter((hotkey) => !hotkey.available || hotkey.available(s));
}

/** Runs the shortcut of a page-wide keydown, if it is one; returns whether it did. */
export function handleHotkey(event: KeyboardEvent, ctx: HotkeyContext): boolean {
  if (event.defaultPrevented || event.isComposing) return false;
  const typing = isTypingTarget(event.target);
  for (const hotkey of hotkeysFor(ctx.s)) {
    if (!hotkey.run || !hotkey.match?.(event)) continue;
    if (typing && !hotkey.alt) return false;
    hotkey.run(ctx, event);
    event.preventDefault();
    return true;
  }
  return false;
}
