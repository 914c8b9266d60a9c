"""Text helpers of :mod:`diagnose.causes.contradictory_context.analyzer`.

Tokenising, question reading (expected answer type, relation words, subject
name), answer-candidate extraction and its features, and comparing spans across
passages. The fitted models that weigh candidates, passages and sets live in
:mod:`diagnose.causes.contradictory_context._context_models`. Private: nothing here is public API.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

from diagnose.report.text import mark_span

STOP = frozenset(
    "a an the of in on at to for from by with and or but as is are was were be been being "
    "it its this that these those he she they his her their them him we you i what which "
    "who whom whose when where why how does do did has have had into about also after "
    "before during over under than then there here not no one s per can may will would "
    "year born name called known associated other most more such only up out so all".split()
)
NEGATIONS = frozenset("not no never none nor neither without cannot n't isn't wasn't".split())
CONNECTORS = frozenset({"of", "de", "da", "del", "von", "van", "the", "la", "le", "du", "&"})
MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december"
    .split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
TOKEN = re.compile(r"\d+(?:st|nd|rd|th)\b|\d+(?:[,.]\d+)*|[^\W\d_]+(?:-[^\W\d_]+)*")
ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")
SENT_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-Z0-9])|\s+[•|·]\s+")
NOISE = re.compile(r"\[\s*(?:\d+|edit|citation needed)\s*\]", re.IGNORECASE)
YEAR = re.compile(r"^(1[0-9]{3}|20[0-9]{2})$")
_FOOTNOTED = re.compile(r"(?<=^\d{4})\.\d{1,2}$")
_QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")
_QUESTION_WORDS = frozenset("what when who whom whose where which why how in is was".split())

# Category answers ("What sport / genre / profession / medium ...?"): a fact list, one
# or two words each. Two-word entries are matched as a bigram before their parts.
LEXICON = frozenset("""
american-football association-football ice-hockey field-hockey rugby-union rugby-league
australian-football water-polo table-tennis figure-skating speed-skating martial-arts
track-and-field cross-country middle-distance long-distance
football soccer basketball baseball hockey cricket rugby tennis golf boxing wrestling sumo
swimming cycling athletics volleyball handball lacrosse softball badminton skiing skating
snooker racing motorsport rowing sailing judo karate fencing gymnastics archery curling
darts bowling netball polo squash surfing triathlon biathlon bobsleigh luge weightlifting
canoeing diving equestrian taekwondo shooting running marathon chess afl nfl nba nhl mlb
film novel documentary play musical opera album single song series sitcom telenovela
poem poetry newspaper magazine comic manga anime video-game short-film television radio
podcast painting sculpture ballet
comedy drama thriller horror romance western animation biography fantasy science-fiction
rock pop jazz blues country folk punk metal hip-hop rap reggae classical baroque gospel
soul funk disco techno house electronic indie grunge
actor actress singer writer author poet journalist politician lawyer judge painter artist
sculptor architect engineer physicist chemist biologist mathematician economist historian
philosopher composer musician guitarist drummer pianist trombonist violinist producer
director chef footballer cricketer businessman entrepreneur bishop cardinal priest
general admiral officer soldier diplomat broadcaster comedian model photographer designer
teacher professor scientist surgeon physician nurse dancer rapper boxer wrestler
quarterback linebacker defender midfielder forward winger goalkeeper striker pitcher
catcher guard center centre defenceman defenseman lineman receiver
republican democrat democratic conservative liberal labour whig socialist communist green
""".split())
_LEXICON_HEADS = frozenset(w.split("-")[0] for w in LEXICON if "-" in w)

# expected answer type -> weight of each candidate kind
TYPE_WEIGHTS = {
    "date": {"date": 1.0, "year": 1.0, "number": 0.15, "name": 0.1, "word": 0.05},
    "number": {"number": 1.0, "year": 0.3, "date": 0.1, "name": 0.1, "word": 0.05},
    "name": {"name": 1.0, "word": 0.2, "year": 0.1, "date": 0.1, "number": 0.1},
    "category": {"word": 1.0, "name": 0.5, "year": 0.05, "date": 0.05, "number": 0.05},
    "any": {"name": 0.8, "word": 0.6, "year": 0.5, "date": 0.5, "number": 0.4},
}
KIND_OF = {"date": "date", "year": "date", "number": "number", "name": "name", "word": "answer"}


def tokens(text: str) -> list[str]:
    """Word and number tokens of ``text``."""
    return TOKEN.findall(text)


def norm(text: str) -> str:
    """Lower-cased tokens joined by single spaces."""
    return " ".join(t.lower() for t in TOKEN.findall(text))


def sentences(text: str) -> list[str]:
    """Sentences of a passage, citation markers removed."""
    text = NOISE.sub(" ", text)
    return [s.strip() for s in SENT_END.split(text) if s.strip()] or [text]


def passage_tokens(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    """Sentences of a passage, their tokens, and all its tokens lower-cased in order."""
    sents = sentences(text)
    tokens = [TOKEN.findall(s) for s in sents]
    return sents, tokens, [t.lower() for sent in tokens for t in sent]


def answer_type(question: str) -> str:
    """Expected answer type of a question: date, number, name, category or any."""
    q = question.lower()
    if re.search(r"\b(when|what year|which year|what date|birth date|date of)\b", q):
        return "date"
    if re.search(r"\b(how many|how much|population|number of|length|height|area)\b", q):
        return "number"
    if re.search(r"\b(who|whom|whose|where|which (city|country|state|team|club))\b", q):
        return "name"
    if re.search(r"\bwhat (sport|genre|profession|occupation|medium|type|kind|format|position"
                 r"|political|instrument|language|style)\b|\b(genre|profession|occupation"
                 r"|medium|sport|party) (of|is|does)\b", q):
        return "category"
    return "any"


def question_terms(question: str) -> dict[str, float]:
    """Content words of the question; relation words (lower case) count double."""
    terms: dict[str, float] = {}
    for i, tok in enumerate(TOKEN.findall(question)):
        low = tok.lower()
        if low in STOP or len(low) < 2:
            continue
        terms[low] = max(terms.get(low, 0.0), 1.0 if tok[0].isupper() and i else 2.0)
    return terms


def subject_terms(question: str) -> frozenset[str]:
    """Words naming the question's subject: quoted words and capitalised words."""
    out = {t.lower() for quoted in _QUOTED.findall(question) for t in TOKEN.findall(quoted)}
    for i, tok in enumerate(TOKEN.findall(question)):
        if i and (tok[0].isupper() or tok[0].isdigit()) and tok.lower() not in _QUESTION_WORDS:
            out.add(tok.lower())
    return frozenset(out - STOP)


