/**
 * Conversation quality (docs/protocol.md, Review): the automatic review of each conversation,
 * read when the conversation opens and replaced by `conversation.reviewed`; a supervisor's
 * marks on findings the reviewer got wrong; and the supervisors' report by agent or team with
 * its drill-down to conversations. The fault codes are those of the taxonomy; a code this
 * console does not know yet shows as itself.
 */
import { ApiError, get, post } from './api';
import type { Host } from './host';
import type { StringKey, Translate } from './i18n';
import type { Finding, QualityGroup, QualityRow, Review } from './types';

export const FAULTS = [
  'slow_first_response',
  'slow_reply',
  'agent_abandoned',
  'unanswered_question',
  'template_phrase',
  'repeated_message',
  'rude_tone',
  'premature_contact_request',
  'emoji_in_money_topic',
  'language_mismatch',
  'message_burst',
  'link_without_explanation',
  'ignored_emotion',
  'bot_no_handoff',
] as const;

const known = (fault: string) => (FAULTS as readonly string[]).includes(fault);

export function faultLabel(fault: string, t: Translate): string {
  return known(fault) ? t(`fault_${fault}` as StringKey) : fault;
}

export function faultDescription(fault: string, t: Translate): string {
  return known(fault) ? t(`faultHint_${fault}` as StringKey) : '';
}

/** Good, middling or poor: the colour of a score. */
export function scoreLevel(score: number | null | undefined): 'none' | 'good' | 'fair' | 'poor' {
  if (score === null || score === undefined) return 'none';
  if (score >= 80) return 'good';
  if (score >= 60) return 'fair';
  return 'poor';
}

/** The findings shown on each message, by `seq`. */
export function findingsBySeq(review: Review | null | undefined): Map<number, Finding[]> {
  const bySeq = new Map<number, Finding[]>();
  for (const finding of review?.findings || []) {
    if (finding.seq === null || finding.seq === undefined) continue;
    const list = bySeq.get(finding.seq) || [];
    list.push(finding);
    bySeq.set(finding.seq, list);
  }
  return bySeq;
}

/** The reviews of the conversations opened in this console. */
export class Reviews {
  /** Conversation id → its review (null: none yet). Absent: not read. */
  private readonly byConversation = new Map<number, Review | null>();
  private readonly loading = new Set<number>();
  /** Conversations whose review arrived by event while a read was in flight: the event is newer. */
  private readonly newer = new Set<number>();
  /** Keys of marks in flight ("12:template_phrase"). */
  readonly marking = new Set<string>();
  private serial = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.byConversation.clear();
    this.loading.clear();
    this.newer.clear();
    this.marking.clear();
  }

  of(conversationId: number): Review | null | undefined {
    return this.byConversation.get(conversationId);
  }

  /** Reads the review when a conversation opens; a failure only means no panel. */
  async load(conversationId: number): Promise<void> {
    if (this.loading.has(conversationId)) return;
    const serial = this.serial;
    this.loading.add(conversationId);
    this.newer.delete(conversationId);
    try {
      const data = await get<{ review: Review | null }>(`/api/v1/conversations/${conversationId}/review`);
      if (serial !== this.serial || this.newer.has(conversationId)) return;
      this.byConversation.set(conversationId, data.review ?? null);
    } catch {
      /* no review to show: the conversation itself reports its own errors */
    } finally {
      if (serial === this.serial) this.loading.delete(conversationId);
      this.host.emit();
    }
  }

  /** `conversation.reviewed`: a new review (after a resolve), or marks changed. */
  apply(conversationId: number, review: Review | null): void {
    if (this.loading.has(conversationId)) this.newer.add(conversationId);
    this.byConversation.set(conversationId, review && Array.isArray(review.findings) ? review : null);
  }

  /** Marks the findings of `fault` as wrong (or takes the mark back). Supervisors and admins. */
  async mark(conversationId: number, fault: string, wrong: boolean): Promise<void> {
    const key = `${conversationId}:${fault}`;
    if (this.marking.has(key)) return;
    this.marking.add(key);
    this.host.emit();
    try {
      const data = await post<{ review: Review }>(`/api/v1/conversations/${conversationId}/review/marks`, { fault, wrong });
      this.byConversation.set(conversationId, data.review);
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
    } finally {
      this.marking.delete(key);
      this.host.emit();
    }
  }
}

export type QualityGrouping = 'agent' | 'team';
export const QUALITY_DAYS: readonly number[] = [7, 30, 90];

/** What the drill-down lists: one agent's (or team's) conversations, maybe of one fault. */
export interface Drill {
  group: QualityGrouping;
  id: number | null;
  name: string;
  fault: string | null;
}

/** The supervisors' quality report; read when its page opens (there are no events for it). */
export class QualityReport {
  group: QualityGrouping = 'agent';
  days = 30;
  groups: QualityGroup[] = [];
  marks = { findings: 0, marked_wrong: 0 };
  loaded = false;
  loading = false;
  error: string | null = null;
  drill: Drill | null = null;
  rows: QualityRow[] = [];
  rowsLoading = false;
  rowsError: string | null = null;
  private serial = 0;
  private drillSerial = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.drillSerial++;
    this.groups = [];
    this.loaded = false;
    this.loading = false;
    this.error = null;
    this.drill = null;
    this.rows = [];
    this.rowsLoading = false;
    this.rowsError = null;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.loading = true;
    this.error = null;
    this.host.emit();
    try {
      const data = await get<{ groups: QualityGroup[]; marks?: { findings: number; marked_wrong: number } }>(
        `/api/v1/quality?days=${this.days}&group=${this.group}`,
      );
      if (serial !== this.serial) return;
      this.groups = data.groups || [];
      this.marks = data.marks || { findings: 0, marked_wrong: 0 };
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    } finally {
      if (serial === this.serial) this.loading = false;
      this.host.emit();
    }
    if (serial === this.serial && this.drill) void this.loadRows();
  }

  setGroup(group: QualityGrouping): void {
    if (group === this.group) return;
    this.group = group;
    this.drill = null;
    void this.load();
  }

  setDays(days: number): void {
    this.days = days;
    void this.load();
  }

  open(drill: Drill | null): void {
    this.drill = drill;
    this.rows = [];
    if (drill) void this.loadRows();
    else {
      this.drillSerial++;
      this.host.emit();
    }
  }

  private async loadRows(): Promise<void> {
    const drill = this.drill;
    if (!drill) return;
    const serial = ++this.drillSerial;
    this.rowsLoading = true;
    this.rowsError = null;
    this.host.emit();
    const query = new URLSearchParams({ days: String(this.days) });
    if (drill.id !== null) query.set(drill.group === 'team' ? 'team_id' : 'agent_id', String(drill.id));
    if (drill.fault) query.set('fault', drill.fault);
    try {
      const data = await get<{ conversations: QualityRow[] }>(`/api/v1/quality/conversations?${query}`);
      if (serial !== this.drillSerial) return;
      this.rows = (data.conversations || []).map((row) => ({ ...row, faults: faultCodes(row.faults) }));
    } catch (error) {
      if (serial === this.drillSerial) this.rowsError = this.host.errorText(error);
    } finally {
      if (serial === this.drillSerial) this.rowsLoading = false;
      this.host.emit();
    }
  }
}

/** The drill-down's `faults` as codes, whether the server lists codes or `{fault}` objects. */
function faultCodes(faults: unknown): string[] {
  if (!Array.isArray(faults)) return [];
  return faults.map((item) => (typeof item === 'string' ? item : String((item as { fault?: unknown })?.fault ?? ''))).filter(Boolean);
}
