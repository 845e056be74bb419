"""Who said what: quote marks, attribution sieves and the speakers of split and continued
quotes, on the real pipeline (``nlp`` fixture) and as pure functions."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from newsdesk.clean import clean_text
from newsdesk.ingest import ingest
from newsdesk.nlp import Task, annotate
from newsdesk.quotes import (
    RawQuote,
    _antecedent,
    _leading_name,
    _Mention,
    _resolve_speaker,
    inherit_speakers,
    quote_spans,
)
from newsdesk.store import Store


def _quotes(nlp, text: str) -> list[tuple[str, str, str]]:
    """(quote text, speaker type, speaker text) of every quote the pipeline finds."""
    (found,) = annotate([Task("a", text, clean_text(text).segments)], nlp=nlp)
    return [(text[q.start:q.end], q.speaker_type, q.speaker_text) for q in found.quotes]


@pytest.mark.parametrize(("text", "expected"), [
    ("He said “yes” and left.", ["yes"]),
    ('“A,” he said. "B," she said.', ["A,", "B,"]),
    ('“Mixed marks," Obama said. "Second part.”', ["Mixed marks,", "Second part."]),
    ("''Wire style,'' said Smith.", ["Wire style,"]),
    ("“Unclosed until the end of the paragraph", ["Unclosed until the end of the paragraph"]),
    ('Figures "1990" and "12 3" hold no words.', []),
])
def test_quotes_marks_pair_whatever_their_style(text, expected):
    assert [text[s:e] for s, e, _ in quote_spans(text)] == expected


def test_quotes_unclosed_quote_is_marked_open():
    (span,) = quote_spans("“It goes on in the next paragraph.")
    assert span[2] is False


@pytest.mark.slow
@pytest.mark.parametrize(("text", "speakers"), [
    # a quote split around its cue: both parts are the speaker's
    ("“Go register,” Trump said. “Make sure you go out and vote.”", ["Trump", "Trump"]),
    # a long appositive after the cue
    ("“We will win,” said Mr. Kelly, a retired astronaut, “and soon.”", ["Kelly", "Kelly"]),
    # the cue before the quote
    ("Pence replied, “These are two men building a relationship.”", ["Pence"]),
    # newswire '' marks
    ("''Donald put Freddy down quite a bit,'' said Annamaria Schifano.",
     ["Annamaria Schifano"]),
    # the speaker introduced in the paragraph before, ending in a colon
    ("Smith wrote on Twitter:\n\n“The plan is a disaster for the country.”", ["Smith"]),
    # a quote over two paragraphs, opened on each, closed on the last
    ("“The first paragraph of what she said goes here,” Jones said. “And it goes on.\n\n"
     "“The second paragraph ends it.”", ["Jones", "Jones", "Jones"]),
    # a subject inside the first quote is never the speaker of the second
    ('"If she picks the judges, nothing you can do," Trump said before adding: '
     '"Though maybe there is."', ["Trump", "Trump"]),
    # a verb of stance with a named subject
    ("Bolton and Gorka denounced the “Neocons For Hillary” movement.", ["Bolton and Gorka"]),
    # a title between the attributed part and the next is passed over
    ("“Of course we will release our medical records,” Sanders said on CNN’s “State of the "
     "Union” on Sunday. “It is not a problem for us.”", ["Sanders", "Sanders", "Sanders"]),
    # a quote that is a sentence of its own after an attributed reported clause
    ("Sami recalled that on his first trip from the airport, all he saw was a dark highway. "
     "“And I was like, please, I want to see a city.”", ["Sami", "Sami"]),
    # a verb of striking back is a reply
    ("“They are all here because he promises them free stuff,” Bennett shot back.",
     ["Bennett"]),
    # a no-break space between the speaker and the verb
    ("“I mean, what is this about unity?” Trump\u00a0added during his appearance.", ["Trump"]),
    # a quote ending in a comma, then its subject and any verb that ends the sentence
    ("“Honestly, we may be on the wrong side of this one,” Oliver barked.", ["Oliver"]),
    # "according to" after a quote
    ("“The new material shows the department kept files on senators,” according to Judicial "
     "Watch.", ["Judicial Watch"]),
    # the subject of the clause a quoted statement is worked into, whatever its verb
    ('Comey indicated that Clinton "should have known that an unclassified system was no '
     'place" for such talk.', ["Comey"]),
    # whom a quote is about is not its speaker
    ('Carly Fiorina said Ted Cruz "says whatever he needs to say to get elected."',
     ["Carly Fiorina"]),
    ("Trump told Newsmax that Mitt Romney “had a crazy policy which was maniacal,” adding, "
     "“He lost all of the Latino vote.”", ["Trump", "Trump"]),
    # a title and a place before the name belong to the speaker phrase
    ("“We will win this state,” said Idaho businessman Frank VanderSloot.",
     ["Frank VanderSloot"]),
    # consecutive quote paragraphs of one speaker, attributed in the second; a question
    # paragraph is not given the answer's speaker
    ("“It was fine,” Viguerie notes.\n\nViguerie is upbeat about the race.\n\n“Not only "
     "can Ted Cruz win in November, he is the one with the best chance.”\n\n“He may be the "
     "only one,” Viguerie notes.", ["Viguerie", "Viguerie", "Viguerie"]),
    ("“Do you think you will win this time?”\n\n“Of course I will win,” Trump said.",
     ["", "Trump"]),
    # a signature line the model saw no name in
    ("“I went to Wall Street before the crash. I was the one warning about it.”\n\n"
     "- Clinton.", ["Clinton"]),
    # an inverted cue and a name before a colon, the quote in the next paragraph
    ("Added Ann Lee:\n\n“So I think it’s a very real problem.”", ["Ann Lee"]),
    # a transcript's "Name:" before a quote
    ('In the morning, Donald Trump: "Appreciate the congrats for being right on terrorism."',
     ["Donald Trump"]),
    # a cue after a quote that ended its sentence and that says something of its own is
    # the next sentence's, not the quote's attribution
    ("Gov. Doug Ducey called the long lines “unacceptable.” Mayor Greg Stanton wrote a "
     "letter to the Justice Department.", ["Doug Ducey"]),
    ("Trump attacked Romney, calling him “a failed candidate.” Romney fired back in March, "
     "attacking Trump.", ["Trump"]),
    ("Clinton responded: “What difference does it make?” Her critics cited it as evidence.",
     ["Clinton"]),
    ("“Are you kidding me?” Trump asked reporters.", ["Trump"]),
    # a dateline before the subject is not the speaker
    ("LONDON (Reuters) - Donald Trump said the prime minister was “divisive, stupid and "
     "wrong” to say so.", ["Donald Trump", "Donald Trump"]),
    # a participle's speaker through the noun it describes: who put out the statement
    ("His office put out a statement saying the U.S. “does not have the capacity to vet "
     "every refugee.”", ["His office"]),
    # but not through an infinitive: whose refusal to say is not who criticized it
    ("The spokesman criticized the agency's refusal to say when “the review will end.”",
     [""]),
    ("ORLANDO — President Barack Obama met survivors on Thursday and said “we must act.”",
     ["Barack Obama"]),
    ("CNN, Cruz said, called the announcement “highly significant.”", ["Cruz", "CNN"]),
    # the name that opens the sentence, however long its appositive
    ("Jeffrey Salkin, a Hollywood, Fla., rabbi helping to organize the boycott, said he and "
     "other rabbis were “alarmed.”", ["Jeffrey Salkin", "Jeffrey Salkin"]),
    # whom a cue tells is not its speaker
    ("Campaign spokesman Brian Fallon told Politico, “We are confident.”", ["Brian Fallon"]),
    ("Later, Trump returned the compliment, telling Reuters, “He is an amazing man.”",
     ["Trump"]),
    # a surname the tagger took for another word, right before the cue; not a date
    ("Early described it as “news to me.”", ["Early"]),
    ("Wednesday added one more twist: “This is unusual.”", [""]),
    # a preposition the parse made the subject is none, nor a name in a relative clause
    ("Of Carson, Levine, who has given money to Marco Rubio, said, “He’s flat-out scary. I "
     "think he’s a wonderful man.”", [""]),
    # a verb joined to a passive shares its subject; so does "quoted as saying"
    ("By the end of the day, Mr. Trump was forced into damage control and said that his "
     "words had been ''misconstrued.''", ["Trump", "Trump"]),
    ("“Our method succeeds where others fail,” Braynard is quoted as saying.", ["Braynard"]),
    # but not a passive the parse hung a participle on ("was hurt by going")
    ("Rubio was hurt by going “personally, just in the gutter” against Trump.", [""]),
    # a participle after a comma goes with the main clause, not a "that" clause in between
    ("Reached by phone, Bennett denied the notion that a shakeup is coming, explaining "
     "that he was “taking a day off.”", ["Bennett", "Bennett", "Bennett"]),
    # unless the parse made a cue of that clause
    ("Comey cannot say that “from his perspective,” Lewandowski added, saying it should be "
     "“up to the prosecutor.”", ["Comey", "Lewandowski", "Lewandowski", "Lewandowski"]),
    # "according to" before the quote, with a comma
    ("According to the Daily Caller, “Labott also coordinated with Reines on the post.”",
     ["the Daily Caller"]),
    # a hyphenated title in a name after an inverted cue, and the next part of the quote
    ("“Imagine him going up against both on the same stage,” mused Blaze co-host Stu "
     "Burguiere. “Not to mention, President Thor.”", ["Stu Burguiere", "Stu Burguiere"]),
    # the name that opens the clause after a quote, however long its appositive
    ("''I would have been sitting in Siberia for a long time,'' Mr. Daniloff, now 81 and "
     "retired in Cambridge, Mass., said by telephone this week.", ["Daniloff"]),
    # the rest of a sentence quoted around a long appositive
    ('"The risk," said Edward Leamer, an economist who is the director of the UCLA '
     'Anderson Forecast, "is that we\'re going to be attracting workers."',
     ["Edward Leamer", "Edward Leamer"]),
    # a participle after a quoted word and a comma goes with the main clause's subject
    ("In an interview Monday, Sanders said the process of writing the platform could be "
     "“messy,” adding, “Democracy is messy.”", ["Sanders", "Sanders", "Sanders"]),
    # a clause the parse hung on a quoted verb is no content clause
    ("Weaver didn’t seem particularly impressed with Sanders’ comments Tuesday, telling "
     "reporters, “A lot of people said the governor should step down.”", ["Weaver"]),
    # a relative clause on an appositive speaks for the name the appositive describes
    ('"Do these people read newspapers?" said Bob Mulholland, a California superdelegate '
     'and Clinton supporter who has accused Sanders supporters of harassing his peers.',
     ["Bob Mulholland", "Bob Mulholland"]),
    # a quote that is a sentence of its own after a sentence telling of a person: theirs
    ('Clinton touted her credentials as an original co-sponsor of the legislation. "We '
     'need to find ways to support workers."', ["Clinton"]),
    # not after another quote of the paragraph, nor after a sentence about a thing
    ('The bill passed the House on Tuesday. "We need to find ways to support workers."',
     [""]),
    # a name after an inverted cue is no reported clause, nor a quote with its speaker
    ("''I'm more skilled with my hands than I am with my brain,'' said Robin Maynard, half "
     "joking.", ["Robin Maynard"]),
    ("“It is not the position that everything is hunky-dory,” Gene Sperling, a top outside "
     "Clinton adviser, said at a recent event on the economy in Iowa.", ["Gene Sperling"]),
    # a colon after a reported clause whose speaker the parse left without its verb
    ("Mr. Slinker, whose latest start-up, Paradata, uses big data to help brands find "
     "suppliers, said Mr. Trump was a candidate in the spirit of Silicon Valley: ''He's a "
     "start-up kind of guy.''", ["Slinker", "Slinker"]),
    # a surname the tagger took for a common noun introduces the quote after its colon
    ("The crowd applauded. Hannity interjected: “So you’re saying there will be some "
     "flexibility?”", ["Hannity"]),
    # a capitalised word right after a quote that goes on is a name, not a preposition
    ('"The circumstances are changed when you go through a recession," From said.',
     ["From"]),
    ("“I think he is wrong,” Will wrote in his column.", ["Will"]),
    # whom a verb blames for saying something said it
    ("Priebus scolded Romney for suggesting that voters “cling to guns or religion.”",
     ["Romney", "Romney"]),
])
def test_quotes_speakers_follow_the_structure(nlp, text, speakers):
    assert [speaker for _, _, speaker in _quotes(nlp, text)] == speakers


@pytest.mark.slow
@pytest.mark.parametrize(("text", "reported"), [
    # a participle after a comma is the reporter's, not what was said
    # ("that" stays, as in PolNeAR's attributions: "told the AP that ...")
    ("Sanders told the AP that he would not seek a recount, conceding the race to Clinton.",
     "that he would not seek a recount"),
    # a past-tense verb joined to a clause in another tense is the speaker's act
    ("Clinton said she has released 30 years of tax returns and called on Trump to do the same.",
     "she has released 30 years of tax returns"),
    # "as X reported": the clause it stands in
    ("As The Times reported on Saturday, he has already emerged as an influential adviser.",
     "he has already emerged as an influential adviser"),
    # a closing attribution after a comma: the sentence before it, however it was parsed
    ("As Trump prepared to speak on Tuesday, a girl outside the venue was pepper-sprayed by "
     "another bystander, police said.",
     "As Trump prepared to speak on Tuesday, a girl outside the venue was pepper-sprayed by "
     "another bystander"),
    ("He had a voice in decisions about investments in Ukraine, said a former spokesman.",
     "He had a voice in decisions about investments in Ukraine"),
    # a passive report: its subject is what was reported
    ("News of the move was first reported by the Miami Herald.", "News of the move"),
    # a gerund subject the parse took for an object clause
    ("He said legalizing it could put thousands of people to work.",
     "legalizing it could put thousands of people to work"),
    # what a cue was about
    ("Doctors warned of the risk of an outbreak on the mainland.",
     "the risk of an outbreak on the mainland"),
    # an object with the phrases the parse hung on the verb
    ("He recalled her generosity in support of a program in the city.",
     "her generosity in support of a program in the city"),
])
def test_quotes_reported_clause_is_what_was_said(nlp, text, reported):
    assert [q for q, kind, _ in _quotes(nlp, text)] == [reported]


@pytest.mark.slow
@pytest.mark.parametrize("text", [
    # a closing cue after a subordinate clause alone: nothing stated before it
    "When asked whether the talks could be a breakthrough, the spokesman responded negatively.",
    # a passive with no source: nothing reported
    "While the members of the delegation have not been announced, the team is expected to "
    "include top figures.",
    # nothing said, and what was answered is not what was said
    "Neither the mayor nor his aides wrote about the plan for the city.",
    "The mayor did not warn of the risks to the city.",
    "The campaign responded to requests for comment on the plan.",
    # who wrote about it is unknown, and "the incident" is no statement
    "He cited an article that was written about the incident in his college years.",
])
def test_quotes_no_reported_clause_without_a_statement(nlp, text):
    assert _quotes(nlp, text) == []


@pytest.mark.slow
def test_quotes_scare_quotes_stay_out(nlp):
    text = "He attended the so-called “deal” meeting and watched “The Apprentice” twice."
    assert _quotes(nlp, text) == []


@pytest.mark.slow
def test_quotes_headline_quote_takes_the_speaker_of_the_body(nlp):
    text = ("Smith Says “We Will Rebuild The Bridge”\n\n"
            "The mayor spoke on Monday. “We will rebuild the bridge,” Smith said.")
    found = _quotes(nlp, text)
    assert [(q, s) for q, _, s in found] == [("We Will Rebuild The Bridge", "Smith"),
                                             ("We will rebuild the bridge,", "Smith")]


@pytest.mark.slow
def test_quotes_pronoun_is_never_a_person_the_quote_names(tmp_path):
    rows = _ingested_quotes(
        tmp_path, "Carson Slams The Media\n\n"
        "Ben Carson spoke at the debate on Tuesday about the coverage of his campaign.\n\n"
        "Carson further lambasted the media as biased against him.\n\n"
        "“When I look at somebody like Hillary Clinton,” he said, “who tells her daughter one "
        "thing and everyone else another, they call that a lie.”\n")
    assert {speaker for speaker, _, kind in rows if kind == "direct"} == {"Ben Carson"}


def _ingested_quotes(tmp_path, text: str) -> list[tuple[str, str, str]]:
    """(speaker, speaker entity's kind, quote kind) of an article ingested for real."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "article.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "article.duckdb"
    ingest(folder, db=db, progress=False)
    with Store(db, read_only=True) as store:
        return store.con.execute(
            "SELECT q.speaker, e.kind, q.kind FROM quotes q LEFT JOIN entities e "
            "ON e.entity_id = q.speaker_entity_id ORDER BY q.start").fetchall()


def _raw(start: int, end: int, speaker: str = "", *, at: int = -1,
         closed: bool = True, kind: str = "direct") -> RawQuote:
    return RawQuote(start, end, kind, "say" if speaker else "",
                    "name" if speaker else "none", speaker, at, at + len(speaker) if speaker
                    else -1, 0, 0 if speaker else -1, closed)


def test_quotes_inherit_only_across_one_utterance():
    text = "“A b c,” X said. “D e f.”\nThen other news came.\n“G h i j.”"
    first = _raw(1, 7, "X", at=9)  # "A b c," as quote_spans gives it
    second = _raw(18, 24)
    third = _raw(text.index("G"), text.index("j") + 1)
    out = inherit_speakers([first, second, third], text)
    assert [q.speaker_text for q in out] == ["X", "X", ""]


def test_quotes_inherit_from_the_reported_clause_around():
    text = "Zimmerman said he planned to counter “Clinton's anti-firearm rhetoric.”"
    clause = _raw(text.index("he"), len(text), "Zimmerman", at=0, kind="indirect")
    quote = _raw(text.index("Clinton"), text.index("rhetoric.") + 9)
    out = inherit_speakers([clause, quote], text)
    assert [q.speaker_text for q in out if q.kind == "direct"] == ["Zimmerman"]


@pytest.mark.parametrize(("cue", "expected"), [("began", "Gilbert"), ("say", "donations")])
def test_quotes_description_without_a_cue_yields_to_the_clause_around(cue, expected):
    text = "“There is stability now,” and donations began to pick up, Gilbert said."
    clause = _raw(0, text.index(", Gilbert"), "Gilbert", at=text.index("Gilbert"),
                  kind="indirect")
    quote = replace(_raw(1, 24), cue=cue, speaker_type="description", speaker_text="donations",
                    speaker_start=text.index("donations"),
                    speaker_end=text.index("donations") + 9)
    out = inherit_speakers([clause, quote], text)
    assert [q.speaker_text for q in out if q.kind == "direct"] == [expected]


@pytest.mark.parametrize(("between", "named", "expected"), [
    ("Unless rivals quit the race,", "", "Steve Schmidt"),  # nobody else named: his
    ("But Jeb Bush replied that", "Jeb Bush", ""),  # another person named: not his
    ("Then Schmidt added that", "Schmidt", "Steve Schmidt"),  # he, named again: his
])
def test_quotes_inherit_later_in_paragraph(between, named, expected):
    text = f"“It is an enormous moment,” said Steve Schmidt. {between} “it is very hard.”"
    at = text.find(named, text.index(between)) if named else -1
    persons = ((at, at + len(named), named),) if named else ()
    first = _raw(1, 26, "Steve Schmidt", at=text.index("Steve"))
    second = _raw(text.index("it is very"), text.index("hard.") + 5)
    out = inherit_speakers([first, second], text, persons=persons)
    assert out[1].speaker_text == expected


@pytest.mark.slow
def test_quotes_a_country_speaks_for_itself_but_never_for_a_person(tmp_path):
    rows = _ingested_quotes(
        tmp_path, "Talks Stall Over Border\n\n"
        "Germany has pledged that it will expand its military over the next decade.\n\n"
        "“I can't vote for Trump,” said Concord resident Mary Johnson.\n")
    assert [(speaker, kind) for speaker, kind, _ in rows] == [("Germany", "place"),
                                                               ("Mary Johnson", "person")]


@pytest.mark.parametrize(("phrase", "expected"), [
    ("Trump at the time", "Trump"),  # a description that opens with a name links to it
    ("Mr. Lee on Monday", "Mr. Lee"),
    ("the man at the door", ""),
    ("A Kremlin source", ""),  # a name that modifies a noun
    ("The Times on Sunday", ""),
    ("Sirius XM Vice President for news", ""),  # not a long title
    ("Donald Trump", ""),  # a whole name is not a description's opening
])
def test_quotes_leading_name_of_a_description(phrase, expected):
    assert _leading_name(phrase) == expected


@pytest.mark.slow
def test_quotes_description_names_the_person_its_title_ends_in(tmp_path):
    rows = _ingested_quotes(
        tmp_path, "Hearing Ends\n\n"
        "“They are spending their final days here,” said Oversight ranking Democrat Elijah "
        "Cummings.\n\n"
        "M. Dane Waters, whose group led the effort, predicted that delegates would “take "
        "this fight to the floor.”\n")
    speakers = [(speaker, kind) for speaker, kind, quote in rows if quote == "direct"]
    assert speakers[0] == ("Elijah Cummings", "person")
    assert speakers[1][0].endswith("Dane Waters") and speakers[1][1] == "person"


@pytest.mark.parametrize(("roles", "expected"), [
    (("subj", ""), "person/cross"),  # "Cross said he would vote for Clinton, whom he called"
    (("", "subj"), "person/clinton"),
    (("subj", "subj"), None),  # two subjects: no answer
    (("", ""), None),
])
def test_quotes_pronoun_with_several_persons_takes_the_one_subject(roles, expected):
    mentions = [_Mention(0, 5, "person", "person/cross", "Cross", 0, roles[0]),
                _Mention(40, 47, "person", "person/clinton", "Clinton", 0, roles[1])]
    q = SimpleNamespace(speaker_start=60, speaker_sent=0, sent_start=0)
    found = _antecedent(mentions, q)
    assert (found.entity_id if found else None) == expected


@pytest.mark.slow
def test_quotes_clause_opening_with_a_quote_is_reported_when_it_goes_on(nlp):
    text = "''He was going to make the name known,'' as his father dreamed, Mr. Turry said."
    assert ("He was going to make the name known,'' as his father dreamed", "name",
            "Turry") in _quotes(nlp, text)


@pytest.mark.parametrize("pronoun", ["he", "him"])
def test_quotes_object_pronoun_resolves_like_its_subject(pronoun):
    mentions = [_Mention(0, 5, "person", "person/cross", "Cross", 0, "subj")]
    q = SimpleNamespace(speaker_type="pronoun", speaker_text=pronoun, speaker_start=40,
                        speaker_end=43, speaker_sent=0, sent_start=0)
    assert _resolve_speaker(q, mentions) == ("Cross", "person/cross", "person")
