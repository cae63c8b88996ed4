/**
 * The supervisor's live monitor (docs/protocol.md, `GET /api/v1/monitor`): every open
 * conversation with how long its customer has been waiting, every active agent with status,
 * time in that status and load. It is read over REST when the page opens (and after every
 * reload of the console's state), then kept live by the ordinary console events the store
 * feeds it — on the socket and on the HTTP fallback alike; it never polls by itself.
 */
import { ApiError, get } from './api';
import type { Host } from './host';
import { byActivity, isStale, time } from './model';
import type { Agent, Contact, Conversation, TeamInfo } from './types';

/** A wait longer than this many seconds shows amber… */
export const WAIT_WARN_S = 60;
/** …and longer than this, red. */
export const WAIT_ALERT_S = 180;
/** The server lists at most this many open conversations (helpline/conversations/monitor.py). */
const MAX_OPEN = 1000;
const SORT_KEY = 'helpline.console.monitor.sort';

export type MonitorSort = 'wait' | 'activity';
export const MONITOR_SORTS: readonly MonitorSort[] = ['wait', 'activity'];
/** `none`: nobody waits (answered); then under WAIT_WARN_S, under WAIT_ALERT_S, beyond. */
export type WaitLevel = 'none' | 'ok' | 'warn' | 'alert';

interface MonitorAnswer {
  conversations: Conversation[];
  agents: Agent[];
}

