/** The console's view of the protocol objects (docs/protocol.md, "Objects" and "Console"). */

export type AuthorType = 'contact' | 'agent' | 'bot' | 'system';
export type View = 'unassigned' | 'mine' | 'all';
export type Role = 'agent' | 'supervisor' | 'admin';

export interface Author {
  type: AuthorType;
  id: number | null;
  name: string | null;
}

/** A file sent with a message (docs/protocol.md, "Files"). `url` is relative to the server. */
export interface FileInfo {
  id: number;
  name: string;
  size: number;
  content_type: string;
  url: string;
  image: boolean;
}

/**
 * `text` (the customer sees it), `note` (internal, agents only) or `whisper` (a supervisor's
 * hint to the agent: agents only, and only supervisors and admins write them).
 */
export type MessageKind = 'text' | 'note' | 'whisper';

export interface Message {
  id: number;
  conversation_id: number;
  seq: number;
  author: Author;
  /** A MessageKind; a string, as a newer server may know more kinds. */
  kind: string;
  /** May be empty when files go with the message. */
  body: string;
  attachments?: FileInfo[];
  /** Agents a note @mentions. */
  mentions?: number[];
  client_id?: string | null;
  created_at: string;
  /**
   * How the message left through its channel (Telegram, e-mail …); null for the web chat,
   * notes and the customer's own messages.
   */
  delivery?: Delivery | null;
  /**
   * The inbox it left or came through when not the conversation's: an answer to a site chat
   * sent by e-mail, and the customer's e-mail reply to it (`answer_via` names it).
   */
  via_inbox_id?: number | null;
}

/** An inbox as a conversation names it. */
export interface InboxRef {
  id: number;
  name: string;
  channel: string;
}

/** `pending` (waiting, or between retries), `sent`, `delivered`, `read` or `failed` (`error` says why). */
export type DeliveryStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Delivery {
  status: DeliveryStatus;
  error: string | null;
}

/**
 * Where a conversation came from, as its channel tells it (`GET /api/v1/conversations/{id}`):
 * for Telegram `{"channel": "telegram", "username": "@ivan"}`.
 */
export type ConversationContext = Record<string, unknown>;

export interface ContactRef {
  id: number;
  name: string | null;
  email: string | null;
  phone: string | null;
}

/** `chat` (started while the site was online), `offline` (the offline form), `callback` or `form` (a web form's submission). */
export type ConversationType = 'chat' | 'offline' | 'callback' | 'form';

export interface Conversation {
  id: number;
  number: number;
  status: string;
  type?: ConversationType;
  /** Transfers between agents so far. */
  transfer_count?: number;
  inbox: { id: number; name: string; channel: string };
  contact: ContactRef;
  assignee: { id: number; name: string } | null;
  /** The team whose queue it is in, after a transfer to a team. */
  team?: { id: number; name: string } | null;
  last_seq: number;
  unread_count: number;
  last_message: { body: string | null; author_type: string | null; kind: string | null; created_at: string | null } | null;
  created_at: string;
  updated_at: string;
  last_activity_at: string;
  first_response_at: string | null;
  resolved_at: string | null;
  /** When the customer's oldest unanswered message came; null when nobody waits. */
  waiting_since?: string | null;
  // The service-desk fields (docs/protocol.md, "Conversation (summary)").
  priority?: Priority;
  category_id?: number | null;
  /** Lower-case. */
  tags?: string[];
  /** Custom field values by key: dates as YYYY-MM-DD, multiselect as a list. */
  fields?: Record<string, FieldValue>;
  language?: string | null;
  snoozed_until?: string | null;
  closed_at?: string | null;
  csat_rating?: number | null;
  sla?: Sla | null;
}

/**
 * `pending`: waiting for the customer (SLA clocks pause); `snoozed`: put aside until
 * `snoozed_until`; `closed` is final.
 */
export type Status = 'open' | 'pending' | 'snoozed' | 'resolved' | 'closed';
export const STATUSES: readonly Status[] = ['open', 'pending', 'snoozed', 'resolved', 'closed'];
export type Priority = 'low' | 'normal' | 'high' | 'urgent';
export const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high', 'urgent'];
export type FieldValue = string | number | string[];

/**
 * A conversation's SLA: `due_at` is the next due time of a running target (null: none
 * running), `warn_at` when it turns "at risk". Clients colour it against their own clock.
 */
export interface Sla {
  policy_id: number | null;
  due_at: string | null;
  warn_at: string | null;
  targets?: Record<string, unknown>;
}
export type SlaState = 'ok' | 'at_risk' | 'breached';
export const SLA_STATES: readonly SlaState[] = ['ok', 'at_risk', 'breached'];

/** A node of the account's category tree (at most 5 deep); `path` ("Payments › Refunds") in lists. */
export interface Category {
  id: number;
  name: string;
  parent_id: number | null;
  position: number;
  is_active: boolean;
  path?: string;
}

