/**
 * The composer's canned-response picker. Typing `/` at the start of a word opens it, and what
 * follows filters by shortcut and title; Alt+C opens it too (by typing that `/` for the
 * agent). ↑/↓ move, Enter or Tab choose, Esc closes. Choosing asks the server for the text
 * with its placeholders filled for this conversation and puts it in place of `/query`, where
 * the agent can edit it: nothing is sent until they send it.
 */
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { searchCanned } from './canned';
import { preview } from './format';
import type { Store } from './store';
import type { Canned, Conversation } from './types';

/** Custom event the Alt+C hotkey dispatches on the composer. */
export const OPEN_CANNED_EVENT = 'helpline:canned';
const MAX_SHOWN = 8;
// `/` at the start of a word, then the shortcut typed so far (any alphabet, digits, _ and -).
const TRIGGER = /(?:^|\s)\/([\p{L}\p{N}_-]*)$/u;

interface Open {
  /** Index of the `/` in the text. */
  start: number;
  query: string;
  /** Where the hotkey's insertion (`/` or ` /`) began: Esc with nothing typed takes it back out. */
  hotkeyFrom: number | null;
}

export interface CannedPicker {
  /** Rendered above the composer's textarea (null when closed). */
  element: preact.JSX.Element | null;
  /** The textarea's keydown; true when the picker used the key. */
  onKeyDown(event: KeyboardEvent): boolean;
  /** After input or a caret move: open, filter or close by the text before the caret. */
  sync(): void;
}

export function useCannedPicker(s: Store, c: Conversation, area: RefObject<HTMLTextAreaElement>, update: (value: string) => void): CannedPicker {
  const t = s.t;
  const [open, setOpen] = useState<Open | null>(null);
  const [active, setActive] = useState(0);
  const [inserting, setInserting] = useState(false);
  const listRef = useRef<HTMLUListElement>(null);
  const matches = open ? searchCanned(s.canned.items, open.query).slice(0, MAX_SHOWN) : [];

  const sync = (hotkeyFrom: number | null = null) => {
    const el = area.current;
    if (!el || el.selectionStart !== el.selectionEnd) return setOpen(null);
    const match = TRIGGER.exec(el.value.slice(0, el.selectionStart));
    if (!match) return setOpen(null);
    const start = el.selectionStart - match[1].length - 1;
    setOpen((before) => {
      if (!before || before.start !== start) {
        setActive(0);
        s.canned.refreshIfStale();
      }
      return { start, query: match[1], hotkeyFrom: hotkeyFrom ?? (before?.start === start ? before.hotkeyFrom : null) };
    });
  };

  // Alt+C: type the `/` for the agent (after a space when it would join a word).
  useEffect(() => {
    const el = area.current;
    if (!el) return;
    const onOpen = () => {
      el.focus();
      const at = el.selectionStart;
      const before = el.value.slice(0, at);
      const slash = before && !/\s$/.test(before) ? ' /' : '/';
      const value = before + slash + el.value.slice(el.selectionEnd);
      update(value);
      el.value = value;
      el.setSelectionRange(at + slash.length, at + slash.length);
      sync(at);
    };
    el.addEventListener(OPEN_CANNED_EVENT, onOpen);
    return () => el.removeEventListener(OPEN_CANNED_EVENT, onOpen);
  });

  useEffect(() => {
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [active, open?.query]);

  const close = () => {
    const el = area.current;
    if (open && open.hotkeyFrom !== null && !open.query && el && el.value[open.start] === '/') {
      // Take back what the hotkey typed.
      const from = open.hotkeyFrom;
      const value = el.value.slice(0, from) + el.value.slice(open.start + 1);
      update(value);
      el.value = value;
      el.setSelectionRange(from, from);
    }
    setOpen(null);
  };

  const choose = async (item: Canned) => {
    const el = area.current;
    if (!el || !open || inserting) return;
    const token = `/${open.query}`;
    setInserting(true);
    let body: string;
    try {
      body = await s.canned.render(c.id, item.id);
    } catch (error) {
      s.showToast(s.errorText(error));
      setInserting(false);
      return;
    }
    setInserting(false);
    setOpen(null);
    // The text may have changed while the server answered: replace `/query` if it is still
    // where it was, else insert at the caret.
    const text = el.value;
    const [from, to] = text.slice(open.start, open.start + token.length) === token ? [open.start, open.start + token.length] : [el.selectionStart, el.selectionEnd];
    const value = text.slice(0, from) + body + text.slice(to);
    update(value);
    el.value = value;
    el.focus();
    el.setSelectionRange(from + body.length, from + body.length);
  };

  const onKeyDown = (event: KeyboardEvent): boolean => {
    if (!open || event.isComposing) return false;
    if (event.key === 'Escape') {
      close();
      return true;
    }
    if (!matches.length) return false;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((active + step + matches.length) % matches.length);
      return true;
    }
    if ((event.key === 'Enter' && !event.shiftKey) || (event.key === 'Tab' && !event.shiftKey)) {
      void choose(matches[Math.min(active, matches.length - 1)]);
      return true;
    }
    return false;
  };

  const element = open ? (
    <div class="cn-canned-picker" data-testid="cn-canned-picker" data-query={open.query}>
      <div class="cn-canned-head">
        <span>{t('cannedTitle')}</span>
        <small class="cn-muted">{t('cannedPickerHint')}</small>
      </div>
      {matches.length > 0 ? (
        <ul ref={listRef} role="listbox" aria-label={t('cannedTitle')}>
          {matches.map((item, index) => (
            <li
              key={item.id}
              role="option"
              aria-selected={index === active}
              class={`cn-canned-option${index === active ? ' is-active' : ''}`}
              data-testid="cn-canned-option"
              data-shortcut={item.shortcut}
              data-id={item.id}
              onMouseDown={(event) => {
                event.preventDefault(); // keep the caret in the composer
                void choose(item);
              }}
              onMouseEnter={() => setActive(index)}
            >
              <span class="cn-canned-top">
                <b>/{item.shortcut}</b>
                <span class="cn-canned-title">{item.title}</span>
                {item.scope === 'shared' && <span class="cn-badge">{t('cannedShared')}</span>}
              </span>
              <span class="cn-canned-body">{preview(item.body, 120)}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="cn-canned-empty cn-muted" data-testid="cn-canned-empty">
          {s.canned.loading && !s.canned.loaded ? t('loading') : t('cannedNoMatch')}
        </p>
      )}
      {inserting && <div class="cn-canned-busy">{t('cannedInserting')}</div>}
    </div>
  ) : null;

  return { element, onKeyDown, sync: () => sync() };
}
