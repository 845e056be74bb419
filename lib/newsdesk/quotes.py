"""Who said what: direct and reported quotes, their cue and their speaker.

Two steps, like entities:

- ``doc_quotes`` (at NLP time, cached per article) takes a parsed paragraph and yields raw
  quotes: the quoted or reported text span, the cue, and the speaker as the text gives it (a
  name span, a pronoun or a description such as "a Kremlin source").
- ``resolve_quotes`` (over the whole store, every run) turns the speaker into a canonical
  entity: a name by the resolved mention it overlaps, a pronoun by the nearest preceding
  person who is the subject (or the possessor of the subject) of the same or the previous
  sentence. A speaker the text does not name stays an anonymous description, never a guess.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

#: Verbs that report speech or writing (lemmas).
CUE_VERBS = frozenset("""
say tell state claim confirm announce report reveal add explain argue warn insist deny
stress note write reply respond acknowledge admit assert declare describe dismiss call cite
reaffirm suggest signal threaten predict promise vow tweet post urge allege maintain
answer ask recall recount remark observe continue conclude concede counter retort boast
complain joke quip scoff shout yell chant testify caution emphasize emphasise contend
proclaim pledge muse wonder lament mock charge accuse text email
""".split())
#: Verbs of praise, blame and stance: with a named subject they attribute a quotation in
#: their clause ("X denounced the “Neocons For Hillary” movement"), though they report no
#: speech by themselves.
STANCE_VERBS = frozenset("""
denounce praise criticize criticise slam blast attack condemn defend applaud hail label
dub brand mock ridicule decry blame accuse support oppose endorse reject question
worry fear hope believe think want pitch tout promote propose champion demand seek offer
characterize characterise frame deride thank bemoan knock hit rip lash
""".split())
_IRREGULAR = {"said": "say", "says": "say", "told": "tell", "wrote": "write",
              "written": "write", "replied": "reply", "replies": "reply", "denied": "deny",
              "denies": "deny", "implied": "imply", "shot": "shoot", "texted": "text",
              "emailed": "email", "e-mailed": "email"}


def _inflections(verb: str) -> set[str]:
    """Regular English forms of a verb: -s, -ed, -ing (with e-drop, y->ied, doubling of a
    final consonant after one vowel, which is harmless where English does not double)."""
    stem = verb[:-1] if verb.endswith("e") else verb
    forms = {verb, verb + "s", stem + "ed", stem + "ing"}
    if verb.endswith("y"):
        forms |= {verb[:-1] + "ies", verb[:-1] + "ied"}
    if re.fullmatch(r".*(?:[^aeiou]|qu)[aeiou][bdgklmnprt]", verb):  # quip, admit, nod
        forms |= {verb + verb[-1] + "ed", verb + verb[-1] + "ing", verb + verb[-1] + "er"}
    if verb.endswith(("s", "sh", "ch")):
        forms.add(verb + "es")
    return forms


#: Every form of a cue verb -> its lemma (the model's lemmatizer is not needed for these).
CUE_FORMS = {form: verb for verb in CUE_VERBS for form in _inflections(verb)} | _IRREGULAR
STANCE_FORMS = {form: verb for verb in STANCE_VERBS for form in _inflections(verb)}
#: Verbs that, with the particle "back", reply ("Bennett shot back", "Rubio fired back").
BACK_FORMS = frozenset({form for verb in ("shoot", "fire", "hit", "push", "snap", "strike",
                                         "lash", "swing", "punch")
                        for form in _inflections(verb)} | {"shot", "hit", "struck", "swung"})


def cue_lemma(token: Token) -> str | None:
    """The cue verb a token is a form of, or None; a verb of striking back with its particle
    ("shot back", "fired back", "hit back") is a reply."""
    if token.pos_ not in ("VERB", "AUX"):
        return None
    lemma = CUE_FORMS.get(token.lower_)
    if lemma in CUE_VERBS:
        return lemma
    if token.lower_ in BACK_FORMS and any(c.dep_ in ("prt", "advmod") and c.lower_ == "back"
                                          and c.i == token.i + 1 for c in token.children):
        return "reply"
    return None


def stance_lemma(token: Token) -> str | None:
    """The cue or stance verb a token is a form of (see ``STANCE_VERBS``), or None."""
    if token.pos_ != "VERB":
        return None
    return cue_lemma(token) or STANCE_FORMS.get(token.lower_)


#: Cues that report speech only when somebody or something that can report is their
#: subject ("Putin signaled that ...", "exit polls suggested that ...", "he predicted ..."),
#: not a bare pronoun of a thing ("It suggests that ...").
WEAK_CUES = frozenset({"signal", "suggest", "predict"})
_NO_SOURCE = frozenset({"it", "this", "that", "these", "those", "which", "what"})
#: How far back (characters) the sentence naming a pronoun's person may start.
MAX_PRONOUN_REACH = 600
#: Cues that only report speech when they take a clause ("said that ..."), not an object.
_CLAUSE_ONLY = frozenset({"describe", "call", "cite", "dismiss", "threaten", "urge", "post"})
#: Cues of direct quotes only: the clause they take is a question put to someone ("X was
#: asked whether ..."), not what anyone said.
_DIRECT_ONLY = frozenset({"ask", "wonder", "muse"})
_PRONOUNS = frozenset({"he", "she", "i", "we", "they"})
#: Object pronouns a speaker phrase may be ("criticized him for saying ..."), and the
#: pronouns of one third person that resolution links to a person.
_OBJECT_PRONOUNS = frozenset({"him", "her"})
_THIRD_PERSON = frozenset({"he", "she"}) | _OBJECT_PRONOUNS
_SIDE_CLAUSE = frozenset({"even", "while", "though", "although", "despite", "whereas"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
QUOTE_COLUMNS = [
    "article_id", "speaker", "speaker_entity_id", "quote", "cue", "kind", "start", "end",
    "speaker_kind", "anonymous", "sentence",
]


@dataclass(frozen=True)
class RawQuote:
    """A quote as the text gives it (article offsets). ``speaker_type``: name | pronoun |
    description | none. ``speaker_sent``: where the speaker's sentence starts (another
    sentence than the quote's when the quote inherits its speaker). ``closed``: False for a
    quote whose paragraph ends before its closing mark (it continues in the next one)."""

    start: int
    end: int
    kind: str  # direct | indirect | lead ("X said:" before) | trail ("—Name" after)
    cue: str
    speaker_type: str
    speaker_text: str
    speaker_start: int
    speaker_end: int
    sent_start: int
    speaker_sent: int = -1
    closed: bool = True


def _once(doc: Doc, key: str, make: Callable[[], object]):
    """``make()`` for this doc, computed on the first call and kept in ``doc.user_data``
    (``doc.ents``, ``doc.noun_chunks`` and ``doc.text`` build anew on every access)."""
    name = "newsdesk_" + key
    if name not in doc.user_data:
        doc.user_data[name] = make()
    return doc.user_data[name]


def _ents(doc: Doc) -> tuple[Span, ...]:
    return _once(doc, "ents", lambda: tuple(doc.ents))


def _chunks(doc: Doc) -> tuple[Span, ...]:
    return _once(doc, "chunks", lambda: tuple(doc.noun_chunks))


def _text(doc: Doc) -> str:
    return _once(doc, "text", lambda: doc.text)


def doc_quotes(doc: Doc, *, offset: int = 0) -> Iterator[RawQuote]:
    """Direct quotes (in quote marks), reported clauses ("X said that ..."), "according to
    X" statements of one parsed paragraph, and the "X said:" that may introduce the next
    paragraph (kind ``lead``; see ``inherit_speakers``)."""
    if not doc.has_annotation("DEP"):
        return
    spans = quote_spans(_text(doc))
    direct = [(start, end) for start, end, _ in spans]
    quoted = {t.i for start, end in direct
              for t in (doc.char_span(start, end, alignment_mode="expand") or ())}
    for start, end, closed in spans:
        quote = _direct_quote(doc, start, end, closed=closed, quoted=quoted)
        if quote is not None:
            yield _shift(quote, offset)
    for quote in _reported(doc, direct):
        yield _shift(quote, offset)
    for marker in (_lead(doc, direct), _trail(doc)):
        if marker is not None:
            yield _shift(marker, offset)


def _shift(q: RawQuote, offset: int) -> RawQuote:
    return replace(q, start=q.start + offset, end=q.end + offset,
                   speaker_start=q.speaker_start + offset if q.speaker_start >= 0 else -1,
                   speaker_end=q.speaker_end + offset if q.speaker_end >= 0 else -1,
                   sent_start=q.sent_start + offset,
                   speaker_sent=q.speaker_sent + offset if q.speaker_sent >= 0 else -1)


# -- quotation marks ----------------------------------------------------------------------------
#: Marks that only open, only close, or may do either (told apart by what is beside them):
#: curly and straight double quotes, guillemets, low-9 quotes, and the '' and `` of
#: newswire archives. Single quotes are left alone: apostrophes and scare quotes are far
#: more common in news text than single-quoted speech.
_MARK = re.compile(r"''|``|[“”\"«»„‟]")
_OPENING = frozenset({"“", "«", "„", "‟", "``"})
_CLOSING = frozenset({"”", "»"})


def quote_spans(text: str) -> list[tuple[int, int, bool]]:
    """The quoted passages of a paragraph: (start, end, closed) inside the marks. Marks pair
    whatever their style ("“...," he said. "..."”); a passage still open when the paragraph
    ends runs to its end, ``closed`` False (the next paragraph goes on with it)."""
    spans: list[tuple[int, int, bool]] = []
    opened: int | None = None
    for match in _MARK.finditer(text):
        mark, at, after = match.group(), match.start(), match.end()
        role = _role(text, mark, at, after)
        if opened is None:
            if role != "close":
                opened = after
            continue
        if role == "open" and mark in _OPENING:
            if _flank(text, at, after) != "close":  # an opener inside: the last one was stray
                opened = after
                continue
        if role == "open" and at > opened and not text[opened:at].strip():
            continue
        spans.append((opened, at, True))
        opened = None
    if opened is not None and text[opened:].strip():
        spans.append((opened, len(text.rstrip()), False))
    return [(s, e, closed) for s, e, closed in (_trim_span(text, *span) for span in spans)
            if e > s and any(c.isalpha() for c in text[s:e])]


def _role(text: str, mark: str, at: int, after: int) -> str:
    """Whether a mark opens, closes, or may do either ("either")."""
    if mark in _OPENING:
        return "open"
    if mark in _CLOSING:
        return "close"
    return _flank(text, at, after)


def _flank(text: str, at: int, after: int) -> str:
    """What the characters beside a mark say it does: open ("“word"), close ("word,”") or
    either."""
    before = text[at - 1] if at else " "
    nxt = text[after] if after < len(text) else " "
    left = not nxt.isspace() and (before.isspace() or before in "([{—–-/:")
    right = not before.isspace() and (nxt.isspace() or not nxt.isalnum())
    if left and not right:
        return "open"
    if right and not left:
        return "close"
    return "either"


def _trim_span(text: str, start: int, end: int, closed: bool) -> tuple[int, int, bool]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end, closed


# -- who said a direct quote --------------------------------------------------------------------
def _direct_quote(doc: Doc, start: int, end: int, *, closed: bool = True,
                  quoted: set[int] | None = None) -> RawQuote | None:
    """Attribute the quote marked at [start, end), by sieves, most certain first: a speaker
    and a cue right beside the quote ("“...,” Trump said", "said Mr. Kelly, a retired
    astronaut,", "Pence replied, “...”"); a cue outside it in the sentences it touches,
    with its subject (never a word of the quote); a verb of praise or blame with a named
    subject in its clause. Cues and speakers are never words of a quote (``quoted``: the
    tokens of every quote of the paragraph). Else no speaker here (``inherit_speakers`` may
    find one)."""
    inside = doc.char_span(start, end, alignment_mode="expand")
    if inside is None:
        return None
    first = inside[0].sent
    last = inside[-1].sent
    covered = set(range(inside.start, inside.end)) | (quoted or set())  # any quote's words
    after = _after(doc, inside, covered)
    adjacent = _beside(doc, inside, covered, after)
    if adjacent is not None:
        cue, speaker = adjacent
        return _with_speaker(doc, start, end, cue, speaker, first, closed=closed)
    for sent in [first] if first == last else [first, last]:
        cue = _cue_for(sent, inside, covered)
        if cue is not None:
            quote = _quote(doc, start, end, "direct", cue, sent, covered=covered)
            return replace(quote, closed=closed)
    stance = _stance_subject(inside, covered) or _clause_subject(doc, inside, covered) or (
        after if _last_mark(inside) in ("?", "!") else None)
    if stance is not None:  # last: "“...?” Smith asked reporters" after no other cue
        return _with_speaker(doc, start, end, *stance, first, closed=closed)
    told = _told_before(doc, inside, covered)
    if told is not None:  # "Bystrom agreed. “Mainstream Republicans are running out ...”"
        return _with_speaker(doc, start, end, *told, first, closed=closed)
    return RawQuote(start, end, "direct", "", "none", "", -1, -1, first.start_char,
                    closed=closed)


def _told_before(doc: Doc, inside: Span, covered: set[int]) -> tuple[Token, Token] | None:
    """(verb, subject) of the sentence right before a quote that is a whole sentence of
    its own and the first quote of its paragraph, when that sentence quotes nothing and its
    subject is a person: the person it tells of goes on in the quote ("Clinton touted her
    credentials as a co-sponsor. “We need to find ways to support workers.”")."""
    k = inside.start - 1
    while k >= 0 and (doc[k].is_quote or doc[k].is_space):
        k -= 1
    if k < 0 or doc[k].text != "." or not _is_statement(inside.text):
        return None
    last = inside[-1].sent
    if not all(t.is_quote or t.is_punct or t.is_space for t in doc[inside.end : last.end]):
        return None  # the sentence goes on after the quote
    before = doc[k].sent
    if any(i in covered for i in range(inside.start)) or any(
            t.is_quote for t in doc[before.start : k]):
        return None  # after another quote of the paragraph, its speaker may go on
    subject = _subject_of(before.root) if before.root.i < k else None
    if subject is None or not (subject.ent_type_ == "PERSON" or (
            subject.pos_ == "PROPN" and not subject.ent_type_) or (
            subject.pos_ == "PRON" and subject.lower_ in ("he", "she")) or _bare_name(subject)):
        return None
    return before.root, subject


def _clause_subject(doc: Doc, inside: Span, covered: set[int]) -> tuple[Token, Token] | None:
    """(verb, subject) of the clause a quoted statement is worked into, whatever its verb,
    when the subject is a name or a personal pronoun ("Comey indicated that Clinton
    “should have known that ...”", "the first lady had referred to her as ''a narcissistic
    loony toon''"). Not for titles (every word capitalised) nor words a quote only
    mentions (no statement: "the so-called “deal”")."""
    quote = inside.text
    words = re.findall(r"[^\W\d_][\w'’-]*", quote)
    if not _is_statement(quote) or (words and all(w[:1].isupper() for w in words
                                                  if len(w) > 3)):
        return None
    token = inside.root
    for _ in range(6):
        if token.head is token:
            return None
        token = token.head
        if token.i not in covered and token.pos_ in ("VERB", "AUX"):
            break
    else:
        return None
    subject = _subject_of(token, covered)
    if subject is None or not (subject.ent_type_ in ("PERSON", "ORG", "NORP") or (
            subject.pos_ == "PROPN" and not subject.ent_type_) or (
            subject.pos_ == "PRON" and subject.lower_ in _PRONOUNS)):
        return None
    return token, subject


def _last_mark(inside: Span) -> str:
    """The last character of a quote's words: its own punctuation ("...,”", "...?”")."""
    return _text(inside.doc)[inside.start_char : inside.end_char].rstrip()[-1:]


def _with_speaker(doc: Doc, start: int, end: int, cue: Token, speaker: Token, sent: Span,
                  *, closed: bool) -> RawQuote:
    kind, text, s_start, s_end = _speaker_phrase(speaker)
    verb = stance_lemma(cue) or ("according to" if cue.lower_ == "according" else
                                 cue.lower_.strip(":"))
    return RawQuote(start, end, "direct", verb, kind, text, s_start, s_end, sent.start_char,
                    speaker.sent.start_char, closed)


#: Tokens that may stand between a quote and its attribution, or inside one: punctuation,
#: adverbs and particles ("Trump said Friday", "he later added", "said, simply,").
_GLUE_POS = frozenset({"PUNCT", "ADV", "PART", "AUX"})


def _beside(doc: Doc, inside: Span, covered: set[int],
            after: tuple[Token, Token] | None) -> tuple[Token, Token] | None:
    """(cue, speaker) right after the quote (``after``, see ``_after``: "...,” X said",
    "...,” said X") unless it opens the next statement, else right before it ("X said,
    “...", "X said:")."""
    if after is not None and not _next_statement(doc, after[0], inside, covered):
        return after
    return _before(doc, inside, covered)


def _after(doc: Doc, inside: Span, covered: set[int]) -> tuple[Token, Token] | None:
    """(cue, speaker) right after the quote ("...,” X said", "...,” said X", "” — X")."""
    i = inside.end
    while i < len(doc) and doc[i].is_quote and i - inside.end < 2:
        i += 1
    dash = _dash_name(doc, i, covered)
    if dash is not None:
        return dash
    while i < len(doc) and doc[i].is_punct and i - inside.end < 3:
        i += 1
    after = _speaker_then_cue(doc, i, covered) or _cue_then_speaker(doc, i, covered) or (
        _any_verb_after(doc, inside, i, covered)) or (
        _according_at(doc, i, covered) if _last_mark(inside) not in (".", "!", "?")
        else None)  # "“...,” according to X", not "“...” According to records, ..."
    return None if after is None or _introduces_next(doc, after[0], inside) else after


def _before(doc: Doc, inside: Span, covered: set[int]) -> tuple[Token, Token] | None:
    """(cue, speaker) right before the quote ("X said, “...", "X said:", "Said X, “...")."""
    j = inside.start - 1
    while j >= 0 and (doc[j].is_punct or doc[j].is_space) and inside.start - j <= 4:
        j -= 1
    between = _text(doc)[doc[j].idx + len(doc[j]) : inside.start_char] if j >= 0 else ""
    if j >= 0 and (":" in between or "--" in between or "—" in between):
        # "Kasich resisted: “...”", "Trump embraced the techniques -- “...”"
        according = next((_according_at(doc, k, covered) for k in range(max(0, j - 8), j)
                          if doc[k].lower_ == "according"), None)
        introduced = according or _name_colon(doc, j, covered) or _introducer(doc[j], covered)
        if introduced is not None:
            return introduced
    if j < 0 or (j + 1 < inside.start and doc[j + 1].text not in (",", ":", "—", "-", "–")
                 and not doc[j + 1].is_quote):
        return None
    according = next((_according_at(doc, k, covered) for k in range(max(0, j - 8), j)
                      if doc[k].lower_ == "according"), None)
    if according is not None and max(t.i for t in according[1].subtree) == j:
        return according  # "According to the Daily Mail, “...”"
    k = j
    while k >= 0 and doc[k].pos_ in ("ADV", "PART") and j - k < 3:
        k -= 1
    if k >= 0 and (cue := doc[k]) and cue_lemma(cue) and cue.i not in covered:
        subject = _subject_of(cue, covered)
        if subject is not None:
            return cue, subject
    return _inverted_before(doc, j, covered)


def _name_colon(doc: Doc, j: int, covered: set[int]) -> tuple[Token, Token] | None:
    """(colon, name) of a transcript's or a list's "Name: “...”" (``j``: the last word before
    the colon, a closing parenthesis allowed: "Rep. Trey Gowdy (R-S.C.):"): a person or
    organization that starts its sentence or follows a punctuation mark."""
    if doc[j].text == ")":
        j = next((k - 1 for k in range(j, max(0, j - 8), -1) if doc[k].text == "("), j)
    ent = next((e for e in _ents(doc) if e.end - 1 == j and e.label_ in ("PERSON", "ORG")), None)
    if ent is None or any(t.i in covered for t in ent):
        return None
    first = ent.start
    while first > ent.sent.start and doc[first - 1].pos_ == "PROPN":
        first -= 1  # "Rep. Trey Gowdy", "Former secretary of state Hillary Clinton"
    if first > ent.sent.start and not doc[first - 1].is_punct:
        return None
    colon = next((t for t in doc[ent.end : ent.end + 8] if t.text == ":"), None)
    return (colon, ent.root) if colon is not None else None


def _according_at(doc: Doc, i: int, covered: set[int]) -> tuple[Token, Token] | None:
    """("according", source) of "according to X" starting at token ``i`` ("“...,” according
    to Judicial Watch.", "According to HuffPo: “...”")."""
    if i + 1 >= len(doc) or doc[i].lower_ != "according" or doc[i + 1].lower_ != "to" or (
            i in covered):
        return None
    source = next((c for c in doc[i + 1].children if c.dep_ == "pobj"), None)
    return (doc[i], source) if source is not None and source.i not in covered else None


def _any_verb_after(doc: Doc, inside: Span, i: int,
                    covered: set[int]) -> tuple[Token, Token] | None:
    """(verb, subject) of a quote that ends in a comma, "?" or "!" and is followed by its
    subject and a verb that ends the sentence, whatever the verb ("“...,” Oliver barked.",
    "“...?” reacted Trump."): the punctuation inside the marks says the sentence goes on
    with its attribution."""
    if _last_mark(inside) not in (",", "?", "!"):
        return None
    verb = next((t for t in doc[i : i + 4] if t.pos_ == "VERB"), None)
    if verb is None or verb.i in covered or verb.tag_ == "VBG":
        return None
    rest = [t for t in doc[verb.i + 1 : verb.sent.end] if not t.is_punct]
    subject = _subject_of(verb, covered)
    if subject is None and verb.i == i:  # "reacted Trump": the name after the verb
        subject = _name_until_punct(doc, verb.i + 1, covered)
    if subject is None or not (i <= subject.i < verb.i + 4) or len(rest) > 8:
        return None
    if subject.pos_ not in ("PROPN", "PRON", "NOUN") or (
            subject.pos_ == "PRON" and subject.lower_ not in _PRONOUNS):
        return None
    return verb, subject


def _inverted_before(doc: Doc, j: int, covered: set[int]) -> tuple[Token, Token] | None:
    """"Continued Stone: “...”", "Said Trump, “...”": a cue, then the speaker's name,
    right before the quote (``j``: the name's last token)."""
    if j < 1 or j in covered or j + 1 >= len(doc) or doc[j + 1].text not in (",", ":", "—",
                                                                            "–"):
        return None  # "said Ted Cruz “says whatever ...”": Cruz is whom the quote is about
    name = next((e for e in _ents(doc) if e.end - 1 == j and e.label_ in ("PERSON", "ORG")),
                None)
    start = name.start if name is not None else j
    if name is None:
        if doc[j].pos_ != "PROPN":
            return None
        while start > 0 and doc[start - 1].pos_ == "PROPN" and j - start < 3:
            start -= 1
    cue = doc[start - 1] if start > 0 else None
    if cue is None or not cue_lemma(cue) or cue.i in covered or any(
            i in covered for i in range(start, j + 1)):
        return None
    subject = _subject_of(cue, covered)
    if subject is not None and not start <= subject.i <= j:
        return cue, subject  # "Fallon told Politico, “...”": the name is whom he told
    if cue_lemma(cue) == "tell":
        return None  # "..., telling Reuters, “...”": whom, not who
    return cue, doc[j]


def _dash_name(doc: Doc, i: int, covered: set[int]) -> tuple[Token, Token] | None:
    """"“...” — David Martosko (@dmartosko)": a dash, then a name, right after a quote."""
    if i >= len(doc) or i in covered or doc[i].text not in ("—", "–", "-", "--"):
        return None
    for ent in _ents(doc):
        if ent.start == i + 1 and ent.label_ in ("PERSON", "ORG"):
            return doc[i], ent.root
    return None


def _introduces_next(doc: Doc, cue: Token, inside: Span) -> bool:
    """A cue after a finished quote that opens the next one instead ("...?” Mills then
    writes back, “You look cute.”"): followed by a comma or colon and a quote mark, while
    the quote before it ended its sentence."""
    k = cue.i + 1
    while k < len(doc) and doc[k].pos_ in ("ADV", "PART", "ADP") and k - cue.i < 3:
        k += 1
    ends = _last_mark(inside) in (".", "?", "!")
    return ends and k + 1 < len(doc) and doc[k].text in (",", ":") and doc[k + 1].is_quote


#: Words after the cue of "“....” X said ..." beyond which the cue's sentence is a new one.
MAX_TRAILING_WORDS = 6
#: Dependents that give a verb a statement of its own ("X wrote a letter", "X called the
#: program a disaster", "X said that ...", "X fired back, attacking ...").
_OWN_OBJECTS = frozenset({"dobj", "ccomp", "xcomp", "dative", "oprd", "advcl"})


def _next_statement(doc: Doc, cue: Token, inside: Span, covered: set[int]) -> bool:
    """A cue after a quote that ended its sentence and that makes a statement of its own,
    with an object or clause outside quotes or (after a full stop) a long sentence after
    it: the next sentence, not the attribution ("... called the lines “unacceptable.” Mayor
    Greg Stanton wrote a letter to ...", "“a failed candidate.” Romney fired back in March,
    attacking ...", "“... does it make?” Her critics cited it as evidence ...")."""
    ends = _last_mark(inside)
    if ends not in (".", "?", "!"):
        return False
    objects = {c.dep_ for c in cue.children if c.i not in covered and c.i > cue.i}
    if ends != ".":  # "“...?” Her critics cited it as evidence ..."
        return bool(objects & {"dobj", "ccomp"})
    rest = [t for t in doc[cue.i + 1 : cue.sent.end] if not t.is_punct and t.i not in covered]
    return len(rest) > MAX_TRAILING_WORDS or bool(objects & _OWN_OBJECTS) or (
        _passive(cue))  # “....” X's move was reported by Y


def _speaker_then_cue(doc: Doc, i: int, covered: set[int]) -> tuple[Token, Token] | None:
    """"X said" starting at token ``i``: a name, pronoun or short noun phrase, then (after
    adverbs, or an appositive between commas: "X, a former aide, said") a cue verb."""
    if i >= len(doc) or i in covered:
        return None
    phrase = _phrase_at(doc, i)
    if phrase is None:
        return None
    k = phrase.end
    if k < len(doc) and doc[k].text == "(":  # "Rep. Jim McDermott (D-Wash.) said"
        close = next((t.i for t in doc[k + 1 : k + 8] if t.text == ")"), None)
        if close is not None and not any(t.i in covered for t in doc[k:close]):
            k = close + 1
    if k < len(doc) and doc[k].text == ",":  # ", President Obama's former chief of staff,"
        close = next((t.i for t in doc[k + 1 : k + 16] if t.text == ","), None)
        if close is not None and not any(t.i in covered for t in doc[k:close]):
            k = close + 1
    while k < len(doc) and doc[k].pos_ in _GLUE_POS and k - phrase.end < 3 and (
            not doc[k].is_punct):
        k += 1
    if k < len(doc) and cue_lemma(doc[k]) and k not in covered:
        return doc[k], phrase.root
    return None


def _cue_then_speaker(doc: Doc, i: int, covered: set[int]) -> tuple[Token, Token] | None:
    """"said X" starting at token ``i``: a cue verb, then (after adverbs) a speaker."""
    k = i
    while k < len(doc) and doc[k].pos_ in ("ADV", "PART") and k - i < 2:
        k += 1
    if k >= len(doc) or k in covered or not cue_lemma(doc[k]) or doc[k].tag_ == "VBG":
        return None  # "..., telling reporters": whom, not who
    m = k + 1
    while m < len(doc) and doc[m].pos_ in ("ADV", "PART") and m - k < 3 and (
            not doc[m].text[:1].isupper()):
        m += 1
    phrase = _phrase_at(doc, m) if m < len(doc) else None
    name = _name_until_punct(doc, m, covered)
    if phrase is not None and name is not None and name.i > phrase.root.i and (
            name.ent_type_ in ("PERSON", "ORG") or (
                name.pos_ == "PROPN" and not name.ent_type_)) and all(
            t.pos_ in ("NOUN", "PROPN", "ADJ") or _infix(t)
            for t in doc[phrase.root.i + 1 : name.i]) and not any(
            e.start <= phrase.root.i < e.end for e in _ents(doc) if e.start <= name.i < e.end):
        return doc[k], name  # "said Blaze co-host Stu Lee": a title before the name
    if phrase is not None and (phrase.root.dep_ not in (
            "dobj", "dative", "pobj", "attr", "iobj") or (
            phrase.root.dep_ == "dobj" and phrase.root.pos_ == "PROPN"
            and _subject_of(doc[k], covered) is None)):
        return doc[k], phrase.root  # "“...?” asked Mr. Manafort": also as the cue's object
    return (doc[k], name) if name is not None else None


#: Words up to the next punctuation after an inverted cue that may still end in its
#: speaker's name ("said United Auto Workers Secretary-Treasurer Gary Casteel").
MAX_NAME_WORDS = 10


def _name_until_punct(doc: Doc, m: int, covered: set[int]) -> Token | None:
    """The last word of the capitalised name that ends the words from ``m`` up to the next
    punctuation ("“...,” said Skelly, explaining ...", "said Oversight ranking Democrat
    Elijah Cummings (D-Md.)"): right after a quote and its cue, that is the speaker, however
    the parse took it. None when the words run on (see ``MAX_NAME_WORDS``) or end otherwise."""
    end = m
    while end < len(doc) and end - m < MAX_NAME_WORDS and end not in covered and not (
            (doc[end].is_punct and not _infix(doc[end])) or doc[end].is_space) and (
            doc[end].sent == doc[m].sent):
        end += 1
    if end == m or (end < len(doc) and not (doc[end].is_punct and doc[end].sent == doc[m].sent)
                    and end != doc[m].sent.end):
        return None
    last = doc[end - 1]
    if not (last.text[:1].isupper() and last.is_alpha and last.pos_ in ("PROPN", "NOUN", "ADV",
                                                                        "ADJ", "X")):
        return None
    return last


def _infix(token: Token) -> bool:
    """A hyphen inside a word ("co-host"), with no space on either side."""
    return token.text == "-" and token.i > 0 and not token.doc[token.i - 1].whitespace_ and (
        not token.whitespace_)


def _phrase_at(doc: Doc, i: int) -> Span | None:
    """The speaker phrase that starts at token ``i``: a named entity, a pronoun, or a noun
    phrase (its own, not one running into the next clause)."""
    token = doc[i]
    if token.pos_ == "PRON" and token.lower_ in _PRONOUNS:
        return doc[i : i + 1]
    person = next((e for e in _ents(doc) if e.label_ == "PERSON" and i < e.start <= i + 6), None)
    if person is not None and token.ent_type_ != "PERSON" and all(
            t.pos_ in ("PROPN", "NOUN", "ADJ") or t.text in ("-", "'s", "’s")
            for t in doc[i : person.start]):
        return doc[i : person.end]  # "Idaho nutritional-supplement executive Frank ..."
    for ent in _ents(doc):
        if ent.start <= i < ent.end and ent.label_ in ("PERSON", "ORG", "NORP", "GPE"):
            if ent.end < len(doc) and (doc[ent.end].tag_ == "POS" or (
                    ent.label_ in ("GPE", "NORP") and doc[ent.end].pos_ in ("PROPN", "NOUN",
                                                                            "ADJ", "PUNCT")
                    and doc[ent.end].text not in (",", "."))):
                break  # "Florida's Rick Wilson", "Los Angeles-based attorney Edgar ...":
                # the phrase is the noun after the place
            return doc[i : ent.end] if ent.start == i or i == ent.start + 1 else None
    for chunk in _chunks(doc):
        if chunk.start == i or (chunk.start < i < chunk.end and token.pos_ == "PROPN"):
            if chunk.end - i <= 6:
                return chunk
            person = next((e for e in _ents(doc) if e.label_ == "PERSON"
                           and i <= e.start and e.end <= chunk.end), None)
            # "Idaho nutritional-supplement executive Frank VanderSloot": up to the name
            return doc[i : person.end] if person is not None else None
    if token.pos_ == "PROPN":
        return doc[i : i + 1]
    return None


def _stance_subject(inside: Span, covered: set[int]) -> tuple[Token, Token] | None:
    """(verb, named subject) of the clause the quote stands in, when that verb reports or
    takes a stance ("X denounced the “...” movement", "Y praised Cruz for “...”")."""
    token = inside.root
    for _ in range(6):
        if token.head is token:
            break
        token = token.head
        if token.i in covered:
            continue
        if stance_lemma(token):
            subject = _subject_of(token)
            if subject is not None and subject.i not in covered and (subject.ent_type_ in (
                    "PERSON", "ORG", "NORP", "GPE") or subject.pos_ == "PROPN"):
                return token, subject
            return None
    return None


def _lead(doc: Doc, direct: list[tuple[int, int]]) -> RawQuote | None:
    """A paragraph that ends with a colon after a speaker ("Trump tweeted:", "Trump issued
    the following statement:"), quoting nothing after it: what follows in the next
    paragraph is that speaker's."""
    text = _text(doc).rstrip()
    if not text.endswith(":") or any(e >= len(text) - 2 for _, e in direct):
        return None
    last = next((t for t in reversed(doc) if not (t.is_punct or t.is_space)), None)
    introduced = _introducer(last) if last is not None else None
    if introduced is None:
        return None
    verb, subject = introduced
    kind, name, s_start, s_end = _speaker_phrase(subject)
    sent = subject.sent
    return RawQuote(len(text), len(text), "lead", stance_lemma(verb) or "", kind, name,
                    s_start, s_end, sent.start_char, sent.start_char)


def _introducer(last: Token, covered: set[int] = frozenset()) -> tuple[Token, Token] | None:
    """(verb, speaker) of the words that introduce a quotation with a colon or a dash,
    ``last`` being their last one ("Trump issued the following statement:", "Kasich
    resisted:"): the cue of their sentence with its subject (or the name before it the parse
    left it without, or the name after an inverted cue: "Added Ann Lee:"), else the subject
    of the verb they depend on when that is a name or a personal pronoun (never words of a
    quote)."""
    cue = _cue_outside(last.sent, covered)
    subject = (_subject_of(cue) or _name_before(cue, covered)) if cue is not None else None
    if cue is not None and cue.i < last.i + 1 and subject is not None and (
            subject.i not in covered):
        return cue, subject  # "Ann Lee, whose start-up ..., said Trump was ...: “...”"
    if cue is not None and cue.i == cue.sent.start and cue.i + 1 < len(cue.doc) and (
            name := _name_until_punct(cue.doc, cue.i + 1, covered)) is not None:
        return cue, name  # "Stated Stone:", "Continued Ann Lee:"
    verb = last
    for _ in range(6):
        if verb.pos_ in ("VERB", "AUX") and verb.i not in covered:
            break
        if verb.head is verb:
            return None
        verb = verb.head
    else:
        return None
    subject = _subject_of(verb)
    if subject is not None and subject.i not in covered and (
            subject.ent_type_ in ("PERSON", "ORG") or subject.pos_ == "PROPN" or (
                subject.pos_ == "PRON" and subject.lower_ in _PRONOUNS) or _bare_name(subject)):
        return verb, subject
    return None


def _bare_name(token: Token) -> bool:
    """A capitalised noun standing alone (no determiner, no modifier) that the
    tagger did not take for a name ("Hannity interjected: ...", "Sanders delivered a
    retort: ..."); not "Estimates of civic engagement are ...: ..."."""
    return token.pos_ == "NOUN" and token.tag_ in ("NN", "NNS") and token.is_title and (
        token.is_alpha) and not any(c.dep_ not in ("compound", "punct") for c in token.children)


# -- a quote's parts and continuations ----------------------------------------------------------
#: Words between a quote and the next that still make them one utterance when the first
#: one's attribution stands between them ("“...,” Trump said. “...”").
MAX_GAP_WORDS = 25
#: Words of an attribution between two parts of one utterance when the sentences say that it
#: is one sentence ("“...,” said X, a strategist who advised ... in 2008. “...”").
MAX_ATTRIBUTION_WORDS = 60
#: Words of a link between two quotes of one sentence ("“...,” adding, “...”", "and").
MAX_LINK_WORDS = 3
#: A quote nobody is found to say with fewer words than this and no sentence in it is a
#: scare quote, a title or a nickname ("the so-called “deal”"): left out.
MIN_UNATTRIBUTED_WORDS = 4
#: What may stand before a quote's first word: space and opening marks.
_LEADING_MARKS = " \t\r\n\"“„‟«'`"
_MARKS_ONLY = re.compile(r"^[\s\"“”„‟«»'`’‘.,;:!?—–-]*$")
#: A word or two and a comma before a quote that is the rest of its sentence ("Instead,
#: “he just acts like a defeated man.”").
_LEAD_IN = re.compile(r"^\s*(?:\w+\s+)?\w+,\s*[\"“„‟«'`]*$")
#: A sentence's end inside the text between two quotes.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”'’»]*\s+")


def inherit_speakers(quotes: list[RawQuote], text: str, *,
                     headings: frozenset[int] = frozenset(),
                     sentences: Sequence[tuple[int, int]] = (),
                     persons: Sequence[tuple[int, int, str]] = ()) -> list[RawQuote]:
    """An article's quotes with the speakers of their parts and continuations filled in:
    a quote without a speaker takes the speaker of the quote before it when the two are one
    utterance — split around the attribution, the next paragraph of an unclosed quote, or
    nothing but quote marks between them — else of a "X said:" that introduces it, else of
    the quote after it with nothing between them, else of a "—Name" line right after it,
    else (for a quote that is a paragraph of its own) of the last attributed quote of the
    paragraph before, else (for a quote that is a sentence of its own) of the last attributed
    quote of the sentence before in its paragraph, else (for a quote paragraph that asks
    nothing) of an attributed quote opening the next paragraph, else (for a quote inside a
    reported clause) of that clause, else (for a statement later in a paragraph) of the last
    attributed quote of the paragraph when no other person is named after its sentence
    (``persons``: the article's person mentions, start, end and text), else of a quote
    elsewhere in the article with the same words (a headline or lead quoting the body).
    Short quotes that are no statement (titles: "told NBC's “Today”") are passed over when
    the quote before or after is looked for. ``sentences``: the article's sentence spans (the
    attribution between two parts of one utterance may then run long: "“...,” said X, a
    strategist who ... in 2008. “...”"). Then left out: quotes in
    headings (``headings``: their start offsets) but those with a speaker (reported ones:
    a named one), short quotes that nobody is found to say (scare quotes, titles,
    nicknames), the leads."""
    leads = [q for q in quotes if q.kind == "lead"]
    trails = [q for q in quotes if q.kind == "trail"]
    direct = sorted((q for q in quotes if q.kind == "direct"), key=lambda q: q.start)
    reported = [q for q in quotes if q.kind == "indirect" and q.speaker_type != "none"]
    starts = sorted(start for start, _ in sentences)
    named = [r for r in reported if r.speaker_type == "name" and r.cue != "according to"]
    for i, q in enumerate(direct):
        if q.speaker_type != "none" and q.cue not in CUE_VERBS:
            around = _reported_around(named, q)
            if around is not None:  # "“There's a sense of stability now,” and donations
                direct[i] = _inherit(q, around)  # began to pick up, Gilbert said": no cue of
                continue  # its own, a description in a named speaker's clause is not its
        if q.speaker_type != "none":
            continue
        before = _neighbour(direct, i, -1, text)
        after = _neighbour(direct, i, 1, text)
        source = (_same_utterance(before, q, text, before=True, starts=starts)
                  if before else None) or (
            _lead_for(leads, q, text)) or _trail_for(trails, q, text) or (
            _same_utterance(after, q, text, before=False) if after else None) or (
            _paragraph_before(direct[:i] + reported, q, text)) or _sentence_before(
            direct[:i] + reported, q, text, starts) or _paragraph_after(
            direct[i + 1 :], q, text) or _reported_around(reported, q) or (
            _later_in_paragraph(direct[:i] + reported, q, text, starts, persons)) or (
            _same_words(direct, q, text))
        if source is not None:
            direct[i] = _inherit(q, source)
    kept = [q for q in direct if q.speaker_type != "none" or (
        q.start not in headings and _is_statement(text[q.start : q.end]))]
    kept += [q for q in quotes if q.kind == "indirect" and (
        q.start not in headings or q.speaker_type == "name")]
    return sorted(kept, key=lambda q: q.start)


def _inherit(q: RawQuote, source: RawQuote) -> RawQuote:
    """``q`` with the cue and speaker of ``source``."""
    return replace(q, cue=source.cue, speaker_type=source.speaker_type,
                   speaker_text=source.speaker_text, speaker_start=source.speaker_start,
                   speaker_end=source.speaker_end,
                   speaker_sent=source.speaker_sent if source.speaker_sent >= 0
                   else source.sent_start)


def _neighbour(direct: list[RawQuote], i: int, step: int, text: str) -> RawQuote | None:
    """The quote before (``step`` -1) or after (1) ``direct[i]``, passing over titles and
    words the text only mentions: short quotes that are no statement."""
    k = i + step
    while 0 <= k < len(direct) and not _says_something(direct[k], text):
        k += step
    return direct[k] if 0 <= k < len(direct) else None


def _same_utterance(other: RawQuote, q: RawQuote, text: str, *, before: bool,
                    starts: Sequence[int] = ()) -> RawQuote | None:
    if other.speaker_type == "none":
        return None
    gap_start, gap_end = (other.end, q.start) if before else (q.end, other.start)
    gap = text[gap_start:gap_end]
    if "\n" not in gap and (_MARKS_ONLY.match(gap) or (
            before and len(re.findall(r"\w+", gap)) <= MAX_LINK_WORDS
            and not _SENTENCE_END.search(gap))):
        return other  # “...” “...”, “...,” adding, “...”: nothing or a link between them
    if before and not other.closed and not gap.strip(_LEADING_MARKS):
        return other  # the next paragraph of a quote left open
    attributed_between = gap_start <= other.speaker_start and other.speaker_end <= gap_end
    if not (before and attributed_between and "\n" not in gap):
        return None
    tail = _SENTENCE_END.split(gap)[-1]
    if tail == gap and gap.rstrip(_LEADING_MARKS).endswith(",") and (
            len(gap.split()) <= MAX_ATTRIBUTION_WORDS):
        return other  # “...,” said X, a ... who ..., “...”: the sentence goes on
    if not _MARKS_ONLY.match(tail):
        return None
    if len(gap.split()) <= MAX_GAP_WORDS:
        return other  # “...,” X said. “...”: only the attribution between them
    attribution_end = gap_end - len(_SENTENCE_END.split(gap)[-1])  # after its last mark
    first = bisect.bisect_right(starts, gap_start)
    if len(gap.split()) <= MAX_ATTRIBUTION_WORDS and first < len(starts) and (
            starts[first] >= attribution_end - 1):
        return other  # a long attribution that is one sentence ("said X, a ... who ...")
    return None


def _paragraph_after(later: list[RawQuote], q: RawQuote, text: str) -> RawQuote | None:
    """For a quote that is a paragraph of its own and asks nothing, the quote that opens
    the next paragraph when it is attributed: consecutive quote paragraphs of one speaker,
    attributed in the second ("“Not only can Cruz win ...” [para] “He may be the only one
    ...,” Viguerie notes.")."""
    own = _own_paragraph(q, text)
    if own is None or own[1] == len(text) or text[q.start : q.end].rstrip().endswith("?"):
        return None
    line_end = own[1]
    nxt = next((o for o in later if o.start > line_end), None)
    if nxt is None or nxt.speaker_type == "none" or not _MARKS_ONLY.match(
            text[line_end : nxt.start]):
        return None
    return nxt


def _sentence_before(earlier: list[RawQuote], q: RawQuote, text: str,
                     starts: Sequence[int]) -> RawQuote | None:
    """For a quote that is a sentence of its own, the last attributed quote (direct or
    reported) of the sentence right before it in its paragraph ("Sami recalled how ...
    “And I was like, ...”")."""
    k = bisect.bisect_right(starts, q.start) - 1
    if k < 1 or not (_MARKS_ONLY.match(text[starts[k] : q.start])
                     or _LEAD_IN.match(text[starts[k] : q.start])):
        return None
    end = bisect.bisect_right(starts, q.end)
    sent_end = starts[end] if end < len(starts) else len(text)
    if not _MARKS_ONLY.match(text[q.end : sent_end]):
        return None
    previous = starts[k - 1]
    if "\n" in text[previous : q.start].rstrip():
        return None
    inside = [o for o in earlier if o.speaker_type != "none" and _says_something(o, text)
              and previous <= o.start and o.end <= starts[k]]
    return max(inside, key=lambda o: o.end) if inside else None


def _reported_around(reported: list[RawQuote], q: RawQuote) -> RawQuote | None:
    """The attributed reported clause a quote lies in ("Zimmerman said he planned ... to
    counter “Hillary Clinton's anti-firearm rhetoric.”")."""
    return next((r for r in reported if r.start <= q.start and q.end <= r.end), None)


def _later_in_paragraph(earlier: list[RawQuote], q: RawQuote, text: str,
                        starts: Sequence[int],
                        persons: Sequence[tuple[int, int, str]]) -> RawQuote | None:
    """For a statement later in a paragraph, the paragraph's last attributed quote when no
    other person is named from the end of that quote's sentence on ("“...,” said Ann
    Lee, a strategist on Tom Hale's campaign. Unless rivals quit, “it's very
    difficult ...”")."""
    if not _is_statement(text[q.start : q.end]):
        return None
    line_start = text.rfind("\n", 0, q.start) + 1
    inside = [o for o in earlier if o.speaker_type != "none" and _says_something(o, text)
              and line_start <= min(o.start, o.speaker_start if o.speaker_start >= 0
                                    else o.start) and o.end <= q.start]
    if not inside:
        return None
    last = max(inside, key=lambda o: o.end)
    said_end = max(last.end, last.speaker_end)
    k = bisect.bisect_right(starts, said_end)
    region_start = starts[k] if k < len(starts) and starts[k] <= q.start else said_end
    surname = last.speaker_text.split()[-1:] if last.speaker_type == "name" else []
    for start, end, name in persons:
        if region_start <= start and end <= q.start and name.split()[-1:] != surname:
            return None
    return last


def _lead_for(leads: list[RawQuote], q: RawQuote, text: str) -> RawQuote | None:
    for lead in leads:
        if lead.speaker_type != "none" and lead.start <= q.start and _MARKS_ONLY.match(
                text[lead.start : q.start]):
            return lead
    return None


def _paragraph_before(earlier: list[RawQuote], q: RawQuote, text: str) -> RawQuote | None:
    """For a quote that is a paragraph of its own, the last attributed quote (direct or
    reported) of the paragraph right before it: the journalist's quote paragraph after an
    attribution ("Ash argued in his email, the incident ... [para] “In ...”")."""
    own = _own_paragraph(q, text)
    if own is None:
        return None
    line_start = own[0]
    before = [o for o in earlier if o.speaker_type != "none" and o.end <= line_start
              and _says_something(o, text)]
    if not before:
        return None
    last = max(before, key=lambda o: o.end)
    gap = text[last.end : line_start]
    lines = [ln for ln in gap.split("\n") if ln.strip()]
    return last if len(lines) <= 1 and "\n" in gap else None


def _own_paragraph(q: RawQuote, text: str) -> tuple[int, int] | None:
    """(start, end) of the paragraph a quote fills alone (nothing but marks beside it)."""
    start = text.rfind("\n", 0, q.start) + 1
    end = text.find("\n", q.end)
    end = len(text) if end < 0 else end
    if _MARKS_ONLY.match(text[start : q.start]) and _MARKS_ONLY.match(text[q.end : end]):
        return start, end
    return None


def _trail_for(trails: list[RawQuote], q: RawQuote, text: str) -> RawQuote | None:
    for trail in trails:
        if trail.start >= q.end and _MARKS_ONLY.match(text[q.end : trail.start]):
            return trail
    return None


def _same_words(direct: list[RawQuote], q: RawQuote, text: str) -> RawQuote | None:
    words = _words(text[q.start : q.end])
    if len(words.split()) < MIN_UNATTRIBUTED_WORDS - 1:
        return None
    for other in direct:
        if other is not q and other.speaker_type != "none":
            theirs = _words(text[other.start : other.end])
            if words in theirs or theirs in words:
                return other
    return None


def _says_something(q: RawQuote, text: str) -> bool:
    """A reported clause, or a direct quote that is a statement or an attributed utterance
    ending in its own punctuation ("“Go register,” Trump said"), not a title or a word the
    text only mentions ("told NBC's “Today”", "what he calls the “crooked” process")."""
    quote = text[q.start : q.end]
    return q.kind == "indirect" or _is_statement(quote) or (
        q.speaker_type != "none" and quote.rstrip()[-1:] in (",", "!", "?"))


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _is_statement(quote: str) -> bool:
    """Long enough, or holding a sentence, to be something somebody said."""
    return len(quote.split()) >= MIN_UNATTRIBUTED_WORDS or bool(re.search(r"[.!?]", quote))


def _cue_for(sent: Span, inside: Span, covered: set[int]) -> Token | None:
    """The cue of a quote in a sentence: one it stands under ("Ryan saying he was “very
    encouraged” and Trump calling it a “great meeting”"), else the nearest outside it."""
    cues = [t for t in sent if t.i not in covered and cue_lemma(t)]
    if not cues:
        return None
    above = [t for t in inside.root.ancestors if t in cues]
    if above:
        return above[0]
    return min(cues, key=lambda t: min(abs(t.i - inside.start), abs(t.i - inside.end)))


def _trail(doc: Doc) -> RawQuote | None:
    """A short paragraph that is a dash and a name ("—Michelle Marks, Philadelphia."):
    the signature of the quote right before it (kind ``trail``)."""
    if len(doc) > 16 or _text(doc).lstrip()[:1] not in ("—", "–", "-"):
        return None
    first = next((t for t in doc if not t.is_punct and not t.is_space), None)
    ent = next((e for e in _ents(doc) if first is not None and e.start == first.i
                and e.label_ in ("PERSON", "ORG")), None)
    if ent is not None:
        return RawQuote(0, 0, "trail", "", "name", ent.text, ent.start_char, ent.end_char, 0, 0)
    match = _SIGNATURE.match(_text(doc))  # "- Clinton.", "-Ann Lee": the model saw no name
    if match is None:
        return None
    return RawQuote(0, 0, "trail", "", "name", match.group(1), match.start(1), match.end(1),
                    0, 0)


#: A signature line: a dash, then one to four capitalised words, then its end or a comma.
_SIGNATURE = re.compile(r"\s*[—–-]+\s*((?:[A-Z][\w'’.-]*[a-z][\w'’-]*)(?: [A-Z][\w'’.-]*){0,3})"
                        r"\s*(?:[,.]|$)")


def _cue_outside(sent: Span, covered: set[int]) -> Token | None:
    """The reporting verb of a sentence outside the quoted tokens (nearest to the root)."""
    cues = [t for t in sent if t.i not in covered and cue_lemma(t)]
    if not cues:
        return None
    return min(cues, key=lambda t: len(list(t.ancestors)))


def _reported(doc: Doc, direct: list[tuple[int, int]]) -> Iterator[RawQuote]:
    words = [t.lower_ for t in doc]
    quoted = {t.i for start, end in direct
              for t in (doc.char_span(start, end, alignment_mode="expand") or ())}
    for i, lower in enumerate(words):  # only the few candidate tokens are looked at closely
        if lower in CUE_FORMS or lower in BACK_FORMS:
            token = doc[i]
            if token.pos_ != "VERB" or not cue_lemma(token) or _after_quote(doc, token, direct):
                continue  # "“...,” said X": the quote before it is what it reports
            clause = _complement(token, quoted)
            if clause is not None and not _inside_direct(clause, direct):
                start, end = _trim(clause)
                if len(_text(doc)[start:end].split()) >= MIN_REPORTED_WORDS and not (
                        _quote_and_name(doc, start, end, direct, quoted)):
                    yield _quote(doc, start, end, "indirect", token, token.sent)
        elif lower == "according" and i + 1 < len(words) and words[i + 1] == "to":
            quote = _according_to(doc, doc[i])
            if quote is not None and not _mostly_quoted(quote.start, quote.end, direct):
                yield quote  # not the direct quote it attributes ("“...,” according to X")


def _quote_and_name(doc: Doc, start: int, end: int, direct: list[tuple[int, int]],
                    quoted: Collection[int]) -> bool:
    """Whether the clause [start, end) is a whole direct quote and then a name and words
    with no finite verb: the quote and its speaker ("“...,” Ann Lee, an adviser, said at
    ..."), not reported speech ("“...,” and donations began to pick up, X said", "to “bomb
    the hell” out of ..." are)."""
    text = _text(doc)
    opening = [q_end for q_start, q_end in direct
               if start <= q_start and q_end < end and not text[start:q_start].strip(
                   _LEADING_MARKS)]
    if not opening:
        return False
    rest = doc.char_span(opening[0], end, alignment_mode="expand")
    words = [t for t in rest or () if not (t.is_punct or t.is_space) and t.i not in quoted]
    return bool(words) and words[0].is_title and not any(t.tag_ in _FINITE for t in words)


def _after_quote(doc: Doc, cue: Token, direct: list[tuple[int, int]]) -> bool:
    """The cue comes right after a direct quote, nothing but marks between them, and takes
    no clause of its own after it (a subject or a "that": "“Guccifer,” stated that ...")."""
    if not any(end <= cue.idx and _MARKS_ONLY.match(_text(doc)[end : cue.idx])
               for _, end in direct):
        return False
    inverted = cue.tag_ != "VBG" and not any(c.dep_ in _SUBJECT_DEPS and c.i < cue.i
                                               for c in cue.children)
    return not any(c.dep_ == "ccomp" and c.i > cue.i and _own_clause(c, cue, inverted=inverted)
                   for c in cue.children)


def _own_clause(clause: Token, cue: Token, *, inverted: bool) -> bool:
    """Whether a cue's clause after it says something ("stated that ...", "he said Trump
    was ..."), not a name the parse took for its subject after an inverted cue ("said Ann
    Lee, half joking")."""
    subjects = [g for g in clause.children if g.dep_ in _SUBJECT_DEPS]
    if any(g.dep_ == "mark" and g.lower_ == "that" for g in clause.children):
        return True
    named = any(g.pos_ == "PROPN" and min(t.i for t in g.subtree) <= cue.i + 2
                for g in subjects)
    return bool(subjects) and not (inverted and named)


#: Words a reported clause has at the least ("said he would").
MIN_REPORTED_WORDS = 2
#: Prepositions whose object is what a cue was about ("warned of ...", "wrote about ...");
#: not "to", whose object is what was answered ("responded to requests for comment").
_TOPIC_PREPS = frozenset({"of", "about", "against", "over"})
#: Heads climbed from a cue to the subject it shares ("Smith acknowledged ..., stating"),
#: and more from a participle through the noun it describes ("X responded with a note on
#: the story saying ...").
MAX_SUBJECT_CLIMB = 4
NOUN_SUBJECT_CLIMB = 2
#: Words of a reported object at the least ("announced his candidacy").
MIN_OBJECT_WORDS = 2
#: Words of a sentence before a closing "..., police said." at the least.
MIN_SAID_LAST_WORDS = 4
#: Cues whose object, when it is not a clause, is still what was reported ("announced new
#: measures that ...", "reported raising $9 million").
_OBJECT_CUES = frozenset({"announce", "report", "reveal", "confirm", "deny", "acknowledge",
                          "admit", "note", "recall", "post", "tweet", "predict", "promise",
                          "pledge", "claim", "allege", "cite"})


def _complement(verb: Token, quoted: Collection[int] = frozenset()) -> Span | None:
    """The clause a cue reports: its ccomp (the longest after it that is no word of a direct
    quote, ``quoted``, where there are several; see ``_clause``), or a
    "that" clause on its object ("confirmed reports that ..."), or its xcomp in the passive
    ("was reported to have ..."); for a parenthetical cue ("The plan, an inside source
    said, is to ..."; "as The Times reported, ..."), the clause it stands in; for some
    cues (``_OBJECT_CUES``) their object."""
    lemma = cue_lemma(verb)
    if lemma in _DIRECT_ONLY or (lemma in _CLAUSE_ONLY and not any(
            c.dep_ == "ccomp" for c in verb.children)):
        return None
    clauses = [c for c in verb.children if c.dep_ == "ccomp"]
    if clauses:
        after = [c for c in clauses if c.i > verb.i]
        outside = [c for c in after if c.i not in quoted]  # not one the parse took from a quote
        return _clause(max(outside or after or clauses, key=lambda c: len(list(c.subtree))),
                       verb)
    for child in verb.children:
        if child.dep_ in ("dobj", "obj"):
            for grand in child.children:
                if grand.dep_ in ("acl", "ccomp", "relcl") and any(
                        g.dep_ == "mark" and g.lower_ == "that" for g in grand.children):
                    return _subtree(grand)
    if lemma in ("say", "tell"):  # "told the audience at his fundraiser that ...": the
        for token in verb.doc[verb.i + 1 : verb.i + 12]:  # parse hung it on a later noun
            if token.is_punct or token.i in quoted:
                break
            if token.lower_ == "that" and token.dep_ == "mark" and token.head.i > token.i and (
                    token.head.dep_ in ("acl", "ccomp", "relcl")):
                return _subtree(token.head)
    passive = _passive(verb)
    if verb.tag_ == "VBN" and passive:
        for child in verb.children:
            if child.dep_ == "xcomp":
                return _subtree(child)
    if verb.dep_ == "advcl" and verb.head.pos_ in ("VERB", "AUX") and any(
            c.dep_ == "mark" and c.lower_ == "as" for c in verb.children) and any(
            c.dep_ in _SUBJECT_DEPS for c in verb.children):
        return _beside_clause(verb)  # "..., as The Times reported on Saturday, he has ..."
    if verb.head.pos_ in ("VERB", "AUX") and (verb.dep_ == "parataxis" or (
            verb.dep_ == "advcl" and any(c.dep_ == "nsubj" for c in verb.children)
            and not any(c.dep_ == "mark" for c in verb.children))):
        return verb.sent  # "X, the former executive told The Post, would lead ..."
    if lemma in _OBJECT_CUES:
        for child in verb.children:
            words = [t for t in child.subtree if t.is_alpha]
            if child.dep_ in ("dobj", "obj", "xcomp") and len(words) >= MIN_OBJECT_WORDS and (
                    child.pos_ != "PRON"):
                return _object(verb, child)
            if child.dep_ == "nsubjpass" and len(words) >= 2 and child.i < verb.i and any(
                    c.dep_ == "agent" for c in verb.children):
                return _subtree(child)  # "News of the move was first reported by X"
    for child in verb.children:
        if child.dep_ == "xcomp" and child.tag_ == "VBG" and child.i > verb.i and not passive:
            return verb.doc[child.left_edge.i : verb.right_edge.i + 1]  # "said legalizing
            # it could put thousands to work": a gerund subject the parse took for an xcomp
        if child.dep_ == "prep" and child.i > verb.i and child.lower_ in _TOPIC_PREPS:
            topic = next((c for c in child.children if c.dep_ in ("pobj", "pcomp")), None)
            if topic is not None and topic.pos_ != "PRON" and sum(
                    t.is_alpha for t in topic.subtree) >= MIN_OBJECT_WORDS and not (
                    _denied(verb) or passive):  # not "an article that was written about"
                return _subtree(topic)  # "warned of the risk of an outbreak"
    return _said_last(verb)


def _passive(verb: Token) -> bool:
    """"was reported", "were announced": a cue in the passive voice."""
    return any(c.dep_ == "auxpass" for c in verb.children)


def _denied(verb: Token) -> bool:
    """The cue says nothing was said: "did not respond to ...", "Neither X nor Y responded"."""
    subjects = [c for c in verb.children if c.dep_ in _SUBJECT_DEPS]
    return any(c.dep_ == "neg" for c in verb.children) or any(
        t.lower_ in ("neither", "no", "nobody", "none") for s in subjects for t in s.subtree)


def _object(verb: Token, obj: Token) -> Span:
    """A reported object with the phrases the parse hung on the verb after it ("recalled
    Ali's generosity | in support of a program in the city"), up to a comma."""
    end = obj.right_edge.i
    for child in verb.children:
        if child.i > end and child.dep_ in ("prep", "npadvmod", "dative") and not any(
                t.is_punct and t.text in ",;:—" for t in verb.doc[end + 1 : child.i]):
            end = child.right_edge.i
    return verb.doc[obj.left_edge.i : end + 1]


def _said_last(verb: Token) -> Span | None:
    """The sentence before a closing attribution ("..., police said.", "..., his top aide,
    Tad Devine, told The Huffington Post.", "..., said a former spokesman."): the cue and
    its subject come after a comma and end the sentence, with nothing of their own to
    report; what the parse hung elsewhere is still the content."""
    sent = verb.sent
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if subject is None:
        return None
    left = min(subject.left_edge.i, verb.i)
    if left - 1 <= sent.start or verb.doc[left - 1].text != ",":
        return None
    if any(c.dep_ in ("ccomp", "xcomp", "advcl", "conj") and c.i > verb.i
           for c in verb.children) or verb.right_edge.i < sent.end - 2 or any(
            t.is_quote for t in verb.doc[verb.i : sent.end]):
        return None  # "..., the envoy wrote “maybe.”": the quote is what was written
    content = verb.doc[sent.start : left - 1]
    if sum(t.is_alpha for t in content) < MIN_SAID_LAST_WORDS:
        return None
    main = content  # after a leading subordinate clause, the main clause must follow it
    if content[0].tag_ in ("IN", "WRB") and content[0].dep_ in ("mark", "advmod"):
        comma = next((t.i for t in content if t.text == ","), None)
        main = verb.doc[comma + 1 : content.end] if comma is not None else content[:0]
    if not any(t.tag_ in _FINITE for t in main):
        return None  # "When asked whether ..., the spokesman responded negatively": no statement
    return content


def _beside_clause(verb: Token) -> Span:
    """The longer side of the clause that an "as X reported" stands in, without it."""
    head = _subtree(verb.head)
    aside = _subtree(verb)
    before, after = head.doc[head.start : aside.start], head.doc[aside.end : head.end]
    return max((before, after), key=lambda span: len(span.text.strip(" ,.")))


#: Tags of a past-tense report ("said", "told") and of a verb in the past tense.
_PAST = frozenset({"VBD"})
#: Tags of a finite verb: a clause that states something.
_FINITE = frozenset({"VBD", "VBZ", "VBP", "MD"})


def _clause(root: Token, cue: Token) -> Span:
    """A reported clause without what the parse hung on its end that is the reporter's: a
    participle after a comma (", conceding the race"), or, after a past-tense cue, a verb
    in the past tense with no subject of its own joined to a clause in another tense ("said
    she has released ... and called on ...": called is the speaker's act, not what she
    said)."""
    span = _subtree(root)
    ends = [t for t in root.children if t.i > root.i and (
        (t.dep_ == "advcl" and t.tag_ == "VBG" and root.doc[t.left_edge.i - 1].text == ",")
        or (t.dep_ == "conj" and t.tag_ in _PAST and cue.tag_ in _PAST
            and root.tag_ not in _PAST and not any(c.dep_ in _SUBJECT_DEPS
                                                   for c in t.children)))]
    if not ends:
        return span
    cut = min(t.left_edge.i for t in ends)
    while cut > span.start and root.doc[cut - 1].dep_ in ("cc", "punct"):
        cut -= 1
    return root.doc[span.start : cut] if cut > root.i else span


def _subtree(token: Token) -> Span:
    tokens = list(token.subtree)
    return token.doc[tokens[0].i : tokens[-1].i + 1]


def _trim(span: Span) -> tuple[int, int]:
    """Characters of a reported clause without a leading "to" or punctuation, or trailing
    commas ("that" stays: "said that he would ..."); a closing quote mark stays when the
    clause opened it."""
    tokens = list(span)
    while tokens and (tokens[0].lower_ == "to" and tokens[0].dep_ == "aux"
                      or tokens[0].is_punct):
        tokens.pop(0)
    for i, token in enumerate(tokens[1:-1], start=1):
        # ", even as ...", ", while dismissing ...": a side clause after the report.
        if token.text == "," and tokens[i + 1].lower_ in _SIDE_CLAUSE:
            tokens = tokens[:i]
            break
    while tokens and tokens[-1].is_punct and not (
            tokens[-1].text in ("”", '"') and _opens_quote(tokens[:-1])):
        tokens.pop()
    if not tokens:
        return span.start_char, span.start_char
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1])


