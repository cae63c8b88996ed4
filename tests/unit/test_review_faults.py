"""The conversation reviewer, fault by fault: a conversation that has the fault and a near miss
that does not, in Russian and in English. None of these conversations is in dev.jsonl."""

from __future__ import annotations

import pytest

from helpline.quality import ConversationIn, Fault, Reviewer

REVIEWER = Reviewer()

C, A, B, S = "customer", "agent", "bot", "system"


def chat(*lines: tuple) -> ConversationIn:
    """(role, t, text) or (role, t, text, name) lines as a conversation."""
    messages = [{"from": line[0], "t": line[1], "text": line[2], "name": line[3] if len(line) > 3 else None}
                for line in lines]
    return ConversationIn.model_validate({"id": "t", "messages": messages})


def faults(*lines: tuple) -> set[str]:
    return set(REVIEWER.review(chat(*lines)).faults)


# (fault, has it, conversation)
CASES: list[tuple[Fault, bool, tuple]] = [
    # slow_first_response
    (Fault.slow_first_response, True, (
        (C, 0, "Здравствуйте, сколько стоит доставка в Казань?"),
        (A, 140, "Здравствуйте! Доставка в Казань — 450 ₽, 2–3 дня."))),
    (Fault.slow_first_response, True, (
        (C, 0, "Hi, is the store open on Sunday?"),
        (S, 600, "Chat closed"))),
    (Fault.slow_first_response, False, (
        (C, 0, "Добрый день, есть ли у вас парковка?"),
        (A, 45, "Добрый день! Да, бесплатная парковка во дворе."))),
    (Fault.slow_first_response, False, (
        (C, 0, "Hello, my parcel hasn't arrived"),
        (B, 3, "Hi! I'm the assistant. Please type your tracking number."),
        (C, 30, "AB1234"),
        (A, 90, "Hi, the parcel is at the depot and will be delivered tomorrow."))),
    # slow_reply
    (Fault.slow_reply, True, (
        (C, 0, "Здравствуйте, хочу поменять тариф"),
        (A, 20, "Здравствуйте! Какой тариф вам интересен?"),
        (C, 40, "Безлимитный, который за 600"),
        (A, 300, "Перевела вас на «Безлимит 600», он начнёт действовать с завтрашнего дня."),
        (C, 320, "Спасибо"))),
    (Fault.slow_reply, True, (
        (C, 0, "Hi, I want to change my delivery address"),
        (A, 15, "Sure, what's the new address?"),
        (C, 40, "12 Baker Street, flat 3"),
        (C, 60, "Also, can you deliver after 6pm?"),
        (A, 400, "Done, the address is updated and the courier will come between 6 and 9 pm."),
        (C, 420, "Thanks"))),
    (Fault.slow_reply, False, (
        (C, 0, "Здравствуйте, хочу поменять тариф"),
        (A, 20, "Здравствуйте! Какой тариф вам интересен?"),
        (C, 40, "Безлимитный"),
        (A, 210, "Готово, тариф «Безлимит» подключён с завтрашнего дня."),
        (C, 230, "Спасибо"))),
    (Fault.slow_reply, False, (  # the wait never ends: that is abandonment, not a slow reply
        (C, 0, "Hi, what time do you close today?"),
        (A, 20, "Hi! We close at 9 pm today."),
        (C, 40, "And tomorrow?"),
        (S, 900, "Chat closed"))),
    # agent_abandoned
    (Fault.agent_abandoned, True, (
        (C, 0, "Здравствуйте, можно вернуть кроссовки, если я их уже носил?"),
        (A, 30, "Здравствуйте! Если следов носки нет, вернуть можно в течение 14 дней."),
        (C, 60, "А доставку обратно кто оплачивает?"),
        (S, 1200, "Чат закрыт"))),
    (Fault.agent_abandoned, True, (
        (C, 0, "Hi, my internet is down since morning"),
        (A, 25, "Hi! I see an outage in your area, engineers are working on it."),
        (C, 50, "How long will it take?"),
        (C, 300, "Hello? Are you still there?"))),
    (Fault.agent_abandoned, True, (  # a request, not a question
        (C, 0, "Добрый день, у меня вопрос по счёту за июнь"),
        (A, 20, "Добрый день! Слушаю вас."),
        (C, 40, "Там начислено 2 000 за услугу, которую я не заказывал. Перезвоните мне, пожалуйста, 89031234567"),
        (S, 1000, "Чат закрыт"))),
    (Fault.agent_abandoned, False, (
        (C, 0, "Здравствуйте, во сколько открывается магазин?"),
        (A, 20, "Здравствуйте! С 10:00 каждый день."),
        (C, 40, "Спасибо, всё понятно!"),
        (S, 600, "Чат закрыт"))),
    (Fault.agent_abandoned, False, (
        (C, 0, "Hi, how much is the annual plan?"),
        (A, 20, "Hi! The annual plan is 99 dollars a year."),
        (C, 50, "Ok, I'll think about it."))),
    # unanswered_question
    (Fault.unanswered_question, True, (
        (C, 0, "Подскажите, сколько стоит замена экрана на iPhone 13? И сколько по времени делаете?"),
        (A, 30, "Здравствуйте! Замена экрана на iPhone 13 — 12 500 ₽, ставим оригинальный дисплей."),
        (C, 60, "Хорошо, спасибо"))),
    (Fault.unanswered_question, True, (
        (C, 0, "Do you deliver to Almaty? And can I pay in cash on delivery?"),
        (A, 30, "Yes, we deliver to Almaty in 5–7 days, delivery costs 2,000 tenge."),
        (C, 60, "ok"))),
    (Fault.unanswered_question, True, (  # an implicit question
        (C, 0, "Здравствуйте! Хочу узнать, сколько стоит абонемент на месяц. И ещё интересует, есть ли у вас бассейн."),
        (A, 20, "Здравствуйте! Абонемент на месяц стоит 4 500 ₽, на год — 36 000 ₽."),
        (C, 40, "Понятно"),
        (A, 50, "Будем рады видеть вас!"))),
    (Fault.unanswered_question, True, (  # «1%» is a rate: it does not answer «без комиссии?»
        (C, 0, "Добрый день! Сколько стоит годовое обслуживание карты?"),
        (A, 20, "Добрый день! Обслуживание бесплатное при тратах от 10 000 ₽ в месяц, иначе 99 ₽ в месяц."),
        (C, 50, "А кэшбэк есть? И можно ли снимать наличные без комиссии в других банках?"),
        (A, 70, "Да, кэшбэк 1% на все покупки и до 5% в категориях месяца."),
        (C, 100, "Понятно"))),
    (Fault.unanswered_question, False, (  # a verbless follow-up refines the question before it
        (C, 0, "А как оплатить? Картой можно?"),
        (A, 20, "Да, картой курьеру или онлайн при оформлении заказа."),
        (C, 40, "Спасибо"))),
    (Fault.unanswered_question, False, (  # answered by its shape: an address and a time
        (C, 0, "Где вы находитесь? И до скольки работаете?"),
        (A, 20, "Мы на Тверской, 5, открыты до 21:00 без выходных."),
        (C, 40, "Спасибо"))),
    (Fault.unanswered_question, False, (  # answered with other words: free ~ fee
        (C, 0, "Hi, can I change the date of my booking? And is there a fee for that?"),
        (A, 30, "Hi! Yes, you can move it to any date this season; the change is free up to 48 hours before arrival."),
        (C, 60, "Perfect"))),
    (Fault.unanswered_question, False, (  # a single question answered without shared words
        (C, 0, "Is the blender still under warranty? It stopped working after 8 months."),
        (A, 30, "Yes, it is covered for 2 years, so we'll repair or replace it for free."),
        (C, 60, "Great, thanks"))),
    # template_phrase
    (Fault.template_phrase, True, (
        (C, 0, "Заказ пришёл неполный"),
        (A, 20, "Приношу свои извинения за доставленные неудобства! Недостающий товар отправим сегодня."))),
    (Fault.template_phrase, True, (
        (C, 0, "Когда придёт возврат?"),
        (A, 20, "Благодарю за ваше обращение! Возврат придёт за 3 дня."),
        (C, 40, "ок"))),
    (Fault.template_phrase, True, (
        (C, 0, "Where is my order?"),
        (A, 20, "Thanks for contacting us! Your order ships tomorrow."),
        (C, 40, "ok"))),
    (Fault.template_phrase, False, (
        (C, 0, "Когда придёт возврат?"),
        (A, 20, "Спасибо, что написали! Возврат придёт за 3 дня."),
        (C, 40, "ок"))),
    (Fault.template_phrase, False, (
        (C, 0, "Where is my order?"),
        (A, 20, "Your order ships tomorrow, sorry it took longer than we promised."),
        (C, 40, "ok"))),
    # repeated_message
    (Fault.repeated_message, True, (
        (C, 0, "Не могу войти в личный кабинет", "Анна"),
        (A, 20, "Анна, попробуйте, пожалуйста, сбросить пароль по ссылке «Забыли пароль?»."),
        (C, 60, "Пробовала, письмо не приходит", "Анна"),
        (A, 90, "Попробуйте, пожалуйста, сбросить пароль по ссылке «Забыли пароль»!"),
        (C, 100, "Ау", "Анна"))),
    (Fault.repeated_message, True, (
        (C, 0, "My card was charged twice"),
        (A, 20, "I'm sorry about that, Mike. I'll pass this to billing."),
        (C, 60, "When will I get the money back?"),
        (A, 90, "I'm sorry about that! I'll pass this to billing"),
        (C, 120, "..."))),
    (Fault.repeated_message, False, (  # one word twice is no canned text
        (C, 0, "Спасибо за помощь"),
        (A, 10, "Спасибо!"),
        (C, 20, "До свидания"),
        (A, 30, "Спасибо!"))),
    (Fault.repeated_message, False, (
        (C, 0, "Can I change my seat?"),
        (A, 10, "Yes, seat 12A is free."),
        (C, 20, "And for the return flight?"),
        (A, 30, "Yes, seat 14C is free."))),
    # rude_tone
    (Fault.rude_tone, True, (
        (C, 0, "Как поменять пароль?"),
        (A, 20, "Зайдите в настройки и нажмите «Сменить пароль»."),
        (C, 40, "Спасибо"))),
    (Fault.rude_tone, True, (
        (C, 0, "Как записаться на вакцинацию?"),
        (A, 20, "Пройдите по ссылке на сайте и заполните анкету."),
        (C, 40, "Хорошо"))),
    (Fault.rude_tone, True, (
        (C, 0, "Почему так долго везут заказ?"),
        (A, 20, "Это не наша проблема, претензии к службе доставки."),
        (C, 40, "Понятно"))),
    (Fault.rude_tone, True, (
        (C, 0, "Where do I find the invoice?", "Nora"),
        (A, 20, "Hi Nora, go to Billing and press Download."),
        (C, 40, "ok"))),
    (Fault.rude_tone, True, (
        (C, 0, "Why hasn't my refund arrived after 10 days?"),
        (A, 30, "Obviously because you gave us the wrong account number."),
        (C, 60, "Oh."))),
    (Fault.rude_tone, False, (
        (C, 0, "Как поменять пароль?"),
        (A, 20, "Зайдите, пожалуйста, в настройки и нажмите «Сменить пароль»."),
        (C, 40, "Спасибо"))),
    (Fault.rude_tone, False, (
        (C, 0, "Как поменять пароль?"),
        (A, 20, "Вы можете зайти в настройки и нажать «Сменить пароль». Если не получится, напишите мне."),
        (C, 40, "Спасибо"))),
    (Fault.rude_tone, False, (
        (C, 0, "How do I reset my password?"),
        (A, 20, "Could you go to Settings and click Reset? You'll get an email within a minute."),
        (C, 40, "ok"))),
    (Fault.rude_tone, False, (  # a question, not an order
        (C, 0, "Хочу вернуть платье"),
        (A, 20, "Расскажите, что с ним не так?"),
        (C, 40, "Не подошёл размер"))),
    (Fault.rude_tone, False, (  # "Return" opens a subject here, not an order
        (C, 0, "Do I pay for sending it back?"),
        (A, 20, "Return shipping is free, the courier brings the label."),
        (C, 40, "ok"))),
    (Fault.rude_tone, False, (
        (C, 0, "Thanks a lot!"),
        (A, 20, "You're welcome! Have a great day and see you soon."))),
    # premature_contact_request
    (Fault.premature_contact_request, True, (
        (C, 0, "Сколько стоит аренда газели на 3 часа?"),
        (A, 20, "Добрый день! Оставьте, пожалуйста, номер, диспетчер перезвонит."),
        (C, 40, "А просто цену можно?"),
        (A, 60, "Конечно: 1 500 ₽ в час."))),
    (Fault.premature_contact_request, True, (
        (C, 0, "Do you have this sofa in grey?"),
        (A, 20, "Hello! What is your phone number? Our manager will call you."),
        (C, 40, "Just tell me here"),
        (A, 60, "Yes, grey is available."))),
    (Fault.premature_contact_request, False, (
        (C, 0, "Сколько стоит установка кондиционера?"),
        (A, 20, "Добрый день! Установка — от 6 000 ₽, зависит от длины трассы. "
                "Оставьте, пожалуйста, номер телефона, мастер уточнит детали."),
        (C, 40, "+7 900 000 00 00"))),
    (Fault.premature_contact_request, False, (
        (C, 0, "Do you have this sofa in grey?"),
        (A, 20, "Yes, the grey one is in stock and ships in 3 days."),
        (C, 40, "Great"),
        (A, 50, "Could you share your email so I can send the invoice?"))),
    # emoji_in_money_topic
    (Fault.emoji_in_money_topic, True, (
        (C, 0, "Почему с карты списали 990 рублей?"),
        (A, 20, "Это ежемесячная плата за подписку 🙂 Отключить можно в приложении."),
        (C, 40, "Ясно"))),
    (Fault.emoji_in_money_topic, True, (
        (C, 0, "When will my refund arrive?"),
        (A, 20, "The refund of $45 was sent today, it takes 3-5 days :)"),
        (C, 40, "ok"))),
    (Fault.emoji_in_money_topic, False, (  # emoji, but nothing about money
        (C, 0, "Во сколько у вас начинается мастер-класс?"),
        (A, 20, "В 18:00, ждём вас 😊"),
        (C, 40, "Спасибо)"))),
    (Fault.emoji_in_money_topic, False, (  # money, but the emoji is the customer's
        (C, 0, "What does my loan payment include?"),
        (A, 20, "It includes interest and the principal, 320 dollars a month."),
        (C, 40, "Thanks 🙂"))),
    # language_mismatch
    (Fault.language_mismatch, True, (
        (C, 0, "Здравствуйте, как отменить подписку?"),
        (A, 20, "Hello! You can cancel it in Settings → Subscription."),
        (C, 40, "Спасибо"))),
    (Fault.language_mismatch, True, (
        (C, 0, "Hello, how can I cancel my subscription?"),
        (B, 2, "Здравствуйте! Отменить подписку можно в настройках."),
        (C, 40, "English please"))),
    (Fault.language_mismatch, False, (  # product names are not a language
        (C, 0, "Здравствуйте, у вас есть iPhone 15 Pro Max?"),
        (A, 20, "Здравствуйте! Да, iPhone 15 Pro Max есть в наличии."),
        (A, 25, "Apple iPhone 15 Pro Max 256GB Natural Titanium"),
        (C, 40, "Отлично"))),
    (Fault.language_mismatch, False, (
        (C, 0, "Hi, where can I download the app?"),
        (A, 20, "Hi! Here: https://example.com/app — it's the Android and iOS version."),
        (C, 40, "Thanks"))),
    # message_burst
    (Fault.message_burst, True, (
        (C, 0, "Где мой заказ 4512?"),
        (A, 20, "Секунду."),
        (A, 30, "Проверяю."),
        (A, 60, "Заказ у курьера, привезёт сегодня до 18:00."),
        (C, 80, "Спасибо"))),
    (Fault.message_burst, True, (
        (C, 0, "Why was I charged twice?"),
        (A, 20, "Hold on please."),
        (A, 40, "Looking into it."),
        (A, 60, "Just a sec."),
        (A, 90, "One of the charges is a pre-authorisation and will disappear in 3 days."),
        (C, 100, "ok"))),
    (Fault.message_burst, False, (  # three in a row, but only one is empty
        (C, 0, "Где мой заказ 4512?"),
        (A, 20, "Минутку, проверю."),
        (A, 60, "Заказ у курьера, привезёт сегодня до 18:00."),
        (A, 70, "Курьер позвонит за час до приезда."),
        (C, 80, "Спасибо"))),
    (Fault.message_burst, False, (
        (C, 0, "Where is my order?"),
        (A, 20, "It left the warehouse yesterday."),
        (A, 30, "It should arrive on Friday."),
        (A, 40, "You'll get an SMS with the courier's number."),
        (C, 60, "ok"))),
    # link_without_explanation
    (Fault.link_without_explanation, True, (
        (C, 0, "Как оформить возврат?"),
        (A, 20, "Смотрите тут: https://shop.ru/help/return"),
        (C, 40, "Спасибо"))),
    (Fault.link_without_explanation, True, (
        (C, 0, "What are your opening hours?"),
        (A, 20, "See here https://example.com/hours"),
        (C, 40, "ok"))),
    (Fault.link_without_explanation, False, (
        (C, 0, "Как оформить возврат?"),
        (A, 20, "Заполните, пожалуйста, форму возврата: https://shop.ru/help/return — там нужно указать номер заказа."),
        (C, 40, "Спасибо"))),
    (Fault.link_without_explanation, False, (  # the next message says what is there
        (C, 0, "How do I set up two-factor login?"),
        (A, 20, "https://example.com/help/2fa"),
        (A, 25, "This article explains how to turn on two-factor login step by step."),
        (C, 40, "ok"))),
    # ignored_emotion
    (Fault.ignored_emotion, True, (
        (C, 0, "Это уже третий раз, когда вы срываете доставку!!! Я просто в отчаянии, у дочки завтра день рождения"),
        (A, 30, "Номер заказа?"),
        (C, 40, "7781"))),
    (Fault.ignored_emotion, True, (
        (C, 0, "I'm so frustrated. I've been charged three times and nobody answers my emails!!"),
        (A, 30, "Please provide your account number."),
        (C, 40, "44512"))),
    (Fault.ignored_emotion, True, (
        (C, 0, "Мне очень страшно, у меня списали все деньги с карты, я не понимаю, что происходит 😱"),
        (A, 30, "Назовите, пожалуйста, последние 4 цифры карты."),
        (C, 40, "1234"))),
    (Fault.ignored_emotion, False, (  # acknowledged
        (C, 0, "Это уже третий раз, когда вы срываете доставку!!! Я в отчаянии"),
        (A, 30, "Мне очень жаль, понимаю, как это неприятно. Сейчас всё проверю и найду решение."),
        (C, 40, "Хорошо"))),
    (Fault.ignored_emotion, False, (  # a negated feeling is none
        (C, 0, "I'm not upset, just curious: why did the price change?"),
        (A, 30, "The supplier raised prices in May."),
        (C, 40, "ok"))),
    # bot_no_handoff
    (Fault.bot_no_handoff, True, (
        (C, 0, "У меня списали деньги дважды"),
        (B, 2, "Я бот. Выберите тему: 1 — Платежи, 2 — Доставка"),
        (C, 20, "Позовите человека"),
        (B, 22, "Выберите тему: 1 — Платежи, 2 — Доставка"),
        (C, 40, "Ладно, до свидания"))),
    (Fault.bot_no_handoff, True, (  # handed over, but nobody came in time
        (C, 0, "My order is wrong"),
        (B, 2, "Hi! I'm a bot. What's your order number?"),
        (C, 20, "I want to speak to a manager"),
        (B, 22, "Sure, connecting you to a manager."),
        (A, 400, "Hi, I'm Sam, how can I help?"))),
    (Fault.bot_no_handoff, False, (
        (C, 0, "У меня списали деньги дважды"),
        (B, 2, "Я бот. Выберите тему: 1 — Платежи, 2 — Доставка"),
        (C, 20, "Позовите оператора"),
        (B, 22, "Перевожу на оператора."),
        (A, 80, "Здравствуйте! Вижу двойное списание, сейчас верну одно."))),
    (Fault.bot_no_handoff, False, (  # "people" is no request for a person
        (C, 0, "Hi, I'd like a table for 4 people tomorrow at 7"),
        (B, 2, "Booked: a table for 4 people tomorrow at 7 pm."),
        (C, 20, "Thanks"))),
]


