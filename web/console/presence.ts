/**
 * The agent's own status (docs/protocol.md, "Presence"): the header's online/away switch and
 * auto-away. After `auto_away_minutes` without keyboard or mouse input the console sets the
 * agent `away`; the next input sets `online` again, but only if the away was automatic: an
 * agent who chose `away` stays away until they choose otherwise.
 *
 * Several tabs of one agent share the last input time and the "automatic" mark through
 * localStorage, so a tab in the background does not send its agent away while they work in
 * another, and input in any tab ends an automatic away.
 */
import { ApiError, post } from './api';
import type { Host } from './host';
import type { Agent, AgentStatus } from './types';

const CHECK_EVERY_MS = 15_000;
const SHARE_INPUT_EVERY_MS = 5_000;
const INPUT_EVENTS = ['keydown', 'mousedown', 'mousemove', 'wheel', 'touchstart'] as const;

export class Presence {
  /** 0: never. From `GET /api/v1/me` (`account.settings.auto_away_minutes`). */
  autoAwayMinutes = 0;
  private lastInput = Date.now();
  private sharedAt = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private agentId = 0;
  private inFlight = false;
  /** The "automatic" mark when localStorage is blocked. */
  private automaticHere = false;

  constructor(
    private readonly host: Host,
    /** Applies the agent the server answered with (the store's upsert). */
    private readonly applyAgent: (agent: Agent) => void,
  ) {}

  start(agentId: number, autoAwayMinutes: number): void {
    this.stop();
    this.agentId = agentId;
    this.autoAwayMinutes = Math.max(0, Number(autoAwayMinutes) || 0);
    this.lastInput = Date.now();
    for (const name of INPUT_EVENTS) addEventListener(name, this.onInput, { capture: true, passive: true });
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const name of INPUT_EVENTS) removeEventListener(name, this.onInput, { capture: true });
  }

  /** The agent chose a status in the header: never "automatic". */
  async choose(status: Exclude<AgentStatus, 'offline'>): Promise<void> {
    this.automatic = false;
    await this.set(status, true);
  }

  private readonly onInput = () => {
    const now = Date.now();
    this.lastInput = now;
    if (now - this.sharedAt >= SHARE_INPUT_EVERY_MS) {
      this.sharedAt = now;
      this.store('input', String(now));
    }
    if (this.automatic && this.host.me?.status === 'away' && !this.inFlight) {
      this.automatic = false;
      void this.set('online', false);
    }
  };

  private check(): void {
    const me = this.host.me;
    if (!this.autoAwayMinutes || !me || me.status !== 'online' || this.inFlight) return;
    const last = Math.max(this.lastInput, Number(this.read('input')) || 0);
    if (Date.now() - last < this.autoAwayMinutes * 60_000) return;
    this.automatic = true;
    void this.set('away', false);
  }

  private async set(status: Exclude<AgentStatus, 'offline'>, loud: boolean): Promise<void> {
    this.inFlight = true;
    try {
      const data = await post<{ agent: Agent }>('/api/v1/me/status', { status });
      this.applyAgent(data.agent);
    } catch (error) {
      // A failed automatic change is tried again at the next check or input.
      if (loud && !(error instanceof ApiError && error.status === 401)) this.host.showToast(this.host.errorText(error));
    } finally {
      this.inFlight = false;
      this.host.emit();
    }
  }

  /** Whether the current `away` was set by the idle timer (shared by the agent's tabs). */
  private get automatic(): boolean {
    const stored = this.read('auto');
    return stored === undefined ? this.automaticHere : stored === '1';
  }

  private set automatic(on: boolean) {
    this.automaticHere = on;
    this.store('auto', on ? '1' : null);
  }

  /** undefined: storage is blocked. */
  private read(name: string): string | null | undefined {
    try {
      return localStorage.getItem(`helpline.console.${name}.${this.agentId}`);
    } catch {
      return undefined;
    }
  }

  private store(name: string, value: string | null): void {
    try {
      const key = `helpline.console.${name}.${this.agentId}`;
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch {
      /* storage blocked: this tab decides alone */
    }
  }
}