def _opens_quote(tokens: list) -> bool:
    """An odd number of quote marks: the clause opened a quote it has not closed."""
    marks = sum(t.text.count('"') for t in tokens)
    return marks % 2 == 1 or sum(t.text.count("“") - t.text.count("”") for t in tokens) > 0


def _inside_direct(clause: Span, direct: list[tuple[int, int]]) -> bool:
    """Mostly quoted already: a reported clause that is the direct quotes themselves."""
    return _mostly_quoted(*_trim(clause), direct)


def _mostly_quoted(start: int, end: int, direct: list[tuple[int, int]]) -> bool:
    if end <= start:
        return True
    quoted = sum(max(0, min(end, e) - max(start, s)) for s, e in direct)
    return quoted / (end - start) >= 0.7


def _according_to(doc: Doc, according: Token) -> RawQuote | None:
    """"X ..., according to Y" / "According to Y, X ...": the rest of the sentence is what
    Y says; Y is a named entity inside the phrase, else its description."""
    sent = according.sent
    to = according.nbor(1)
    objects = [c for c in to.children if c.dep_ == "pobj"]
    if not objects:
        return None
    phrase = _subtree(objects[0])
    pp = doc[min(according.i, phrase.start) : phrase.end]
    before = doc[sent.start : pp.start]
    after = doc[pp.end : sent.end]
    body = max((before, after), key=lambda s: len(s.text.strip(" ,.")))
    start, end = _trim(body) if len(body) else (0, 0)
    if end - start < 12:
        return None
    speaker_type, text, s_start, s_end = _speaker_phrase(objects[0], prefer_entity=True)
    return RawQuote(start, end, "indirect", "according to", speaker_type, text, s_start,
                    s_end, sent.start_char)


