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

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

#: Verbs that report speech or writing (lemmas).
CUE_VERBS = frozenset("""
say tell state claim confirm announce report reveal add explain argue warn insist deny
stress note write reply respond acknowledge admit assert declare describe dismiss call cite
reaffirm suggest signal threaten predict promise vow tweet post urge allege maintain
""".split())
_IRREGULAR = {"said": "say", "says": "say", "told": "tell", "wrote": "write",
              "written": "write", "replied": "reply", "replies": "reply", "denied": "deny",
              "denies": "deny", "implied": "imply"}


def _inflections(verb: str) -> set[str]:
    """Regular English forms of a verb: -s, -ed, -ing (with e-drop, y->ied, doubling)."""
    stem = verb[:-1] if verb.endswith("e") else verb
    forms = {verb, verb + "s", stem + "ed", stem + "ing"}
    if verb.endswith("y"):
        forms |= {verb[:-1] + "ies", verb[:-1] + "ied"}
    if re.fullmatch(r".*[^aeiou][aeiou][bdgmnprt]", verb) and len(verb) <= 4:
        forms |= {verb + verb[-1] + "ed", verb + verb[-1] + "ing"}
    if verb.endswith(("s", "sh", "ch")):
        forms.add(verb + "es")
    return forms


#: Every form of a cue verb -> its lemma (the model's lemmatizer is not needed for these).
CUE_FORMS = {form: verb for verb in CUE_VERBS for form in _inflections(verb)} | _IRREGULAR


def cue_lemma(token: Token) -> str | None:
    """The cue verb a token is a form of, or None."""
    if token.pos_ not in ("VERB", "AUX"):
        return None
    lemma = CUE_FORMS.get(token.lower_)
    return lemma if lemma in CUE_VERBS else None


