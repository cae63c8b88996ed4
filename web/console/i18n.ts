/**
 * The console's strings, English and Russian. The language is the one stored by the switch
 * (localStorage), else the browser's; `t()` fills `{name}` placeholders.
 */
const en = {
  appName: 'Helpline',
  // login
  loginTitle: 'Sign in to the console',
  email: 'E-mail',
  password: 'Password',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  invalidCredentials: 'Wrong e-mail or password.',
  tooManyAttempts: 'Too many failed attempts. Try again in {wait}.',
  networkError: 'Cannot reach the server. Check the connection and try again.',
  serverError: 'Something went wrong: {message}',
  logout: 'Log out',
  language: 'Language',
  // shell
  inbox: 'Inbox',
  admin: 'Agents',
  connOpen: 'Online',
  connConnecting: 'Reconnecting…',
  connFirst: 'Connecting…',
  connOffline: 'No connection, retrying…',
  connOpenTitle: 'Connected: updates arrive live.',
  connConnectingTitle: 'Connecting to the server… Replies you write are kept and sent when it is back.',
  soundOn: 'Sound on',
  soundOff: 'Sound off',
  shortcuts: 'Keyboard shortcuts',
  loading: 'Loading…',
  retry: 'Retry',
  // inbox
  tab_unassigned: 'Unassigned',
  tab_mine: 'Mine',
  tab_all: 'All',
  unreadIn: '{count} with unread messages',
  status_open: 'Open',
  status_resolved: 'Resolved',
  status_all: 'All statuses',
  showStatus: 'Show',
  noConversations: 'No conversations here.',
  loadMore: 'Load more',
  visitorN: 'Visitor #{id}',
  you: 'You',
  notePrefix: 'Note',
  noMessages: 'No messages yet',
  unassigned: 'Unassigned',
  typingShort: 'typing…',
  // conversation
  selectConversation: 'Select a conversation on the left.',
  conversationN: 'Conversation #{number}',
  assignee: 'Assignee',
  assignMe: 'Assign to me',
  unassign: 'Unassign',
  assignTo: 'Assign to…',
  resolve: 'Resolve',
  reopen: 'Reopen',
  customer: 'Customer',
  agent: 'Agent',
  bot: 'Bot',
  system: 'System',
  internalNote: 'Internal note',
  sending: 'Sending…',
  notSent: 'Not sent: {reason}',
  waitingRate: 'Sending slowly: rate limit',
  discard: 'Discard',
  isTyping: '{name} is typing…',
  agentIsTyping: '{name} (agent) is typing…',
  someone: 'Customer',
  composerPlaceholder: 'Reply to the customer… (Enter sends, Shift+Enter: new line)',
  notePlaceholder: 'Internal note: only agents see it… (Enter saves)',
  send: 'Send',
  addNote: 'Add note',
  noteToggle: 'Internal note',
  tooLong: 'Too long: at most {max} characters.',
  newMessages: 'New messages ↓',
  loadFailed: 'Could not load: {message}',
  infoToggle: 'Visitor info',
  today: 'Today',
  yesterday: 'Yesterday',
  // visitor
  visitor: 'Visitor',
  online: 'Online',
  offline: 'Offline',
  returning: 'Returning visitor',
  phone: 'Phone',
  currentPage: 'Current page',
  referrer: 'Came from',
  browser: 'Browser',
  ipCountry: 'IP / country',
  country: 'Country',
  ip: 'IP',
  visits: 'Visits',
  firstSeen: 'First seen',
  lastSeen: 'Last seen',
  languageOfVisitor: 'Language',
  noVisitor: 'No website data for this contact.',
  history: 'Conversations of this contact',
  noHistory: 'No other conversations.',
  current: 'this one',
  direct: 'Direct visit',
  // admin
  agents: 'Agents',
  addAgent: 'Add an agent',
  name: 'Name',
  role: 'Role',
  role_agent: 'Agent',
  role_supervisor: 'Supervisor',
  role_admin: 'Admin',
  state: 'State',
  active: 'Active',
  inactive: 'Deactivated',
  deactivate: 'Deactivate',
  activate: 'Activate',
  create: 'Add agent',
  creating: 'Adding…',
  agentAdded: 'Agent {name} added.',
  emailTaken: 'This e-mail is already used by another agent.',
  fieldInvalid: 'Check this field: {message}',
  nameRequired: 'Enter a name.',
  passwordShort: 'At least 8 characters.',
  forbidden: 'Your role may not do this.',
  adminOnly: 'Only admins manage agents.',
  itsYou: 'you',
  agentStatus_online: 'online',
  agentStatus_away: 'away',
  agentStatus_offline: 'offline',
  // notifications
  newConversation: 'New conversation',
  newConversations: '{count} new conversations',
  // errors by code
  err_not_found: 'not found',
  err_forbidden: 'not allowed',
  err_empty_message: 'the message is empty',
  err_message_too_long: 'the message is too long',
  err_invalid_field: 'invalid request',
  err_rate_limited: 'too many messages, try again shortly',
  err_csrf_failed: 'the session is out of date, reload the page',
  // shortcuts help
  kbdNextPrev: 'Next / previous conversation',
  kbdTabs: 'Unassigned / Mine / All',
  kbdNote: 'Toggle internal note',
  kbdFocus: 'Focus the reply box',
  kbdSend: 'Send; Shift+Enter: new line',
  kbdResolve: 'Resolve / reopen',
  kbdAssign: 'Assign to me',
  kbdHelp: 'This help',
  close: 'Close',
};

