/** The console's shell: login, the top bar, the pages, toasts and keyboard shortcuts. */
import { lazy, Suspense } from 'preact/compat';
import { useEffect, useRef, useState } from 'preact/hooks';
import { AdminPage } from './admin';
import { setSoundEnabled, soundEnabled } from './alerts';
import { ApiError } from './api';
import { BansPage } from './bans-page';
import { CannedPage } from './canned-page';
import { ChatPage } from './chat-page';
import { CategoriesPage, FieldsPage } from './classification-page';
import { ConversationView } from './conversation';
import { TagSuggestions } from './filter-bar';
import { handleHotkey, hotkeysFor } from './hotkeys';
import { LANGS, type Lang, type StringKey } from './i18n';
import { InboxList } from './inbox';
import { MonitorPage } from './monitor-page';
import { QualityPage } from './quality-page';
import { VisitorSidebar } from './sidebar';
import { routePath, type Page, type Route } from './route';
import { SettingsPage } from './settings-page';
import { store, type Store } from './store';
import { navEntry } from './subnav';
import { StatusControl } from './team';
import { TeamsPage } from './teams-page';
import { TransferDialog } from './transfer';
import { Modal, modalOpen } from './ui';
import { VisitorsPage } from './visitors-page';

// The automation's pages (routing, SLA, forms, channels, the reviewer, integrations — admins' —
// and macros) and a contact's page load when first opened: most agents never do, and the
// console they open every day stays small.
const ChannelsPage = lazy(() => import('./channels-page').then((module) => module.ChannelsPage));
const RoutingPage = lazy(() => import('./routing-page').then((module) => module.RoutingPage));
const SlaPage = lazy(() => import('./sla-page').then((module) => module.SlaPage));
const FormsPage = lazy(() => import('./forms-page').then((module) => module.FormsPage));
const ReviewerPage = lazy(() => import('./reviewer-page').then((module) => module.ReviewerPage));
const MacrosPage = lazy(() => import('./macros-page').then((module) => module.MacrosPage));
const IntegrationsPage = lazy(() => import('./integrations-page').then((module) => module.IntegrationsPage));
// A contact's page comes with the merge dialog (contact-card.tsx loads the same chunk for it).
const ContactPage = lazy(() => import('./contact-page').then((module) => module.ContactPage));

/** Re-renders the calling component whenever the store changes. */
function useStore(): Store {
  const [, setVersion] = useState(0);
  useEffect(() => store.subscribe(() => setVersion((v) => v + 1)), []);
  return store;
}

export function App() {
  const s = useStore();
  useEffect(() => {
    void s.boot();
  }, []);
  useEffect(() => {
    const unread = (s.counts ? s.counts.unread.mine + s.counts.unread.unassigned : 0) + s.chat.unreadTotal;
    document.title = `${unread ? `(${unread}) ` : ''}${s.t('appName')}`;
  });
  if (s.auth === 'loading') return <div class="cn-splash">{s.t('loading')}</div>;
  if (s.auth === 'unreachable') return <div class="cn-splash">{s.t('networkError')}</div>;
  if (s.auth === 'anon') return <Login s={s} />;
  return <Shell s={s} />;
}

/** The language switch; `short` (the top bar) names them RU / EN to leave the room to the navigation. */
export function LangSwitch({ s, short }: { s: Store; short?: boolean }) {
  return (
    <select
      class="cn-lang"
      data-testid="cn-lang"
      aria-label={s.t('language')}
      title={s.t('language')}
      value={s.lang}
      onChange={(e) => s.setLang((e.currentTarget as HTMLSelectElement).value as Lang)}
    >
      {LANGS.map((lang) => (
        <option key={lang} value={lang}>
          {short ? lang.toUpperCase() : lang === 'ru' ? 'Русский' : 'English'}
        </option>
      ))}
    </select>
  );
}