#: Cues that report speech only when a named source is their subject ("Putin signaled that
#: ..." yes, "His involvement signals that ..." no).
WEAK_CUES = frozenset({"signal", "suggest", "predict"})
#: How far back (characters) the sentence naming a pronoun's person may start.
MAX_PRONOUN_REACH = 600
#: Cues that only report speech when they take a clause ("said that ..."), not an object.
_CLAUSE_ONLY = frozenset({"describe", "call", "cite", "dismiss", "threaten", "urge", "post"})
_PRONOUNS = frozenset({"he", "she", "i", "we", "they"})
_SIDE_CLAUSE = frozenset({"even", "while", "though", "although", "despite", "whereas"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
# Opening and closing marks of a direct quote (single quotes are left alone: apostrophes and
# scare quotes are far more common in news text than single-quoted speech).
_DIRECT = re.compile(r"“([^“”]+)”|\"([^\"]+)\"")
QUOTE_COLUMNS = [
    "article_id", "speaker", "speaker_entity_id", "quote", "cue", "kind", "start", "end",
    "speaker_kind", "anonymous", "sentence",
]


@dataclass(frozen=True)
class RawQuote:
    """A quote as the text gives it (article offsets). ``speaker_type``: name | pronoun |
    description | none."""

    start: int
    end: int
    kind: str  # direct | indirect
    cue: str
    speaker_type: str
    speaker_text: str
    speaker_start: int
    speaker_end: int
    sent_start: int


def doc_quotes(doc: Doc, *, offset: int = 0) -> Iterator[RawQuote]:
    """Direct quotes (in quote marks), reported clauses ("X said that ..."), and
    "according to X" statements of one parsed paragraph."""
    if not doc.has_annotation("DEP"):
        return
    direct: list[tuple[int, int]] = []
    for match in _DIRECT.finditer(doc.text):
        group = 1 if match.group(1) is not None else 2
        start, end = match.start(group), match.end(group)
        if not any(c.isalpha() for c in match.group(group)):
            continue
        direct.append((start, end))
        quote = _direct_quote(doc, start, end)
        if quote is not None:
            yield _shift(quote, offset)
    for quote in _reported(doc, direct):
        yield _shift(quote, offset)


def _shift(q: RawQuote, offset: int) -> RawQuote:
    return RawQuote(q.start + offset, q.end + offset, q.kind, q.cue, q.speaker_type,
                    q.speaker_text, q.speaker_start + offset if q.speaker_start >= 0 else -1,
                    q.speaker_end + offset if q.speaker_end >= 0 else -1,
                    q.sent_start + offset)


def _direct_quote(doc: Doc, start: int, end: int) -> RawQuote | None:
    """Attribute the quote marked at [start, end): a cue outside it in the sentences it
    touches, with its subject; else the cue of the sentence right before or after."""
    inside = doc.char_span(start, end, alignment_mode="expand")
    if inside is None:
        return None
    first = inside[0].sent
    last = inside[-1].sent
    spans = [first] if first == last else [first, last]
    covered = set(range(inside.start, inside.end))
    for sent in spans:
        cue = _cue_outside(sent, covered)
        if cue is not None:
            return _quote(doc, start, end, "direct", cue, sent)
    return RawQuote(start, end, "direct", "", "none", "", -1, -1, first.start_char)


def _cue_outside(sent: Span, covered: set[int]) -> Token | None:
    """The reporting verb of a sentence outside the quoted tokens (nearest to the root)."""
    cues = [t for t in sent if t.i not in covered and cue_lemma(t)]
    if not cues:
        return None
    return min(cues, key=lambda t: len(list(t.ancestors)))


def _reported(doc: Doc, direct: list[tuple[int, int]]) -> Iterator[RawQuote]:
    words = [t.lower_ for t in doc]
    for i, lower in enumerate(words):  # only the few candidate tokens are looked at closely
        if lower in CUE_FORMS:
            token = doc[i]
            if token.pos_ != "VERB" or not cue_lemma(token):
                continue
            clause = _complement(token)
            if clause is not None and not _inside_direct(clause, direct):
                start, end = _trim(clause)
                if end - start >= 12:
                    yield _quote(doc, start, end, "indirect", token, token.sent)
        elif lower == "according" and i + 1 < len(words) and words[i + 1] == "to":
            quote = _according_to(doc, doc[i])
            if quote is not None:
                yield quote


def _complement(verb: Token) -> Span | None:
    """The clause a cue reports: its ccomp, or a "that" clause on its object ("confirmed
    reports that ..."), or its xcomp in the passive ("was reported to have ...")."""
    if cue_lemma(verb) in _CLAUSE_ONLY and not any(c.dep_ == "ccomp" for c in verb.children):
        return None
    for child in verb.children:
        if child.dep_ == "ccomp":
            return _subtree(child)
    for child in verb.children:
        if child.dep_ in ("dobj", "obj"):
            for grand in child.children:
                if grand.dep_ in ("acl", "ccomp", "relcl") and any(
                        g.dep_ == "mark" and g.lower_ == "that" for g in grand.children):
                    return _subtree(grand)
    if verb.tag_ == "VBN" and any(c.dep_ == "auxpass" for c in verb.children):
        for child in verb.children:
            if child.dep_ == "xcomp":
                return _subtree(child)
    return None


def _subtree(token: Token) -> Span:
    tokens = list(token.subtree)
    return token.doc[tokens[0].i : tokens[-1].i + 1]


def _trim(span: Span) -> tuple[int, int]:
    """Characters of a reported clause without a leading "that"/"to" or trailing commas; a
    closing quote mark stays when the clause opened it."""
    tokens = list(span)
    while tokens and (tokens[0].lower_ in ("that", "to") and tokens[0].dep_ in ("mark", "aux")
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
    start, end = _trim(clause)
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


def _quote(doc: Doc, start: int, end: int, kind: str, cue: Token, sent: Span) -> RawQuote:
    passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in cue.children)
    subject = None if passive else _subject_of(cue)
    if subject is None:
        agent = next((c for c in cue.children if c.dep_ == "agent"), None)
        if agent is not None and any(c.dep_ == "pobj" for c in agent.children):
            subject = next(c for c in agent.children if c.dep_ == "pobj")
        elif passive:
            return RawQuote(start, end, kind, cue_lemma(cue) or "", "description",
                            f"unattributed ({cue.text})", -1, -1, sent.start_char)
    if subject is None:
        return RawQuote(start, end, kind, cue_lemma(cue) or "", "none", "", -1, -1,
                        sent.start_char)
    speaker_type, text, s_start, s_end = _speaker_phrase(subject)
    return RawQuote(start, end, kind, cue_lemma(cue) or "", speaker_type, text, s_start, s_end,
                    sent.start_char)


def _subject_of(verb: Token) -> Token | None:
    """The verb's subject, climbing through conjunctions and adverbial clauses ("Putin said
    ..., while dismissing ..."; "Smith acknowledged ..., stating ...")."""
    token = verb
    for _ in range(4):
        for child in token.children:
            if child.dep_ == "nsubj":
                return child
            if child.dep_ == "nsubjpass":
                return None
        if token.dep_ in ("conj", "advcl", "xcomp", "ccomp", "acl", "pcomp") and (
                token.head is not token):
            token = token.head
        else:
            return None
    return None


def _speaker_phrase(head: Token, *, prefer_entity: bool = False) -> tuple[str, str, int, int]:
    """Classify the speaker phrase headed by ``head``: a name (an entity containing the head
    or, for "according to", any person or organization inside), a pronoun, a description."""
    doc = head.doc
    if head.lower_ in _PRONOUNS and head.pos_ == "PRON":
        return "pronoun", head.text, head.idx, head.idx + len(head)
    ents = [e for e in doc.ents if e.start <= head.i < e.end]
    if not ents:  # "the country's top negotiator Jan Novak said": the name is an appositive
        for child in head.children:
            if child.dep_ == "appos":
                ents = [e for e in doc.ents if e.start <= child.i < e.end
                        and e.label_ in ("PERSON", "ORG")]
                if ents:
                    break
    if ents and ents[0].label_ in ("PERSON", "ORG", "GPE", "NORP", "FAC"):
        ent = ents[0]
        conj = [c for c in head.children if c.dep_ == "conj"]
        end = ent.end
        for c in conj:
            inner = [e for e in doc.ents if e.start <= c.i < e.end]
            if inner:
                end = max(end, inner[0].end)
        span = doc[ent.start : end]
        return "name", span.text, span.start_char, span.end_char
    if prefer_entity:
        subtree = _subtree(head)
        inner = [e for e in doc.ents if subtree.start <= e.start and e.end <= subtree.end
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
    resolved mentions (with ``subj``)."""
    if raw.empty:
        return pd.DataFrame(columns=[*QUOTE_COLUMNS, "sent_start"])
    fields = ["start", "end", "kind", "entity_id", "name", "sent_start", "subj"]
    by_article: dict[str, list[_Mention]] = {}
    ordered = mentions.sort_values(["article_id", "start"])
    for aid, *values in zip(ordered["article_id"], *(ordered[f] for f in fields),
                            strict=True):
        by_article.setdefault(aid, []).append(_Mention(*values))
    rows = []
    for q in raw.sort_values(["article_id", "start"]).itertuples(index=False):
        speaker, entity_id, kind = _resolve_speaker(q, by_article.get(q.article_id, []))
        rows.append((q.article_id, speaker, entity_id, q.quote, q.cue or None, q.kind,
                     q.start, q.end, kind, entity_id is None, q.sentence, q.sent_start))
    frame = pd.DataFrame(rows, columns=[*QUOTE_COLUMNS, "sent_start"])
    weak = frame["cue"].isin(WEAK_CUES) & frame["speaker_entity_id"].isna()
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


def _resolve_speaker(q, mentions: list[_Mention]) -> tuple[str | None, str | None, str]:
    if q.speaker_type == "name":
        hit = [m for m in mentions if m.start < q.speaker_end and m.end > q.speaker_start
               and m.kind in ("person", "organization")]
        if hit:
            names = list(dict.fromkeys(m.name for m in hit))
            return " and ".join(names), hit[0].entity_id, hit[0].kind
        return q.speaker_text or None, None, "description"
    if q.speaker_type == "pronoun":
        if q.speaker_text.lower() in ("he", "she"):
            person = _antecedent(mentions, q)
            if person is not None:
                return person.name, person.entity_id, "person"
        return q.speaker_text, None, "unresolved"
    if q.speaker_type == "description":
        named = _named_in_description(q, mentions)
        if named is not None:
            return named.name, named.entity_id, named.kind
        return q.speaker_text, None, "description"
    return None, None, "unknown"


def _named_in_description(q, mentions: list[_Mention]) -> _Mention | None:
    """A person or organization the speaker phrase names after all: at its head (its last
    word: "the Russian daily Kommersant"), or anywhere in an "according to" source ("a June
    report from the Center for ...")."""
    if q.speaker_start < 0:
        return None
    inside = [m for m in mentions if m.start >= q.speaker_start and m.end <= q.speaker_end
              and m.kind in ("person", "organization")]
    if not inside:
        return None
    if q.cue == "according to":
        return inside[0] if len({m.entity_id for m in inside}) == 1 else None
    at_head = [m for m in inside if m.end == q.speaker_end]
    return at_head[0] if at_head else None


def _antecedent(mentions: list[_Mention], q) -> _Mention | None:
    """The person a "he"/"she" refers to, or None when the text leaves doubt.

    Candidates are the persons before the pronoun in its own sentence; when there are none,
    those of the previous sentence. One person: that one. Several in the own sentence: no
    answer (a parse cannot be trusted to pick). Several in the previous sentence: the one that
    is its subject (or the subject's possessor), if exactly one is.
    """
    persons = [m for m in mentions if m.kind == "person" and m.end <= q.speaker_start]
    same = [m for m in persons if m.sent_start == q.sent_start]
    if same:
        return same[-1] if len({m.entity_id for m in same}) == 1 else None
    earlier = [m for m in persons
               if q.sent_start - MAX_PRONOUN_REACH <= m.sent_start < q.sent_start]
    if not earlier:
        return None
    last = max(m.sent_start for m in earlier)
    previous = [m for m in earlier if m.sent_start == last]
    if len({m.entity_id for m in previous}) == 1:
        return previous[-1]
    subjects = [m for m in previous if m.subj in ("subj", "poss_subj")]
    return subjects[-1] if len({m.entity_id for m in subjects}) == 1 else None
