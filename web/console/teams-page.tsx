/**
 * Teams (admin): each team with its name, members and how it gives out its conversations
 * (least loaded, round robin, by hand; handed on after so many minutes without an answer),
 * changed in place; a new team; deleting one (its conversations stay, its chat room goes).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FieldErrors } from './host';
import type { Store } from './store';
import { byPresence } from './team';
import { ASSIGNMENTS, type Agent, type Assignment, type TeamInfo } from './types';
import { FieldError, PresenceDot } from './ui';

const sameIds = (a: number[], b: number[]) => a.length === b.length && a.every((id) => b.includes(id));

/** The assignment as the form holds it: "reassign after" in minutes, as typed. */
interface Giving {
  assignment: Assignment;
  minutes: string;
}

const givingOf = (team?: TeamInfo): Giving => ({
  assignment: team?.assignment || 'least_loaded',
  minutes: team?.reassign_after ? String(Math.round((team.reassign_after / 60) * 100) / 100) : '0',
});

/** Seconds for the server (NaN for what is no number). */
function reassignSeconds(minutes: string): number {
  const value = Number(minutes.trim().replace(',', '.') || '0');
  return Number.isFinite(value) ? Math.round(value * 60) : NaN;
}

/** The server takes 0 to 86,400 seconds. */
const reassignValid = (seconds: number) => Number.isInteger(seconds) && seconds >= 0 && seconds <= 86_400;

function GivingFields({ s, giving, onChange, errors }: { s: Store; giving: Giving; onChange: (giving: Giving) => void; errors: FieldErrors }) {
  const t = s.t;
  return (
    <div class="cn-team-giving" data-testid="cn-team-giving">
      <label>
        <span class="cn-label">{t('teamAssignment')}</span>
        <select data-testid="cn-team-assignment" value={giving.assignment} onChange={(e) => onChange({ ...giving, assignment: (e.currentTarget as HTMLSelectElement).value as Assignment })}>
          {ASSIGNMENTS.map((mode) => (
            <option key={mode} value={mode}>
              {t(`assignment_${mode}`)}
            </option>
          ))}
        </select>
        <small class="cn-muted">{t(`assignmentHint_${giving.assignment}`)}</small>
        <FieldError errors={errors} name="assignment" />
      </label>
      <label>
        <span class="cn-label">{t('teamReassignAfter')}</span>
        <span class="cn-unit-input">
          <input
            type="number"
            class="cn-capacity"
            data-testid="cn-team-reassign"
            min={0}
            max={1440}
            step={1}
            value={giving.minutes}
            aria-invalid={errors.reassign_after ? true : undefined}
            onInput={(e) => onChange({ ...giving, minutes: (e.currentTarget as HTMLInputElement).value })}
          />{' '}
          {t('minutesShort')}
        </span>
        <small class="cn-muted">{t('teamReassignHint')}</small>
        <FieldError errors={errors} name="reassign_after" />
      </label>
    </div>
  );
}

export function TeamsPage({ s }: { s: Store }) {
  const t = s.t;
  const teams = s.teams;
  const agents = s.team.list.filter((agent) => agent.is_active).sort(byPresence);
  return (
    <main class="cn-admin cn-page-teams">
      <section class="cn-panel" data-testid="cn-teams">
        <h2>{t('teamsTitle')}</h2>
        <p class="cn-muted cn-small">{t('teamsHelp')}</p>
        {teams.error && <p class="cn-error">{t('loadFailed', { message: teams.error })}</p>}
        {!teams.loaded && !teams.error && <p class="cn-muted">{t('loading')}</p>}
        {teams.loaded && teams.list.length === 0 && <p class="cn-muted">{t('teamsNone')}</p>}
        <ul class="cn-team-cards">
          {teams.list.map((team) => (
            <TeamCard key={team.id} s={s} team={team} agents={agents} />
          ))}
        </ul>
      </section>
      <section class="cn-panel cn-panel-form" data-testid="cn-team-new">
        <h2>{t('teamNew')}</h2>
        <TeamForm s={s} agents={agents} />
      </section>
    </main>
  );
}

/** Agents to tick; members who are no longer active still show, so they can be taken out. */
function Members({ s, agents, chosen, onChange, testid }: { s: Store; agents: Agent[]; chosen: number[]; onChange: (ids: number[]) => void; testid: string }) {
  const t = s.t;
  const shown = [...agents, ...s.team.list.filter((agent) => !agent.is_active && chosen.includes(agent.id))];
  return (
    <div class="cn-members" data-testid={testid}>
      {shown.map((agent) => (
        <label key={agent.id} class="cn-check cn-member" data-testid="cn-team-member" data-id={agent.id}>
          <input
            type="checkbox"
            checked={chosen.includes(agent.id)}
            onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked ? [...chosen, agent.id] : chosen.filter((id) => id !== agent.id))}
          />
          <PresenceDot status={agent.status} t={t} />
          <span>{agent.name}</span>
        </label>
      ))}
      {!shown.length && <span class="cn-muted">{s.team.loaded ? t('noOtherAgents') : t('loading')}</span>}
    </div>
  );
}

