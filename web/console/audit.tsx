/**
 * The conversation's history of changes (`GET /conversations/{id}/audit`): who changed which
 * field, from what to what, when — newest first, with agents, teams, categories and custom
 * fields named where the console knows them. Read again whenever the conversation changes.
 */
import { useEffect } from 'preact/hooks';
import { fullTime } from './format';
import type { StringKey } from './i18n';
import type { Store } from './store';
import type { AuditEntry, Conversation } from './types';

const KNOWN_FIELDS = ['status', 'snoozed_until', 'priority', 'category_id', 'tags', 'assignee', 'team', 'transfer_count'];

/** Python's text of a list ("['pro', 'basic']"), as the audit stores multiselect values. */
function listText(value: string): string {
  const match = value.match(/^\[(.*)\]$/s);
  if (!match) return value;
  return match[1]
    .split(/,\s*/)
    .map((item) => item.replace(/^['"]|['"]$/g, ''))
    .filter(Boolean)
    .join(', ');
}

/** A stored value as a person reads it. */
export function auditValue(s: Store, field: string, value: string | null): string {
  const t = s.t;
  if (value === null || value === '') return '—';
  const id = /^\d+$/.test(value) ? Number(value) : null;
  switch (field) {
    case 'status':
    case 'priority': {
      const key = `${field}_${value}` as StringKey;
      const text = t(key);
      return text === key ? value : text;
    }
    case 'assignee':
      return id === null ? value : s.team.byId(id)?.name || t('agentN', { id });
    case 'team':
      return id === null ? value : s.teams.byId(id)?.name || t('teamN', { id });
    case 'category_id':
      return id === null ? value : s.taxonomy.categoryPath(id) || t('categoryN', { id });
    case 'snoozed_until': {
      const when = Date.parse(value.replace(' ', 'T'));
      return Number.isNaN(when) ? value : fullTime(new Date(when).toISOString(), s.lang);
    }
    default:
      return field.startsWith('fields.') ? listText(value) : value;
  }
}

export function auditFieldName(s: Store, field: string): string {
  if (KNOWN_FIELDS.includes(field)) return s.t(`auditField_${field}` as StringKey);
  if (field.startsWith('fields.')) return s.taxonomy.field(field.slice(7))?.label || field.slice(7);
  return field;
}

function actorName(s: Store, entry: AuditEntry): string {
  const t = s.t;
  if (entry.actor.type === 'system') return t('system');
  if (entry.actor.type === 'contact') return entry.actor.name || t('customer');
  return entry.actor.name || (entry.actor.id !== null ? s.team.byId(entry.actor.id)?.name : null) || t('agent');
}

export function AuditTrail({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const audit = s.desk.audit(c.id);
  // Every change of the conversation (an event, or our own) may have added entries.
  useEffect(() => {
    void s.desk.loadAudit(c.id);
  }, [c.id, c.updated_at]);
  const entries = [...(audit?.entries || [])].reverse();
  return (
    <section class="cn-audit" data-testid="cn-audit" aria-busy={audit?.loading}>
      {audit?.error && (
        <p class="cn-error cn-small">
          {t('loadFailed', { message: audit.error })}{' '}
          <button type="button" class="cn-link" onClick={() => void s.desk.loadAudit(c.id)}>
            {t('retry')}
          </button>
        </p>
      )}
      {!audit?.entries.length && !audit?.error && <p class="cn-muted cn-small">{audit?.loading ? t('loading') : t('auditEmpty')}</p>}
      <ol class="cn-audit-list">
        {entries.map((entry) => (
          <li key={entry.id} class="cn-audit-entry" data-testid="cn-audit-entry" data-field={entry.field} data-actor={entry.actor.type}>
            <div class="cn-audit-head">
              <b data-testid="cn-audit-actor">{actorName(s, entry)}</b>
              <time dateTime={entry.created_at}>{fullTime(entry.created_at, s.lang)}</time>
            </div>
            <div class="cn-audit-change" data-testid="cn-audit-change">
              <span class="cn-audit-field">{auditFieldName(s, entry.field)}:</span> <s class="cn-audit-old">{auditValue(s, entry.field, entry.old)}</s>
              {' → '}
              <b class="cn-audit-new">{auditValue(s, entry.field, entry.new)}</b>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
