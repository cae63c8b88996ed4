"""A small bilingual thesaurus of customer-service topics, for matching questions to answers.

Word overlap after lemmatisation decides most "was this question answered?" cases, but an
answer often uses another word for the same thing (broken → damaged, сколько стоит → 990 ₽,
где → ул. Кирова, 48). Each group below is one topic in Russian and English; a question and an
answer that share a topic share a key. Some topics are also recognised from the shape of the
answer (an amount with a currency, a time of day, a duration, an address).
"""

from __future__ import annotations

from functools import lru_cache

import re

from helpline.quality.text import Token, analyse, normalise_word

TOPICS: dict[str, str] = {
    "price": """цена стоимость стоить платный бесплатный бесплатно рубль доллар евро комиссия сумма доплата
        переплата тариф дорого дешево скидка
        price cost costs fee fees charge charged free ruble rubles dollar euro expensive cheap discount
        commission surcharge tariff""",
    "payment": """платить оплата оплатить заплатить деньги наличные наличными карта картой перевод сбп
        pay paid payment cash card money transfer""",
    "time": """когда срок сроки время долго скоро быстро дата час часы минута неделя сегодня завтра
        послезавтра понедельник вторник среда четверг пятница суббота воскресенье утро вечер ждать
        выходной будни праздник
        when time long soon date hour hours minute minutes week today tomorrow monday tuesday wednesday
        thursday friday saturday sunday morning evening wait days weekend weekends weekday holiday""",
    "place": """где куда адрес находиться расположить улица проспект шоссе переулок метро офис филиал этаж
        проехать добраться where address located location street avenue office branch map directions floor""",
    "damage": """сломанный сломаться сломать поломка повредить повреждение поврежденный брак бракованный
        разбитый разбить треснуть трещина дефект неисправный неисправность испорченный испортить
        гнилой
        broken break damaged damage cracked crack defective defect faulty fault scratched torn rotten
        spoiled""",
    "delivery": """доставка доставить доставлять привезти привозить завезти курьер отправка отправить посылка
        самовывоз
        shipping ship deliver delivery courier parcel dispatch pickup""",
    "return": """возврат вернуть обмен обменять замена заменить
        return refund exchange replace replacement""",
    "rate": """процент ставка годовой кэшбэк
        rate interest percent apr cashback""",
    "credit": """кредит рассрочка займ заем ипотека
        loan credit installment instalment installments mortgage financing""",
    "documents": """документ справка паспорт договор полис заявление
        document documents paperwork passport certificate contract policy""",
    "availability": """наличие остаток
        stock available availability""",
    "booking": """запись записать записаться бронь бронировать забронировать резерв зарезервировать
        reservation reserve book booking appointment slot""",
    "cancel": """отмена отменить отказаться
        cancel cancellation""",
    "access": """доступ войти вход пароль логин аккаунт кабинет
        access login password account sign""",
    "pets": """животное собака кошка кот питомец щенок
        pet pets dog dogs cat cats animal animals puppy""",
    "children": """ребенок дети сын дочь малыш
        child children kid kids son daughter baby""",
    "documents_id": """удостоверение права паспорт
        license licence id""",
    "size": """размер маломерить большемерить
        size sizing fit small large tight loose""",
    "accessibility": """пандус лифт коляска инвалид инвалидный
        wheelchair accessible accessibility ramp elevator lift disabled""",
    "tracking": """отследить отслеживать отслеживание трек трек-номер статус
        track tracking status""",
    "warranty": """гарантия гарантийный
        warranty guarantee""",
    "contact": """телефон почта email e-mail звонок позвонить перезвонить
        phone email call""",
    "subscription": """подписка отписаться подключить отключить
        subscription subscribe unsubscribe""",
    "connection": """интернет связь сеть роутер модем сигнал
        internet connection network router modem signal wifi wi-fi""",
    "error": """ошибка сбой баг глючить зависать
        error bug crash issue problem glitch""",
    "parking": """парковка парковаться стоянка
        parking park""",
    "colour": """цвет черный белый серый красный синий зеленый
        colour color black white grey gray red blue green""",
}

# Searched in lowercased text (case-insensitive matching of Cyrillic is slow in `re`).
_AMOUNT_RE = re.compile(
    r"\d[\d\s.,]*\s?(?:₽|руб|р\.|тыс|млн|\$|€|usd|eur|rub|dollar|euro)|[$€₽]\s?\d|бесплатн|\bfree\b|без комисси"
)
# A percentage answers a question about a rate, not about a price («кэшбэк 1%» ≠ «без комиссии?»).
_RATE_RE = re.compile(r"\d\s?%")
_TIME_RE = re.compile(
    r"\b\d{1,2}[:.]\d{2}\b"
    r"|\b\d+\s?(?:-|–)?\s?\d*\s?(?:мин|час|дн|дня|день|сут|недел|месяц|год|лет|min|hour|day|week|month|year)"
    r"|в течение|within|через \d|\bin \d"
)
_PLACE_RE = re.compile(
    r"\b(?:ул|улица|просп|проспект|шоссе|пер|переулок|пл|площадь|бульвар|наб|street|st|avenue|ave|road|rd)\b\.?"
    r"|maps?\.|/maps"
)
# «на Тверской, 5», "at 12 Baker Street": a place name with a house number (in the original case).
_ADDRESS_RE = re.compile(
    r"\b(?:[Нн]а|[Вв]о?|[Уу]|[Оо]коло|[Вв]озле)\s+[A-ZА-ЯЁ]\w+(?:\s+\w+)?,?\s+\d+"
    r"|\b(?:[Aa]t|[Oo]n)\s+\d+\s+[A-ZА-ЯЁ]\w+"
)


@lru_cache(maxsize=1)
def _topic_of_lemma() -> dict[str, frozenset[str]]:
    topics: dict[str, set[str]] = {}
    for topic, words in TOPICS.items():
        for word in words.split():
            info = analyse(normalise_word(word))
            topics.setdefault(info.lemma, set()).add(topic)
    return {lemma: frozenset(t) for lemma, t in topics.items()}


def topics_of(tokens: list[Token]) -> set[str]:
    table = _topic_of_lemma()
    found: set[str] = set()
    for token in tokens:
        for lemma in token.word.lemmas:
            topic = table.get(lemma)
            if topic:
                found |= topic
    return found


def answer_shapes(text: str) -> set[str]:
    """Topics an answer covers by its shape: an amount, a rate, a time or duration, an address."""
    low = text.lower()
    shapes = set()
    if _AMOUNT_RE.search(low):
        shapes.add("price")
    if _RATE_RE.search(low):
        shapes.add("rate")
    if _TIME_RE.search(low):
        shapes.add("time")
    if _PLACE_RE.search(low) or _ADDRESS_RE.search(text):
        shapes.add("place")
    return shapes