def proximity(flat: list[str], terms: dict[str, float], tau: float) -> np.ndarray:
    """Per token: weighted closeness to each of ``terms``, in [0, 1]."""
    n = len(flat)
    if not n or not terms:
        return np.zeros(n)
    idx = np.arange(n)
    total = np.zeros(n)
    for term, w in terms.items():
        where = np.array([i for i, t in enumerate(flat) if t == term])
        if where.size:
            dist = np.abs(idx[:, None] - where[None, :]).min(axis=1)
            total += w * np.exp(-dist / tau)
    return total / sum(terms.values())


def candidates(sent: list[str], qterms: dict[str, float]) -> Iterator[tuple[int, int, str, str]]:
    """Yield (start, end, key, kind) answer candidates of one tokenised sentence."""
    i, n = 0, len(sent)
    while i < n:
        low = sent[i].lower()
        found = _typed_at(sent, i, qterms)
        if found:
            end, key, kind = found
            if kind:
                yield i, end, key, kind
            i = end
        else:
            if low not in STOP and low not in qterms and len(low) > 2:
                yield i, i + 1, f"word:{low}", "word"
            i += 1


def _typed_at(sent: list[str], i: int, qterms: dict[str, float]):
    """A date, year, number, lexicon term or name starting at token i: (end, key, kind)."""
    tok, low = sent[i], sent[i].lower()
    date = _date_at(sent, i)
    if date:
        return date[0], date[1], "date"
    if YEAR.match(_FOOTNOTED.sub("", tok)):
        return i + 1, f"year:{tok[:4]}", "year"
    if tok[0].isdigit():
        if ORDINAL.match(tok) or (tok[0] == "0" and len(tok) > 1 and tok[1].isdigit()):
            return i + 1, "", ""  # "1st", "04": not an answer
        return i + 1, "num:" + tok.replace(",", "").rstrip("."), "number"
    if low in _LEXICON_HEADS and i + 1 < len(sent) and f"{low}-{sent[i + 1].lower()}" in LEXICON:
        return i + 2, f"word:{low} {sent[i + 1].lower()}", "word"
    if low in LEXICON and low not in qterms:
        return i + 1, f"word:{low}", "word"
    if tok[0].isupper() and low not in qterms:
        j = name_end(sent, i, qterms)
        words = [w.lower() for w in sent[i:j]]
        if any(w not in STOP and w not in CONNECTORS for w in words):
            return j, "name:" + " ".join(words), "name"
        return j, "", ""
    return None


