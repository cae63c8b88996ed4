"""Per-account settings of the conversation reviewer, with defaults taken from the taxonomy.

The definitions live in `shared/data/quality/TAXONOMY.md`. Every threshold, phrase list and
switch a supervisor may want to change is a field here, so an account's settings can be stored
as JSON and validated by this model. Phrases are matched by lemma: any inflection, letter case and
punctuation count, so «благодарим за обращение» also finds «Благодарю за ваше обращение!»;
the words must follow each other, but articles and possessives («ваш», «the», «any») may be
added or left out.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt


class Fault(StrEnum):
    slow_first_response = "slow_first_response"
    slow_reply = "slow_reply"
    agent_abandoned = "agent_abandoned"
    unanswered_question = "unanswered_question"
    template_phrase = "template_phrase"
    repeated_message = "repeated_message"
    rude_tone = "rude_tone"
    premature_contact_request = "premature_contact_request"
    emoji_in_money_topic = "emoji_in_money_topic"
    language_mismatch = "language_mismatch"
    message_burst = "message_burst"
    link_without_explanation = "link_without_explanation"
    ignored_emotion = "ignored_emotion"
    bot_no_handoff = "bot_no_handoff"


# Points taken off the score of 100 for each fault found. What the customer feels most
# (being left, being insulted, being ignored) weighs most; cosmetic faults weigh least.
DEFAULT_WEIGHTS: dict[Fault, int] = {
    Fault.slow_first_response: 10,
    Fault.slow_reply: 8,
    Fault.agent_abandoned: 20,
    Fault.unanswered_question: 15,
    Fault.template_phrase: 5,
    Fault.repeated_message: 8,
    Fault.rude_tone: 20,
    Fault.premature_contact_request: 10,
    Fault.emoji_in_money_topic: 5,
    Fault.language_mismatch: 15,
    Fault.message_burst: 5,
    Fault.link_without_explanation: 8,
    Fault.ignored_emotion: 15,
    Fault.bot_no_handoff: 15,
}

# `shared/data/quality/cliches.txt`.
STOCK_PHRASES = [
    "приношу извинения за доставленные неудобства",
    "приносим извинения за доставленные неудобства",
    "извините за доставленные неудобства",
    "спасибо за обращение",
    "благодарим за обращение",
    "могу ли я чем-то помочь",
    "чем еще могу помочь",
    "ваш вопрос очень важен для нас",
    "ваше обращение очень важно для нас",
    "не переживайте",
    "оставайтесь на линии",
    "ожидайте ответа оператора",
    "sorry for the inconvenience",
    "we apologize for any inconvenience",
    "thank you for contacting us",
    "thank you for reaching out",
    "is there anything else i can help you with",
    "your call is important to us",
    "don't worry",
    "please stay on the line",
]

# Messages that only say "wait": the core of an empty message in a burst.
FILLER_PHRASES = [
    "минутку", "минуточку", "секунду", "секундочку", "одну минуту", "один момент", "момент",
    "сейчас посмотрю", "сейчас уточню", "сейчас проверю", "сейчас узнаю", "сейчас",
    "проверяю", "смотрю", "уточняю", "изучаю вопрос", "изучаю", "ищу", "выясняю", "разбираюсь",
    "открываю", "подождите", "ожидайте",
    "one moment", "a moment", "just a moment", "one sec", "a sec", "just a sec", "one second",
    "a second", "hold on", "bear with me", "checking", "let me check", "let me see", "looking",
    "looking into it", "i'll check", "i will check", "on it", "wait",
]

# Words that point at a link without saying what is behind it.
POINTER_PHRASES = [
    "вот", "тут", "здесь", "смотрите", "посмотрите", "держите", "ссылка", "по ссылке", "переходите",
    "here", "see here", "here you go", "here it is", "see", "look", "check", "link", "this", "there",
]

# Softeners that turn a command into a request.
SOFTENERS = [
    "пожалуйста", "будьте добры", "будьте любезны", "прошу вас", "если не сложно", "если вам удобно",
    "если удобно", "если хотите", "вы можете", "можете", "могли бы", "не могли бы", "можно",
    "давайте", "предлагаю", "рекомендую", "советую", "если",
    "please", "kindly", "could you", "can you", "would you", "will you", "you can", "you could",
    "you may", "you might", "feel free", "if you like", "if you want", "if you wish", "if you prefer",
    "i suggest", "i'd suggest", "i recommend", "i'd recommend", "let's", "let us", "if",
]

# Imperatives that are courtesy or reassurance, never an order.
COURTESY_IMPERATIVES = [
    "здравствовать", "простить", "извинить", "давать", "переживать", "волноваться", "беспокоиться", "обращаться",
    "попробовать", "заходить", "приходить", "радовать", "поздравлять", "обратить", "учесть", "иметь",
    # they open a question («Подскажите, ...», «Расскажите, что случилось?»)
    "подсказать", "сказать", "рассказать",
]

# Base forms of English verbs that open a bare command ("Read the conditions.", "Go to ...").
COMMAND_VERBS_EN = [
    "go", "read", "check", "look", "see", "wait", "call", "send", "click", "open", "contact", "fill",
    "follow", "use", "write", "visit", "restart", "reboot", "enter", "provide", "select", "choose",
    "tell", "give", "stop", "calm", "listen", "learn", "find", "download", "install", "update",
    "reset", "type", "press", "tap", "attach", "upload", "bring", "come", "ask", "do", "hold", "hang",
    "refer", "review", "consult", "turn", "switch", "make", "pay", "reply", "answer", "reread",
    "re-read", "close", "cancel", "delete", "remove", "submit", "complete", "confirm", "verify",
    "share", "scroll", "navigate", "fix", "clear", "log", "sign", "register", "return", "print",
    "sit", "deal", "figure", "google", "search", "mind", "leave", "put", "move",
]

# Blame, sarcasm and insults: rude whatever the grammar.
BLAME_PHRASES = [
    "надо было раньше думать", "надо было думать", "раньше надо было", "сами виноваты", "сам виноват",
    "сама виновата", "ваша вина", "по вашей вине", "читайте внимательнее", "читать внимательнее",
    "внимательнее читать", "внимательнее надо", "как я уже писал", "как я уже говорил", "я же сказал",
    "я же написал", "еще раз повторяю", "это не наша проблема", "это ваши проблемы", "ваши проблемы",
    "а вы как думали", "что вы хотели", "очевидно же", "не умеете", "глупый вопрос", "научитесь",
    "неправильно считаете", "вы неправильно", "вы не так", "вы невнимательно", "вы ошибаетесь",
    "дурак", "идиот", "тупой", "бестолковый",
    "it's your fault", "it is your fault", "your own fault", "you should have", "you didn't read",
    "you did not read", "read carefully", "read it carefully", "as i already said", "as i said",
    "i already told you", "i already explained", "obviously", "not our problem", "your problem",
    "what did you expect", "calm down", "you're wrong", "you are wrong", "you did it wrong",
    "you misunderstood", "stupid", "idiot", "dumb",
]

# Words by which a customer asks for a person instead of the bot.
HUMAN_WORDS = [
    "оператор", "человек", "живой", "сотрудник", "менеджер", "специалист", "консультант",
    "operator", "human", "person", "agent", "manager", "representative", "someone real", "real person",
    "live agent", "live person", "speak to someone", "talk to someone", "speak with someone", "talk with someone",
    "speak to somebody", "talk to somebody",
]

# What a bot says when it hands the conversation over.
HANDOFF_PHRASES = [
    "соединяю", "соединю", "перевожу", "переведу", "передаю", "передам", "подключаю", "подключу",
    "зову", "позову", "переключаю", "переключу",
    "connecting you", "i'll connect you", "i will connect you", "transferring", "transfer you",
    "i'll transfer", "handing you over", "hand you over", "passing you", "an agent will join",
    "a human will join", "an operator will join", "will be with you",
]

# The conversation is about money when these appear (or an amount with a currency).
MONEY_WORDS = [
    "цена", "стоимость", "стоить", "оплата", "оплатить", "заплатить", "платить", "платеж", "кредит",
    "займ", "заем", "долг", "задолженность", "возврат денег", "вернуть деньги", "деньги", "карта",
    "комиссия", "зарплата", "тариф", "рассрочка", "ипотека", "процент", "погашение", "погасить",
    "списать", "счет", "перевод", "баланс", "штраф", "доплата", "предоплата", "залог", "рубль",
    "price", "cost", "payment", "pay", "paid", "loan", "debt", "refund", "card", "fee", "salary",
    "charge", "money", "balance", "tariff", "installment", "mortgage", "interest rate", "invoice",
    "bill", "deposit", "ruble", "dollar", "euro",
]

# Strong feelings, with weights; an intensifier before a word multiplies its weight by 1.5.
EMOTION_WORDS: dict[str, float] = {
    # anger and indignation
    "бешенство": 3, "ярость": 3, "взбесить": 3, "бесить": 2, "возмутительно": 2, "возмущать": 2,
    "безобразие": 2, "издеваться": 2, "развод": 2, "обман": 2, "обмануть": 2, "мошенник": 2,
    "кошмар": 2, "ужас": 2, "ужасный": 2, "отвратительный": 2, "хамство": 2, "позор": 2,
    "надоесть": 2, "сколько можно": 2, "достать": 1, "нет слов": 2, "зло": 1, "злой": 2,
    "разочаровать": 2, "разочарование": 2, "возмущение": 2, "возмутить": 2, "невыносимо": 2, "беспредел": 2,
    "бред": 2, "наглость": 2, "жуть": 2, "отвратительно": 2, "бесполезный": 2, "некомпетентный": 2,
    "ненавидеть": 2, "хамить": 2,
    "furious": 3, "angry": 2, "outraged": 3, "outrageous": 2, "ridiculous": 2, "unacceptable": 2,
    "disgusting": 2, "disgusted": 2, "terrible": 2, "awful": 2, "horrible": 2, "scam": 2, "upset": 2,
    "frustrated": 2, "frustrating": 2, "annoyed": 2, "fed up": 2, "sick of": 2, "disappointed": 2,
    "livid": 3, "pissed": 3, "joke": 1, "nightmare": 2, "worst": 2, "useless": 2, "incompetent": 2,
    "pathetic": 2, "disgrace": 2, "unbelievable": 2, "hate": 2, "never again": 2, "what the hell": 2,
    "wtf": 2,
    # fear and distress
    "страшно": 2, "бояться": 2, "испугаться": 2, "паника": 2, "паниковать": 2, "отчаяние": 3,
    "тревога": 2, "тревожно": 2, "рыдать": 2, "слезы": 2, "нервничать": 2, "трястись": 2, "не спать": 1,
    "не знать что делать": 2, "что мне делать": 1, "что делать": 1, "умолять": 2, "беда": 2, "горе": 2,
    "помогите": 1, "в шоке": 2, "шок": 2, "нервы": 1, "волноваться": 2, "переживать": 2, "ужасно": 2,
    "кошмарный": 2, "расстроить": 2, "обидно": 2, "сил нет": 2, "стыдно": 1,
    "scared": 2, "afraid": 2, "terrified": 3, "panic": 2, "panicking": 2, "desperate": 3,
    "worried": 2, "anxious": 2, "nervous": 2, "stressed": 2, "devastated": 3, "crying": 2,
    "helpless": 2, "stranded": 2, "exhausted": 2, "don't know what to do": 2, "what do i do": 1,
    "what should i do": 1, "please help": 1, "shocked": 2,
}
INTENSIFIERS = [
    "очень", "совсем", "просто", "крайне", "ужасно", "реально", "абсолютно", "вообще", "так",
    "really", "so", "very", "extremely", "honestly", "totally", "absolutely", "completely", "truly",
]

# What acknowledges a feeling in the agent's answer.
EMPATHY_PHRASES = [
    "понимаю", "понимаем", "мне жаль", "очень жаль", "жаль", "сожалею", "сожалеем", "сочувствую",
    "извините", "простите", "прошу прощения", "приношу извинения", "приносим извинения", "извиняюсь",
    "неприятно", "неприятная ситуация", "тревожно", "представляю", "вы правы", "не волнуйтесь",
    "не переживайте", "не беспокойтесь", "досадно", "обидно", "успокою", "мы разберемся",
    "sorry", "apologize", "apologise", "apologies", "understand", "i hear you", "frustrating",
    "i can imagine", "that must be", "you're right", "you are right", "don't worry", "regret",
    "awful", "terrible", "unfortunate",
]


class ReviewConfig(BaseModel):
    """What the reviewer looks for and how strictly; the defaults follow TAXONOMY.md."""

    model_config = ConfigDict(extra="forbid")

    enabled: set[Fault] = Field(default_factory=lambda: set(Fault), description="Faults that are looked for.")
    weights: dict[Fault, int] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    first_response_seconds: PositiveFloat = 60
    reply_seconds: PositiveFloat = 180
    handoff_seconds: PositiveFloat = 120
    emotion_threshold: PositiveFloat = Field(3.0, description="Sum of emotion cues that counts as strong feeling.")
    burst_min_messages: PositiveInt = 3
    burst_min_empty: PositiveInt = 2
    repeated_min_words: PositiveInt = 2

    stock_phrases: list[str] = Field(default_factory=lambda: list(STOCK_PHRASES))
    filler_phrases: list[str] = Field(default_factory=lambda: list(FILLER_PHRASES))
    pointer_phrases: list[str] = Field(default_factory=lambda: list(POINTER_PHRASES))
    softeners: list[str] = Field(default_factory=lambda: list(SOFTENERS))
    courtesy_imperatives: list[str] = Field(default_factory=lambda: list(COURTESY_IMPERATIVES))
    command_verbs_en: list[str] = Field(default_factory=lambda: list(COMMAND_VERBS_EN))
    blame_phrases: list[str] = Field(default_factory=lambda: list(BLAME_PHRASES))
    human_words: list[str] = Field(default_factory=lambda: list(HUMAN_WORDS))
    handoff_phrases: list[str] = Field(default_factory=lambda: list(HANDOFF_PHRASES))
    money_words: list[str] = Field(default_factory=lambda: list(MONEY_WORDS))
    emotion_words: dict[str, float] = Field(default_factory=lambda: dict(EMOTION_WORDS))
    intensifiers: list[str] = Field(default_factory=lambda: list(INTENSIFIERS))
    empathy_phrases: list[str] = Field(default_factory=lambda: list(EMPATHY_PHRASES))

    def weight(self, fault: Fault) -> int:
        return self.weights.get(fault, DEFAULT_WEIGHTS[fault])
