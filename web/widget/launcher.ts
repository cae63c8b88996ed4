/**
 * widget.js — the only script a website loads up front (budget ≤ 10 KB gzipped, so no Preact):
 *
 *   <script src="https://HOST/widget.js" data-site="SITE_KEY" async></script>
 *
 * Asks GET /api/widget/v1/mode what to draw (docs/protocol.md, "Embedding"), draws the round
 * launcher button in a shadow root and imports the chat panel (HOST/static/widget/chat.js):
 * on the first click; at once, panel closed, when this browser already has a conversation
 * with the site, so operator replies arrive and raise the unread badge; or, where the site
 * tracks visitors, in the browser's idle time after the page has loaded, so the visitor is in
 * the operators' live list and invitations can fire.
 *
 * `offline` turns the button into "leave a message"; `hidden` (a ban) draws nothing. If the
 * mode cannot be had (an older server, a network error) the button is drawn from what the
 * chat last saw. A browser the chat's session call told `hidden` draws nothing until that
 * call says otherwise.
 */
import type { ChatHandle, MountOptions } from './chat';
import { onColor } from './look';

type ChatModule = { mount(root: ShadowRoot, options: MountOptions): ChatHandle };

const CSS = `
:host{all:initial}
.hl-launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:56px;height:56px;padding:0;border:0;border-radius:50%;cursor:pointer;display:grid;place-items:center;background:var(--hl-color,#2563eb);color:var(--hl-on,#fff);box-shadow:0 4px 14px rgba(15,23,42,.3);transition:transform .15s}
:host([data-position=left]) .hl-launcher{right:auto;left:20px}
.hl-launcher:hover{transform:scale(1.06)}
.hl-launcher:focus-visible{outline:3px solid var(--hl-color,#2563eb);outline-offset:3px}
.hl-launcher svg{width:28px;height:28px;fill:currentColor}
.hl-launcher .x,.hl-launcher .m,:host([data-open]) .hl-launcher .b,:host([data-offline]) .hl-launcher .b{display:none}
:host([data-open]) .hl-launcher .x,:host([data-offline]:not([data-open])) .hl-launcher .m{display:block}
.hl-launcher[aria-busy=true]{cursor:progress;opacity:.8}
.hl-unread{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 6px;box-sizing:border-box;border-radius:10px;background:#dc2626;color:#fff;font:700 12px/20px system-ui,sans-serif}
.hl-unread[hidden]{display:none}
@media (max-width:480px){:host([data-open]) .hl-launcher{display:none}}
@media (prefers-reduced-motion:reduce){.hl-launcher{transition:none}}`;

const ICONS =
  '<svg class="b" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4.5 21l3.9-2.1c1.1.4 2.3.6 3.6.6 5.5 0 10-3.8 10-8.5S17.5 3 12 3z"/></svg>' +
  '<svg class="m" viewBox="0 0 24 24" aria-hidden="true"><path d="M20 4H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2zm0 4-8 5-8-5V6l8 5 8-5z"/></svg>' +
  '<svg class="x" viewBox="0 0 24 24" aria-hidden="true"><path d="M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z"/></svg>';

