/**
 * The inbox list's filter bar: search, the filters (status, priority, tags, category, assignee,
 * team, channel, SLA, creation dates), the order, and saved views — applying one, saving the
 * current filters as one (supervisors and admins may share it), deleting one's own.
 *
 * "Assigned to me" and "unassigned" are the tabs, so choosing them as the assignee switches the
 * tab; a saved view remembers its tab.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FieldErrors } from './host';
import type { Translate } from './i18n';
import { cleanTag, DEFAULT_FILTER, filterKey, fromSaved, narrowingCount, toSaved, type Filter } from './inbox-filter';
import type { Store } from './store';
import { treeOrder } from './taxonomy';
import { PRIORITIES, SLA_STATES, SORTS, STATUSES, type Conversation, type SavedView, type View } from './types';
import { FieldError, Modal } from './ui';

/** The channels a conversation can come through (docs/DESIGN: one conversation, any channel). */
export const CHANNELS = ['web', 'email', 'telegram', 'vk', 'viber', 'whatsapp', 'phone', 'form'] as const;
/** Typing in the search box asks the server once the typing pauses. */
const SEARCH_PAUSE_MS = 400;

interface BarProps {
  s: Store;
  view: View;
  rows: Conversation[];
  selected: number[];
  loading: boolean;
}

export function FilterBar({ s, view, rows, selected, loading }: BarProps) {
  const t = s.t;
  const filter = s.inbox.filter;
  const [open, setOpen] = useState(false);
  const [saving, setSaving] = useState(false);
  const narrowing = narrowingCount(filter);
  const all = rows.length > 0 && selected.length === rows.length;
  const some = selected.length > 0 && !all;

  return (
    <div class="cn-filterbar" data-testid="cn-filter-bar">
      <div class="cn-listbar">
        <input
          type="checkbox"
          class="cn-row-check"
          data-testid="cn-select-all"
          aria-label={t('selectAllOnPage')}
          title={t('selectAllOnPage')}
          checked={all}
          disabled={!rows.length}
          ref={(el) => {
            if (el) el.indeterminate = some;
          }}
          onChange={(e) => s.inbox.selectAll(rows.map((c) => c.id), (e.currentTarget as HTMLInputElement).checked)}
        />
        <SearchBox s={s} />
        <button
          type="button"
          class={`cn-btn cn-btn-small cn-filters-toggle${narrowing ? ' is-active' : ''}`}
          data-testid="cn-filters-toggle"
          aria-expanded={open}
          aria-controls="cn-filter-panel"
          onClick={() => {
            setOpen(!open);
            if (!open) {
              void s.taxonomy.loadTags();
              s.taxonomy.refresh();
            }
          }}
        >
          {t('filters')}
          {narrowing > 0 && (
            <b class="cn-filters-count" data-testid="cn-filters-count">
              {narrowing}
            </b>
          )}
        </button>
        {(narrowing > 0 || filter.q || filter.sort !== 'recent') && (
          <button type="button" class="cn-link cn-filter-reset" data-testid="cn-filter-reset" onClick={() => s.inbox.setFilter({ ...DEFAULT_FILTER })}>
            {t('resetFilters')}
          </button>
        )}
        {loading && <span class="cn-spinner" aria-label={t('loading')} />}
      </div>
      <ViewsRow s={s} view={view} onSave={() => setSaving(true)} />
      {open && <FilterPanel s={s} view={view} />}
      {saving && <SaveViewDialog s={s} view={view} onClose={() => setSaving(false)} />}
    </div>
  );
}