function Login({ s }: { s: Store }) {
  const t = s.t;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message?: string; until?: number } | null>(null);
  const [, tick] = useState(0);
  const emailInput = useRef<HTMLInputElement>(null);

  useEffect(() => emailInput.current?.focus(), []);
  // The wait after too_many_attempts counts down.
  useEffect(() => {
    if (!error?.until) return;
    const timer = setInterval(() => {
      tick((n) => n + 1);
      if (Date.now() >= error.until!) setError(null);
    }, 1000);
    return () => clearInterval(timer);
  }, [error?.until]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await s.login(email.trim(), password);
    } catch (failure) {
      if (failure instanceof ApiError) {
        if (failure.code === 'too_many_attempts') {
          setError({ code: failure.code, until: Date.now() + (failure.retryAfter || 60) * 1000 });
        } else setError({ code: failure.code, message: failure.message });
      } else setError({ code: 'unknown', message: String(failure) });
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  let errorText = '';
  if (error) {
    if (error.code === 'invalid_credentials') errorText = t('invalidCredentials');
    else if (error.code === 'too_many_attempts') errorText = t('tooManyAttempts', { wait: s.waitText(((error.until || 0) - Date.now()) / 1000) });
    else if (error.code === 'network') errorText = t('networkError');
    else errorText = t('serverError', { message: error.message || error.code });
  }

  return (
    <div class="cn-login">
      <form class="cn-login-card" onSubmit={submit} noValidate>
        <div class="cn-login-brand">
          <Logo />
          <span>{t('appName')}</span>
        </div>
        <h1>{t('loginTitle')}</h1>
        <label>
          <span>{t('email')}</span>
          <input
            ref={emailInput}
            type="email"
            name="email"
            autocomplete="username"
            data-testid="cn-login-email"
            value={email}
            onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)}
            required
          />
        </label>
        <label>
          <span>{t('password')}</span>
          <input
            type="password"
            name="password"
            autocomplete="current-password"
            data-testid="cn-login-password"
            value={password}
            onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
            required
          />
        </label>
        {errorText && (
          <div class="cn-login-error" role="alert" data-testid="cn-login-error" data-code={error?.code}>
            {errorText}
          </div>
        )}
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-login-submit" disabled={busy}>
          {busy ? t('signingIn') : t('signIn')}
        </button>
        <div class="cn-login-foot">
          <LangSwitch s={s} />
        </div>
      </form>
    </div>
  );
}

const Logo = () => (
  <svg class="cn-logo" viewBox="0 0 24 24" aria-hidden="true">
    <path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" />
  </svg>
);

function ConnIndicator({ s }: { s: Store }) {
  const t = s.t;
  const label = s.conn === 'open' ? t('connOpen') : s.conn === 'connecting' ? (s.everWelcomed ? t('connConnecting') : t('connFirst')) : t('connOffline');
  const pendingCount = s.pending.size;
  return (
    <span class="cn-conn" data-testid="cn-conn" data-state={s.conn} title={s.conn === 'open' ? `${label}: ${t('connOpenTitle')}` : t('connConnectingTitle')} role="status">
      <i aria-hidden="true" />
      {/* Connected is the normal state: a green dot says it; trouble is spelt out. */}
      <span class={s.conn === 'open' ? 'cn-sr' : undefined}>{label}</span>
      {pendingCount > 0 && s.conn !== 'open' && <b class="cn-conn-pending">{pendingCount}</b>}
    </span>
  );
}

