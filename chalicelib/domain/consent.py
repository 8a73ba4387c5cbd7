"""Consent by US law: the opt-out, opt-in and help keywords, and plain-language revocations.

Since 11 April 2025 the FCC's rule (47 CFR 64.1200(a)(10)) makes STOP, QUIT, END,
REVOKE, OPT OUT, CANCEL and UNSUBSCRIBE revoke consent, and "any reasonable means"
too. Carriers add their own words (STOPALL, OPTOUT, ARRET, REMOVE ...). So an
inbound text is read in two steps:

1. ``keyword``: the whole text is one keyword (any case; surrounding spaces and
   punctuation ignored; accents, full-width letters and the inner spacing or
   hyphen of "OPT-OUT" folded). Certain.
2. ``revocation``: plain language. A short, documented rule set (``SURE`` and
   ``UNSURE`` below, tested with a table of phrasings and of ordinary messages
   that mention stopping) answers ``"sure"`` (opt out now), ``"unsure"`` (a
   person should read it: the conversation is flagged) or None.

Failing to honour an opt-out is the costly mistake, so "sure" errs towards
opting out only where the text is about texting the writer; anything merely
suspicious is flagged for a person instead. Pure Python: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from chalicelib.domain.common_words import COMMON_WORDS

Keyword = Literal["stop", "start", "help"]
Revocation = Literal["sure", "unsure"]

# The FCC's seven words, then the carriers' and providers' usual ones.
FCC_STOP_KEYWORDS = frozenset({"STOP", "QUIT", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE"})
STOP_KEYWORDS = FCC_STOP_KEYWORDS | frozenset(
    {"STOPALL", "STOP ALL", "OPTOUT", "ARRET", "REMOVE", "UNSUB", "STOP TEXT", "STOP TEXTS"}
)
START_KEYWORDS = frozenset({"START", "UNSTOP", "YES", "OPT IN", "OPTIN", "SUBSCRIBE"})
HELP_KEYWORDS = frozenset({"HELP", "INFO", "AIDE"})


def _fold(text: str) -> str:
    """NFKC (full-width letters), then accents dropped ("ARRÊT" is ARRET)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_keyword(text: str) -> str:
    """The text as the keyword tables spell it: upper case, folded, anything but letters
    and digits (punctuation, emoji, zero-width characters) as spaces, "OPT-OUT" /
    "opt   out" as "OPT OUT", a word said again and again ("STOP STOP", "STOP.STOP")
    said once."""
    kept = "".join(c if c.isalnum() else " " for c in _fold(text))
    word = " ".join(kept.upper().split())
    words = word.split(" ")
    if len(words) > 1 and len(set(words)) == 1:
        return words[0]
    return word


def keyword(text: str) -> Keyword | None:
    """The opt-out/opt-in/help keyword a whole message is, or None.

    A keyword inside a sentence ("please stop", "don't stop") is not one; the
    plain-language rules (``revocation``) read those.
    """
    word = normalise_keyword(text)
    if word in STOP_KEYWORDS:
        return "stop"
    if word in START_KEYWORDS:
        return "start"
    if word in HELP_KEYWORDS:
        return "help"
    return None


# -- plain language ------------------------------------------------------------------------

_CONTRACTIONS = (
    (r"\bdon t\b|\bdont\b|\bdo not\b", "dont"),
    (r"\bcan t\b|\bcant\b|\bcannot\b|\bcan not\b", "cant"),
    (r"\bwon t\b|\bwont\b|\bwill not\b", "wont"),
    (r"\bi m\b|\bim\b|\bi am\b", "im"),
    (r"\bi ll\b|\bill\b|\bi will\b", "ill"),  # "I'll" (apostrophes are dropped first)
    (r"\bpls\b|\bplz\b|\bplease\b", "please"),
    (r"\b(txt|txts|texts|sms|msg|msgs|messages|message)\b", "texts"),
    (r"\b(txting|texting|messaging|msging|sending|contacting|calling|spamming)\b", "texting"),
    (r"\bany more\b", "anymore"),
)

# what the texts are called (a bare "it", "this", "them" could be anything: a person
# reads those), and who they go to
_TEXTS = r"(texts|these texts|those texts|your texts|any texts|marketing)"
_PRONOUNS = r"(it|this|them|these|those)"
# where "take me off" / "remove us from" must point for a revocation to be sure
_LIST = r"(the |your |this |ur |all )?(list|lists|texts|texting list|mailing list|contact list|database|system)"
_ME = r"(me|us|my (phone|number|cell)|this (phone|number))"