function SearchBox({ s }: { s: Store }) {
  const t = s.t;
  const current = s.inbox.filter.q;
  const [text, setText] = useState(current);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  /** What this box asked for last: a search that differs came from elsewhere (a saved view, a reset). */
  const asked = useRef(current);
  useEffect(() => {
    if (current !== asked.current) {
      asked.current = current;
      setText(current);
    }
  }, [current]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const apply = (value: string) => {
    clearTimeout(timer.current);
    asked.current = value.trim();
    s.inbox.setFilter({ q: value.trim() });
  };
  return (
    <input
      type="search"
      class="cn-search-q"
      data-testid="cn-search"
      placeholder={t('searchPlaceholder')}
      aria-label={t('searchPlaceholder')}
      maxLength={200}
      value={text}
      onInput={(e) => {
        const value = (e.currentTarget as HTMLInputElement).value;
        setText(value);
        clearTimeout(timer.current);
        timer.current = setTimeout(() => apply(value), SEARCH_PAUSE_MS);
      }}
      onKeyDown={(event) => {
        // The box's value itself: a key may come before the render of the last input.
        const value = (event.currentTarget as HTMLInputElement).value;
        if (event.key === 'Enter') {
          event.preventDefault();
          setText(value);
          apply(value);
        } else if (event.key === 'Escape' && value) {
          event.preventDefault();
          setText('');
          apply('');
        }
      }}
    />
  );
}

/** The saved view whose filters are the ones in force (with this tab), if any. */
function activeView(s: Store, view: View): SavedView | undefined {
  const key = filterKey(view, s.inbox.filter);
  const me = s.me?.id ?? null;
  return s.views.list.find((saved) => {
    const applied = fromSaved(saved.filters, me);
    return filterKey(applied.view, applied.filter) === key;
  });
}

/** Applies a saved view: its filters, on its tab. */
export function applyView(s: Store, saved: SavedView): void {
  const { view, filter } = fromSaved(saved.filters, s.me?.id ?? null);
  s.inbox.setFilter(filter, false);
  s.setView(view);
}

function ViewsRow({ s, view, onSave }: { s: Store; view: View; onSave: () => void }) {
  const t = s.t;
  const [confirming, setConfirming] = useState(false);
  const active = activeView(s, view);
  useEffect(() => setConfirming(false), [active?.id]);
  const own = s.views.list.filter((saved) => !saved.shared);
  const shared = s.views.list.filter((saved) => saved.shared);
  const option = (saved: SavedView) => (
    <option key={saved.id} value={saved.id} data-shared={saved.shared ? 'true' : 'false'}>
      {saved.shared ? `${saved.name} · ${t('viewShared')}` : saved.name}
    </option>
  );
  return (
    <div class="cn-listbar cn-viewsbar">
      <label class="cn-sort-select">
        <span class="cn-sr">{t('sortBy')}</span>
        <select data-testid="cn-sort" title={t('sortBy')} value={s.inbox.filter.sort} onChange={(e) => s.inbox.setFilter({ sort: (e.currentTarget as HTMLSelectElement).value as Filter['sort'] })}>
          {SORTS.map((sort) => (
            <option key={sort} value={sort}>
              {t(`sort_${sort}`)}
            </option>
          ))}
        </select>
      </label>
      <select
        class="cn-views"
        data-testid="cn-views"
        aria-label={t('savedViews')}
        value={active ? String(active.id) : ''}
        onChange={(e) => {
          const chosen = s.views.list.find((saved) => String(saved.id) === (e.currentTarget as HTMLSelectElement).value);
          if (chosen) applyView(s, chosen);
        }}
      >
        <option value="">{s.views.list.length ? t('savedViews') : t('noSavedViews')}</option>
        {own.length > 0 && <optgroup label={t('viewsMine')}>{own.map(option)}</optgroup>}
        {shared.length > 0 && <optgroup label={t('viewsShared')}>{shared.map(option)}</optgroup>}
      </select>
      {!active && (
        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-view-save" onClick={onSave}>
          {t('saveView')}
        </button>
      )}
      {active &&
        s.views.mayDelete(active) &&
        (confirming ? (
          <>
            <button type="button" class="cn-btn cn-btn-small cn-btn-danger" data-testid="cn-view-delete-confirm" onClick={() => void s.views.remove(active)}>
              {t('confirmDelete')}
            </button>
            <button type="button" class="cn-btn cn-btn-small" onClick={() => setConfirming(false)}>
              {t('cancel')}
            </button>
          </>
        ) : (
          <button type="button" class="cn-btn cn-btn-small cn-btn-quiet-danger" data-testid="cn-view-delete" title={t('deleteView')} onClick={() => setConfirming(true)}>
            {t('delete')}
          </button>
        ))}
    </div>
  );
}

function SaveViewDialog({ s, view, onClose }: { s: Store; view: View; onClose: () => void }) {
  const t = s.t;
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!name.trim()) return setErrors({ name: t('nameRequired') });
    setBusy(true);
    const result = await s.views.create(name, toSaved(view, s.inbox.filter), shared);
    setBusy(false);
    if ('id' in result) onClose();
    else setErrors(result as FieldErrors);
  };
  return (
    <Modal label={t('saveView')} testid="cn-view-dialog" onClose={onClose}>
      <form class="cn-form" onSubmit={submit} noValidate>
        <h2>{t('saveView')}</h2>
        <p class="cn-muted cn-small">{t('saveViewHelp')}</p>
        <label>
          <span>{t('name')}</span>
          <input
            type="text"
            data-testid="cn-view-name"
            maxLength={100}
            value={name}
            aria-invalid={errors.name ? true : undefined}
            onInput={(e) => {
              setName((e.currentTarget as HTMLInputElement).value);
              setErrors({});
            }}
          />
          <FieldError errors={errors} name="name" />
        </label>
        {s.views.mayShare() && (
          <label class="cn-check">
            <input type="checkbox" data-testid="cn-view-shared" checked={shared} onChange={(e) => setShared((e.currentTarget as HTMLInputElement).checked)} />
            <span>{t('viewShareWithAll')}</span>
          </label>
        )}
        <FieldError errors={errors} name="shared" />
        <FieldError errors={errors} name="filters" />
        <FieldError errors={errors} name="form" />
        <div class="cn-form-actions">
          <button type="button" class="cn-btn" onClick={onClose}>
            {t('cancel')}
          </button>
          <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-view-submit" disabled={busy}>
            {busy ? t('saving') : t('save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Ticks for the values of a list part (status, priority, SLA). */
function Checks<T extends string>({ name, values, chosen, label, onChange }: { name: string; values: readonly T[]; chosen: readonly T[]; label: (value: T) => string; onChange: (next: T[]) => void }) {
  return (
    <span class="cn-filter-checks">
      {values.map((value) => (
        <label key={value} class="cn-chip-check">
          <input
            type="checkbox"
            data-testid={`cn-filter-${name}-${value}`}
            checked={chosen.includes(value)}
            onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked ? [...chosen, value] : chosen.filter((other) => other !== value))}
          />
          <span>{label(value)}</span>
        </label>
      ))}
    </span>
  );
}

function FilterPanel({ s, view }: { s: Store; view: View }) {
  const t = s.t;
  const filter = s.inbox.filter;
  const set = (change: Partial<Filter>) => s.inbox.setFilter(change);
  const [tag, setTag] = useState('');
  const statuses = filter.status === 'all' ? [...STATUSES] : filter.status;
  const assignee = view === 'mine' ? 'me' : view === 'unassigned' ? 'none' : filter.assignee_id !== null ? String(filter.assignee_id) : '';
  const agents = s.team.list.filter((agent) => agent.is_active && agent.id !== s.me?.id);
  const addTag = () => {
    const clean = cleanTag(tag);
    if (clean && !filter.tag.includes(clean)) set({ tag: [...filter.tag, clean] });
    setTag('');
  };
  return (
    <div class="cn-filter-panel" id="cn-filter-panel" data-testid="cn-filter-panel">
      <div class="cn-filter-row">
        <span class="cn-filter-label">{t('status')}</span>
        <Checks
          name="status"
          values={STATUSES}
          chosen={statuses}
          label={(value) => t(`status_${value}`)}
          onChange={(next) => set({ status: next.length === STATUSES.length ? 'all' : next.length ? next : ['open'] })}
        />
      </div>
      <div class="cn-filter-row">
        <span class="cn-filter-label">{t('priority')}</span>
        <Checks name="priority" values={PRIORITIES} chosen={filter.priority} label={(value) => t(`priority_${value}`)} onChange={(next) => set({ priority: next })} />
      </div>
      <div class="cn-filter-row">
        <span class="cn-filter-label">{t('tags')}</span>
        <span class="cn-filter-tags">
          {filter.tag.map((chosen) => (
            <span key={chosen} class="cn-tag" data-testid="cn-filter-tag" data-tag={chosen}>
              {chosen}
              <button type="button" class="cn-tag-x" aria-label={t('removeTagN', { tag: chosen })} onClick={() => set({ tag: filter.tag.filter((other) => other !== chosen) })}>
                ×
              </button>
            </span>
          ))}
          <input
            type="text"
            class="cn-tag-input"
            data-testid="cn-filter-tag-input"
            list="cn-tag-suggestions"
            placeholder={t('addTagPlaceholder')}
            maxLength={50}
            value={tag}
            onFocus={() => void s.taxonomy.loadTags()}
            onInput={(e) => setTag((e.currentTarget as HTMLInputElement).value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' || event.key === ',') {
                event.preventDefault();
                addTag();
              }
            }}
            onBlur={() => tag.trim() && addTag()}
          />
        </span>
      </div>
      <div class="cn-filter-grid">
        <label>
          <span class="cn-filter-label">{t('category')}</span>
          <select data-testid="cn-filter-category" value={filter.category_id ?? ''} onChange={(e) => set({ category_id: numberOrNull((e.currentTarget as HTMLSelectElement).value) })}>
            <option value="">{t('anyCategory')}</option>
            {treeOrder(s.taxonomy.categories).map(({ category, depth }) => (
              <option key={category.id} value={category.id}>
                {`${'\u00a0\u00a0'.repeat(depth)}${category.name}${category.is_active ? '' : ` (${t('archived')})`}`}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="cn-filter-label">{t('assignee')}</span>
          <select
            data-testid="cn-filter-assignee"
            value={assignee}
            onChange={(e) => {
              const value = (e.currentTarget as HTMLSelectElement).value;
              if (value === 'me' || value === 'none') {
                s.inbox.setFilter({ assignee_id: null }, false);
                s.setView(value === 'me' ? 'mine' : 'unassigned');
              } else {
                s.inbox.setFilter({ assignee_id: numberOrNull(value) }, false);
                s.setView('all');
              }
            }}
          >
            <option value="">{t('anyone')}</option>
            <option value="me">{t('assigneeMe')}</option>
            <option value="none">{t('unassigned')}</option>
            {agents.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="cn-filter-label">{t('teamFilter')}</span>
          <select
            data-testid="cn-filter-team"
            value={filter.team_id ?? ''}
            onChange={(e) => {
              const value = (e.currentTarget as HTMLSelectElement).value;
              set({ team_id: value === 'none' ? 'none' : numberOrNull(value) });
            }}
          >
            <option value="">{t('anyTeam')}</option>
            <option value="none">{t('noTeam')}</option>
            {s.teams.list.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="cn-filter-label">{t('channel')}</span>
          <select data-testid="cn-filter-channel" value={filter.channel[0] ?? ''} onChange={(e) => {
            const value = (e.currentTarget as HTMLSelectElement).value;
            set({ channel: value ? [value] : [] });
          }}>
            <option value="">{t('anyChannel')}</option>
            {CHANNELS.map((channel) => (
              <option key={channel} value={channel}>
                {channelName(channel, t)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div class="cn-filter-row">
        <span class="cn-filter-label">SLA</span>
        <Checks name="sla" values={SLA_STATES} chosen={filter.sla} label={(value) => t(`sla_${value}`)} onChange={(next) => set({ sla: next })} />
      </div>
      <div class="cn-filter-row">
        <span class="cn-filter-label">{t('created')}</span>
        <span class="cn-filter-dates">
          <input type="date" data-testid="cn-filter-created-from" aria-label={t('createdFrom')} title={t('createdFrom')} value={filter.created_from ?? ''} max={filter.created_to ?? undefined} onChange={(e) => set({ created_from: (e.currentTarget as HTMLInputElement).value || null })} />
          <span>–</span>
          <input type="date" data-testid="cn-filter-created-to" aria-label={t('createdTo')} title={t('createdTo')} value={filter.created_to ?? ''} min={filter.created_from ?? undefined} onChange={(e) => set({ created_to: (e.currentTarget as HTMLInputElement).value || null })} />
        </span>
      </div>
    </div>
  );
}

/** The account's tags by use, for every tag input of the console. */
export function TagSuggestions({ s }: { s: Store }) {
  return (
    <datalist id="cn-tag-suggestions">
      {s.taxonomy.tags.map(({ tag, count }) => (
        <option key={tag} value={tag}>
          {`${tag} (${count})`}
        </option>
      ))}
    </datalist>
  );
}

export function channelName(channel: string, t: Translate): string {
  const key = `channel_${channel}` as 'channel_web';
  const name = t(key);
  return name === key ? channel : name;
}

const numberOrNull = (value: string) => (value && /^\d+$/.test(value) ? Number(value) : null);