export type FieldType = 'text' | 'number' | 'date' | 'select' | 'multiselect';
export const FIELD_TYPES: readonly FieldType[] = ['text', 'number', 'date', 'select', 'multiselect'];

/** A custom field of conversations; `key` and `type` never change once created. */
export interface CustomField {
  id: number;
  key: string;
  label: string;
  type: FieldType;
  options: string[] | null;
  required: boolean;
  position: number;
  is_active: boolean;
}

/** Who changed which field of a conversation, from what to what (values as text). */
export interface AuditEntry {
  id: number;
  actor: { type: 'agent' | 'contact' | 'system'; id: number | null; name: string | null };
  /** `status`, `priority`, `assignee`, `fields.<key>`, … */
  field: string;
  old: string | null;
  new: string | null;
  created_at: string;
}

/**
 * The inbox list's filter (docs/protocol.md, "Filter"), as a saved view keeps it: parts left
 * out take their defaults (status open, view all, sort recent).
 */
export interface InboxFilter {
  view?: View;
  status?: Status[] | 'all';
  assignee_id?: number | 'none' | null;
  team_id?: number | 'none' | null;
  priority?: Priority[];
  category_id?: number | null;
  tag?: string[];
  channel?: string[];
  inbox_id?: number | null;
  sla?: SlaState[];
  created_from?: string | null;
  created_to?: string | null;
  fields?: Record<string, string>;
  q?: string | null;
  sort?: Sort;
}
export type Sort = 'recent' | 'waiting' | 'sla' | 'created' | 'number';
export const SORTS: readonly Sort[] = ['recent', 'waiting', 'sla', 'created', 'number'];

export interface SavedView {
  id: number;
  name: string;
  filters: InboxFilter;
  /** For the whole account (made by a supervisor or admin); otherwise the agent's own. */
  shared: boolean;
  position: number;
}

/**
 * One way to reach the contact: `kind` is `web` (a website visitor id), `email`, `phone`,
 * `telegram`, `vk`, `viber` or `whatsapp`; `blocked`: the channel refuses to deliver to it
 * (the customer blocked the bot).
 */
export interface Identity {
  kind: string;
  value: string;
  blocked?: boolean;
}

export interface Contact extends ContactRef {
  identities?: Identity[];
  created_at?: string;
  /** This contact was merged into that one: its conversations and identities are there now. */
  merged_into_id?: number | null;
}

/** A merge of `merged_id` into `survivor_id`, with how much it moved; `undone_at` once undone. */
export interface ContactMerge {
  id: number;
  survivor_id: number;
  merged_id: number;
  conversations: number;
  identities: number;
  created_by_id: number | null;
  created_at: string;
  undone_at: string | null;
}

export interface TrailPage {
  url: string | null;
  title: string | null;
  at: string | null;
}

export interface Visitor {
  visitor_id: string;
  contact_id?: number;
  online: boolean;
  current_page: { url: string | null; title: string | null } | null;
  /** This visit's pages, newest last (at most 20). */
  pages?: TrailPage[];
  referrer: string | null;
  search_query?: string | null;
  utm?: Record<string, string> | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  ip: string | null;
  country: string | null;
  city?: string | null;
  visits: number;
  page_views?: number;
  visit_started_at?: string | null;
  /** The visitor has an open conversation. */
  in_chat?: boolean;
  first_seen_at: string;
  last_seen_at: string;
  language: string | null;
}

export type AgentStatus = 'online' | 'away' | 'offline';

export interface Agent {
  id: number;
  name: string;
  email: string;
  role: Role;
  status: AgentStatus;
  status_changed_at?: string | null;
  /** How many open conversations the agent may carry before assigning needs `force`. */
  capacity?: number;
  /** Open conversations assigned to the agent: only `GET /api/v1/agents` tells it. */
  load?: number;
  is_active: boolean;
  /** What the agent is given from a team's queue (empty lists: any). */
  skills?: Skills;
}

/** Languages ("ru") and category ids an agent takes; an empty list takes any. */
export interface Skills {
  languages: string[];
  categories: number[];
}

export interface Canned {
  id: number;
  shortcut: string;
  title: string;
  body: string;
  scope: 'personal' | 'shared';
  owner_id: number | null;
  updated_at: string;
}

export type BanKind = 'visitor' | 'ip' | 'email' | 'phone' | 'telegram' | 'vk' | 'viber' | 'whatsapp';

