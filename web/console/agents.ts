/**
 * The account's agents: everyone's presence, load and capacity (the team list, the transfer
 * dialog, assigning), and for admins adding agents, changing role and capacity, deactivating
 * and activating them. `load` comes only with `GET /api/v1/agents` (events carry the agent
 * without it), so the list is read again shortly after assignments change.
 */
import { ApiError, get, patch, post } from './api';
import type { Host } from './host';
import type { Translate } from './i18n';
import type { Agent, Role, Skills } from './types';

const LOADS_AFTER_MS = 1500;

export interface AgentForm {
  name: string;
  email: string;
  password: string;
  role: Role;
}

export interface TeamHost extends Host {
  /** Keys of actions in flight ("agent:7"), to disable their buttons. */
  readonly busy: Set<string>;
}

export class Team {
  list: Agent[] = [];
  loaded = false;
  private loadsTimer: ReturnType<typeof setTimeout> | undefined;
  private serial = 0;

  constructor(
    private readonly host: TeamHost,
    /** The signed-in agent changed (status, role, capacity…). */
    private readonly onMe: (agent: Agent) => void,
  ) {}

  reset(): void {
    this.serial++;
    clearTimeout(this.loadsTimer);
    this.loadsTimer = undefined;
    this.list = [];
    this.loaded = false;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    try {
      const data = await get<{ agents: Agent[] }>('/api/v1/agents');
      if (serial !== this.serial) return;
      this.list = data.agents;
      this.loaded = true;
      const me = data.agents.find((a) => a.id === this.host.me?.id);
      if (me) this.onMe(me);
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.host.showToast(this.host.errorText(error));
    }
    this.host.emit();
  }

  /** Assignments changed: read the loads again shortly, once for a burst of changes. */
  loadsSoon(): void {
    if (!this.loaded || this.loadsTimer) return;
    this.loadsTimer = setTimeout(() => {
      this.loadsTimer = undefined;
      void this.load();
    }, LOADS_AFTER_MS);
  }

  byId(id: number): Agent | undefined {
    return this.list.find((a) => a.id === id);
  }

  /** An agent from an event or an answer; what it lacks (`load`) is kept from before. */
  upsert(agent: Agent): void {
    if (this.list.some((a) => a.id === agent.id)) this.list = this.list.map((a) => (a.id === agent.id ? { ...a, ...agent } : a));
    else if (this.loaded) this.list = [...this.list, agent];
    if (agent.id === this.host.me?.id) this.onMe(agent);
  }

  /** Admin: adds an agent; resolves to errors by field (empty when it worked). */
  async create(form: AgentForm): Promise<Partial<Record<keyof AgentForm | 'form', string>>> {
    const t = this.host.t;
    try {
      const data = await post<{ agent: Agent }>('/api/v1/agents', form);
      this.upsert(data.agent);
      if (!this.byId(data.agent.id)) this.list = [...this.list, data.agent];
      this.host.showToast(t('agentAdded', { name: data.agent.name }), 'info');
      return {};
    } catch (error) {
      if (error instanceof ApiError) {
        if (error.code === 'conflict') return { email: t('emailTaken') };
        if (error.code === 'invalid_field') {
          const field = (error.field || '').split('.').pop() as keyof AgentForm;
          const text = fieldMessage(field, error.message, t);
          return (['name', 'email', 'password', 'role'] as string[]).includes(field) ? { [field]: text } : { form: text };
        }
        if (error.code === 'forbidden') return { form: t('adminOnly') };
      }
      return { form: this.host.errorText(error) };
    } finally {
      this.host.emit();
    }
  }

  /** Admin: role, capacity and skills; resolves to an error text, or null when saved. */
  update(agent: Agent, changes: { role?: Role; capacity?: number; name?: string; skills?: Skills }): Promise<string | null> {
    return this.change(agent, () => patch<{ agent: Agent }>(`/api/v1/agents/${agent.id}`, changes));
  }

  async setActive(agent: Agent, active: boolean): Promise<void> {
    const error = await this.change(agent, () => post<{ agent: Agent }>(`/api/v1/agents/${agent.id}/${active ? 'activate' : 'deactivate'}`, {}));
    if (error) this.host.showToast(error);
  }

  private async change(agent: Agent, request: () => Promise<{ agent: Agent }>): Promise<string | null> {
    const key = `agent:${agent.id}`;
    if (this.host.busy.has(key)) return null;
    this.host.busy.add(key);
    this.host.emit();
    try {
      this.upsert((await request()).agent);
      return null;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_field') return fieldMessage(error.field?.split('.').pop() || '', error.message, this.host.t);
      return this.host.errorText(error);
    } finally {
      this.host.busy.delete(key);
      this.host.emit();
    }
  }
}

/** The server's invalid_field message, in the UI language where we know the case. */
function fieldMessage(field: string, message: string, t: Translate): string {
  if (field === 'name' && /at least|missing|required|empty/i.test(message)) return t('nameRequired');
  if (field === 'password' && /at least/i.test(message)) return t('passwordShort');
  return t('fieldInvalid', { message: message.replace(/^[\w.]+:\s*/, '') });
}
