/**
 * One action on the ticked rows (`POST /api/v1/conversations/bulk`, all or nothing): assign to
 * me or (supervisors, admins) to an agent, set the status, add or remove a tag, set the
 * priority. The ticks go once it is done; a refusal is shown and changes nothing.
 */
import { useState } from 'preact/hooks';
import type { BulkAction } from './desk';
import { cleanTag } from './inbox-filter';
import type { Store } from './store';
import { PRIORITIES, type Priority } from './types';
import { Modal } from './ui';

const BULK_STATUSES = ['open', 'pending', 'resolved', 'closed'] as const;

export function BulkBar({ s, ids }: { s: Store; ids: number[] }) {
  const t = s.t;
  const [tag, setTag] = useState('');
  const [closing, setClosing] = useState(false);
  const busy = s.busy.has('bulk');
  const run = (action: BulkAction) => void s.desk.bulk(ids, action, () => s.inbox.clearSelection());
  const others = s.canAssignOthers() ? s.team.list.filter((agent) => agent.is_active && agent.id !== s.me?.id) : [];
  const tagAction = (type: 'add_tags' | 'remove_tags') => {
    const clean = cleanTag(tag);
    if (!clean) return;
    run({ type, tags: [clean] });
    setTag('');
  };
  const choose = (event: Event, then: (value: string) => void) => {
    const select = event.currentTarget as HTMLSelectElement;
    const value = select.value;
    select.value = '';
    if (value) then(value);
  };

  return (
    <div class="cn-bulkbar" data-testid="cn-bulk-bar" role="toolbar" aria-label={t('bulkActions')} aria-busy={busy}>
      <div class="cn-bulk-line">
        <b data-testid="cn-bulk-count" data-count={ids.length}>
          {t('selectedN', { count: ids.length })}
        </b>
        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-bulk-assign-me" disabled={busy} onClick={() => run({ type: 'assign', agent_id: s.me!.id })}>
          {t('assignMe')}
        </button>
        {others.length > 0 && (
          <select data-testid="cn-bulk-assign" aria-label={t('assignTo')} disabled={busy} value="" onChange={(e) => choose(e, (value) => run({ type: 'assign', agent_id: Number(value) }))}>
            <option value="">{t('assignTo')}</option>
            {others.map((agent) => (
              <option key={agent.id} value={agent.id}>
                {agent.name}
              </option>
            ))}
          </select>
        )}
        <button type="button" class="cn-link cn-bulk-clear" data-testid="cn-bulk-clear" onClick={() => s.inbox.clearSelection()}>
          {t('clearSelection')}
        </button>
      </div>
      <div class="cn-bulk-line">
        <select
          data-testid="cn-bulk-status"
          aria-label={t('setStatus')}
          disabled={busy}
          value=""
          onChange={(e) =>
            choose(e, (value) => {
              if (value === 'closed') setClosing(true);
              else run({ type: 'status', status: value as (typeof BULK_STATUSES)[number] });
            })
          }
        >
          <option value="">{t('setStatus')}</option>
          {BULK_STATUSES.map((status) => (
            <option key={status} value={status}>
              {t(`statusAction_${status}`)}
            </option>
          ))}
        </select>
        <select data-testid="cn-bulk-priority" aria-label={t('setPriority')} disabled={busy} value="" onChange={(e) => choose(e, (value) => run({ type: 'priority', priority: value as Priority }))}>
          <option value="">{t('setPriority')}</option>
          {PRIORITIES.map((priority) => (
            <option key={priority} value={priority}>
              {t(`priority_${priority}`)}
            </option>
          ))}
        </select>
      </div>
      <div class="cn-bulk-line">
        <input
          type="text"
          class="cn-tag-input"
          data-testid="cn-bulk-tag"
          list="cn-tag-suggestions"
          placeholder={t('tag')}
          aria-label={t('tag')}
          maxLength={50}
          value={tag}
          onFocus={() => void s.taxonomy.loadTags()}
          onInput={(e) => setTag((e.currentTarget as HTMLInputElement).value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              tagAction('add_tags');
            }
          }}
        />
        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-bulk-add-tag" disabled={busy || !cleanTag(tag)} onClick={() => tagAction('add_tags')}>
          {t('addTag')}
        </button>
        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-bulk-remove-tag" disabled={busy || !cleanTag(tag)} onClick={() => tagAction('remove_tags')}>
          {t('removeTag')}
        </button>
      </div>
      {closing && (
        <ConfirmClose
          s={s}
          count={ids.length}
          onCancel={() => setClosing(false)}
          onConfirm={() => {
            setClosing(false);
            run({ type: 'status', status: 'closed' });
          }}
        />
      )}
    </div>
  );
}

/** Closing is final (the customer's next message starts a new conversation): asked first. */
export function ConfirmClose({ s, count, onConfirm, onCancel }: { s: Store; count: number; onConfirm: () => void; onCancel: () => void }) {
  const t = s.t;
  return (
    <Modal label={t('closeTitle')} testid="cn-close-dialog" onClose={onCancel}>
      <h2>{t('closeTitle')}</h2>
      <p>{count === 1 ? t('closeExplain') : t('closeExplainN', { count })}</p>
      <div class="cn-form-actions">
        <button type="button" class="cn-btn" data-testid="cn-close-cancel" onClick={onCancel}>
          {t('cancel')}
        </button>
        <button type="button" class="cn-btn cn-btn-danger" data-testid="cn-close-confirm" onClick={onConfirm}>
          {t('closeForGood')}
        </button>
      </div>
    </Modal>
  );
}