export type Strings = typeof en;
export type StringKey = keyof Strings;

const ru: Strings = {
  appName: 'Helpline',
  loginTitle: 'Вход в консоль оператора',
  email: 'E-mail',
  password: 'Пароль',
  signIn: 'Войти',
  signingIn: 'Входим…',
  invalidCredentials: 'Неверный e-mail или пароль.',
  tooManyAttempts: 'Слишком много неудачных попыток. Попробуйте через {wait}.',
  networkError: 'Сервер недоступен. Проверьте соединение и попробуйте ещё раз.',
  serverError: 'Что-то пошло не так: {message}',
  logout: 'Выйти',
  language: 'Язык',
  inbox: 'Обращения',
  admin: 'Операторы',
  connOpen: 'На связи',
  connConnecting: 'Переподключение…',
  connFirst: 'Подключение…',
  connOffline: 'Нет связи, повторяем…',
  connOpenTitle: 'Соединение есть: обновления приходят сразу.',
  connConnectingTitle: 'Подключаемся к серверу… Написанные ответы сохранятся и уйдут, когда связь вернётся.',
  soundOn: 'Звук включён',
  soundOff: 'Звук выключен',
  shortcuts: 'Горячие клавиши',
  loading: 'Загрузка…',
  retry: 'Повторить',
  tab_unassigned: 'Свободные',
  tab_mine: 'Мои',
  tab_all: 'Все',
  unreadIn: 'С непрочитанными: {count}',
  status_open: 'Открыт',
  status_resolved: 'Решён',
  status_all: 'Все статусы',
  showStatus: 'Показать',
  noConversations: 'Здесь пока пусто.',
  loadMore: 'Показать ещё',
  visitorN: 'Посетитель #{id}',
  you: 'Вы',
  notePrefix: 'Заметка',
  noMessages: 'Сообщений пока нет',
  unassigned: 'Не назначен',
  typingShort: 'печатает…',
  selectConversation: 'Выберите обращение слева.',
  conversationN: 'Обращение №{number}',
  assignee: 'Оператор',
  assignMe: 'Взять себе',
  unassign: 'Снять с себя',
  assignTo: 'Назначить…',
  resolve: 'Решено',
  reopen: 'Открыть снова',
  customer: 'Клиент',
  agent: 'Оператор',
  bot: 'Бот',
  system: 'Система',
  internalNote: 'Внутренняя заметка',
  sending: 'Отправляется…',
  notSent: 'Не отправлено: {reason}',
  waitingRate: 'Отправка замедлена: лимит сообщений',
  discard: 'Удалить',
  isTyping: '{name} печатает…',
  agentIsTyping: '{name} (оператор) печатает…',
  someone: 'Клиент',
  composerPlaceholder: 'Ответ клиенту… (Enter — отправить, Shift+Enter — новая строка)',
  notePlaceholder: 'Внутренняя заметка: её видят только операторы… (Enter — сохранить)',
  send: 'Отправить',
  addNote: 'Сохранить',
  noteToggle: 'Заметка',
  tooLong: 'Слишком длинно: не больше {max} символов.',
  newMessages: 'Новые сообщения ↓',
  loadFailed: 'Не удалось загрузить: {message}',
  infoToggle: 'О посетителе',
  today: 'Сегодня',
  yesterday: 'Вчера',
  visitor: 'Посетитель',
  online: 'На сайте',
  offline: 'Не на сайте',
  returning: 'Вернувшийся посетитель',
  phone: 'Телефон',
  currentPage: 'Текущая страница',
  referrer: 'Откуда пришёл',
  browser: 'Браузер',
  ipCountry: 'IP / страна',
  country: 'Страна',
  ip: 'IP',
  visits: 'Визитов',
  firstSeen: 'Первый визит',
  lastSeen: 'Последний визит',
  languageOfVisitor: 'Язык',
  noVisitor: 'Нет данных с сайта для этого контакта.',
  history: 'Обращения этого клиента',
  noHistory: 'Других обращений нет.',
  current: 'текущее',
  direct: 'Прямой заход',
  agents: 'Операторы',
  addAgent: 'Добавить оператора',
  name: 'Имя',
  role: 'Роль',
  role_agent: 'Оператор',
  role_supervisor: 'Старший',
  role_admin: 'Администратор',
  state: 'Состояние',
  active: 'Активен',
  inactive: 'Отключён',
  deactivate: 'Отключить',
  activate: 'Включить',
  create: 'Добавить',
  creating: 'Добавляем…',
  agentAdded: 'Оператор {name} добавлен.',
  emailTaken: 'Этот e-mail уже занят другим оператором.',
  fieldInvalid: 'Проверьте поле: {message}',
  nameRequired: 'Введите имя.',
  passwordShort: 'Не короче 8 символов.',
  forbidden: 'Вашей роли это недоступно.',
  adminOnly: 'Операторами управляют только администраторы.',
  itsYou: 'вы',
  agentStatus_online: 'в сети',
  agentStatus_away: 'отошёл',
  agentStatus_offline: 'не в сети',
  newConversation: 'Новое обращение',
  newConversations: 'Новых обращений: {count}',
  err_not_found: 'не найдено',
  err_forbidden: 'нет прав',
  err_empty_message: 'сообщение пустое',
  err_message_too_long: 'сообщение слишком длинное',
  err_invalid_field: 'неверный запрос',
  err_rate_limited: 'слишком много сообщений, попробуйте чуть позже',
  err_csrf_failed: 'сессия устарела, перезагрузите страницу',
  kbdNextPrev: 'Следующее / предыдущее обращение',
  kbdTabs: 'Свободные / Мои / Все',
  kbdNote: 'Переключить заметку',
  kbdFocus: 'Перейти к полю ответа',
  kbdSend: 'Отправить; Shift+Enter — новая строка',
  kbdResolve: 'Решено / открыть снова',
  kbdAssign: 'Взять себе',
  kbdHelp: 'Эта справка',
  close: 'Закрыть',
};