def _quote(doc: Doc, start: int, end: int, kind: str, cue: Token, sent: Span, *,
           covered: set[int] = frozenset()) -> RawQuote:
    """A quote of ``cue``: its subject (or agent) is the speaker, unless it lies inside the
    quote (``covered``), where it is the quote's own words."""
    passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in cue.children)
    subject = None if passive else _subject_of(cue, covered)
    if subject is None:
        agent = next((c for c in cue.children if c.dep_ == "agent"), None)
        if agent is not None and any(c.dep_ == "pobj" for c in agent.children):
            subject = next(c for c in agent.children if c.dep_ == "pobj")
        elif passive:
            return RawQuote(start, end, kind, cue_lemma(cue) or "", "description",
                            f"unattributed ({cue.text})", -1, -1, sent.start_char)
    if subject is None and not passive:
        subject = _name_before(cue, covered)
    if subject is None or subject.i in covered:
        return RawQuote(start, end, kind, cue_lemma(cue) or "", "none", "", -1, -1,
                        sent.start_char)
    speaker_type, text, s_start, s_end = _speaker_phrase(subject)
    return RawQuote(start, end, kind, cue_lemma(cue) or "", speaker_type, text, s_start, s_end,
                    sent.start_char, subject.sent.start_char)


def _name_before(cue: Token, covered: Collection[int]) -> Token | None:
    """The person or organization named just before a cue the parse gave no subject
    ("Sen. Elizabeth Warren (D-MA) said ..."): the last name within eight words of it; else
    a capitalised word right before the cue that starts the clause ("Jolly said ..."),
    which resolution links when the article names somebody so."""
    sent = cue.sent
    for ent in reversed([e for e in _ents(cue.doc)
                         if sent.start <= e.start and e.end <= sent.end]):
        if ent.end <= cue.i and cue.i - ent.end <= 8 and ent.label_ in ("PERSON", "ORG") and (
                not any(t.i in covered for t in ent)) and not any(
                a.dep_ in ("relcl", "acl") and a.i < cue.i for a in ent.root.ancestors):
            return ent.root  # not one in a relative clause ("Levine, who gave to Rubio, said")
    opens = _clause_start(cue, covered)
    first = next((e for e in _ents(cue.doc) if e.start >= opens and e.label_ in (
        "PERSON", "ORG")), None)
    if first is not None and first.start < cue.i and (
            cue.i == sent.root.i or cue.head.i in covered) and (
            all(t.pos_ in _TITLE_POS for t in cue.doc[opens : first.start])  # "Sen. X", not
            and first.end < len(cue.doc)  # "Of Carson, Levine ... said"
            and cue.doc[first.end].text == "," and first.end < cue.i and not any(
                t.i in covered for t in first)):
        return first.root  # "RoseAnn DeMoro, executive director of ..., a union that ...,
        # also said ...": the name that opens the clause, however long its appositive; after
        # a quote too ("“...,” Mr. Lee, now 81 and retired in Boston, said by telephone")
    word = cue.doc[cue.i - 1] if cue.i > sent.start else None
    if word is not None and word.is_title and word.is_alpha and word.i not in covered and (
            word.i == sent.start or cue.doc[word.i - 1].text == ",") and word.pos_ in (
            "ADV", "ADJ", "NOUN", "PROPN") and word.dep_ not in _SUBJECT_DEPS and (
            word.ent_type_ in ("", "PERSON", "ORG")):  # not "Wednesday added ..."
        return word  # "Jolly said he ...": a surname the tagger took for another word
    if word is not None and word.is_title and word.is_alpha and word.pos_ in (
            "ADP", "AUX", "SCONJ") and word.i >= 2 and cue.doc[word.i - 1].is_quote and (
            cue.doc[word.i - 2].text in (",", "?", "!")):
        return word  # "“...,” From said.": a capitalised word right after a quote that goes
        # on is no preposition or modal but a name
    return None


