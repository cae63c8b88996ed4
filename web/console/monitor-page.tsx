/**
 * The supervisors' monitor: every open conversation with its customer's wait ticking (amber
 * after a minute, red after three) and its SLA chip (as in the inbox), and every agent with
 * status, time in it and load. Live
 * from the console's events (monitor.ts); a click on a conversation opens it, so the
 * supervisor follows it live, whispers to the agent or takes it over.
 */
import { TeamBadge, TypeBadge } from './conversation';
import { fullTime, shortTime } from './format';
import { SlaChip } from './inbox';
import { slaState } from './inbox-filter';
import type { Translate } from './i18n';
import { contactName, lastMessageText } from './model';
import { WAIT_ALERT_S, WAIT_WARN_S, waitLevel, waitSeconds, type MonitorSort } from './monitor';
import { routePath } from './route';
import type { Store } from './store';
import { byPresence } from './team';
import type { Agent, Conversation } from './types';
import { atCapacity, loadText, PresenceDot, useNow } from './ui';
import { elapsed } from './visitors';

export function MonitorPage({ s }: { s: Store }) {
  const t = s.t;
  const monitor = s.monitor;
  const now = useNow();
  const rows = monitor.conversations();
  const agents = monitor.agents();
  let waiting = 0;
  let longest: string | null = null;
  for (const c of rows) {
    if (!c.waiting_since) continue;
    waiting++;
    if (!longest || c.waiting_since < longest) longest = c.waiting_since;
  }
  const online = agents.filter((a) => a.status === 'online').length;

  return (
    <main class="cn-monitor-page" data-testid="cn-monitor">
      <section class="cn-panel" data-testid="cn-monitor-conversations" data-count={rows.length}>
        <div class="cn-panel-head">
          <h2>{t('monitorConversations')}</h2>
          <span class="cn-badge" data-testid="cn-monitor-open-count" title={t('monitorOpenTitle')}>
            {rows.length}
          </span>
          <span class={`cn-badge${waiting ? ' cn-badge-warn' : ''}`} data-testid="cn-monitor-waiting-count" data-count={waiting}>
            {t('monitorWaitingN', { count: waiting })}
          </span>
          {longest && (
            <span class="cn-muted cn-small" data-testid="cn-monitor-longest">
              {t('monitorLongest', { wait: elapsed(longest, now, s.lang) })}
            </span>
          )}
          {monitor.loading && <span class="cn-spinner" aria-label={t('loading')} />}
        </div>
        {monitor.error && (
          <p class="cn-error">
            {t('loadFailed', { message: monitor.error })}{' '}
            <button type="button" class="cn-link" onClick={() => void monitor.load()}>
              {t('retry')}
            </button>
          </p>
        )}
        {monitor.loaded && !rows.length && (
          <p class="cn-muted" data-testid="cn-monitor-empty">
            {t('monitorEmpty')}
          </p>
        )}
        {rows.length > 0 && (
          <div class="cn-table-wrap">
            <table class="cn-table cn-monitor-table">
              <thead>
                <tr>
                  <SortHeader s={s} sort="wait" label={t('monitorWait')} />
                  <th>SLA</th>
                  <th>{t('monitorConversation')}</th>
                  <th>{t('monitorChannel')}</th>
                  <th>{t('assignee')}</th>
                  <th>{t('monitorTeam')}</th>
                  <th>{t('monitorLastMessage')}</th>
                  <SortHeader s={s} sort="activity" label={t('monitorActivity')} />
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <ConversationRow key={c.id} s={s} c={c} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="cn-panel" data-testid="cn-monitor-agents" data-count={agents.length}>
        <div class="cn-panel-head">
          <h2>{t('agents')}</h2>
          <span class="cn-badge cn-badge-ok" data-testid="cn-monitor-online-count" data-count={online}>
            {t('teamOnline', { count: online })}
          </span>
        </div>
        {agents.length > 0 && (
          <div class="cn-table-wrap">
            <table class="cn-table cn-monitor-table">
              <thead>
                <tr>
                  <th>{t('name')}</th>
                  <th>{t('monitorStatus')}</th>
                  <th>{t('monitorInStatus')}</th>
                  <th class="cn-right" title={t('loadTitle')}>
                    {t('monitorLoad')}
                  </th>
                  <th>{t('monitorTeams')}</th>
                </tr>
              </thead>
              <tbody>
                {[...agents].sort(byPresence).map((agent) => (
                  <AgentRow key={agent.id} s={s} agent={agent} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}

/** A column the conversations can be ordered by: a button in its header. */
function SortHeader({ s, sort, label }: { s: Store; sort: MonitorSort; label: string }) {
  const active = s.monitor.sort === sort;
  return (
    <th aria-sort={active ? (sort === 'wait' ? 'ascending' : 'descending') : undefined}>
      <button
        type="button"
        class={`cn-sort${active ? ' is-active' : ''}`}
        data-testid={`cn-monitor-sort-${sort}`}
        aria-pressed={active}
        title={s.t(sort === 'wait' ? 'monitorSortWait' : 'monitorSortActivity')}
        onClick={() => s.monitor.setSort(sort)}
      >
        {label}
        {active && <i aria-hidden="true"> ▾</i>}
      </button>
    </th>
  );
}

function ConversationRow({ s, c, now }: { s: Store; c: Conversation; now: number }) {
  const t = s.t;
  const seconds = waitSeconds(c, now);
  const level = waitLevel(seconds);
  const route = { page: 'inbox' as const, view: 'all' as const, id: c.id };
  const open = () => s.navigate(route);
  return (
    <tr
      class={`cn-monitor-row cn-wait-${level}`}
      data-testid="cn-monitor-conv"
      data-id={c.id}
      data-number={c.number}
      data-waiting={seconds === null ? 'false' : 'true'}
      data-wait-level={level}
      data-assignee-id={c.assignee?.id ?? ''}
      tabIndex={0}
      title={t('monitorOpenConversation')}
      onClick={(event) => {
        // The link inside handles its own clicks (and a middle click opens a tab).
        if ((event.target as HTMLElement).closest('a')) return;
        open();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Enter' && event.target === event.currentTarget) open();
      }}
    >
      <td
        class="cn-nowrap cn-monitor-wait"
        data-testid="cn-monitor-wait"
        title={c.waiting_since ? t('monitorWaitingSince', { time: fullTime(c.waiting_since, s.lang), warn: WAIT_WARN_S / 60, alert: WAIT_ALERT_S / 60 }) : t('monitorNobodyWaits')}
      >
        {seconds === null ? <span class="cn-muted">—</span> : <b>{elapsed(c.waiting_since, now, s.lang)}</b>}
      </td>
      <td class="cn-nowrap" data-testid="cn-monitor-sla" data-state={slaState(c, now) || ''}>
        {slaState(c, now) ? <SlaChip c={c} now={now} t={t} lang={s.lang} /> : <span class="cn-muted">—</span>}
      </td>
      <td>
        <a
          href={routePath(route)}
          class="cn-monitor-contact"
          data-testid="cn-monitor-open"
          onClick={(event) => {
            if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
            event.preventDefault();
            open();
          }}
        >
          <b>{contactName(c.contact, t)}</b>
        </a>
        <span class="cn-monitor-tags">
          <span class="cn-muted" data-testid="cn-monitor-number">
            #{c.number}
          </span>
          <TypeBadge c={c} t={t} />
          {c.unread_count > 0 && (
            <span class="cn-unread" data-testid="cn-unread" title={t('unreadN', { count: c.unread_count })}>
              {c.unread_count}
            </span>
          )}
        </span>
      </td>
      <td data-testid="cn-monitor-channel">
        {c.inbox.name}
        <small class="cn-muted cn-block">{channelName(c.inbox.channel, t)}</small>
      </td>
      <td data-testid="cn-monitor-assignee" data-agent-id={c.assignee?.id ?? ''}>
        {c.assignee ? (
          <>
            {c.assignee.name}
            {c.assignee.id === s.me?.id && <small class="cn-muted"> ({t('itsYou')})</small>}
          </>
        ) : (
          <span class="cn-row-assignee is-none">{t('unassigned')}</span>
        )}
      </td>
      <td data-testid="cn-monitor-team">{c.team ? <TeamBadge c={c} t={t} /> : <span class="cn-muted">—</span>}</td>
      <td class="cn-monitor-last" data-testid="cn-monitor-last" data-kind={c.last_message?.kind ?? ''}>
        {lastMessageText(c, t)}
      </td>
      <td class="cn-nowrap cn-muted">
        <time dateTime={c.last_activity_at} title={fullTime(c.last_activity_at, s.lang)}>
          {shortTime(c.last_activity_at, s.lang)}
        </time>
      </td>
    </tr>
  );
}

function AgentRow({ s, agent, now }: { s: Store; agent: Agent; now: number }) {
  const t = s.t;
  const load = s.monitor.loadOf(agent);
  const withLoad = { ...agent, load };
  const teams = s.teams.list.filter((team) => team.member_ids.includes(agent.id));
  return (
    <tr
      class={atCapacity(withLoad) ? 'is-full' : undefined}
      data-testid="cn-monitor-agent"
      data-id={agent.id}
      data-status={agent.status}
      data-status-since={agent.status_changed_at ?? ''}
      data-load={load}
      data-capacity={agent.capacity ?? ''}
    >
      <td>
        <b>{agent.name}</b>
        {agent.id === s.me?.id && <small class="cn-muted"> ({t('itsYou')})</small>}
        <small class="cn-muted cn-block">{t(`role_${agent.role}` as 'role_agent')}</small>
      </td>
      <td class="cn-nowrap" data-testid="cn-monitor-agent-status">
        <PresenceDot status={agent.status} t={t} />
        {t(`agentStatus_${agent.status}` as 'agentStatus_online')}
      </td>
      <td class="cn-nowrap" data-testid="cn-monitor-status-time" title={agent.status_changed_at ? fullTime(agent.status_changed_at, s.lang) : undefined}>
        {agent.status_changed_at ? elapsed(agent.status_changed_at, now, s.lang) : '—'}
      </td>
      <td class="cn-right cn-nowrap" data-testid="cn-monitor-load">
        {loadText(withLoad)}
      </td>
      <td>
        {teams.length ? (
          teams.map((team) => (
            <span key={team.id} class="cn-team-badge">
              {team.name}
            </span>
          ))
        ) : (
          <span class="cn-muted">—</span>
        )}
      </td>
    </tr>
  );
}

/** "Website" for `web`; a channel this console does not know yet by its code. */
function channelName(channel: string, t: Translate): string {
  const key = `channel_${channel}` as 'channel_web';
  const name = t(key);
  return name === key ? channel : name;
}