def name_end(sent: list[str], i: int, qterms: dict[str, float], limit: int = 4) -> int:
    """End of the run of capitalised words starting at ``i`` (stops at question words)."""
    j, n = i + 1, len(sent)
    while j < n and j - i < limit and sent[j].lower() not in qterms and (
            sent[j][0].isupper() or (sent[j] in CONNECTORS and j + 1 < n
                                     and sent[j + 1][0].isupper())):
        j += 1
    return j


def _date_at(sent: list[str], i: int):
    """A day-month-year date starting at token i: (end, key) or None."""
    window = [t.lower().rstrip(".,") for t in sent[i:i + 3]]
    if len(window) < 3:
        return None
    day, mon, year = window
    year = _FOOTNOTED.sub("", year)  # "1590.2": a year with a footnote number
    if window[0] in MONTHS:  # "May 15, 1885"
        mon, day = window[0], window[1]
    if mon in MONTHS and day.isdecimal() and len(day) <= 2 and int(day) <= 31 and YEAR.match(year):
        return i + 3, f"date:{year}-{MONTHS[mon]:02d}-{int(day):02d}"
    return None


def support(key: str, keys: set[str], vocab: set[str]) -> float:
    """How far a passage with candidate ``keys`` and words ``vocab`` states ``key``, in [0, 1]."""
    if key in keys:
        return 1.0
    if key.startswith("date:"):
        clash = any(k.startswith("date:" + key[5:9]) for k in keys)
        return 0.0 if clash else (0.6 if "year:" + key[5:9] in keys else 0.0)
    if key.startswith("year:"):
        return float(any(k.startswith("date:" + key[5:]) for k in keys))
    if key.startswith(("name:", "word:")):
        words = [w for w in key[5:].split() if w not in STOP and w not in CONNECTORS]
        return sum(w in vocab or stem(w) in vocab for w in words) / max(len(words), 1)
    return 0.0


@lru_cache(maxsize=1 << 18)  # a pure function of two keys, asked again for every pair of passages that state them
def same_answer(a: str, b: str, tolerance: float = 0.1) -> bool:
    """Whether two candidate keys name one answer: equal, a year and a date in it, numbers
    within ``tolerance`` (two censuses), or names / words whose content stems nest."""
    if a == b:
        return True
    if a[:5] in ("date:", "year:") and b[:5] in ("date:", "year:"):
        return a[:5] != b[:5] and a[5:9] == b[5:9]
    if a[:4] == b[:4] == "num:":
        x, y = (_number(k[4:]) for k in (a, b))
        return x is not None and y is not None and abs(x - y) <= tolerance * max(x, y)
    if a[:5] in ("name:", "word:") and b[:5] in ("name:", "word:"):
        wa, wb = ({stem(w) for w in k[5:].split() if w not in STOP and w not in CONNECTORS}
                  for k in (a, b))
        return bool(wa and wb) and (wa <= wb or wb <= wa)
    return False


