/**
 * Teams (docs/protocol.md, `/api/v1/teams` and "Assignment"): groups of agents with a chat
 * room each, and a queue a conversation can be transferred to, given out least loaded first,
 * round robin or by hand, and handed on when its assignee leaves the customer unanswered.
 * Every agent reads the list (the transfer dialog); admins create, rename, change members,
 * the assignment and delete. `team.updated` events keep it current.
 */
import { ApiError, del, get, patch, post } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import type { Assignment, TeamInfo } from './types';

export interface TeamForm {
  name: string;
  member_ids: number[];
  assignment?: Assignment;
  /** Seconds; 0: never. */
  reassign_after?: number;
}

export class Teams {
  list: TeamInfo[] = [];
  loaded = false;
  error: string | null = null;
  private serial = 0;

  constructor(
    private readonly host: Host,
    /** My teams may have changed: the chat's rooms follow them. */
    private readonly onMembership: () => void,
  ) {}

  reset(): void {
    this.serial++;
    this.list = [];
    this.loaded = false;
    this.error = null;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.error = null;
    try {
      const data = await get<{ teams: TeamInfo[] }>('/api/v1/teams');
      if (serial !== this.serial) return;
      this.list = sortTeams(data.teams);
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    }
    this.host.emit();
  }

  byId(id: number): TeamInfo | undefined {
    return this.list.find((team) => team.id === id);
  }

  /** A `team.updated` event (or an answer): upserted, or removed when `deleted`. */
  apply(team: TeamInfo, deleted = false): void {
    const me = this.host.me?.id;
    const before = this.byId(team.id);
    const rest = this.list.filter((other) => other.id !== team.id);
    // What an event leaves out (an older server's has only id, name and members) is kept.
    this.list = deleted ? rest : sortTeams([...rest, { ...before, ...team }]);
    const wasIn = !!me && !!before?.member_ids.includes(me);
    const isIn = !!me && !deleted && team.member_ids.includes(me);
    if (wasIn !== isIn || (isIn && before?.name !== team.name)) this.onMembership();
  }

  /** Admin: creates (no `id`) or changes a team; resolves to errors by field, empty when saved. */
  async save(form: TeamForm, id?: number): Promise<FieldErrors> {
    const body = { ...form, name: form.name.trim() };
    try {
      const data = id === undefined ? await post<{ team: TeamInfo }>('/api/v1/teams', body) : await patch<{ team: TeamInfo }>(`/api/v1/teams/${id}`, body);
      this.apply(data.team);
      this.host.showToast(this.host.t(id === undefined ? 'teamCreated' : 'teamSaved', { name: data.team.name }), 'info');
      return {};
    } catch (error) {
      if (error instanceof ApiError && error.code === 'conflict') return { name: this.host.t('teamNameTaken') };
      return fieldErrors(error, this.host, ['name', 'member_ids', 'assignment', 'reassign_after']);
    } finally {
      this.host.emit();
    }
  }

  async remove(team: TeamInfo): Promise<boolean> {
    try {
      await del(`/api/v1/teams/${team.id}`);
      this.apply(team, true);
      return true;
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
      return false;
    } finally {
      this.host.emit();
    }
  }
}

function sortTeams(teams: TeamInfo[]): TeamInfo[] {
  return [...teams].sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
}
