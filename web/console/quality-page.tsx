/**
 * The supervisors' quality report: per agent (or team) the average review score, how many
 * conversations were reviewed, a bar per day and the most frequent faults, and per agent the
 * customers' ratings (CSAT); a click on a row or a fault lists those conversations (lowest
 * score first), each opening the conversation.
 */
import { useEffect } from 'preact/hooks';
import { Stars } from './conversation-extras';
import { shortTime } from './format';
import { contactName } from './model';
import { faultDescription, faultLabel, QUALITY_DAYS, scoreLevel, type Drill, type QualityGrouping } from './quality';
import { routePath } from './route';
import type { Store } from './store';
import type { QualityGroup, QualityPoint, QualityRow } from './types';

const GROUPINGS: readonly QualityGrouping[] = ['agent', 'team'];

export function QualityPage({ s }: { s: Store }) {
  const t = s.t;
  const q = s.quality;
  const groupName = (group: QualityGroup) => group.name || t(q.group === 'team' ? 'qualityNoTeam' : 'unassigned');
  const byAgent = q.group === 'agent';
  // Ratings are credited to agents: the column is there when the report is by agent.
  useEffect(() => {
    if (byAgent) void s.csat.loadReport(q.days);
  }, [q.days, byAgent]);
  return (
    <main class="cn-monitor-page cn-quality-page" data-testid="cn-quality">
      <section class="cn-panel" data-testid="cn-quality-groups" data-count={q.groups.length} data-group={q.group}>
        <div class="cn-panel-head">
          <h2>{t('qualityTitle')}</h2>
          <div class="cn-segmented" role="group" aria-label={t('qualityGroupBy')}>
            {GROUPINGS.map((group) => (
              <button
                key={group}
                type="button"
                class={`cn-sort${q.group === group ? ' is-active' : ''}`}
                data-testid={`cn-quality-group-${group}`}
                aria-pressed={q.group === group}
                onClick={() => q.setGroup(group)}
              >
                {t(group === 'agent' ? 'qualityByAgent' : 'qualityByTeam')}
              </button>
            ))}
          </div>
          <select
            data-testid="cn-quality-days"
            aria-label={t('qualityPeriod')}
            value={q.days}
            onChange={(e) => q.setDays(Number((e.currentTarget as HTMLSelectElement).value))}
          >
            {QUALITY_DAYS.map((days) => (
              <option key={days} value={days}>
                {t('qualityDaysN', { count: days })}
              </option>
            ))}
          </select>
          <span
            class="cn-badge"
            data-testid="cn-quality-marks"
            data-findings={q.marks.findings}
            data-marked-wrong={q.marks.marked_wrong}
            title={t('qualityMarksTitle')}
          >
            {t('qualityMarks', { findings: q.marks.findings, wrong: q.marks.marked_wrong })}
          </span>
          {q.loading && <span class="cn-spinner" aria-label={t('loading')} />}
        </div>
        {q.error && (
          <p class="cn-error">
            {t('loadFailed', { message: q.error })}{' '}
            <button type="button" class="cn-link" onClick={() => void q.load()}>
              {t('retry')}
            </button>
          </p>
        )}
        {q.loaded && !q.groups.length && (
          <p class="cn-muted" data-testid="cn-quality-empty">
            {t('qualityEmpty')}
          </p>
        )}
        {q.groups.length > 0 && (
          <div class="cn-table-wrap">
            <table class="cn-table cn-monitor-table">
              <thead>
                <tr>
                  <th>{t(q.group === 'team' ? 'monitorTeam' : 'agent')}</th>
                  <th class="cn-right">{t('qualityScore')}</th>
                  <th class="cn-right">{t('qualityReviewed')}</th>
                  {byAgent && (
                    <th class="cn-right" title={t('csatColumnTitle')}>
                      CSAT
                    </th>
                  )}
                  <th>{t('qualityByDay')}</th>
                  <th>{t('qualityTopFaults')}</th>
                </tr>
              </thead>
              <tbody>
                {q.groups.map((group) => {
                  // The drill-down filters by an agent or a team; "nobody's" has no filter of its own.
                  const drill: Drill | null = group.id === null ? null : { group: q.group, id: group.id, name: groupName(group), fault: null };
                  const active = drill && q.drill?.id === group.id && q.drill.group === q.group;
                  return (
                    <tr
                      key={`${q.group}-${group.id}`}
                      class={`cn-monitor-row${active ? ' is-active' : ''}`}
                      data-testid="cn-quality-row"
                      data-id={group.id ?? ''}
                      data-score={group.average_score ?? ''}
                      data-conversations={group.conversations}
                      tabIndex={drill ? 0 : undefined}
                      title={drill ? t('qualityDrillTitle') : undefined}
                      onClick={(event) => {
                        if (!drill || (event.target as HTMLElement).closest('button')) return;
                        q.open(drill);
                      }}
                      onKeyDown={(event) => {
                        if (drill && event.key === 'Enter' && event.target === event.currentTarget) q.open(drill);
                      }}
                    >
                      <td data-testid="cn-quality-name">
                        <b>{groupName(group)}</b>
                      </td>
                      <td class="cn-right">
                        <Score value={group.average_score} testid="cn-quality-score" />
                      </td>
                      <td class="cn-right" data-testid="cn-quality-count">
                        {group.conversations}
                      </td>
                      {byAgent && <CsatCell s={s} agentId={group.id} />}
                      <td>
                        <Bars series={group.series} days={q.days} t={s.t} />
                      </td>
                      <td>
                        <span class="cn-quality-faults">
                          {group.top_faults.map((item) => (
                            <button
                              key={item.fault}
                              type="button"
                              class="cn-fault-chip"
                              data-testid="cn-quality-fault"
                              data-fault={item.fault}
                              data-count={item.count}
                              disabled={!drill}
                              title={faultDescription(item.fault, t)}
                              onClick={() => drill && q.open({ ...drill, fault: item.fault })}
                            >
                              {faultLabel(item.fault, t)} <b>{item.count}</b>
                            </button>
                          ))}
                        </span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {q.drill && <DrillDown s={s} drill={q.drill} />}
    </main>
  );
}

/** An agent's ratings: the average (a star), how many, and the share of 4 and 5. */
function CsatCell({ s, agentId }: { s: Store; agentId: number | null }) {
  const t = s.t;
  const row = s.csat.ofAgent(agentId);
  if (!row || !row.ratings || row.average === null) {
    return (
      <td class="cn-right cn-muted" data-testid="cn-quality-csat" data-average="">
        —
      </td>
    );
  }
  const title = t('csatCellTitle', { average: row.average.toFixed(2), count: row.ratings, satisfied: Math.round((row.satisfied ?? 0) * 100) });
  return (
    <td class="cn-right cn-nowrap" data-testid="cn-quality-csat" data-average={row.average} data-ratings={row.ratings} title={title}>
      <span class="cn-csat-cell">
        <Stars rating={Math.round(row.average)} label={title} />
        <b>{row.average.toFixed(1)}</b>
        <small class="cn-muted">
          {row.ratings} · {Math.round((row.satisfied ?? 0) * 100)}%
        </small>
      </span>
    </td>
  );
}

function Score({ value, testid }: { value: number | null | undefined; testid: string }) {
  const level = scoreLevel(value);
  return (
    <span class={`cn-score cn-score-${level}`} data-testid={testid} data-score={value ?? ''}>
      {value === null || value === undefined ? '—' : Math.round(value)}
    </span>
  );
}

/**
 * A bar per day of the period (UTC dates, as the server counts them), its height the day's
 * average score; a day without reviews has no bar, so gaps show as gaps.
 */
function Bars({ series, days, t }: { series: QualityPoint[]; days: number; t: Store['t'] }) {
  const total = 120;
  const height = 24;
  const step = total / days;
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  return (
    <svg class="cn-spark" data-testid="cn-quality-spark" data-points={series.length} width={total} height={height} viewBox={`0 0 ${total} ${height}`} role="img" aria-label={t('qualityByDay')}>
      <line x1="0" y1={height - 0.5} x2={total} y2={height - 0.5} class="cn-spark-base" />
      {series.map((point) => {
        if (!point.conversations || point.average_score === null || point.average_score === undefined) return null;
        const ago = Math.round((today - Date.parse(`${point.date}T00:00:00Z`)) / 86_400_000);
        const slot = Math.min(days - 1, Math.max(0, days - 1 - ago));
        const h = Math.max(2, (Math.min(100, Math.max(0, point.average_score)) / 100) * (height - 2));
        return (
          <rect key={point.date} x={slot * step} y={height - h} width={Math.max(1, step - 1)} height={h} class={`cn-spark-${scoreLevel(point.average_score)}`}>
            <title>{t('qualityDayTitle', { date: point.date, score: Math.round(point.average_score), count: point.conversations })}</title>
          </rect>
        );
      })}
    </svg>
  );
}

function DrillDown({ s, drill }: { s: Store; drill: Drill }) {
  const t = s.t;
  const q = s.quality;
  return (
    <section class="cn-panel" data-testid="cn-quality-drill" data-id={drill.id ?? ''} data-fault={drill.fault ?? ''} data-count={q.rows.length}>
      <div class="cn-panel-head">
        <h2>
          {drill.name}
          {drill.fault && <span class="cn-muted"> · {faultLabel(drill.fault, t)}</span>}
        </h2>
        {q.rowsLoading && <span class="cn-spinner" aria-label={t('loading')} />}
        <button type="button" class="cn-btn cn-btn-quiet" data-testid="cn-quality-drill-close" onClick={() => q.open(null)}>
          {t('close')}
        </button>
      </div>
      {q.rowsError && <p class="cn-error">{t('loadFailed', { message: q.rowsError })}</p>}
      {!q.rowsLoading && !q.rowsError && !q.rows.length && <p class="cn-muted">{t('qualityNoConversations')}</p>}
      {q.rows.length > 0 && (
        <table class="cn-table cn-monitor-table">
          <thead>
            <tr>
              <th class="cn-right">{t('qualityScore')}</th>
              <th>{t('monitorConversation')}</th>
              <th>{t('assignee')}</th>
              <th>{t('qualityFaults')}</th>
              <th>{t('monitorActivity')}</th>
            </tr>
          </thead>
          <tbody>
            {q.rows.map((row) => (
              <DrillRow key={row.conversation.id} s={s} row={row} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DrillRow({ s, row }: { s: Store; row: QualityRow }) {
  const t = s.t;
  const c = row.conversation;
  const route = { page: 'inbox' as const, view: 'all' as const, id: c.id };
  const open = () => s.navigate(route);
  return (
    <tr class="cn-monitor-row" data-testid="cn-quality-conv" data-id={c.id} data-score={row.score} tabIndex={0} onClick={(event) => !(event.target as HTMLElement).closest('a') && open()} onKeyDown={(event) => event.key === 'Enter' && event.target === event.currentTarget && open()}>
      <td class="cn-right">
        <Score value={row.score} testid="cn-quality-conv-score" />
      </td>
      <td>
        <a
          href={routePath(route)}
          class="cn-monitor-contact"
          data-testid="cn-quality-open"
          onClick={(event) => {
            if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
            event.preventDefault();
            open();
          }}
        >
          <b>{contactName(c.contact, t)}</b>
        </a>{' '}
        <span class="cn-muted">#{c.number}</span>
      </td>
      <td>{c.assignee ? c.assignee.name : <span class="cn-muted">{t('unassigned')}</span>}</td>
      <td>
        <span class="cn-quality-faults">
          {row.faults.map((fault, index) => (
            <span key={`${fault}-${index}`} class="cn-fault-chip is-static" data-testid="cn-quality-conv-fault" data-fault={fault} title={faultDescription(fault, t)}>
              {faultLabel(fault, t)}
            </span>
          ))}
        </span>
      </td>
      <td class="cn-nowrap cn-muted">{shortTime(c.last_activity_at, s.lang)}</td>
    </tr>
  );
}
