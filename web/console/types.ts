/** The console's view of the protocol objects (docs/protocol.md, "Objects" and "Console"). */

export type AuthorType = 'contact' | 'agent' | 'bot' | 'system';
export type View = 'unassigned' | 'mine' | 'all';
export type StatusFilter = 'open' | 'resolved' | 'all';
export type Role = 'agent' | 'supervisor' | 'admin';

export interface Author {
  type: AuthorType;
  id: number | null;
  name: string | null;
}

export interface Message {
  id: number;
  conversation_id: number;
  seq: number;
  author: Author;
  /** `text` (the customer sees it) or `note` (internal, agents only). */
  kind: string;
  body: string;
  client_id?: string | null;
  created_at: string;
}

export interface ContactRef {
  id: number;
  name: string | null;
  email: string | null;
  phone: string | null;
}

export interface Conversation {
  id: number;
  number: number;
  status: string;
  inbox: { id: number; name: string; channel: string };
  contact: ContactRef;
  assignee: { id: number; name: string } | null;
  last_seq: number;
  unread_count: number;
  last_message: { body: string | null; author_type: string | null; kind: string | null; created_at: string | null } | null;
  created_at: string;
  updated_at: string;
  last_activity_at: string;
  first_response_at: string | null;
  resolved_at: string | null;
}

export interface Contact extends ContactRef {
  identities?: { kind: string; value: string }[];
  created_at?: string;
}

export interface Visitor {
  visitor_id: string;
  online: boolean;
  current_page: { url: string | null; title: string | null } | null;
  referrer: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  ip: string | null;
  country: string | null;
  visits: number;
  page_views?: number;
  first_seen_at: string;
  last_seen_at: string;
  language: string | null;
}

export interface Agent {
  id: number;
  name: string;
  email: string;
  role: Role;
  status: string;
  is_active: boolean;
}

export interface Counts {
  unassigned: number;
  mine: number;
  all: number;
  unread: { unassigned: number; mine: number; all: number };
}

/** A console `event` frame (also what `GET /api/v1/events` returns). */
export interface EventFrame {
  type: 'event';
  id: number;
  event: string;
  conversation_id: number | null;
  data: any;
  created_at: string;
}

export const VIEWS: readonly View[] = ['unassigned', 'mine', 'all'];