#: Words of a title before a name ("Texas delegate Bill Eastland", "Sen. X").
_TITLE_POS = frozenset({"PROPN", "NOUN", "ADJ"})


def _clause_start(cue: Token, covered: Collection[int]) -> int:
    """Where the clause of a cue starts: its sentence's start, or after the last quote
    before it in the sentence, past the punctuation that closed it."""
    start = cue.sent.start
    quoted = [i for i in range(start, cue.i) if i in covered]
    if quoted:
        start = quoted[-1] + 1
        while start < cue.i and cue.doc[start].is_punct:
            start += 1
    return start


def _subject_of(verb: Token, covered: Collection[int] = frozenset()) -> Token | None:
    """The verb's subject, climbing through conjunctions and adverbial clauses ("Putin said
    ..., while dismissing ..."; "Smith acknowledged ..., stating ..."); never a word of a
    quote (``covered``) that the parse took for one ("“My bosses ...,” X said")."""
    token = verb
    noun = False  # climbed from a participle to the noun it describes ("a note saying")
    aside = False  # climbed from a participle after a comma (", explaining ...")
    joined = False  # climbed from a conjunct to its verb, or "as" ("X is quoted as saying")
    for step in range(MAX_SUBJECT_CLIMB + NOUN_SUBJECT_CLIMB):
        if step >= MAX_SUBJECT_CLIMB and not noun:
            return None
        # the nearest subject before the verb first: "LONDON (Reuters) - Ann Lee said"
        for child in sorted(token.children, key=lambda c: (c.i > token.i, abs(c.i - token.i))):
            if token is not verb and (token.i in covered or (aside or joined) and (
                    _content_clause(token, covered))):
                break  # a quoted verb's subject is whom the quote is about ("adding, ..."),
                # a "that" clause's whom it tells of ("denied the notion that Y ..., saying")
            if child.dep_ == "nsubj" and child.i not in covered and child.pos_ not in (
                    "ADP", "ADV", "CCONJ", "SCONJ", "PUNCT"):  # "Of Carson, Levine ... said"
                if _dateline(child):
                    named = _named_after_dateline(child)
                    if named is None:
                        continue
                    return named
                return child
            if child.dep_ == "nsubjpass":  # "X was forced ... and said": X; not "it was said"
                return child if joined and child.i not in covered else None
        if token.dep_ == "pcomp" and token.tag_ == "VBG" and token.head.lower_ == "for" and (
                (blamed := next((c for c in token.head.head.children if c.dep_ == "dobj"),
                                None)) is not None):
            return blamed  # "X criticized him for saying ...": whom X blames said it
        if token.dep_ == "xcomp":  # "That prompted Rubio to call ...": the object acts
            controller = next((c for c in token.head.children if c.dep_ == "dobj"), None)
            if controller is not None:
                return controller
        if token.dep_ == "acl" and token.head.pos_ == "PROPN" and token.head.i not in covered:
            return token.head  # "Ann Lee, who ..., tweeted on Friday to say ..."
        noun = noun or (token.dep_ == "acl" and token.tag_ == "VBG")  # not "a plan to say"
        aside = aside or (token.dep_ == "advcl" and token.tag_ == "VBG" and _after_comma(token))
        climbs = token.dep_ in ("conj", "advcl", "xcomp", "ccomp", "acl", "pcomp", "prep") or (
            noun and token.dep_ in ("pobj", "dobj"))  # "X responded with a note saying ..."
        if climbs and token.head is not token:  # "X incurred boos upon saying, “...”"
            # a verb coordinated with its head shares its subject, passive or not; so does
            # the passive a participle is hung on by "as" ("X is quoted as saying")
            joined = token.dep_ == "conj" or (token.lower_ == "as" and token.dep_ == "prep")
            token = token.head
        else:
            return None
    return None


