/**
 * A live preview of the website widget as the site settings form stands: the launcher and,
 * above it, the open panel (header with logo and title, the greeting, the composer) — or the
 * closed launcher with the invitation line, or the offline form. It is drawn from the form's
 * state on every change, at a reduced scale, with the sizes, colours and shapes of
 * web/widget/chat.css and the launcher (kept in step by hand: the widget's bundle stays free
 * of console code and the other way round).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Lang, Translate } from './i18n';
import type { SiteSettings } from './types';

export type PreviewMode = 'open' | 'closed' | 'offline';
const MODES: readonly PreviewMode[] = ['open', 'closed', 'offline'];

/** The text colour readable on the site's colour: the widget's rule (web/widget/look.ts). */
export function onColor(color: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(color.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? '#111827' : '#ffffff';
}

/** The widget's own words in the site's language (web/widget/i18n.ts). */
const WIDGET_TEXT = {
  en: {
    title: 'Chat with us',
    connected: 'Online',
    offlineStatus: 'Operators are offline',
    placeholder: 'Write a message…',
    offlineText: 'Our operators are not available right now. Leave your question and e-mail: we will answer by e-mail and here in the chat.',
    name: 'Name',
    email: 'E-mail',
    question: 'Your question',
    leave: 'Send',
    previewNotice: 'The operator sees what you type, before you send it.',
    visitor: 'Hello! I have a question about delivery.',
  },
  ru: {
    title: 'Чат с поддержкой',
    connected: 'На связи',
    offlineStatus: 'Операторы не в сети',
    placeholder: 'Напишите сообщение…',
    offlineText: 'Сейчас операторов нет на месте. Оставьте вопрос и e-mail — мы ответим на почту и здесь, в чате.',
    name: 'Имя',
    email: 'E-mail',
    question: 'Ваш вопрос',
    leave: 'Отправить',
    previewNotice: 'Оператор видит текст, пока вы его набираете.',
    visitor: 'Здравствуйте! У меня вопрос о доставке.',
  },
};

const validColor = (color: string) => (/^#[0-9a-f]{6}$/i.test(color) ? color : '#2563eb');
const validLogo = (url: string | null) => (url && /^https:\/\/\S+$/i.test(url) ? url : null);

const Path = ({ d }: { d: string }) => (
  <svg viewBox="0 0 24 24" aria-hidden="true">
    <path d={d} />
  </svg>
);
const CHAT = 'M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4.5 21l3.9-2.1c1.1.4 2.3.6 3.6.6 5.5 0 10-3.8 10-8.5S17.5 3 12 3z';
const CLOSE = 'M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z';
const SEND = 'M3.4 20.4 20.9 12.9a1 1 0 0 0 0-1.8L3.4 3.6a1 1 0 0 0-1.4 1.1L3.8 11 14 12 3.8 13l-1.8 6.3a1 1 0 0 0 1.4 1.1z';
const PHONE = 'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25c1.1.37 2.3.57 3.6.57a1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z';
const PICTURE = 'M21 19V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2zM8.5 13.5l2.5 3 3.5-4.5 4.5 6H5l3.5-4.5z';
const CLIP = 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z';

export function WidgetPreview({ settings, t, consoleLang }: { settings: SiteSettings; t: Translate; consoleLang: Lang }) {
  const [mode, setMode] = useState<PreviewMode>('open');
  const lang: Lang = settings.language === 'ru' || settings.language === 'en' ? settings.language : consoleLang;
  const w = WIDGET_TEXT[lang];
  const color = validColor(settings.color);
  const on = onColor(color);
  const logo = validLogo(settings.logo_url);
  const [logoFailed, setLogoFailed] = useState(false);
  useEffect(() => setLogoFailed(false), [logo]);
  const title = settings.title.trim() || w.title;
  const offline = mode === 'offline';
  const style = { '--hl-color': color, '--hl-on': on } as Record<string, string>;

  return (
    <div class="cn-wp" data-testid="cn-preview" data-position={settings.position} data-size={settings.size} data-mode={mode} data-color={color.toLowerCase()}>
      <div class="cn-wp-bar">
        <span class="cn-label">{t('previewTitle')}</span>
        <span class="cn-wp-modes" role="group" aria-label={t('previewTitle')}>
          {MODES.map((each) => (
            <button key={each} type="button" class="cn-btn cn-btn-small" data-testid={`cn-preview-mode-${each}`} aria-pressed={mode === each} onClick={() => setMode(each)}>
              {t(`previewMode_${each}`)}
            </button>
          ))}
        </span>
      </div>
      <div class="cn-wp-frame">
        <div class="cn-wp-screen" style={style} lang={lang} aria-hidden="true">
          <div class="cn-wp-page">
            <i />
            <i />
            <i />
          </div>
          {mode === 'closed' && settings.invitation_text.trim() && (
            <div class="cn-wp-teaser" data-testid="cn-preview-teaser">
              <span>{settings.invitation_text}</span>
              <b class="cn-wp-teaser-x">
                <Path d={CLOSE} />
              </b>
            </div>
          )}
          {mode !== 'closed' && (
            <div class="cn-wp-panel" data-testid="cn-preview-panel" data-size={settings.size}>
              <div class="cn-wp-head" data-testid="cn-preview-head">
                {logo &&
                  (logoFailed ? (
                    // The console may load no pictures from other sites (its CSP): a stand-in
                    // marks where the widget shows the logo.
                    <span class="cn-wp-logo is-standin" data-testid="cn-preview-logo" data-src={logo} data-state="standin" title={t('previewLogoStandin')}>
                      <Path d={PICTURE} />
                    </span>
                  ) : (
                    <img class="cn-wp-logo" data-testid="cn-preview-logo" data-src={logo} data-state="image" src={logo} alt="" onError={() => setLogoFailed(true)} />
                  ))}
                <div>
                  <h2 data-testid="cn-preview-title">{title}</h2>
                  <span class={`cn-wp-status${offline ? ' is-offline' : ''}`}>{offline ? w.offlineStatus : w.connected}</span>
                </div>
                {!offline && settings.callback && (
                  <b class="cn-wp-tool">
                    <Path d={PHONE} />
                  </b>
                )}
                <b class="cn-wp-tool">
                  <Path d={CLOSE} />
                </b>
              </div>
              <div class="cn-wp-messages">
                {offline ? (
                  <div class="cn-wp-form" data-testid="cn-preview-offline">
                    <p>{settings.offline_text.trim() || w.offlineText}</p>
                    <label>
                      {w.name}
                      <span />
                    </label>
                    <label>
                      {w.email} *
                      <span />
                    </label>
                    <label>
                      {w.question} *
                      <span class="is-area" />
                    </label>
                    <b class="cn-wp-primary">{w.leave}</b>
                  </div>
                ) : (
                  <>
                    {settings.greeting.trim() && (
                      <div class="cn-wp-msg" data-testid="cn-preview-greeting">
                        <div class="cn-wp-bubble">{settings.greeting}</div>
                      </div>
                    )}
                    <div class="cn-wp-msg is-contact">
                      <div class="cn-wp-bubble">{w.visitor}</div>
                    </div>
                  </>
                )}
              </div>
              {!offline && settings.typing_preview && <div class="cn-wp-note">{w.previewNotice}</div>}
              {!offline && (
                <div class="cn-wp-composer">
                  <b class="cn-wp-attach">
                    <Path d={CLIP} />
                  </b>
                  <span class="cn-wp-input">{w.placeholder}</span>
                  <b class="cn-wp-send">
                    <Path d={SEND} />
                  </b>
                </div>
              )}
            </div>
          )}
          <div class="cn-wp-launcher" data-testid="cn-preview-launcher">
            <Path d={mode === 'closed' ? CHAT : CLOSE} />
          </div>
        </div>
      </div>
      <p class="cn-muted cn-small">{t('previewHint')}</p>
    </div>
  );
}
