/**
 * The note composer's agent picker: typing `@` at the start of a word (in note mode only: the
 * customer never sees mentions) opens it, what follows filters the agents by name, ↑/↓ move,
 * Enter or Tab insert `@NameWithoutSpaces `, Esc closes.
 */
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { handleOf, searchAgents } from './mentions';
import type { Store } from './store';
import type { Agent } from './types';
import { PresenceDot } from './ui';

const MAX_SHOWN = 8;
const TRIGGER = /(?:^|\s)@([\p{L}\p{N}_.+-]*)$/u;

export interface MentionPicker {
  element: preact.JSX.Element | null;
  onKeyDown(event: KeyboardEvent): boolean;
  sync(): void;
}

export function useMentionPicker(s: Store, enabled: boolean, area: RefObject<HTMLTextAreaElement>, update: (value: string) => void): MentionPicker {
  const t = s.t;
  const [open, setOpen] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLUListElement>(null);
  const matches = open ? searchAgents(s.team.list, open.query, s.me?.id).slice(0, MAX_SHOWN) : [];

  useEffect(() => {
    if (!enabled) setOpen(null);
  }, [enabled]);
  useEffect(() => {
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [active, open?.query]);

  const sync = () => {
    const el = area.current;
    if (!enabled || !el || el.selectionStart !== el.selectionEnd) return setOpen(null);
    const match = TRIGGER.exec(el.value.slice(0, el.selectionStart));
    if (!match) return setOpen(null);
    const start = el.selectionStart - match[1].length - 1;
    setOpen((before) => {
      if (!before || before.start !== start) {
        setActive(0);
        if (!s.team.loaded) void s.team.load();
      }
      return { start, query: match[1] };
    });
  };

  const choose = (agent: Agent) => {
    const el = area.current;
    if (!el || !open) return;
    const token = `@${open.query}`;
    const text = el.value;
    const at = text.slice(open.start, open.start + token.length) === token ? open.start : el.selectionStart;
    const end = at === open.start ? open.start + token.length : el.selectionEnd;
    const insert = `@${handleOf(agent)} `;
    const value = text.slice(0, at) + insert + text.slice(end).replace(/^ /, '');
    update(value);
    el.value = value;
    el.focus();
    el.setSelectionRange(at + insert.length, at + insert.length);
    setOpen(null);
  };

  const onKeyDown = (event: KeyboardEvent): boolean => {
    if (!open || event.isComposing) return false;
    if (event.key === 'Escape') {
      setOpen(null);
      return true;
    }
    if (!matches.length) return false;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      setActive((active + (event.key === 'ArrowDown' ? 1 : -1) + matches.length) % matches.length);
      return true;
    }
    if ((event.key === 'Enter' || event.key === 'Tab') && !event.shiftKey) {
      choose(matches[Math.min(active, matches.length - 1)]);
      return true;
    }
    return false;
  };

  const element = open ? (
    <div class="cn-canned-picker cn-mention-picker" data-testid="cn-mention-picker" data-query={open.query}>
      <div class="cn-canned-head">
        <span>{t('mentionTitle')}</span>
        <small class="cn-muted">{t('cannedPickerHint')}</small>
      </div>
      {matches.length > 0 ? (
        <ul ref={listRef} role="listbox" aria-label={t('mentionTitle')}>
          {matches.map((agent, index) => (
            <li
              key={agent.id}
              role="option"
              aria-selected={index === active}
              class={`cn-canned-option cn-mention-option${index === active ? ' is-active' : ''}`}
              data-testid="cn-mention-option"
              data-id={agent.id}
              data-handle={handleOf(agent)}
              onMouseDown={(event) => {
                event.preventDefault(); // keep the caret in the composer
                choose(agent);
              }}
              onMouseEnter={() => setActive(index)}
            >
              <span class="cn-canned-top">
                <PresenceDot status={agent.status} t={t} />
                <span class="cn-canned-title">{agent.name}</span>
                <b>@{handleOf(agent)}</b>
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="cn-canned-empty cn-muted" data-testid="cn-mention-empty">
          {s.team.loaded ? t('mentionNoMatch') : t('loading')}
        </p>
      )}
    </div>
  ) : null;

  return { element, onKeyDown, sync };
}