def _after_comma(token: Token) -> bool:
    """Whether a comma comes right before the token, quote marks aside ("“messy,” adding")."""
    i = token.i - 1
    while i >= 0 and token.doc[i].is_quote:
        i -= 1
    return i >= 0 and token.doc[i].text == ","


def _content_clause(token: Token, covered: Collection[int]) -> bool:
    """A clause that tells what is said, thought or claimed ("the notion that ...", "said
    that ..."): its subject is what it tells of, not who speaks after it; not a cue the parse
    hung there ("X can't say that “...,” Ann Lee added, saying ...")."""
    return token.dep_ in ("ccomp", "acl") and cue_lemma(token) is None and (any(
        c.dep_ == "mark" and c.lower_ in ("that", "whether", "if") for c in token.children)
        or cue_lemma(token.head) is not None and token.head.i not in covered)  # "X said the
    # process could be “messy,” adding ...", not a clause the parse hung on a quoted "said"


def _dateline(token: Token) -> bool:
    """A dateline's place the parse took for a subject ("ORLANDO — Governor Ann Lee
    met ... and said", "CLEVELAND, July 19 (UPI) — ..."): a word in capitals that opens its
    sentence before a dash or a parenthesis, right after it or after a comma and a few
    words."""
    doc = token.doc
    if not (token.i == token.sent.start and token.is_upper and token.is_alpha and len(token) > 2
            and token.i + 1 < len(doc)):
        return False
    after = [t.text for t in doc[token.i + 1 : token.i + 8]]
    return after[0] in DATELINE_MARKS or (after[0] == "," and any(  # "ORLANDO, Fla. (Reuters)
        mark in DATELINE_MARKS for mark in after[1:]))  # -", not "CNN, Cruz said, called"


