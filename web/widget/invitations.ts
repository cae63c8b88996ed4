/**
 * Proactive invitations: the site's rules, judged in the page (docs/protocol.md, "Proactive
 * invitations"). Pure functions plus the record of what was shown when, which the
 * `frequency` of a rule reads.
 */
import type { SiteStorage } from './storage';
import type { Visit } from './tracking';

export type Frequency = 'once_per_visit' | 'once_per_day' | 'once' | 'every_page';

export interface Invitation {
  id: string;
  text: string;
  enabled?: boolean;
  frequency?: Frequency;
  conditions?: {
    time_on_page?: number | null;
    time_on_site?: number | null;
    url?: string | null;
    pages_viewed?: number | null;
    visit_number?: number | null;
    referrer?: string | null;
    utm?: Record<string, string> | null;
    countries?: string[] | null;
    only_when_online?: boolean;
  };
}

/** What the rules are judged against, as of now. */
export interface Situation {
  url: string;
  secondsOnPage: number;
  visit: Visit;
  country: string | null;
  online: boolean;
}

/** `*` is any characters (none included); the rest is literal; the whole URL must match. */
export function globMatches(pattern: string, text: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i').test(text);
}

/** Every condition that is not null holds. */
export function conditionsHold(invitation: Invitation, now: Situation): boolean {
  const c = invitation.conditions || {};
  const atLeast = (limit: number | null | undefined, value: number) => limit == null || value >= limit;
  const visit = now.visit;
  return (
    atLeast(c.time_on_page, now.secondsOnPage) &&
    atLeast(c.time_on_site, (Date.now() - visit.startedAt) / 1000) &&
    atLeast(c.pages_viewed, visit.pages) &&
    atLeast(c.visit_number, visit.number) &&
    (c.url == null || globMatches(c.url, now.url)) &&
    (c.referrer == null || visit.referrer.toLowerCase().includes(c.referrer.toLowerCase())) &&
    (c.utm == null || Object.keys(c.utm).every((tag) => visit.utm[tag] === c.utm![tag])) &&
    (c.countries == null || (!!now.country && c.countries.some((code) => code.toUpperCase() === now.country!.toUpperCase()))) &&
    (c.only_when_online === false || now.online)
  );
}

/**
 * When each rule was last shown on this browser, for its `frequency`: `{id: [time, visit]}`
 * in localStorage; `every_page` asks only about this page view.
 */
export class ShownLog {
  private shown: Record<string, [number, number]>;
  /** Rules shown on this page view (a single-page navigation starts a new one). */
  onThisPage = new Set<string>();

  constructor(private readonly storage: SiteStorage) {
    this.shown = storage.json('invited', {});
  }

  allows(invitation: Invitation, visit: Visit): boolean {
    if (this.onThisPage.has(invitation.id)) return false;
    const last = this.shown[invitation.id];
    if (!last) return true;
    switch (invitation.frequency || 'once_per_visit') {
      case 'once':
        return false;
      case 'once_per_day':
        return new Date(last[0]).toDateString() !== new Date().toDateString();
      case 'once_per_visit':
        return last[1] !== visit.number;
      default:
        return true; // every_page
    }
  }

  record(invitation: Invitation, visit: Visit): void {
    this.onThisPage.add(invitation.id);
    this.shown[invitation.id] = [Date.now(), visit.number];
    this.storage.set('invited', JSON.stringify(this.shown));
  }
}

/** The first rule, in order, that is on, allowed by its frequency and whose conditions hold. */
export function pickInvitation(rules: Invitation[], log: ShownLog, now: Situation): Invitation | undefined {
  return rules.find((rule) => rule.enabled !== false && rule.text && log.allows(rule, now.visit) && conditionsHold(rule, now));
}
