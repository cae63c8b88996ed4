/**
 * Sub-pages under one entry of the top navigation: the settings (general, channels,
 * categories, custom fields, routing, SLA, forms, reviewer, integrations) and the agent's texts (canned responses, macros).
 * Adding a page here rather than to the top bar keeps the bar within a laptop's width.
 */
import type { StringKey } from './i18n';
import { SETTINGS_PAGES, type Page } from './route';
import type { Store } from './store';

function SubNav({ s, pages, labels, label }: { s: Store; pages: readonly Page[]; labels: Partial<Record<Page, StringKey>>; label: StringKey }) {
  const t = s.t;
  const page = s.route.page;
  return (
    <nav class="cn-subnav" aria-label={t(label)}>
      {pages
        .filter((name) => s.mayOpen({ page: name }))
        .map((name) => (
          <a
            key={name}
            href={`/console/${name}`}
            data-testid={`cn-subnav-${name}`}
            aria-current={page === name ? 'page' : undefined}
            onClick={(event) => {
              if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
              event.preventDefault();
              s.navigate({ page: name });
            }}
          >
            {t(labels[name] || label)}
          </a>
        ))}
    </nav>
  );
}

const SETTINGS_LABELS: Record<(typeof SETTINGS_PAGES)[number], StringKey> = {
  settings: 'settingsGeneral',
  channels: 'channelsTitle',
  categories: 'categoriesTitle',
  fields: 'fieldsTitle',
  routing: 'routingTitle',
  sla: 'slaTitle',
  forms: 'formsTitle',
  reviewer: 'reviewerTitle',
  integrations: 'integrationsTitle',
};

/** The admin's settings pages. */
export function SettingsSubNav({ s }: { s: Store }) {
  return <SubNav s={s} pages={SETTINGS_PAGES} labels={SETTINGS_LABELS} label="navSettings" />;
}

/** Texts an agent inserts: canned responses and macros. */
export const TEXT_PAGES: readonly Page[] = ['canned', 'macros'];

export function TextsSubNav({ s }: { s: Store }) {
  return <SubNav s={s} pages={TEXT_PAGES} labels={{ canned: 'cannedTitle', macros: 'macrosTitle' }} label="navCanned" />;
}

/** The top navigation's entry a page belongs to (a contact's page: the inbox it is opened from). */
export function navEntry(page: Page | 'inbox' | 'contact'): Page | 'inbox' {
  if (page === 'contact') return 'inbox';
  if ((SETTINGS_PAGES as readonly string[]).includes(page)) return 'settings';
  if (page === 'macros') return 'canned';
  return page;
}