#: Marks after a dateline's place (and its state or date after a comma).
DATELINE_MARKS = frozenset({"—", "–", "-", "--", "("})


def _named_after_dateline(token: Token) -> Token | None:
    """The subject the parse hung under a dateline's place: its appositive after the dash
    ("RANGOON, Burma - Aung San Suu Kyi's political allies ... predicted"), else a person or
    organization under it, not the news agency in parentheses."""
    appos = [c for c in token.children if c.dep_ == "appos" and c.pos_ in ("NOUN", "PROPN")
             and any(t.text in DATELINE_MARKS for t in token.doc[token.i + 1 : c.i])]
    if appos:
        return appos[-1]
    for ent in _ents(token.doc):
        if ent.label_ in ("PERSON", "ORG") and token.i < ent.start and (
                token.doc[ent.start - 1].text != "(") and ent.root.dep_ != "poss" and (
                token.i in [a.i for a in ent.root.ancestors]):  # not "(Reuters)", "X's aides"
            return ent.root
    return None


def _speaker_phrase(head: Token, *, prefer_entity: bool = False) -> tuple[str, str, int, int]:
    """Classify the speaker phrase headed by ``head``: a name (an entity containing the head
    or, for "according to", any person or organization inside), a pronoun, a description."""
    doc = head.doc
    if head.lower_ in ("who", "that") and head.head.dep_ == "relcl" and (
            head.head.head is not head.head):
        head = head.head.head  # "Sanders, who said ...": the one the clause is about
    if head.dep_ == "appos" and head.pos_ == "NOUN" and head.head.pos_ == "PROPN" and (
            head.head.ent_type_ in ("PERSON", "ORG")) and not _dateline(head.head):
        head = head.head  # "Ann Lee, a superdelegate who has accused ...": whom it describes
    if (head.lower_ in _PRONOUNS or head.lower_ in _OBJECT_PRONOUNS) and head.pos_ == "PRON":
        return "pronoun", head.text, head.idx, head.idx + len(head)  # "criticized him for saying"
    ents = [e for e in _ents(doc) if e.start <= head.i < e.end]
    if not ents:  # "the country's top negotiator Jan Novak said": the name is an appositive
        for child in head.children:
            if child.dep_ == "appos":
                ents = [e for e in _ents(doc) if e.start <= child.i < e.end
                        and e.label_ in ("PERSON", "ORG")]
                if ents:
                    break
    if ents and ents[0].label_ in ("PERSON", "ORG", "GPE", "NORP", "FAC"):
        ent = ents[0]
        conj = [c for c in head.children if c.dep_ == "conj"]
        end = ent.end
        for c in conj:
            inner = [e for e in _ents(doc) if e.start <= c.i < e.end]
            if inner:
                end = max(end, inner[0].end)
        span = doc[ent.start : end]
        return "name", span.text, span.start_char, span.end_char
    if prefer_entity:
        subtree = _subtree(head)
        inner = [e for e in _ents(doc) if subtree.start <= e.start and e.end <= subtree.end
                 and e.label_ in ("PERSON", "ORG")]
        if inner:
            return "name", inner[0].text, inner[0].start_char, inner[0].end_char
    tokens = list(head.subtree)
    cut = min((min(x.i for x in t.subtree) for t in head.children
               if t.i > head.i and t.dep_ in ("relcl", "acl", "appos", "punct")),
              default=tokens[-1].i + 1)
    span = doc[tokens[0].i : max(cut, head.i + 1)]
    return "description", span.text.strip(" ,"), span.start_char, span.end_char