function Shell({ s }: { s: Store }) {
  const t = s.t;
  const me = s.me!;
  const [help, setHelp] = useState(false);
  const [sound, setSound] = useState(soundEnabled());
  const route = s.route;
  const openId = route.page === 'inbox' ? route.id : null;

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // A dialog (this help too) has the keyboard; `?` still closes the help.
      if (modalOpen()) {
        if (event.key === '?' && document.querySelector('[aria-modal="true"][data-testid="cn-shortcuts"]')) {
          setHelp(false);
          event.preventDefault();
        }
        return;
      }
      if (event.key === 'Escape' && s.infoOpen) {
        s.toggleInfo(false);
        return;
      }
      // The route of this moment, not of the last render: keys come faster than renders.
      const current = s.route.page === 'inbox' ? s.route.id : null;
      handleHotkey(event, { s, openId: current, toggleHelp: () => setHelp((open) => !open) });
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const go = (event: MouseEvent, to: () => void) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    to();
  };
  const inboxRoute = { page: 'inbox' as const, view: route.page === 'inbox' ? route.view : ('all' as const), id: openId };
  // The settings' sub-pages light up "Settings"; macros light up the canned responses.
  const current = navEntry(route.page);
  const pageLink = (page: Page, label: StringKey, badge?: preact.JSX.Element | null) =>
    s.mayOpen({ page }) && (
      <a href={routePath({ page })} data-testid={`cn-nav-${page}`} aria-current={current === page ? 'page' : undefined} onClick={(e) => go(e, () => s.navigate({ page } as Route))}>
        {t(label)}
        {badge}
      </a>
    );
  const chatUnread = s.chat.unreadTotal;
  const visitorsCount = s.liveVisitors.loaded ? s.liveVisitors.count : 0;

  return (
    <div class="cn-app">
      <header class="cn-top">
        <div class="cn-brand">
          <Logo />
          <span>{t('appName')}</span>
          {s.account && <small>{s.account.name}</small>}
        </div>
        <nav class="cn-nav">
          <a href={routePath(inboxRoute)} data-testid="cn-nav-inbox" aria-current={current === 'inbox' ? 'page' : undefined} onClick={(e) => go(e, () => s.navigate(inboxRoute))}>
            {t('inbox')}
          </a>
          {pageLink('monitor', 'navMonitor')}
          {pageLink('quality', 'navQuality')}
          {pageLink(
            'visitors',
            'navVisitors',
            visitorsCount > 0 ? (
              <span class="cn-nav-count" data-testid="cn-nav-visitors-count">
                {visitorsCount}
              </span>
            ) : null,
          )}
          {pageLink(
            'chat',
            'navChat',
            chatUnread > 0 ? (
              <span class="cn-nav-unread" data-testid="cn-nav-chat-unread" aria-label={t('unreadN', { count: chatUnread })}>
                {chatUnread}
              </span>
            ) : null,
          )}
          {pageLink('canned', 'navCanned')}
          {pageLink('bans', 'navBans')}
          {pageLink('teams', 'navTeams')}
          {pageLink('admin', 'admin')}
          {pageLink('settings', 'navSettings')}
        </nav>
        <div class="cn-top-right">
          <ConnIndicator s={s} />
          <StatusControl s={s} />
          <button
            type="button"
            class="cn-icon-btn"
            aria-pressed={sound}
            title={sound ? t('soundOn') : t('soundOff')}
            aria-label={sound ? t('soundOn') : t('soundOff')}
            onClick={() => {
              setSoundEnabled(!sound);
              setSound(!sound);
            }}
          >
            <svg viewBox="0 0 24 24" aria-hidden="true">
              <path d="M4 9v6h4l5 4V5L8 9H4z" />
              {sound ? <path d="M16 8.5a4.5 4.5 0 0 1 0 7M18.5 6a8 8 0 0 1 0 12" class="cn-stroke" /> : <path d="M16 9l5 6M21 9l-5 6" class="cn-stroke" />}
            </svg>
          </button>
          <button type="button" class="cn-icon-btn" data-testid="cn-shortcuts-button" title={`${t('shortcuts')} (?)`} aria-label={t('shortcuts')} onClick={() => setHelp(!help)}>
            ?
          </button>
          <LangSwitch s={s} short />
          <span class="cn-me" title={me.email}>
            {me.name}
            <small>{t(`role_${me.role}`)}</small>
          </span>
          <button type="button" class="cn-btn" data-testid="cn-logout" onClick={() => void s.logout()}>
            {t('logout')}
          </button>
        </div>
      </header>
      {route.page === 'admin' ? (
        <AdminPage s={s} />
      ) : route.page === 'monitor' ? (
        <MonitorPage s={s} />
      ) : route.page === 'quality' ? (
        <QualityPage s={s} />
      ) : route.page === 'canned' ? (
        <CannedPage s={s} />
      ) : route.page === 'bans' ? (
        <BansPage s={s} />
      ) : route.page === 'settings' ? (
        <SettingsPage s={s} />
      ) : route.page === 'visitors' ? (
        <VisitorsPage s={s} />
      ) : route.page === 'chat' ? (
        <ChatPage s={s} />
      ) : route.page === 'teams' ? (
        <TeamsPage s={s} />
      ) : route.page === 'categories' ? (
        <CategoriesPage s={s} />
      ) : route.page === 'fields' ? (
        <FieldsPage s={s} />
      ) : route.page === 'routing' ||
        route.page === 'sla' ||
        route.page === 'forms' ||
        route.page === 'channels' ||
        route.page === 'reviewer' ||
        route.page === 'macros' ||
        route.page === 'integrations' ||
        route.page === 'contact' ? (
        <Suspense fallback={<main class="cn-admin"><p class="cn-muted">{t('loading')}</p></main>}>
          {route.page === 'contact' ? (
            <ContactPage key={route.id} s={s} id={route.id} />
          ) : route.page === 'integrations' ? (
            <IntegrationsPage s={s} />
          ) : route.page === 'channels' ? (
            <ChannelsPage s={s} />
          ) : route.page === 'routing' ? (
            <RoutingPage s={s} />
          ) : route.page === 'sla' ? (
            <SlaPage s={s} />
          ) : route.page === 'forms' ? (
            <FormsPage s={s} />
          ) : route.page === 'reviewer' ? (
            <ReviewerPage s={s} />
          ) : (
            <MacrosPage s={s} />
          )}
        </Suspense>
      ) : (
        <main class={`cn-inbox${openId ? ' has-open' : ''}${s.infoOpen ? ' info-open' : ''}`}>
          <InboxList s={s} />
          <section class="cn-convpane">
            {openId ? (
              <ConversationView key={openId} s={s} id={openId} />
            ) : (
              <div class="cn-empty">{t('selectConversation')}</div>
            )}
          </section>
          {openId && <VisitorSidebar s={s} id={openId} />}
          <TagSuggestions s={s} />
        </main>
      )}
      {s.toast && (
        <div class={`cn-toast cn-toast-${s.toast.kind}`} data-testid="cn-toast" data-kind={s.toast.kind} role={s.toast.kind === 'error' ? 'alert' : 'status'}>
          <span>{s.toast.text}</span>
          {s.toast.action && (
            <button
              type="button"
              class="cn-toast-action"
              data-testid="cn-toast-action"
              onClick={() => {
                const action = s.toast?.action;
                s.dismissToast();
                action?.run();
              }}
            >
              {s.toast.action.label}
            </button>
          )}
          <button type="button" class="cn-toast-close" aria-label={t('close')} onClick={() => s.dismissToast()}>
            ×
          </button>
        </div>
      )}
      {s.transferFor !== null && <TransferDialog key={s.transferFor} s={s} id={s.transferFor} />}
      {help && <ShortcutsHelp s={s} onClose={() => setHelp(false)} />}
    </div>
  );
}

function ShortcutsHelp({ s, onClose }: { s: Store; onClose: () => void }) {
  const t = s.t;
  return (
    <Modal label={t('shortcuts')} testid="cn-shortcuts" onClose={onClose}>
      <h2>{t('shortcuts')}</h2>
      <table class="cn-shortcuts">
        <tbody>
          {hotkeysFor(s).map((hotkey) => (
            <tr key={hotkey.keys} data-testid="cn-shortcut" data-keys={hotkey.keys}>
              <td>
                <kbd>{hotkey.keys}</kbd>
              </td>
              <td>{t(hotkey.what)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="cn-muted cn-small">{t('kbdOutsideText')}</p>
      <button type="button" class="cn-btn" data-testid="cn-shortcuts-close" onClick={onClose} autofocus>
        {t('close')}
      </button>
    </Modal>
  );
}