def _number(text: str) -> float | None:
    """The value of a number token, or None. Compatibility forms count as their digits
    (``'¹'`` and ``'１２'`` read as 1 and 12); ``'½'`` and other non-decimal numerals do not
    (``'¹'.isdigit()`` is True, yet ``float('¹')`` fails)."""
    text = unicodedata.normalize("NFKC", text)
    return float(text) if text.replace(".", "", 1).isdecimal() else None


_SUFFIXES = ("ers", "er", "ing", "ists", "ist", "s")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude stem that makes "footballer", "football" and "footballs" meet."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def with_stems(words: set[str]) -> set[str]:
    """``words`` plus their stems."""
    return words | {stem(w) for w in words}


def candidate_features(tokens: list[list[str]], flat: list[str], q, tau: float):
    """Per candidate key: its features and its best-placed span (kind, text, sentence).

    ``q`` is the read question (``terms``, ``relation``, ``subject``, ``kind``).
    Besides closeness to the question's words, each candidate records how much
    of the question its sentence holds and its neighbouring words (``cues``).
    """
    roots = [root(t) for t in flat]
    near = (proximity(roots, _rooted(q.terms), tau), proximity(roots, _rooted(q.relation), 6.0),
            proximity(flat, dict.fromkeys(sorted(q.subject), 1.0), 6.0))
    feats: dict[str, dict] = {}
    spans: dict[str, tuple[str, str, int]] = {}
    pos, n = 0, max(len(flat), 1)
    for s_idx, sent in enumerate(tokens):
        align = sentence_alignment(flat[pos:pos + len(sent)], roots[pos:pos + len(sent)], q)
        for start, end, key, kind in candidates(sent, q.terms):
            where = slice(pos + start, pos + end)
            close = [float(p[where].max()) for p in near] + list(align)
            cues = _cues(sent, start, end, q.kind)
            f = feats.get(key)
            if f is None:
                feats[key] = _new_candidate(key, kind, q, close, cues, (pos + start) / n,
                                            sent[start:end])
                spans[key] = (kind, " ".join(sent[start:end]), s_idx)
                continue
            f["count"] += 1
            f["cues"] |= cues
            if close[0] > f["near"][0]:
                spans[key] = (kind, " ".join(sent[start:end]), s_idx)
            f["near"] = [max(a, b) for a, b in zip(f["near"], close)]
        pos += len(sent)
    return feats, spans


def sentence_alignment(words: list[str], roots: list[str], q) -> tuple[float, float, float]:
    """Share of the question's term weight, of its relation weight, and whether the
    subject is named, in one sentence (``words``: its lower-cased tokens, ``roots``:
    their :func:`root`)."""
    low, rooted = set(words), set(roots)
    total, rtotal = sum(q.terms.values()) or 1.0, sum(q.relation.values()) or 1.0
    return (sum(w for t, w in q.terms.items() if root(t) in rooted) / total,
            sum(w for t, w in q.relation.items() if root(t) in rooted) / rtotal,
            float(bool(q.subject & low)))


_ROOT_SUFFIXES = ("ments", "ment", "ions", "ion", "ors", "or", "ers", "er", "ings", "ing",
                  "ed", "es", "s", "d", "e")


@lru_cache(maxsize=65536)
def root(word: str) -> str:
    """A rougher stem for matching question words ("directed" / "director", "die" / "died")."""
    for suffix in _ROOT_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= (3 if "o" in suffix else 2):
            return word[: -len(suffix)]
    return word