# Sure: a revocation of texts to the writer. Each rule is one regular expression over
# the normalised text (lower case, contractions joined: "dont", "ill"; "msgs" → texts).
SURE: tuple[tuple[str, str], ...] = (
    (
        "stop texting me",
        # "stop sending me the bill" is about something else ("sending" reads as texting)
        rf"\b(stop|quit|cease|end) (all )?(texting|text)( to)? {_ME}\b"
        r"(?! (the|a|an|my|your|that|this|those|it|them|bill|invoice|package|order)\b)",
    ),
    ("stop sending me texts", rf"\b(stop|quit|cease) (texting|text) ({_ME} )?{_TEXTS}\b"),
    (
        "stop texting (end of text)",
        r"^(please )?(stop|quit) (texting|text)( please| now| thanks)*$",
    ),
    ("don't text me", rf"\b(dont|never|wont you) (text|texting|texts|contact|call) {_ME}\b"),
    ("no more texts", r"\bno (more|further) (texts|text|marketing)\b"),
    (
        "don't want texts",
        rf"\b(dont|no longer) (want|wish|need)( to (get|receive))? (any )?(more |anymore )?{_TEXTS}\b",
    ),
    ("unsubscribe me", rf"\b(unsubscribe|opt out|optout|unenroll) ({_ME}|my info)\b"),
    ("opt me out", r"\bopt (me|us) out\b"),
    (
        "take me off the list",
        rf"\b(take|remove|delete|get) (me|my number|us|my info) (off|from) (of )?{_LIST}\b",
    ),
    (
        "take me off (end of text)",
        r"\b(take|remove|delete) (me|my number|us) (off|from)( please)?$",
    ),
    (
        "remove my number",
        r"^(please )?(remove|delete|erase) (my number|my phone number|my info|me)( please| thanks| now)*$",
    ),
    (
        "I want to unsubscribe",
        r"\b(want|wish|like|need) to (unsubscribe|opt out|optout|stop (getting|receiving) (texts|these|them))\b",
    ),
    (
        "stop please",
        r"^(please )?(stop|unsubscribe|opt out|cancel|quit|revoke)( (now|please|already|thanks|thank you|all|asap|immediately))+$",
    ),
    ("stop it", r"^(please )?(stop|quit) (it|this|them|these)( (please|now|already|thanks))*$"),
    (
        "no, stop",
        r"^((no|nope|nah|thanks|thank you|ok|okay|please) )+(stop|unsubscribe|opt out|quit|revoke)( (now|please|thanks|thank you|asap))*$",
    ),
    ("revoke consent", r"\b(revoke|withdraw|cancel) (my )?(consent|permission|subscription)\b"),
    # Spanish, when it names the texts: "(ya) no me envíen más mensajes", "no quiero
    # recibir mensajes", "dejen de enviarme mensajes", "denme de baja"
    (
        "Spanish: no more texts",
        r"\bno (me |nos )?(envien|envies|envie|mandes|manden|mande|escriban|escribas)"
        r" (mas )?(mensajes|textos|texts)\b",
    ),
    (
        "Spanish: I don't want texts",
        r"\b(ya )?no (quiero|queremos|deseo) (recibir |seguir recibiendo )?(mas )?"
        r"(sus |tus |estos |esos |los |ningun |ningunos )?(mensajes|textos|texts)\b",
    ),
    (
        "Spanish: stop texting me",
        r"\b(dejen|deja|deje|paren|para|pare) de (enviar|mandar|escribir)(me|nos|le)\b",
    ),
    ("Spanish: unsubscribe me", r"\b(dar ?me|denme|deme|darme) de baja\b"),
    ("do not contact", r"\b(dont|never) (contact|text|texts) (me )?(again|anymore)\b"),
)

# Unsure: a person should read it. A stop word near a word about texting, or a
# complaint that often means "stop" without saying it.
UNSURE: tuple[tuple[str, str], ...] = (
    (
        "a stop word about texts",
        r"\b(stop|quit|unsubscribe|opt out|remove|cancel|end)\b.*\b(texts|texting|number|list)\b",
    ),
    ("texts, then a stop word", r"\b(texts|texting)\b.*\b(stop|unsubscribe|opt out)\b"),
    (
        "a stop word and a pronoun",
        rf"^(please )?(stop|cancel|end|quit|remove|delete)( (sending|texting))?( {_ME})? {_PRONOUNS}\b",
    ),
    ("don't want it", rf"\b(dont|no longer) (want|need) {_PRONOUNS}\b"),
    ("take me off", r"\b(take|remove|delete) (me|my number|us) (off|from)\b"),
    (
        "Spanish",
        r"^(baja|alto|parar|para|cancelar)$|\bno (me )?(envien|mandes|manden|escriban) (mas )?\b|\bno mas mensajes\b",
    ),
    ("leave me alone", r"\bleave me alone\b"),
    ("wrong number", r"\bwrong (number|person)\b"),
    ("not interested", r"\bnot interested\b"),
    ("who gave you my number", r"\bwho gave you (my|this) number\b"),
    ("spam", r"\b(spam|harass|harassing|harassment|reporting you)\b"),
)