(() => {
  // currentScript is null when a bundler or tag manager injected us in an odd way.
  const script = (document.currentScript || document.querySelector('script[data-site]')) as HTMLScriptElement | null;
  const siteKey = script?.dataset.site;
  if (!script?.src || !siteKey || document.getElementById('helpline-widget')) return;
  // The server's address is where widget.js came from (a path prefix is kept: /helpline/widget.js).
  const origin = new URL('.', script.src).href.replace(/\/$/, '');
  const lang = script.dataset.lang;

  const stored = (name: string) => {
    try {
      return localStorage.getItem(`helpline:${siteKey}:${name}`);
    } catch {
      return null;
    }
  };
  // Colour, side and language as the chat last saw them, so the button looks right at once.
  let look: { color?: string; on?: string; position?: string; lang?: string } = {};
  try {
    look = JSON.parse(stored('look') || '{}') || {};
  } catch {
    /* keep defaults */
  }
  const ru = (lang || look.lang || navigator.language || document.documentElement.lang || '').toLowerCase().startsWith('ru');

  const host = document.createElement('div');
  host.id = 'helpline-widget';
  host.style.cssText = 'all:initial';
  if (look.color) host.style.setProperty('--hl-color', look.color);
  if (look.on) host.style.setProperty('--hl-on', look.on);
  if (look.position) host.setAttribute('data-position', look.position);
  // Open, not closed: the page's own tests and ours reach inside.
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML =
    `<style>${CSS}</style><button type="button" class="hl-launcher" data-testid="hl-launcher" aria-expanded="false">` +
    `${ICONS}<span class="hl-unread" data-testid="hl-unread" hidden></span></button>`;
  const button = root.querySelector('button')!;
  const badge = root.querySelector('span')!;
  let open = false;
  let offline = false;
  const openLabel = ru ? 'Открыть чат' : 'Open chat';
  const leaveLabel = ru ? 'Оставить сообщение' : 'Leave a message';
  const closeLabel = ru ? 'Закрыть чат' : 'Close chat';
  let unread = 0;
  const label = () => {
    const text = open ? closeLabel : offline ? leaveLabel : openLabel;
    button.setAttribute('aria-label', unread && !open ? `${text} (${unread})` : text);
  };

  let chat: Promise<ChatHandle> | undefined;

  const show = (next: boolean) => {
    open = next;
    button.setAttribute('aria-expanded', String(open));
    host.toggleAttribute('data-open', open);
    label();
  };
  const setUnread = (count: number) => {
    badge.textContent = count > 9 ? '9+' : String(count);
    badge.hidden = !count;
    unread = count;
    label();
  };
  const load = () =>
    (chat ||= import(/* @vite-ignore */ `${origin}/static/widget/chat.js`).then(
      (module: ChatModule) =>
        module.mount(root, {
          origin,
          siteKey,
          lang,
          onUnread: setUnread,
          onOpen(next) {
            show(next);
            if (!next) button.focus();
          },
          onMode(mode) {
            if (mode === 'hidden') return host.remove();
            if (!host.isConnected) document.body.appendChild(host);
            offline = mode === 'offline';
            host.toggleAttribute('data-offline', offline);
            label();
          },
        }),
      (error) => {
        chat = undefined; // let the next click try again
        throw error;
      },
    ));

  label();
  button.addEventListener('click', () => {
    show(!open);
    button.setAttribute('aria-busy', 'true');
    load()
      .then((handle) => handle.setOpen(open))
      .catch(() => show(false))
      .finally(() => button.removeAttribute('aria-busy'));
  });

  type SiteMode = { mode?: string; track_visitors?: boolean; color?: string; position?: string };

  const draw = (site: SiteMode | null) => {
    if (site?.mode === 'hidden') return; // a ban: nothing at all, and no chat to load
    if (stored('hidden')) {
      // The chat's session call said `hidden` before (it also knows bans by e-mail or phone,
      // which /mode cannot see): it decides again, and brings the button back (onMode).
      return void load().catch(() => {});
    }
    if (site) {
      if (site.color && /^#[0-9a-f]{6}$/i.test(site.color)) {
        host.style.setProperty('--hl-color', site.color);
        host.style.setProperty('--hl-on', onColor(site.color));
      }
      if (site.position) host.setAttribute('data-position', site.position);
      offline = site.mode === 'offline';
      host.toggleAttribute('data-offline', offline);
      label();
    }
    if (!host.isConnected) document.body.appendChild(host);
    // Someone who already wrote to this site gets operator replies (and unsent messages go out)
    // without having to click first.
    if (stored('token') && (stored('chat') || stored('outbox') || stored('held'))) load().catch(() => {});
    else if (site?.track_visitors) whenIdle(() => load().catch(() => {}));
  };

  // A second after the page's own load, in the browser's idle time (at most 2 s more): the
  // page's post-load work (hydration, analytics, lazy images) goes first, and a visitor who
  // leaves at once costs the server no session.
  const whenIdle = (run: () => void) => {
    const idle = () => setTimeout(() => ('requestIdleCallback' in window ? requestIdleCallback(run, { timeout: 2000 }) : run()), 1000);
    if (document.readyState === 'complete') idle();
    else addEventListener('load', idle, { once: true });
  };

  const token = stored('token');
  const modeUrl = `${origin}/api/widget/v1/mode?site=${encodeURIComponent(siteKey)}` + (token ? `&visitor=${encodeURIComponent(token)}` : '');
  const asked = fetch(modeUrl).then(
    (response) => (response.ok ? (response.json() as Promise<SiteMode>) : null),
    () => null,
  );
  const attach = () => asked.then(draw, () => draw(null));
  if (document.body) attach();
  else document.addEventListener('DOMContentLoaded', attach);
})();
