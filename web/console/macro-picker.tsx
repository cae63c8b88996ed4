/**
 * The composer's macro picker: the "Macros" button (or Alt+Q) opens a list above the reply box,
 * filtered as the agent types; ↑/↓ move, Enter applies, Esc closes. Applying runs the macro's
 * actions on the server (all or nothing) and puts its reply, filled in for this customer,
 * where the caret was — editable, never sent by itself.
 */
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { preview } from './format';
import type { StringKey } from './i18n';
import { searchMacros, type Macro, type MacroAction } from './macros';
import type { Store } from './store';
import type { Conversation } from './types';

/** Custom event the Alt+Q hotkey dispatches on the composer. */
export const OPEN_MACROS_EVENT = 'helpline:macros';
const MAX_SHOWN = 10;

export interface MacroPicker {
  button: preact.JSX.Element;
  /** Rendered above the composer's textarea (null when closed). */
  element: preact.JSX.Element | null;
}

export function useMacroPicker(s: Store, c: Conversation, area: RefObject<HTMLTextAreaElement>, update: (value: string) => void): MacroPicker {
  const t = s.t;
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const caret = useRef<[number, number] | null>(null);
  const search = useRef<HTMLInputElement>(null);
  const busy = s.busy.has(`macro:${c.id}`);
  const matches = open ? searchMacros(s.macros.items, query).slice(0, MAX_SHOWN) : [];

  const show = () => {
    const el = area.current;
    caret.current = el ? [el.selectionStart, el.selectionEnd] : null;
    setQuery('');
    setActive(0);
    setOpen(true);
    if (!s.macros.loaded) void s.macros.load();
    else s.macros.refreshIfStale();
  };
  const close = (refocus = true) => {
    setOpen(false);
    if (refocus) area.current?.focus();
  };

  useEffect(() => {
    if (open) search.current?.focus();
  }, [open]);
  // Alt+Q: the hotkey asks the composer to open it.
  useEffect(() => {
    const el = area.current;
    if (!el) return;
    const onOpen = () => show();
    el.addEventListener(OPEN_MACROS_EVENT, onOpen);
    return () => el.removeEventListener(OPEN_MACROS_EVENT, onOpen);
  });

  const choose = async (macro: Macro) => {
    if (busy) return;
    const reply = await s.macros.apply(c.id, macro);
    if (reply === undefined) return; // refused: nothing changed, the toast says why
    close(false);
    const el = area.current;
    if (!el) return;
    if (reply) {
      const text = el.value;
      const [from, to] = caret.current && caret.current[1] <= text.length ? caret.current : [text.length, text.length];
      // Into an empty box as it is; after text that does not end a line, on a line of its own.
      const before = text.slice(0, from);
      const joint = before && !/\n$/.test(before) && from === text.length ? '\n' : '';
      const value = before + joint + reply + text.slice(to);
      update(value);
      el.value = value;
      const at = from + joint.length + reply.length;
      el.focus();
      el.setSelectionRange(at, at);
    } else el.focus();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.isComposing) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (matches.length) setActive((active + (event.key === 'ArrowDown' ? 1 : -1) + matches.length) % matches.length);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (matches.length) void choose(matches[Math.min(active, matches.length - 1)]);
    }
  };

  const button = (
    <button
      type="button"
      class="cn-note-toggle cn-macros-toggle"
      data-testid="cn-macros"
      aria-expanded={open}
      aria-haspopup="listbox"
      title={`${t('macrosTitle')} (Alt+Q)`}
      onClick={() => (open ? close() : show())}
    >
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <path d="M13 2 4 14h7l-1 8 9-12h-7z" class="cn-stroke" />
      </svg>
      {t('macrosTitle')}
    </button>
  );

  const element = open ? (
    <div
      class="cn-canned-picker cn-macro-picker"
      data-testid="cn-macro-picker"
      onKeyDown={onKeyDown}
      onFocusOut={(event) => {
        // Closed when the focus leaves it (its own button toggles it by itself).
        const next = event.relatedTarget as HTMLElement | null;
        if (!next || (!(event.currentTarget as HTMLElement).contains(next) && !next.closest?.('[data-testid=cn-macros]'))) close(false);
      }}
    >
      <div class="cn-canned-head">
        <span>{t('macrosTitle')}</span>
        <small class="cn-muted">{t('macroPickerHint')}</small>
      </div>
      <input
        ref={search}
        type="search"
        class="cn-macro-search"
        data-testid="cn-macro-search"
        placeholder={t('macroSearch')}
        aria-label={t('macroSearch')}
        value={query}
        onInput={(e) => {
          setQuery((e.currentTarget as HTMLInputElement).value);
          setActive(0);
        }}
      />
      {matches.length > 0 ? (
        <ul role="listbox" aria-label={t('macrosTitle')}>
          {matches.map((macro, index) => (
            <li
              key={macro.id}
              role="option"
              aria-selected={index === active}
              class={`cn-canned-option${index === active ? ' is-active' : ''}`}
              data-testid="cn-macro-option"
              data-id={macro.id}
              data-name={macro.name}
              onMouseDown={(event) => {
                event.preventDefault(); // the focus stays in the picker until it is done
                void choose(macro);
              }}
              onMouseEnter={() => setActive(index)}
            >
              <span class="cn-canned-top">
                <span class="cn-canned-title">
                  <b>{macro.name}</b>
                </span>
                {macro.shared && <span class="cn-badge">{t('cannedShared')}</span>}
              </span>
              <span class="cn-canned-body">{macroSummary(s, macro) || preview(macro.reply, 120)}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="cn-canned-empty cn-muted" data-testid="cn-macro-empty">
          {s.macros.loading && !s.macros.loaded ? t('loading') : s.macros.items.length ? t('macroNoMatch') : t('macrosNone')}{' '}
          <a
            href="/console/macros"
            onMouseDown={(event) => event.preventDefault()}
            onClick={(event) => {
              event.preventDefault();
              s.navigate({ page: 'macros' });
            }}
          >
            {t('macrosManage')}
          </a>
        </p>
      )}
      {busy && <div class="cn-canned-busy">{t('macroApplying')}</div>}
    </div>
  ) : null;

  return { button, element };
}

/** "Priority: High · Tags +vip · Status: Waiting for customer". */
export function macroSummary(s: Store, macro: Macro): string {
  return macro.actions.map((action) => macroActionText(s, action)).join(' · ');
}

function macroActionText(s: Store, action: MacroAction): string {
  const t = s.t;
  const value = action.value;
  const list = Array.isArray(value) ? value.join(', ') : String(value ?? '');
  switch (action.type) {
    case 'set_priority':
      return `${t('priority')}: ${t(`priority_${value}` as StringKey)}`;
    case 'set_category':
      return `${t('category')}: ${value === null ? t('noCategory') : s.taxonomy.categoryPath(Number(value)) || `#${value}`}`;
    case 'add_tags':
      return `${t('tags')} +${list}`;
    case 'remove_tags':
      return `${t('tags')} −${list}`;
    case 'set_status':
      return `${t('status')}: ${t(`status_${value}` as StringKey)}`;
    case 'assign':
      return `${t('assignee')}: ${value === 'me' ? t('macroAssignMe') : value === null ? t('unassigned') : s.team.byId(Number(value))?.name || `#${value}`}`;
    case 'set_team':
      return `${t('monitorTeam')}: ${s.teams.byId(Number(value))?.name || `#${value}`}`;
    case 'set_field':
      return `${s.taxonomy.field(action.key || '')?.label || action.key} = ${value ?? '—'}`;
    default:
      return action.type;
  }
}