export interface Ban {
  id: number;
  kind: BanKind;
  value: string;
  reason: string;
  expires_at: string | null;
  lifted_at: string | null;
  active: boolean;
  created_by: { id: number; name: string } | null;
  created_at: string;
  updated_at: string;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export type FieldMode = 'hidden' | 'optional' | 'required';

export interface BusinessHours {
  timezone: string;
  /** Local "HH:MM" intervals; "24:00" may end one. A missing day is closed. */
  weekly: Partial<Record<Weekday, [string, string][]>>;
  /** "YYYY-MM-DD" days the site is closed. */
  holidays: string[];
}

export type InvitationFrequency = 'once_per_visit' | 'once_per_day' | 'once' | 'every_page';

export interface InvitationConditions {
  time_on_page: number | null;
  time_on_site: number | null;
  url: string | null;
  pages_viewed: number | null;
  visit_number: number | null;
  referrer: string | null;
  utm: Record<string, string> | null;
  countries: string[] | null;
  only_when_online: boolean;
}

/** A proactive invitation rule of a site (docs/protocol.md, "Proactive invitations"). */
export interface Invitation {
  id: string;
  text: string;
  enabled: boolean;
  conditions: InvitationConditions;
  frequency: InvitationFrequency;
}

export interface InvitationStats {
  id: string;
  shown: number;
  accepted: number;
}

export type WidgetSize = 'compact' | 'standard' | 'large';

export interface SiteSettings {
  title: string;
  greeting: string;
  color: string;
  position: 'left' | 'right';
  language: 'auto' | 'ru' | 'en';
  prechat: { name: FieldMode; email: FieldMode; phone: FieldMode };
  offline_text: string;
  callback: boolean;
  transcript: boolean;
  offline_when_no_agents: boolean;
  hours: BusinessHours | null;
  logo_url: string | null;
  size: WidgetSize;
  sounds: boolean;
  typing_preview: boolean;
  invitation_text: string;
  track_visitors: boolean;
  invitations: Invitation[];
}

export interface Inbox {
  id: number;
  name: string;
  channel: string;
  site_key: string | null;
  is_active: boolean;
  settings: SiteSettings;
  // A channel adapter's inbox (Telegram, e-mail …) also has these (docs/protocol.md, "Channels").
  /** The last check or delivery: `ok`, `error` (`last_error` says why), null before any. */
  status?: 'ok' | 'error' | null;
  last_error?: string | null;
  last_error_at?: string | null;
  /** Where the channel sends updates. */
  webhook_url?: string;
}

export interface Smtp {
  host: string;
  port: number;
  security: 'none' | 'starttls' | 'tls';
  username: string;
  /** Write-only: never read back; `password_set` says whether one is stored. */
  password?: string;
  password_set?: boolean;
  from_email: string;
  from_name: string;
}

export type FileKind = 'images' | 'pdf' | 'text' | 'office' | 'archives';
export const FILE_KINDS: readonly FileKind[] = ['images', 'pdf', 'text', 'office', 'archives'];

/** The account's general settings (admin): `GET/PUT /api/v1/account/settings`. */
export interface AccountSettings {
  auto_away_minutes: number;
  /** Days after which a resolved conversation closes by itself (0: never). */
  close_after_days?: number;
  files: { max_mb: number; kinds: FileKind[] };
}

/** How a team gives out the conversations routed to it. */
export type Assignment = 'least_loaded' | 'round_robin' | 'manual';
export const ASSIGNMENTS: readonly Assignment[] = ['least_loaded', 'round_robin', 'manual'];

export interface TeamInfo {
  id: number;
  name: string;
  member_ids: number[];
  assignment?: Assignment;
  /** Seconds without an answer after which the assignee's conversation goes to another member (0: never). */
  reassign_after?: number;
}

/** A message of the operator chat. Rooms: `team:<id>` and `dm:<a>:<b>`. */
export interface ChatMessage {
  id: number;
  room: string;
  author: { id: number; name: string };
  body: string;
  client_id: string | null;
  created_at: string;
}

export interface ChatRoom {
  room: string;
  kind: 'team' | 'direct';
  name: string;
  agent_id: number | null;
  last_message_id: number | null;
  last_read_id: number;
  unread: number;
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

/** One fault the automatic review found; `seq` is the message that shows it (null: the whole conversation). */
export interface Finding {
  fault: string;
  seq: number | null;
  reason: string;
  marked_wrong: boolean;
}

/** The automatic review of a conversation, made when it is resolved. */
export interface Review {
  score: number;
  reviewed_at: string;
  findings: Finding[];
}

/** What the coach says a draft would add to the conversation's faults. */
export interface CoachWarning {
  fault: string;
  reason: string;
}

export interface QualityPoint {
  date: string;
  conversations: number;
  average_score: number | null;
}

/** An agent's (or a team's) reviews in the report (`GET /api/v1/quality`). */
export interface QualityGroup {
  id: number | null;
  name: string | null;
  conversations: number;
  average_score: number | null;
  series: QualityPoint[];
  top_faults: { fault: string; count: number }[];
}

export interface QualityRow {
  conversation: Conversation;
  score: number;
  faults: string[];
}