# -- corpus level ------------------------------------------------------------------------------
def resolve_quotes(raw: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """Resolve raw quotes (with their ``quote`` and ``sentence`` text) into the quotes table,
    contract columns first, then where the quote's sentence starts; ``mentions`` are the
    resolved mentions (with ``subj``). A pronoun's person is never one named inside a
    direct quote ("“When I look at somebody like Hillary Clinton,” he said")."""
    if raw.empty:
        return pd.DataFrame(columns=[*QUOTE_COLUMNS, "sent_start"])
    fields = ["start", "end", "kind", "entity_id", "name", "sent_start", "subj", "label"]
    by_article: dict[str, list[_Mention]] = {}
    ordered = mentions.sort_values(["article_id", "start"])
    for aid, *values in zip(ordered["article_id"], *(ordered[f] for f in fields),
                            strict=True):
        by_article.setdefault(aid, []).append(_Mention(*values))
    quoted: dict[str, list[tuple[int, int]]] = {}
    for aid, start, end in raw.loc[raw["kind"] == "direct", ["article_id", "start", "end"]
                                   ].itertuples(index=False):
        quoted.setdefault(aid, []).append((start, end))
    unquoted = {aid: [m for m in ms if not any(s <= m.start and m.end <= e
                                               for s, e in quoted.get(aid, ()))]
                for aid, ms in by_article.items()}
    rows = []
    for q in raw.sort_values(["article_id", "start"]).itertuples(index=False):
        speaker, entity_id, kind = _resolve_speaker(q, by_article.get(q.article_id, []),
                                                    unquoted.get(q.article_id, []))
        rows.append((q.article_id, speaker, entity_id, q.quote, q.cue or None, q.kind,
                     q.start, q.end, kind, entity_id is None, q.sentence, q.sent_start))
    frame = pd.DataFrame(rows, columns=[*QUOTE_COLUMNS, "sent_start"])
    weak = frame["cue"].isin(WEAK_CUES) & frame["speaker_entity_id"].isna() & (
        frame["speaker_kind"].eq("unknown")
        | frame["speaker"].fillna("").str.lower().isin(_NO_SOURCE))
    frame = frame[~weak]
    # One quote per span; found twice ("according to X" and a cue verb), a named speaker wins.
    frame = frame.sort_values(["article_id", "start", "end", "anonymous", "cue"],
                              kind="stable", na_position="last")
    return frame.drop_duplicates(["article_id", "start", "end"]).reset_index(drop=True)


@dataclass(frozen=True)
class _Mention:
    """A resolved mention, as speaker resolution needs it."""

    start: int
    end: int
    kind: str
    entity_id: str
    name: str
    sent_start: int
    subj: str
    label: str = ""  # the model's label (GPE, PERSON, ...)


def _resolve_speaker(q, mentions: list[_Mention],
                     unquoted: list[_Mention] | None = None) -> tuple[str | None, str | None,
                                                                      str]:
    """(speaker, entity id, kind) of a raw quote; ``unquoted``: the mentions outside every
    direct quote of its article, the candidates of a pronoun (default: all)."""
    if q.speaker_type == "name":
        hit = [m for m in mentions if m.start < q.speaker_end and m.end > q.speaker_start
               and m.kind in ("person", "organization")]
        if hit:
            names = list(dict.fromkeys(m.name for m in hit))
            return " and ".join(names), hit[0].entity_id, hit[0].kind
        known = _known_name(q.speaker_text, mentions) or _place_itself(q, mentions)
        if known is not None:  # "Israel said": the person named so, else the place
            return known.name, known.entity_id, known.kind
        return q.speaker_text or None, None, "description"
    if q.speaker_type == "pronoun":
        if q.speaker_text.lower() in _THIRD_PERSON:  # never somebody a quote names
            person = _antecedent(mentions if unquoted is None else unquoted, q)
            if person is not None:
                return person.name, person.entity_id, "person"
        return q.speaker_text, None, "unresolved"
    if q.speaker_type == "description":
        named = _named_in_description(q, mentions) or _known_name(
            q.speaker_text, mentions) or _known_name(
            _leading_name(q.speaker_text), mentions) or _known_name(
            _trailing_name(q.speaker_text), mentions) or _place_itself(q, mentions)
        if named is not None:
            return named.name, named.entity_id, named.kind
        return q.speaker_text, None, "description"
    return None, None, "unknown"


_NAME_WORD = re.compile(r"[A-Z][\w'’.-]*")


def _place_itself(q, mentions: list[_Mention]) -> _Mention | None:
    """A large place (a country, a region, a big city) that is the whole speaker phrase,
    "the" aside: its government ("Iran insists ...", "The Vatican says ...")."""
    from newsdesk import places

    words = (q.speaker_text or "").split()
    if words[:1] and words[0].lower() == "the":
        words = words[1:]
    phrase = " ".join(words)
    sentence = str(getattr(q, "sentence", "") or "")
    after = sentence[q.speaker_end - int(q.sent_start):] if q.speaker_end >= q.sent_start else ""
    if _MODIFIES_NAME.match(after):
        return None  # "said Concord resident Whit Symms": the place describes a person
    return next((m for m in mentions if m.kind == "place" and m.label in ("GPE", "LOC") and (
        phrase and q.speaker_start <= m.start and m.end <= q.speaker_end) and m.name == phrase
        and places.is_large_place(phrase)), None)


#: A lower-case word and a name after a place: the place describes a person ("Concord
#: resident Whit Symms", "Beijing native Li Wei").
_MODIFIES_NAME = re.compile(r"\s+[a-z]+\s+[A-Z]")


def _known_name(phrase: str, mentions: list[_Mention]) -> _Mention | None:
    """The person or organization of the article that a speaker phrase names although the
    model tagged no name there ("Gorka said", "Mr. Farage said"): a phrase of capitalised
    words that is the name of one of them (a group too: "Democrats said"), or whose last
    one ends the name of exactly one of them (the most mentioned if it ends several, when
    it is named at least twice as often as the next)."""
    words = [w.rstrip(".,") for w in (phrase or "").replace("’", "'").split()]
    while words and words[0].lower().rstrip(".") in _HONORIFICS:
        words.pop(0)
    if not words or len(words) > 3 or not all(_NAME_WORD.fullmatch(w) for w in words):
        return None
    said = " ".join(words).lower()
    exact = [m for m in mentions if m.kind in ("person", "organization", "group") and (
        m.name.lower() == said or (m.kind == "group" and f"{m.name.lower()}s" == said))]
    if exact:  # "Democrats said": the group itself
        return exact[0]
    last = re.sub(r"'s?$", "", words[-1]).lower()
    counts: dict[str, list[_Mention]] = {}
    for m in mentions:
        if m.kind in ("person", "organization") and m.name.lower().split()[-1:] == [last]:
            counts.setdefault(m.entity_id, []).append(m)
    ranked = sorted(counts.values(), key=len, reverse=True)
    if not ranked or (len(ranked) > 1 and len(ranked[0]) < 2 * len(ranked[1])):
        return None
    return ranked[0][0]


def _leading_name(phrase: str | None) -> str:
    """The capitalised words that open a phrase before a word that cannot go on a name
    (a preposition or an adverb of time: "Trump at the time" -> "Trump"), or "". Not a
    name that modifies a noun ("A Kremlin source"), nor one after an article."""
    match = _LEADING_NAME.match(phrase or "")
    if match is None or match.group(2) not in _AFTER_NAME:
        return ""
    name = match.group(1).strip()
    return "" if name.split()[0].lower() in ("a", "an", "the") else name


def _trailing_name(phrase: str | None) -> str:
    """The two capitalised words that end a longer phrase after a title ("United Auto
    Workers Secretary-Treasurer Gary Casteel" -> "Gary Casteel"), or "" when they follow
    a word that makes the phrase somebody else's ("a spokesman for Ann Lee")."""
    words = (phrase or "").split()
    if len(words) < 3 or not all(_NAME_WORD.fullmatch(w) for w in words[-2:]) or (
            words[-3].lower() in _BEFORE_OTHER):
        return ""
    return " ".join(words[-2:])


_LEADING_NAME = re.compile(r"((?:[A-Z][\w'’.-]*\s+){1,3}?)([a-z]+)\b")
#: Words that end a name at the start of a speaker phrase: prepositions and adverbs.
_AFTER_NAME = frozenset("""
at on in during after before from with by later earlier then again also too himself herself
""".split())


#: Honorifics and titles before a speaker's name ("Mr.", "Sen.", "Rev.", "Judge").
SPEAKER_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "sen", "rep", "gov", "gen", "prof",
                            "rev", "president", "senator", "governor", "judge"})
