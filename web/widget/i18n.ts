/** The widget's strings. Russian and English; `pickLang` decides which. */
const en = {
  title: 'Chat with us',
  open: 'Open chat',
  close: 'Close chat',
  placeholder: 'Write a message…',
  send: 'Send',
  typing: 'Agent is typing…',
  connecting: 'Connecting…',
  connected: 'Online',
  offline: 'No connection, reconnecting…',
  unavailable: 'The chat is unavailable on this site.',
  prechatIntro: 'Please introduce yourself so that we can get back to you.',
  name: 'Name',
  email: 'E-mail',
  phone: 'Phone',
  optional: 'optional',
  start: 'Start chat',
  required: 'Please fill this in.',
  badEmail: 'This does not look like an e-mail address.',
  badPhone: 'This does not look like a phone number.',
  tooLong: 'A message may have at most 5,000 characters.',
  empty: 'The message is empty.',
  rateLimited: 'You are writing quickly — the message will go out in a moment.',
  notSent: 'The message could not be sent.',
  sending: 'Sending…',
  you: 'You',
  agent: 'Agent',
  bot: 'Bot',
  conversation: 'Conversation #',
  resolved: 'Conversation closed',
  messages: 'Messages',
};
export type Strings = typeof en;

const ru: Strings = {
  title: 'Чат с поддержкой',
  open: 'Открыть чат',
  close: 'Закрыть чат',
  placeholder: 'Напишите сообщение…',
  send: 'Отправить',
  typing: 'Оператор печатает…',
  connecting: 'Подключение…',
  connected: 'На связи',
  offline: 'Нет связи, переподключаемся…',
  unavailable: 'Чат на этом сайте недоступен.',
  prechatIntro: 'Представьтесь, пожалуйста, чтобы мы могли вам ответить.',
  name: 'Имя',
  email: 'E-mail',
  phone: 'Телефон',
  optional: 'необязательно',
  start: 'Начать чат',
  required: 'Заполните это поле.',
  badEmail: 'Проверьте адрес e-mail.',
  badPhone: 'Проверьте номер телефона.',
  tooLong: 'В сообщении может быть не больше 5000 символов.',
  empty: 'Сообщение пустое.',
  rateLimited: 'Вы пишете очень быстро — сообщение уйдёт через пару секунд.',
  notSent: 'Сообщение не удалось отправить.',
  sending: 'Отправляется…',
  you: 'Вы',
  agent: 'Оператор',
  bot: 'Бот',
  conversation: 'Обращение №',
  resolved: 'Обращение закрыто',
  messages: 'Сообщения',
};

export type Lang = 'ru' | 'en';
export const strings: Record<Lang, Strings> = { ru, en };

/**
 * The embed's data-lang wins, then the site's setting unless "auto", then the browser's
 * language, then the page's.
 */
export function pickLang(embed?: string | null, site?: string | null): Lang {
  for (const choice of [embed, site]) if (choice === 'ru' || choice === 'en') return choice;
  const guess = navigator.language || document.documentElement.lang || '';
  return guess.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}
