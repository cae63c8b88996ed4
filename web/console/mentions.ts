/**
 * @mentions in internal notes (docs/protocol.md, "Mentions"): an agent is `@Name` with the
 * spaces taken out, or `@` and the local part of their e-mail, case-insensitive. The server
 * decides who was mentioned (`message.mentions`); the console only helps write the handle and
 * shows the handles it recognises.
 */
import type { Agent } from './types';

// As the server reads them: not after a letter, digit or another @ (an e-mail address).
const MENTION = /(?<![\p{L}\p{N}_@])@([\p{L}\p{N}_.+-]+)/gu;

const HANDLE = /^[\p{L}\p{N}_.+-]*[\p{L}\p{N}_+-]$/u;

/**
 * The handle the picker writes for an agent: the name without spaces — or, for a name the
 * server could not read back as one (an apostrophe, say), the local part of the e-mail.
 */
export function handleOf(agent: Pick<Agent, 'name' | 'email'>): string {
  const name = agent.name.split(/\s+/).join('');
  return HANDLE.test(name) ? name : agent.email.split('@')[0];
}

/** Every handle that names an agent (lower-cased) → the agent's id. */
export function agentHandles(agents: readonly Agent[]): Map<string, number> {
  const handles = new Map<string, number>();
  for (const agent of agents) {
    if (!agent.is_active) continue;
    handles.set(handleOf(agent).toLowerCase(), agent.id);
    const local = agent.email.split('@')[0]?.toLowerCase();
    if (local) handles.set(local, agent.id);
  }
  return handles;
}

export type MentionPiece = { text: string; agentId?: number };

/** Splits a note's text into plain pieces and the @handles that name an agent. */
export function splitMentions(text: string, handles: ReadonlyMap<string, number>): MentionPiece[] {
  const pieces: MentionPiece[] = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    // A sentence may end right after the handle: "@Anna." names Anna.
    const handle = match[1].replace(/\.+$/, '');
    const agentId = handles.get(handle.toLowerCase());
    if (agentId === undefined) continue;
    const start = match.index ?? 0;
    if (start > last) pieces.push({ text: text.slice(last, start) });
    pieces.push({ text: `@${handle}`, agentId });
    last = start + handle.length + 1;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}

/** Agents whose name or e-mail matches what was typed after `@`: names starting with it first. */
export function searchAgents(agents: readonly Agent[], query: string, skipId: number | undefined): Agent[] {
  const q = query.toLocaleLowerCase();
  const scored: [number, Agent][] = [];
  for (const agent of agents) {
    if (!agent.is_active || agent.id === skipId) continue;
    const name = agent.name.toLocaleLowerCase();
    const handle = handleOf(agent).toLocaleLowerCase();
    const local = agent.email.split('@')[0].toLocaleLowerCase();
    let score = -1;
    if (!q || handle.startsWith(q) || name.startsWith(q)) score = 0;
    else if (name.split(/\s+/).some((word) => word.startsWith(q))) score = 1;
    else if (local.startsWith(q)) score = 2;
    else if (handle.includes(q)) score = 3;
    if (score >= 0) scored.push([score, agent]);
  }
  return scored.sort((a, b) => a[0] - b[0] || a[1].name.localeCompare(b[1].name)).map(([, agent]) => agent);
}
