/** The agent's own status switch (header) and the team list with presence and load (inbox). */
import { useState } from 'preact/hooks';
import type { Store } from './store';
import type { Agent } from './types';
import { atCapacity, loadText, PresenceDot } from './ui';

const TEAM_KEY = 'helpline.console.team';
const ORDER: Record<string, number> = { online: 0, away: 1, offline: 2 };

/** Online first, then away, then offline; by name within each. */
export function byPresence(a: Agent, b: Agent): number {
  return (ORDER[a.status] ?? 3) - (ORDER[b.status] ?? 3) || a.name.localeCompare(b.name);
}

export function StatusControl({ s }: { s: Store }) {
  const t = s.t;
  const me = s.me!;
  return (
    <label class="cn-mystatus" data-testid="cn-my-status-wrap" data-status={me.status} title={t('myStatus')}>
      <PresenceDot status={me.status} t={t} />
      <span class="cn-sr">{t('myStatus')}</span>
      <select
        data-testid="cn-my-status"
        value={me.status}
        onChange={(e) => {
          const value = (e.currentTarget as HTMLSelectElement).value;
          if (value === 'online' || value === 'away') void s.setMyStatus(value);
        }}
      >
        <option value="online">{t('statusOnline')}</option>
        <option value="away">{t('statusAway')}</option>
        {me.status === 'offline' && (
          <option value="offline" disabled>
            {t('statusOffline')}
          </option>
        )}
      </select>
    </label>
  );
}

function storedOpen(): boolean {
  try {
    return localStorage.getItem(TEAM_KEY) !== 'closed';
  } catch {
    return true;
  }
}

export function TeamPanel({ s }: { s: Store }) {
  const t = s.t;
  const [open, setOpen] = useState(storedOpen);
  const agents = s.team.list.filter((a) => a.is_active).sort(byPresence);
  const online = agents.filter((a) => a.status === 'online').length;
  const toggle = () => {
    setOpen(!open);
    try {
      localStorage.setItem(TEAM_KEY, open ? 'closed' : 'open');
    } catch {
      /* storage blocked */
    }
  };
  return (
    <section class={`cn-team${open ? ' is-open' : ''}`} data-testid="cn-team" aria-label={t('team')}>
      <button type="button" class="cn-team-head" aria-expanded={open} onClick={toggle}>
        <span>{t('team')}</span>
        <small>{t('teamOnline', { count: online })}</small>
        <i aria-hidden="true">{open ? '▾' : '▸'}</i>
      </button>
      {open && (
        <ul class="cn-team-list">
          {agents.map((agent) => (
            <li
              key={agent.id}
              class={`cn-team-agent${atCapacity(agent) ? ' is-full' : ''}`}
              data-testid="cn-team-agent"
              data-id={agent.id}
              data-status={agent.status}
              data-load={agent.load ?? ''}
              data-capacity={agent.capacity ?? ''}
            >
              <PresenceDot status={agent.status} t={t} />
              <span class="cn-team-name">
                {agent.name}
                {agent.id === s.me?.id && <small class="cn-muted"> ({t('itsYou')})</small>}
              </span>
              <span class="cn-team-status">{t(`agentStatus_${agent.status}` as 'agentStatus_online')}</span>
              <span class="cn-team-load" title={t('loadTitle')} data-testid="cn-team-load">
                {loadText(agent)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