def _case_id(case: tuple[Fault, bool, tuple]) -> str:
    fault, present, lines = case
    language = "ru" if any("а" <= ch <= "я" for ch in lines[0][2].lower()) else "en"
    return f"{fault.value}-{'has' if present else 'near-miss'}-{language}"


@pytest.mark.parametrize("fault, present, lines", CASES, ids=[_case_id(c) for c in CASES])
def test_fault_is_found_exactly_where_it_is(fault: Fault, present: bool, lines: tuple) -> None:
    review = REVIEWER.review(chat(*lines))
    assert (fault.value in review.faults) is present, review.as_json()
    if present:
        finding = next(f for f in review.findings if f.fault is fault)
        assert finding.reason, "every fault comes with a reason"
        assert finding.message is None or 0 <= finding.message < len(lines)


def test_every_fault_has_a_positive_and_a_near_miss_in_both_languages() -> None:
    covered = {_case_id(c) for c in CASES}
    for fault in Fault:
        for kind in ("has", "near-miss"):
            assert any(i.startswith(f"{fault.value}-{kind}-") for i in covered), (fault, kind)
        assert {i.rsplit("-", 1)[1] for i in covered if i.startswith(fault.value + "-")} == {"ru", "en"}, fault


def test_a_clean_conversation_scores_100() -> None:
    review = REVIEWER.review(chat(
        (C, 0, "Здравствуйте! Подскажите, можно ли поменять дату вылета по билету Москва — Сочи на 12 июля?", "Наташа"),
        (A, 25, "Здравствуйте, Наталья! Да, по вашему тарифу обмен возможен. Сбор за обмен — 1 500 ₽ плюс разница "
                "в цене, если она будет.", "Костя"),
        (C, 60, "А на какие рейсы 12 июля есть места?", "Наташа"),
        (A, 90, "12 июля есть места на рейсы в 07:40, 13:15 и 19:50.", "Костя"),
        (C, 120, "Давайте на утренний", "Наташа"),
        (A, 140, "Оформил обмен на рейс 12 июля в 07:40, ссылку на оплату сбора отправил на почту.", "Костя"),
        (C, 170, "Оплатила, спасибо большое!", "Наташа"),
    ))
    assert review.faults == [] and review.score == 100


def test_the_evidence_names_the_message_and_the_reason() -> None:
    review = REVIEWER.review(chat(
        (C, 0, "Вы издеваетесь?! Я жду заказ третий час, я в бешенстве!!!"),
        (A, 200, "Ожидайте."),
        (C, 220, "Сколько ещё?"),
        (A, 240, "Ожидайте."),
    ))
    line = review.as_json()
    assert line["faults"] == sorted(line["faults"])
    assert set(line["faults"]) == {"ignored_emotion", "rude_tone", "slow_first_response"}
    assert line["evidence"]["rude_tone"].startswith("message 1:") and "Ожидайте" in line["evidence"]["rude_tone"]
    assert line["evidence"]["slow_first_response"] == "message 1: first answer after 200 s (limit 60 s)"
    assert line["score"] == 100 - 20 - 15 - 10
