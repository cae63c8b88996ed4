/**
 * Agents of the account (admins only): the list with presence and load, changing an agent's
 * role, capacity and skills, adding one, deactivating and activating.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AgentForm } from './agents';
import { SkillsDialog, skillsText } from './skills-dialog';
import type { Store } from './store';
import type { Agent, Role } from './types';
import { PresenceDot } from './ui';

type Errors = Partial<Record<keyof AgentForm | 'form', string>>;
const ROLES: Role[] = ['agent', 'supervisor', 'admin'];
const EMPTY: AgentForm = { name: '', email: '', password: '', role: 'agent' };

function AgentRow({ s, agent, self }: { s: Store; agent: Agent; self: boolean }) {
  const t = s.t;
  const busyRow = s.busy.has(`agent:${agent.id}`);
  const [capacity, setCapacity] = useState(String(agent.capacity ?? ''));
  const [error, setError] = useState('');
  const [skills, setSkills] = useState(false);
  useEffect(() => setCapacity(String(agent.capacity ?? '')), [agent.capacity]);

  const saveCapacity = async () => {
    const value = Number(capacity);
    if (capacity === String(agent.capacity ?? '')) return;
    if (!Number.isInteger(value) || value < 1 || value > 100) {
      setError(t('capacityRange'));
      return;
    }
    setError((await s.team.update(agent, { capacity: value })) || '');
  };
  const saveRole = async (role: Role) => setError((await s.team.update(agent, { role })) || '');

  return (
    <tr data-testid="cn-agent-row" data-email={agent.email} data-id={agent.id} data-active={agent.is_active ? 'true' : 'false'} data-status={agent.status} class={agent.is_active ? '' : 'is-inactive'}>
      <td>
        <PresenceDot status={agent.status} t={t} />
        {agent.name}
        {self && <small class="cn-muted"> ({t('itsYou')})</small>}
        <small class="cn-muted cn-block" data-testid="cn-agent-status">
          {t(`agentStatus_${agent.status}` as 'agentStatus_online')}
        </small>
      </td>
      <td>{agent.email}</td>
      <td>
        <select data-testid="cn-agent-role-select" value={agent.role} disabled={busyRow || self} aria-label={t('role')} onChange={(e) => void saveRole((e.currentTarget as HTMLSelectElement).value as Role)}>
          {ROLES.map((role) => (
            <option key={role} value={role}>
              {t(`role_${role}`)}
            </option>
          ))}
        </select>
      </td>
      <td class="cn-nowrap">
        <span data-testid="cn-agent-load">{agent.load ?? '–'}</span> /{' '}
        <input
          type="number"
          class="cn-capacity"
          data-testid="cn-agent-capacity"
          min={1}
          max={100}
          value={capacity}
          aria-label={t('capacity')}
          aria-invalid={error ? true : undefined}
          disabled={busyRow}
          onInput={(e) => {
            setCapacity((e.currentTarget as HTMLInputElement).value);
            setError('');
          }}
          onBlur={() => void saveCapacity()}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              void saveCapacity();
            }
          }}
        />
        {error && (
          <div class="cn-field-error" data-testid="cn-field-error" data-field="capacity" role="alert">
            {error}
          </div>
        )}
      </td>
      <td>
        <button type="button" class="cn-link cn-skills-link" data-testid="cn-agent-skills" title={t('skillsEdit')} disabled={busyRow} onClick={() => setSkills(true)}>
          {skillsText(s, agent.skills)}
        </button>
        {skills && <SkillsDialog s={s} agent={agent} onClose={() => setSkills(false)} />}
      </td>
      <td>
        <span class={`cn-badge${agent.is_active ? ' cn-badge-ok' : ''}`} data-testid="cn-agent-state">
          {agent.is_active ? t('active') : t('inactive')}
        </span>
      </td>
      <td class="cn-right">
        {agent.is_active ? (
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-agent-deactivate" disabled={busyRow || self} onClick={() => void s.team.setActive(agent, false)}>
            {t('deactivate')}
          </button>
        ) : (
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-agent-activate" disabled={busyRow} onClick={() => void s.team.setActive(agent, true)}>
            {t('activate')}
          </button>
        )}
      </td>
    </tr>
  );
}

export function AdminPage({ s }: { s: Store }) {
  const t = s.t;
  const me = s.me!;
  const [form, setForm] = useState<AgentForm>(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);

  if (me.role !== 'admin') return <main class="cn-admin"><p class="cn-empty">{t('adminOnly')}</p></main>;

  const field = (name: keyof AgentForm) => ({
    value: form[name],
    'aria-invalid': errors[name] ? true : undefined,
    onInput: (e: Event) => {
      setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value });
      if (errors[name]) setErrors({ ...errors, [name]: undefined });
    },
  });
  const fieldError = (name: keyof AgentForm) =>
    errors[name] ? (
      <div class="cn-field-error" data-testid="cn-field-error" data-field={name} role="alert">
        {errors[name]}
      </div>
    ) : null;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    const result = await s.team.create({ ...form, name: form.name.trim(), email: form.email.trim() });
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) setForm(EMPTY);
  };

  return (
    <main class="cn-admin">
      <section class="cn-panel">
        <h2>{t('agents')}</h2>
        <table class="cn-table" data-testid="cn-agents">
          <thead>
            <tr>
              <th>{t('name')}</th>
              <th>{t('email')}</th>
              <th>{t('role')}</th>
              <th title={t('loadTitle')}>{t('loadCapacity')}</th>
              <th title={t('skillsHelp')}>{t('skills')}</th>
              <th>{t('state')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {s.team.list.map((agent) => (
              <AgentRow key={agent.id} s={s} agent={agent} self={agent.id === me.id} />
            ))}
          </tbody>
        </table>
      </section>
      <section class="cn-panel cn-panel-form">
        <h2>{t('addAgent')}</h2>
        <form class="cn-form" onSubmit={submit} noValidate>
          <label>
            <span>{t('name')}</span>
            <input type="text" data-testid="cn-agent-name" autocomplete="off" maxLength={200} {...field('name')} />
            {fieldError('name')}
          </label>
          <label>
            <span>{t('email')}</span>
            <input type="email" data-testid="cn-agent-email" autocomplete="off" maxLength={254} {...field('email')} />
            {fieldError('email')}
          </label>
          <label>
            <span>{t('password')}</span>
            <input type="password" data-testid="cn-agent-password" autocomplete="new-password" {...field('password')} />
            {fieldError('password')}
          </label>
          <label>
            <span>{t('role')}</span>
            <select data-testid="cn-agent-role" {...field('role')} onChange={(e) => setForm({ ...form, role: (e.currentTarget as HTMLSelectElement).value as Role })}>
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {t(`role_${role}`)}
                </option>
              ))}
            </select>
            {fieldError('role')}
          </label>
          {errors.form && (
            <div class="cn-field-error" data-testid="cn-field-error" data-field="form" role="alert">
              {errors.form}
            </div>
          )}
          <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-agent-submit" disabled={busy}>
            {busy ? t('creating') : t('create')}
          </button>
        </form>
      </section>
    </main>
  );
}
