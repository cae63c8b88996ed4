/**
 * The strings of the merge dialog, the merges and the contact's page, English and Russian.
 * They load with those (contact-page.tsx), not with the console; the side panel's contact
 * addresses and the "Merge" button are in i18n.ts. `{this}` and `{other}` stand for the two contacts' names, drawn in bold.
 */
import { fill, type Lang } from './i18n';

const en = {
  contactN: 'Contact #{id}',
  contactMerges: 'Merges',
  mergeJoined: '{name} merged in',
  mergeWentInto: 'Merged into {name}',
  mergeMoved: 'conversations: {conversations}, addresses: {identities}',
  mergeUndo: 'Undo merge',
  mergeUndoConfirm: 'Really undo?',
  mergeUndoneAt: 'undone {time}',
  mergeUndoneToast: 'Merge undone: the conversations and addresses went back.',
  contactMergedNote: 'This contact was merged into {name}: its conversations, addresses and channels are there now.',
  mergeIntro: 'Find the other contact of the same person: by name, e-mail, phone, an id on a channel (a Telegram id, say), or the contact’s number.',
  mergeSearch: 'Name, e-mail, phone, channel id or contact number',
  mergeSearching: 'Searching…',
  mergeNothing: 'Nobody found. Try the e-mail, the phone or the contact’s number.',
  mergeByNumber: 'by number',
  mergeLastActive: 'last active {time}',
  mergeConversations: 'conversations: {count}',
  mergeAddresses: 'addresses: {count}',
  mergeAlready: 'already merged into contact #{id}',
  mergeReading: 'Reading the contact…',
  mergeConfirmTitle: 'Merge these contacts?',
  mergeWillMove: 'Conversations, addresses and channels of {other} will go to {this}.',
  mergeWillFill: '{this} takes the name, e-mail and phone it lacks; {other} stays in the history as merged. The merge can be undone.',
  mergeStays: 'Stays',
  mergeGoes: 'Goes into it',
  mergeSubmit: 'Merge',
  mergeBusy: 'Merging…',
  mergeBack: 'Back',
  mergeDone: 'Merged: {other} went into {this} — conversations: {conversations}, addresses: {identities}.',
  mergeConflict: 'This contact was merged into another one already.',
  mergeFailed: 'Could not merge: {message}',
  mergeNoDetails: 'no e-mail or phone',
  contactCreated: 'Created',
  contactConversationsNone: 'No conversations: they are with the contact it was merged into.',
  contactNoConversations: 'No conversations yet.',
  contactBack: '← Inbox',
};

export type ContactKey = keyof typeof en;

const ru: Record<ContactKey, string> = {
  contactN: 'Контакт №{id}',
  contactMerges: 'Объединения',
  mergeJoined: 'Присоединён {name}',
  mergeWentInto: 'Объединён с {name}',
  mergeMoved: 'обращений: {conversations}, адресов: {identities}',
  mergeUndo: 'Отменить объединение',
  mergeUndoConfirm: 'Точно отменить?',
  mergeUndoneAt: 'отменено {time}',
  mergeUndoneToast: 'Объединение отменено: обращения и адреса вернулись.',
  contactMergedNote: 'Этот контакт объединён с контактом {name}: его обращения, адреса и каналы теперь там.',
  mergeIntro: 'Найдите другой контакт этого же человека: по имени, e-mail, телефону, идентификатору в канале (например, Telegram id) или по номеру контакта.',
  mergeSearch: 'Имя, e-mail, телефон, id в канале или номер контакта',
  mergeSearching: 'Ищем…',
  mergeNothing: 'Никого не нашли. Попробуйте e-mail, телефон или номер контакта.',
  mergeByNumber: 'по номеру',
  mergeLastActive: 'последняя активность {time}',
  mergeConversations: 'обращений: {count}',
  mergeAddresses: 'адресов: {count}',
  mergeAlready: 'уже объединён с контактом №{id}',
  mergeReading: 'Читаем контакт…',
  mergeConfirmTitle: 'Объединить контакты?',
  mergeWillMove: 'Обращения, адреса и каналы контакта {other} перейдут к {this}.',
  mergeWillFill: '{this} получит имя, e-mail и телефон, которых у него нет; {other} останется в истории как объединённый. Объединение можно отменить.',
  mergeStays: 'Останется',
  mergeGoes: 'Войдёт в него',
  mergeSubmit: 'Объединить',
  mergeBusy: 'Объединяем…',
  mergeBack: 'Назад',
  mergeDone: 'Готово: {other} вошёл в {this} — обращений: {conversations}, адресов: {identities}.',
  mergeConflict: 'Этот контакт уже объединён с другим.',
  mergeFailed: 'Не удалось объединить: {message}',
  mergeNoDetails: 'без e-mail и телефона',
  contactCreated: 'Создан',
  contactConversationsNone: 'Обращений нет: они у контакта, с которым этот объединён.',
  contactNoConversations: 'Обращений пока нет.',
  contactBack: '← К обращениям',
};

export type ContactTranslate = (key: ContactKey, vars?: Record<string, string | number>) => string;

export function contactStrings(lang: Lang): ContactTranslate {
  const dict = lang === 'ru' ? ru : en;
  return (key, vars) => fill(dict[key] ?? en[key], vars);
}
