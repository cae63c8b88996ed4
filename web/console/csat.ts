/**
 * Customer ratings (docs/protocol.md, "Ratings (CSAT)"): a conversation's rating with the
 * customer's comment and the link to the rating page (for channels without the widget), and
 * the per-agent summary the quality page shows. The conversation itself carries only the
 * number (`csat_rating`); the comment is read when the sidebar shows it.
 */
import { ApiError, get } from './api';
import type { Host } from './host';

export interface Rating {
  rating: number;
  comment: string | null;
  agent_id: number | null;
  created_at: string;
}

export interface AgentCsat {
  agent_id: number | null;
  ratings: number;
  average: number | null;
  /** The share of 4 and 5. */
  satisfied: number | null;
}

interface ConversationCsat {
  csat: Rating | null;
  link: string | null;
  /** The rating it was read for: a new rating reads it again. */
  for: number | null;
  loading: boolean;
}

export class Csat {
  /** The quality page's summary, for `days`. */
  agents: AgentCsat[] = [];
  days = 0;
  private readonly byConversation = new Map<number, ConversationCsat>();
  private serial = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.agents = [];
    this.days = 0;
    this.byConversation.clear();
  }

  of(conversationId: number): ConversationCsat | undefined {
    return this.byConversation.get(conversationId);
  }

  /** Reads the rating and its link unless they were read for this very rating. */
  async load(conversationId: number, rating: number | null): Promise<ConversationCsat | undefined> {
    const known = this.byConversation.get(conversationId);
    if (known && (known.loading || known.for === rating)) return known;
    const state: ConversationCsat = { csat: known?.csat ?? null, link: known?.link ?? null, for: rating, loading: true };
    this.byConversation.set(conversationId, state);
    this.host.emit();
    try {
      const data = await get<{ csat: Rating | null; link: string | null }>(`/api/v1/conversations/${conversationId}/csat`);
      state.csat = data.csat;
      state.link = data.link;
    } catch (error) {
      state.for = null; // tried again next time
      if (!(error instanceof ApiError && error.status === 401)) this.host.showToast(this.host.errorText(error));
    } finally {
      state.loading = false;
      this.host.emit();
    }
    return state;
  }

  /** The quality page's CSAT column: every agent's ratings of the last `days` days. */
  async loadReport(days: number): Promise<void> {
    const serial = ++this.serial;
    this.days = days;
    try {
      const data = await get<{ agents: AgentCsat[] }>(`/api/v1/csat?days=${days}`);
      if (serial === this.serial) this.agents = data.agents;
    } catch {
      if (serial === this.serial) this.agents = []; // the column stays empty; the report itself says what failed
    }
    this.host.emit();
  }

  ofAgent(agentId: number | null): AgentCsat | undefined {
    return this.agents.find((row) => row.agent_id === agentId);
  }
}