_HONORIFICS = SPEAKER_TITLES | {"secretary", "former", "the"}


def _named_in_description(q, mentions: list[_Mention]) -> _Mention | None:
    """A person or organization the speaker phrase names after all: at its head (its last
    word: "the Italian daily Corriere"; a group there too: "half of Vermont Democrats"; a
    person after a title: "ranking Democrat Elijah Cummings"), at its start after honorifics
    or initials only ("Hannity on his show", "M. Dane Waters"), or anywhere in an
    "according to" source ("a June report from the Center for ...")."""
    if q.speaker_start < 0:
        return None
    inside = [m for m in mentions if m.start >= q.speaker_start and m.end <= q.speaker_end
              and m.kind in ("person", "organization", "group")]
    at_head = [m for m in inside if m.end == q.speaker_end]  # "Half of Vermont Democrats"
    inside = [m for m in inside if m.kind != "group"]
    if q.cue == "according to":
        return inside[0] if len({m.entity_id for m in inside}) == 1 else None
    if at_head:
        return at_head[0]
    if not inside:
        return None
    phrase = q.speaker_text or ""
    lead = phrase[: inside[0].start - q.speaker_start]
    rest = phrase[inside[0].end - q.speaker_start :].split()
    last = inside[-1]
    before_last = phrase[: last.start - q.speaker_start].split()[-1:]
    if last.kind == "person" and last.end == q.speaker_end and before_last and (
            before_last[0].lower() not in _BEFORE_OTHER):
        return last  # "Oversight ranking Democrat Elijah Cummings": the name a title ends in,
        # not "a spokesman for Ann Lee"
    if all(w.lower().rstrip(".") in _HONORIFICS or _INITIAL.fullmatch(w)
           for w in lead.split()) and not (
            rest and all(w[:1].isupper() for w in rest)):
        return inside[0]  # "Hannity on his show", "Rep. Jim McDermott (D-Wash.)"; not "the
    return None  # Council on ... Relations Executive Director Nihad Awad": somebody of it


#: Words before a name that make the phrase somebody else: "a spokesman for X".
_BEFORE_OTHER = frozenset("of for to with by from and or at in on whose his her their its "
                          "the a an".split())
_INITIAL = re.compile(r"[A-Z]\.")


def _speaker_sent(q) -> int:
    """Where the speaker's sentence starts: the quote's own, unless it inherited its
    speaker from another sentence."""
    value = getattr(q, "speaker_sent", None)
    return int(value) if value is not None and not pd.isna(value) and value >= 0 else int(
        q.sent_start)


def _antecedent(mentions: list[_Mention], q) -> _Mention | None:
    """The person a "he"/"she" refers to, or None when the text leaves doubt.

    Candidates are the persons before the pronoun in its own sentence (the speaker's, see
    ``_speaker_sent``); when there are none, those of the previous sentence. One person:
    that one. Several: the one that is a subject (or a subject's possessor) there, if
    exactly one is ("Cross said he would vote for Clinton, whom he called ...": Cross).
    """
    sent_start = _speaker_sent(q)
    persons = [m for m in mentions if m.kind == "person" and m.end <= q.speaker_start]
    same = [m for m in persons if m.sent_start == sent_start]
    if same:
        return same[-1] if len({m.entity_id for m in same}) == 1 else _one_subject(same)
    earlier = [m for m in persons
               if sent_start - MAX_PRONOUN_REACH <= m.sent_start < sent_start]
    if not earlier:
        return None
    last = max(m.sent_start for m in earlier)
    previous = [m for m in earlier if m.sent_start == last]
    if len({m.entity_id for m in previous}) == 1:
        return previous[-1]
    return _one_subject(previous)


def _one_subject(persons: list[_Mention]) -> _Mention | None:
    """The one person among ``persons`` who is a subject (or a subject's possessor), or
    None when none or several are."""
    subjects = [m for m in persons if m.subj in ("subj", "poss_subj")]
    return subjects[-1] if len({m.entity_id for m in subjects}) == 1 else None