export class Monitor {
  loaded = false;
  loading = false;
  error: string | null = null;
  sort: MonitorSort = storedSort();
  private readonly convs = new Map<number, Conversation>();
  /**
   * Conversations that were resolved, by the `updated_at` that said so: a snapshot older
   * than that (a REST answer in flight) must not bring one back.
   */
  private readonly gone = new Map<number, number>();
  private readonly agentsById = new Map<number, Agent>();
  /** The answer was cut at MAX_OPEN: loads are the server's, as counting here would miss some. */
  private truncated = false;
  private serial = 0;
  /** What events changed while a load was in flight: its answer is older for them. */
  private touched: { convs: Set<number>; agents: Set<number> } | null = null;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.convs.clear();
    this.gone.clear();
    this.agentsById.clear();
    this.loaded = false;
    this.loading = false;
    this.error = null;
    this.truncated = false;
    this.touched = null;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.loading = true;
    this.error = null;
    const touched = { convs: new Set<number>(), agents: new Set<number>() };
    this.touched = touched;
    this.host.emit();
    try {
      const data = await get<MonitorAnswer>('/api/v1/monitor');
      if (serial !== this.serial) return;
      this.replaceConversations(data.conversations, touched.convs);
      this.replaceAgents(data.agents, touched.agents);
      this.truncated = data.conversations.length >= MAX_OPEN;
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    } finally {
      if (serial === this.serial) {
        this.loading = false;
        this.touched = null;
      }
      this.host.emit();
    }
  }

  private replaceConversations(answer: Conversation[], touched: Set<number>): void {
    const fresh = new Map<number, Conversation>();
    for (const conversation of answer) {
      const known = this.convs.get(conversation.id);
      if (known && isStale(conversation, known)) fresh.set(known.id, known);
      else if ((this.gone.get(conversation.id) ?? -1) < time(conversation.updated_at)) fresh.set(conversation.id, conversation);
    }
    // Opened while the request was in flight: not in the answer, yet open.
    for (const id of touched) {
      const known = this.convs.get(id);
      if (known && !fresh.has(id)) fresh.set(id, known);
    }
    this.convs.clear();
    for (const [id, conversation] of fresh) this.convs.set(id, conversation);
  }

  private replaceAgents(answer: Agent[], touched: Set<number>): void {
    const fresh = new Map<number, Agent>();
    for (const agent of answer) {
      const known = touched.has(agent.id) ? this.agentsById.get(agent.id) : undefined;
      // An event that came meanwhile is newer about presence; the answer alone knows the load.
      fresh.set(agent.id, known ? { ...agent, ...known, load: agent.load } : agent);
    }
    for (const id of touched) {
      const known = this.agentsById.get(id);
      if (known && !fresh.has(id)) fresh.set(id, known);
    }
    this.agentsById.clear();
    for (const [id, agent] of fresh) if (agent.is_active) this.agentsById.set(id, agent);
  }

  /** Whether events are worth applying: the monitor has been (or is being) read. */
  private get following(): boolean {
    return this.loaded || this.loading;
  }

  // ---- events (fed by the store) -----------------------------------------------------------

  /** A conversation snapshot from an event or an action's answer: upserted while open, dropped once resolved. */
  conversation(conversation: Conversation): void {
    if (!this.following) return;
    this.touched?.convs.add(conversation.id);
    const known = this.convs.get(conversation.id);
    if (known && isStale(conversation, known)) return;
    const updated = time(conversation.updated_at);
    if (conversation.status === 'open') {
      if ((this.gone.get(conversation.id) ?? -1) >= updated) return;
      this.gone.delete(conversation.id);
      this.convs.set(conversation.id, conversation);
    } else {
      this.convs.delete(conversation.id);
      this.gone.set(conversation.id, Math.max(updated, this.gone.get(conversation.id) ?? -1));
    }
  }

  /** `contact.updated`: the name shown on the contact's conversations. */
  contact(contact: Contact): void {
    for (const [id, c] of this.convs) {
      if (c.contact.id === contact.id) this.convs.set(id, { ...c, contact: { id: contact.id, name: contact.name, email: contact.email, phone: contact.phone } });
    }
  }

  /** `agent.updated`: presence and role change in place; a deactivated agent leaves the list. */
  agent(agent: Agent): void {
    if (!this.following) return;
    this.touched?.agents.add(agent.id);
    const known = this.agentsById.get(agent.id);
    if (!agent.is_active) this.agentsById.delete(agent.id);
    else this.agentsById.set(agent.id, { ...known, ...agent, load: known?.load ?? 0 });
  }

  /** `team.updated`: the team's name on its conversations; a deleted team's queue is gone. */
  team(team: TeamInfo, deleted: boolean): void {
    for (const [id, c] of this.convs) {
      if (c.team?.id !== team.id) continue;
      this.convs.set(id, { ...c, team: deleted ? null : { id: team.id, name: team.name } });
    }
  }

  // ---- what the page shows -------------------------------------------------------------

  setSort(sort: MonitorSort): void {
    this.sort = sort;
    try {
      localStorage.setItem(SORT_KEY, sort);
    } catch {
      /* storage blocked: the choice lasts for this page */
    }
    this.host.emit();
  }

  /** Open conversations in the chosen order. */
  conversations(): Conversation[] {
    const rows = [...this.convs.values()];
    return rows.sort(this.sort === 'wait' ? byWait : byActivity);
  }

  /** Active agents by name. */
  agents(): Agent[] {
    return [...this.agentsById.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
  }

  /** Open conversations assigned to the agent, counted from the live list. */
  loadOf(agent: Agent): number {
    if (this.truncated) return agent.load ?? 0;
    let load = 0;
    for (const c of this.convs.values()) if (c.assignee?.id === agent.id) load++;
    return load;
  }
}

/** Longest waiting first, then those nobody waits in by activity (the server's order). */
export function byWait(a: Conversation, b: Conversation): number {
  const waitA = a.waiting_since ? time(a.waiting_since) : null;
  const waitB = b.waiting_since ? time(b.waiting_since) : null;
  if (waitA !== null && waitB !== null) return waitA - waitB || a.id - b.id;
  if (waitA !== null) return -1;
  if (waitB !== null) return 1;
  return byActivity(a, b);
}

/** Seconds the customer has been waiting at `now`; null when nobody waits. */
export function waitSeconds(c: Conversation, now: number): number | null {
  if (!c.waiting_since) return null;
  return Math.max(0, Math.floor((now - time(c.waiting_since)) / 1000));
}

export function waitLevel(seconds: number | null): WaitLevel {
  if (seconds === null) return 'none';
  if (seconds > WAIT_ALERT_S) return 'alert';
  if (seconds > WAIT_WARN_S) return 'warn';
  return 'ok';
}

function storedSort(): MonitorSort {
  try {
    const sort = localStorage.getItem(SORT_KEY) as MonitorSort | null;
    if (sort && MONITOR_SORTS.includes(sort)) return sort;
  } catch {
    /* storage blocked */
  }
  return 'wait';
}