# A match is cancelled when the writer negates it or speaks of themselves stopping.
_NEGATED = re.compile(
    # "ill" is "I'll", unless "I'm ill" / "am ill": the writer is sick, not stopping
    r"\b(dont|cant|wont|never|not|im not|(?<!im )(?<!am )ill|i wont|shouldnt|should i|didnt)\s*$"
)
_SURE = tuple((name, re.compile(rule)) for name, rule in SURE)
_UNSURE = tuple((name, re.compile(rule)) for name, rule in UNSURE)
MAX_WORDS = 40  # a longer text is a letter, not a revocation: at most flagged


def normalise_plain(text: str) -> str:
    """Lower case, folded, punctuation as spaces (apostrophes joined), contractions and
    the words for texts unified, single spaces."""
    lowered = _fold(text).lower().replace("\u2019", "'").replace("'", "")
    spaced = re.sub(r"[^a-z0-9 ]+", " ", lowered)
    spaced = re.sub(r"\s+", " ", spaced).strip()
    for pattern, replacement in _CONTRACTIONS:
        spaced = re.sub(pattern, replacement, spaced)
    return spaced


def _unnegated(rule: re.Pattern[str], text: str) -> bool:
    for found in rule.finditer(text):
        before = text[: found.start()]
        # "dont" is part of a "dont text me" rule itself; only a word before the match negates
        if not _NEGATED.search(before):
            return True
    return False


# A stop keyword, punctuation, then more: "STOP - John", "Stop. John Smith", "END, Maria".
_SEPARATOR = re.compile(r"(?:\s*[-\u2010-\u2015.,:;!/|~]+)+\s*")
# a hyphen between two letters joins a word ("END-OF-DAY", "QUIT-SMOKING"): never a signature
_JOINER = re.compile(r"[-\u2010\u2011]")
_NAME_WORD = re.compile(r"^[A-Z][a-z]*([A-Z][a-z]+)?(['\u2019-][A-Z]?[a-z]+)*$")  # O'Neil, McKay
_INITIAL = re.compile(r"^[A-Z]\.?$")
_SIGN_OFF = re.compile(r"^(from|this is|its|it s|regards|thanks|thank you|love)\s+", re.I)
# emphasis after the keyword, not a signature: "End. Period.", "STOP - now"
_EMPHASIS = frozenset({"period", "now", "please", "thanks", "thank you", "asap", "immediately"})


def _is_name(words: list[str], upper: bool) -> bool:
    """One or two name-like words (initials aside): capitalised, or all capitals when
    the whole signature is, and none of them a common English word."""
    if not 1 <= len(words) <= 3:
        return False
    full = [w for w in words if not _INITIAL.match(w)]
    if len(full) > 2:
        return False
    for word in full:
        shaped = word if not upper else word[:1] + word[1:].lower()
        bare = re.sub(r"['\u2019-]", "", word).lower()
        if not _NAME_WORD.match(shaped) or bare in COMMON_WORDS:
            return False
    return True


def signed_keyword(text: str) -> Revocation | None:
    """A stop keyword followed by punctuation and more words. "sure" only for a
    sign-off: a dash, comma, full stop or colon, then a person's name ("STOP - John",
    "Stop. John", "STOP, Mary Smith", "Stop! From John"), or emphasis ("End.
    Period."); "unsure" for anything else ("Cancel - Reschedule", "Stop. Great Job",
    "END-OF-DAY"): a person reads it."""
    folded = _fold(text).strip()
    for separator in _SEPARATOR.finditer(folded):
        head, rest = folded[: separator.start()], folded[separator.end() :]
        if keyword(head) != "stop":
            continue
        rest = re.sub(r"[^\w'\u2019.]+$", "", rest).rstrip(".!? ")  # emoji, "!" at the end
        if not rest:
            return None
        if _JOINER.fullmatch(separator.group()):
            return "unsure"
        if rest.lower() in _EMPHASIS:
            return "sure"
        upper = rest.isupper()
        signed = _SIGN_OFF.sub("", rest)
        words = [w.strip(",") for w in signed.split()]
        return "sure" if _is_name(words, upper) else "unsure"
    return None


def revocation(text: str) -> Revocation | None:
    """Whether a text that is not a keyword revokes consent: "sure", "unsure" or None."""
    if keyword(text) is not None:
        return None
    plain = normalise_plain(text)
    if not plain:
        return None
    long = len(plain.split()) > MAX_WORDS
    if any(_unnegated(rule, plain) for _, rule in _SURE):
        return "unsure" if long else "sure"
    signed = signed_keyword(text)
    if signed is not None:
        return signed
    if any(_unnegated(rule, plain) for _, rule in _UNSURE):
        return "unsure"
    return None


def matched_rule(text: str) -> str | None:
    """The name of the first rule a text matches (for the audit and for support)."""
    plain = normalise_plain(text)
    for name, rule in _SURE:
        if rule.search(plain):
            return name
    if signed_keyword(text) is not None:
        return "a stop keyword, then a name or more"
    for name, rule in _UNSURE:
        if rule.search(plain):
            return name
    return None