function TeamForm({ s, agents }: { s: Store; agents: Agent[] }) {
  const t = s.t;
  const [name, setName] = useState('');
  const [members, setMembers] = useState<number[]>([]);
  const [giving, setGiving] = useState<Giving>(givingOf());
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!name.trim()) return setErrors({ name: t('nameRequired') });
    if (!reassignValid(reassignSeconds(giving.minutes))) return setErrors({ reassign_after: t('teamReassignRange') });
    setBusy(true);
    const result = await s.teams.save({ name, member_ids: members, assignment: giving.assignment, reassign_after: reassignSeconds(giving.minutes) });
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) {
      setName('');
      setMembers([]);
      setGiving(givingOf());
    }
  };
  return (
    <form class="cn-form" onSubmit={submit} noValidate data-testid="cn-team-form">
      <label>
        <span>{t('name')}</span>
        <input
          type="text"
          data-testid="cn-team-name"
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
      <div>
        <span class="cn-label">{t('teamMembers')}</span>
        <Members s={s} agents={agents} chosen={members} onChange={setMembers} testid="cn-team-new-members" />
        <FieldError errors={errors} name="member_ids" />
      </div>
      <GivingFields s={s} giving={giving} onChange={setGiving} errors={errors} />
      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-team-create" disabled={busy}>
          {busy ? t('saving') : t('teamCreate')}
        </button>
      </div>
    </form>
  );
}

function TeamCard({ s, team, agents }: { s: Store; team: TeamInfo; agents: Agent[] }) {
  const t = s.t;
  const [name, setName] = useState(team.name);
  const [members, setMembers] = useState(team.member_ids);
  const [giving, setGiving] = useState<Giving>(givingOf(team));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const sameGiving = (other: TeamInfo) => {
    const stored = givingOf(other);
    return stored.assignment === giving.assignment && reassignSeconds(stored.minutes) === reassignSeconds(giving.minutes);
  };
  const dirty = name.trim() !== team.name || !sameIds(members, team.member_ids) || !sameGiving(team);
  // What another admin saved meanwhile shows up, unless this card has edits of its own.
  const seen = useRef(team);
  useEffect(() => {
    const before = seen.current;
    seen.current = team;
    if (before.name === name.trim() && sameIds(before.member_ids, members) && sameGiving(before)) {
      setName(team.name);
      setMembers(team.member_ids);
      setGiving(givingOf(team));
    }
  }, [team]);

  const save = async () => {
    if (busy || !dirty) return;
    if (!name.trim()) return setErrors({ name: t('nameRequired') });
    if (!reassignValid(reassignSeconds(giving.minutes))) return setErrors({ reassign_after: t('teamReassignRange') });
    setBusy(true);
    setErrors(await s.teams.save({ name, member_ids: members, assignment: giving.assignment, reassign_after: reassignSeconds(giving.minutes) }, team.id));
    setBusy(false);
  };

  return (
    <li class="cn-team-card" data-testid="cn-team" data-id={team.id} data-name={team.name}>
      <div class="cn-team-card-head">
        <input
          type="text"
          class="cn-team-title"
          data-testid="cn-team-rename"
          aria-label={t('name')}
          maxLength={100}
          value={name}
          aria-invalid={errors.name ? true : undefined}
          onInput={(e) => {
            setName((e.currentTarget as HTMLInputElement).value);
            setErrors({});
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              void save();
            }
          }}
        />
        <span class="cn-muted cn-small" data-testid="cn-team-count">
          {t('teamMembersN', { count: team.member_ids.length })}
        </span>
        <span class="cn-inline">
          <button type="button" class="cn-btn cn-btn-small cn-btn-primary" data-testid="cn-team-save" disabled={busy || !dirty} onClick={() => void save()}>
            {t('save')}
          </button>{' '}
          {confirming ? (
            <>
              <button type="button" class="cn-btn cn-btn-small cn-btn-danger" data-testid="cn-team-delete-confirm" onClick={() => void s.teams.remove(team)}>
                {t('confirmDelete')}
              </button>{' '}
              <button type="button" class="cn-btn cn-btn-small" onClick={() => setConfirming(false)}>
                {t('cancel')}
              </button>
            </>
          ) : (
            <button type="button" class="cn-btn cn-btn-small cn-btn-quiet-danger" data-testid="cn-team-delete" onClick={() => setConfirming(true)}>
              {t('delete')}
            </button>
          )}
        </span>
      </div>
      <FieldError errors={errors} name="name" />
      <Members s={s} agents={agents} chosen={members} onChange={setMembers} testid="cn-team-members" />
      <FieldError errors={errors} name="member_ids" />
      <GivingFields s={s} giving={giving} onChange={setGiving} errors={errors} />
      <FieldError errors={errors} name="form" />
    </li>
  );
}