export type Lang = 'ru' | 'en';
export const LANGS: readonly Lang[] = ['ru', 'en'];
const DICTS: Record<Lang, Strings> = { en, ru };
const LANG_KEY = 'helpline.console.lang';

export function initialLang(): Lang {
  try {
    const stored = localStorage.getItem(LANG_KEY);
    if (stored === 'ru' || stored === 'en') return stored;
  } catch {
    /* storage blocked */
  }
  const preferred = (navigator.languages?.length ? navigator.languages : [navigator.language]) || [];
  for (const tag of preferred) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base === 'ru' || base === 'be' || base === 'uk' || base === 'kk') return 'ru';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export function storeLang(lang: Lang): void {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    /* storage blocked: the choice lasts for this page */
  }
}

export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const dict = DICTS[lang];
  return (key, vars) => {
    let text = dict[key] ?? en[key] ?? key;
    if (vars) text = text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
    return text;
  };
}

/** "45 s", "3 min", "1 h 5 min" in the UI language. */
export function formatWait(seconds: number, lang: Lang): string {
  const s = Math.max(1, Math.ceil(seconds));
  const [sec, min, hour] = lang === 'ru' ? ['с', 'мин', 'ч'] : ['s', 'min', 'h'];
  if (s < 60) return `${s} ${sec}`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return `${minutes} ${min}`;
  return `${Math.floor(minutes / 60)} ${hour} ${minutes % 60} ${min}`;
}