def _rooted(terms: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for t, w in terms.items():
        out[root(t)] = max(out.get(root(t), 0.0), w)
    return out


def _cues(sent: list[str], start: int, end: int, kind: str) -> set[str]:
    """The words right before and after a candidate, tagged with the answer type."""
    before = sent[start - 1].lower() if start else "<s>"
    after = sent[end].lower() if end < len(sent) else "</s>"
    return {f"{kind}|before|{before}", f"{kind}|after|{after}"}


def _new_candidate(key, kind, q, close, cues, first, words) -> dict:
    """Feature record of a candidate's first occurrence (``words``: its tokens)."""
    lex = kind == "word" and key[5:].replace(" ", "-") in LEXICON
    token = key.split(":", 1)[1]
    return {"near": close, "count": 1, "tw": TYPE_WEIGHTS[q.kind][kind], "lex": float(lex),
            "lexcat": float(lex and q.kind == "category"), "first": first, "nw": len(words),
            "comma": float(kind == "number" and "," in words[0]),
            "small": float(kind == "number" and token.isascii() and token.isdigit() and len(token) <= 2
                           and int(token) < 32),
            "cues": cues}


def negation_differs(s: list[str], t: list[str]) -> bool:
    """True when exactly one of the two sentences contains a negation."""
    neg_s = any(x in NEGATIONS for x in s)
    neg_t = any(x in NEGATIONS for x in t)
    return neg_s != neg_t


def diff_spans(s: list[str], t: list[str]):
    """The first typed difference between two token lists: (kind, a, b) or None."""
    low_s, low_t = [x.lower() for x in s], [x.lower() for x in t]
    for op, i1, i2, j1, j2 in SequenceMatcher(None, low_s, low_t, autojunk=False).get_opcodes():
        a, b = s[i1:i2], t[j1:j2]
        if op == "equal" or len(a) > 6 or len(b) > 6:
            continue
        if len(a) + len(b) <= 3 and negation_differs(a, b):
            return "negation", " ".join(a) or "(absent)", " ".join(b) or "(absent)"
        new_a = [x for x in a if x.lower() not in low_t and x.lower() not in STOP]
        new_b = [x for x in b if x.lower() not in low_s and x.lower() not in STOP]
        if op != "replace" or not new_a or not new_b:
            continue
        if any(x[0].isdigit() for x in new_a) and any(x[0].isdigit() for x in new_b):
            kind = "date" if any(YEAR.match(x) for x in new_a + new_b) else "number"
            return kind, " ".join(a), " ".join(b)
        if any(x[0].isupper() for x in new_a) and any(x[0].isupper() for x in new_b):
            return "name", " ".join(a), " ".join(b)
    return None


def substitution(a: list[str], b: list[str], min_block: int = 5, max_span: int = 4) -> float:
    """Whether passage ``b`` is an edited copy of ``a``: the share of the shorter covered by
    common runs of ``min_block`` words or more, when the aligned word tokens show a replaced
    span of at most ``max_span`` words, with a number or capitalised word on both sides,
    between two matching stretches (not a shifted chunk boundary); else 0."""
    low_a, low_b = [x.lower() for x in a], [x.lower() for x in b]
    matcher = SequenceMatcher(None, low_a, low_b, autojunk=False)
    common = sum(m.size for m in matcher.get_matching_blocks() if m.size >= min_block)
    ops = matcher.get_opcodes()
    for k, (op, i1, i2, j1, j2) in enumerate(ops[1:-1], 1):
        if common and op == "replace" and max(i2 - i1, j2 - j1) <= max_span and \
                ops[k - 1][0] == ops[k + 1][0] == "equal" and \
                all(any(w[0].isdigit() or w[0].isupper() for w in x) for x in (a[i1:i2], b[j1:j2])):
            return common / max(min(len(a), len(b)), 1)
    return 0.0


def quote(sentence: str, span: str, width: int = 140) -> str:
    """The sentence around ``span`` with the span marked «like this»."""
    found = None
    if span and span != "(absent)":
        pattern = r"\W*".join(re.escape(t) for t in TOKEN.findall(span))
        found = re.search(pattern, sentence) if pattern else None
    if found is None:
        text = sentence if len(sentence) <= 2 * width else sentence[: 2 * width] + "…"
        return text
    start, end = found.span()
    lo, hi = max(start - width, 0), min(end + width, len(sentence))
    marked = mark_span(sentence[lo:hi], start - lo, end - lo, mark=lambda s: f"«{s}»")
    return ("…" if lo else "") + marked + ("…" if hi < len(sentence) else "")
