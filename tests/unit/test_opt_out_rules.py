"""Opt-out by law: the contract's keyword table, the carriers' words, and the
plain-language rules (sure → opt out, unsure → a person reads it, else nothing)."""

from __future__ import annotations

import pytest

from chalicelib.domain import consent

# -- the contract's table: exactly one of these, any case, spaces and punctuation ignored --

CONTRACT_STOP = ["STOP", "QUIT", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE"]


@pytest.mark.parametrize("word", CONTRACT_STOP)
@pytest.mark.parametrize(
    "shape", ["{w}", "{l}", "{t}", "  {w}  ", "{w}.", "{w}!", "'{l}'", "\n{t}?\n", "¡{w}!"]
)
def test_each_fcc_keyword_opts_out_in_any_case_with_spaces_and_punctuation(
    word: str, shape: str
) -> None:
    text = shape.format(w=word, l=word.lower(), t=word.title())
    assert consent.keyword(text) == "stop"


@pytest.mark.parametrize(
    "text",
    ["STOPALL", "stop all", "OPTOUT", "opt-out", "Opt_Out", "ARRET", "Arrêt", "remove", "unsub"],
)
def test_the_carriers_usual_stop_words_opt_out(text: str) -> None:
    assert consent.keyword(text) == "stop"


@pytest.mark.parametrize("text", ["START", "unstop", "Yes", "opt in", "subscribe"])
def test_start_words_opt_back_in(text: str) -> None:
    assert consent.keyword(text) == "start"


@pytest.mark.parametrize("text", ["HELP", "info", "Aide"])
def test_help_words_ask_for_help(text: str) -> None:
    assert consent.keyword(text) == "help"


# -- plain language: at least 30 revocations the rules must be sure of -----------------------

SURE = [
    "please stop texting me",
    "Stop texting me!",
    "stop messaging me",
    "STOP SENDING ME MESSAGES",
    "stop sending me these texts",
    "Please stop sending texts to this number",
    "don't text me anymore",
    "Do not text me again",
    "dont contact me",
    "Never text me again.",
    "do not message me",
    "no more texts please",
    "No more messages!!",
    "I don't want these texts",
    "I no longer wish to receive these messages",
    "I don't want any more texts from you",
    "unsubscribe me",
    "Please remove my number",
    "take me off your list",
    "Remove me from this list",
    "delete my number",
    "I want to unsubscribe",
    "I would like to opt out",
    "I'd like to stop receiving these",
    "stop please",
    "STOP IT",
    "Stop now!!!",
    "cancel please",
    "unsubscribe, thanks",
    "I revoke my consent",
    "please stop texting",
    "quit texting me",
    "Stop txting me",
    "pls stop msging me",
    "i dont want your texts",
]

ORDINARY = [
    "stop by at 5",
    "don't stop now",
    "Can you stop by the store?",
    "I'll stop at the bank on the way",
    "the bus stop is on Main St",
    "please don't stop texting me, I love the updates",
    "I need to cancel my appointment",
    "can we end the meeting early?",
    "Yes please",
    "Thanks! See you tomorrow",
    "What time do you open?",
    "I'll stop texting you now, talk later",
    "Should I stop texting you?",
    "it won't stop raining",
    "Non-stop flights only",
    "I can't stop laughing",
    "quit my job today",
    "end of the month works",
    "remove the second item from my order",
    "please cancel order 1234",
    "the stop sign is broken",
    "keep the texts coming",
    "text me when you're outside",
    "Send me the invoice please",
    "I never said stop",
    "Did the package ship?",
    "stop the car",
    "I'm on my way",
    "Where is your office?",
    "OK",
    "Call me back",
    "Text me at 5",
]

UNSURE = [
    "who gave you my number?",
    "wrong number",
    "not interested",
    "leave me alone",
    "this is spam",
    "I said stop with the texts last week and I meant it, but also when is my appointment?",
]


@pytest.mark.parametrize("text", SURE)
def test_a_plain_language_revocation_opts_out(text: str) -> None:
    assert consent.revocation(text) == "sure", consent.normalise_plain(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_an_ordinary_message_does_not_opt_out_or_flag(text: str) -> None:
    assert consent.revocation(text) is None, consent.normalise_plain(text)


@pytest.mark.parametrize("text", UNSURE)
def test_a_doubtful_message_is_flagged_for_a_person(text: str) -> None:
    assert consent.revocation(text) == "unsure", consent.normalise_plain(text)


def test_the_tables_hold_at_least_thirty_of_each() -> None:
    assert len(SURE) >= 30 and len(ORDINARY) >= 30


def test_a_keyword_is_not_read_again_as_plain_language() -> None:
    assert consent.revocation("STOP") is None and consent.keyword("STOP") == "stop"


def test_a_long_letter_with_a_revocation_is_flagged_not_acted_on() -> None:
    letter = "stop texting me " + "because I have said so many times before " * 6
    assert consent.revocation(letter) == "unsure"


# Found by a review: a STOP with emoji, a zero-width space, said twice, or with "no"
# before it is still a STOP; "opt me out" is sure; "I'm ill" is not "I'll".
STOP_ANYWAY = [
    "STOP 🛑",
    "Stop!🛑",
    "Stop ✋",
    "unsubscribe 🙏",
    "STOP\u200b",
    "stop stop stop",
    "STOP.STOP",
]
SURE_TOO = [
    "opt me out",
    "Please opt me out",
    "No thanks, stop",
    "no, stop",
    "Nope, stop",
    "I'm ill, stop texting me",
]
# ... and an everyday sentence with a pronoun is never an opt-out: a person reads it
# when it could be one, and nothing happens when it cannot.
NOT_SURE = [
    "Can you take me to the airport?",
    "can you take me at 3pm",
    "take us in at noon",
    "remove me from the 3pm slot and add me at 4",
    "Thanks, remove us from the waitlist, we found a table",
    "please delete my number from the old account",
    "I don't want it",
    "I don't need it anymore",
    "I don't want them delivered Monday",
    "don't want this one, the blue one",
    "stop sending it to my old address",
    "Please stop sending them to my office",
    "stop sending me the bill",
    "cancel it",
    "Cancel this",
    "end it",
]
SPANISH = ["BAJA", "alto", "PARAR", "cancelar", "no me envien mas mensajes"]


@pytest.mark.parametrize("text", STOP_ANYWAY)
def test_a_stop_keyword_with_emoji_or_said_again_is_a_stop(text: str) -> None:
    assert consent.keyword(text) == "stop", consent.normalise_keyword(text)


@pytest.mark.parametrize("text", SURE_TOO)
def test_these_plain_revocations_are_sure_too(text: str) -> None:
    assert consent.revocation(text) == "sure", consent.normalise_plain(text)


@pytest.mark.parametrize("text", NOT_SURE)
def test_an_everyday_sentence_with_a_pronoun_never_opts_out(text: str) -> None:
    assert consent.keyword(text) is None
    assert consent.revocation(text) != "sure", consent.normalise_plain(text)


@pytest.mark.parametrize("text", SPANISH)
def test_a_spanish_revocation_is_flagged_for_a_person(text: str) -> None:
    assert consent.revocation(text) in ("sure", "unsure"), consent.normalise_plain(text)


# Found by a review: a STOP signed with a name opts out; a STOP with other words after
# punctuation is read by a person; longer Spanish revocations that name the texts opt out.
SIGNED_STOP = [
    "STOP - John",
    "Stop. John",
    "STOP, Mary Smith",
    "Stop! From John",
    "STOP - JOHN",
    "OPT-OUT - John",
    "Stop. John O'Neil",
    "STOP — J.",
    "STOP!!! - Maria 🙏",
    "Unsubscribe: Ana",
    "End. Period.",
    "STOP, this is Ana McKay",
    "Stop - Priya",
]
STOP_THEN_WORDS = [
    "stop -john",
    "Stop. Wait",
    "End. Of story",
    "Cancel - wrong appointment",
    "Cancel, Tuesday",
    "stop. by at 5",
]
# Found by a cold review: a capitalised phrase after a stop keyword was read as a
# signature and opted out. Only a name signs a STOP; these must not opt out.
STOP_THEN_PHRASE = [
    "Cancel - Reschedule",
    "Cancel: Order Confirmed",
    "Cancel -- Dentist",
    "Stop. Great Job",
    "END-OF-DAY",
    "QUIT - JOB",
    "STOP-Smoking",
    "Cancel, Appointment Tomorrow",
    "End - Of Month",
]
SPANISH_SURE = [
    "por favor no me envíen más mensajes",
    "Por favor, no me envien mas mensajes!",
    "ya no quiero recibir mensajes",
    "Ya no quiero recibir más mensajes de ustedes",
    "no quiero más mensajes",
    "dejen de enviarme mensajes",
    "Denme de baja por favor",
]
SPANISH_ORDINARY = [
    "¿A qué hora abren?",
    "no quiero la camisa azul",
    "gracias, nos vemos mañana",
    "para mañana por favor",
]


@pytest.mark.parametrize("text", SIGNED_STOP)
def test_a_stop_signed_with_a_name_opts_out(text: str) -> None:
    assert consent.revocation(text) == "sure", text
    assert consent.matched_rule(text) == "a stop keyword, then a name or more"


@pytest.mark.parametrize("text", STOP_THEN_WORDS)
def test_a_stop_followed_by_other_words_is_flagged_for_a_person(text: str) -> None:
    assert consent.revocation(text) == "unsure", text


@pytest.mark.parametrize("text", STOP_THEN_PHRASE)
def test_a_stop_followed_by_a_capitalised_phrase_is_flagged_not_opted_out(text: str) -> None:
    assert consent.keyword(text) is None
    assert consent.revocation(text) == "unsure", text


@pytest.mark.parametrize("text", SPANISH_SURE)
def test_a_longer_spanish_revocation_opts_out(text: str) -> None:
    assert consent.revocation(text) == "sure", consent.normalise_plain(text)


@pytest.mark.parametrize("text", SPANISH_ORDINARY)
def test_an_ordinary_spanish_message_does_not_opt_out_or_flag(text: str) -> None:
    assert consent.revocation(text) is None, consent.normalise_plain(text)
