from coder.segment import code_transcript, match_text
from coder.transcript import Transcript


def test_short_sentences_join_the_next(min_nlp, min_book):
    segs = match_text(min_nlp, min_book, "No. Not now. I lost my job in May. It was hard for us all.")
    assert [s.text for s in segs] == ["No. Not now. I lost my job in May.",
                                      "It was hard for us all."]


def test_short_last_sentence_joins_the_previous(min_nlp, min_book):
    segs = match_text(min_nlp, min_book, "I lost my job in May last year. Yes.")
    assert [s.text for s in segs] == ["I lost my job in May last year. Yes."]


def test_segments_stay_inside_informant_turns_with_offsets(min_nlp, min_book):
    t = Transcript.build("a.txt", "text", "P1", "h", {}, [
        ("Interviewer", "Did you lose your job?", True, "00:00:01", 3),
        ("Mr. Park", "Yes. I lost my job at the mine.", False, "00:00:04", 5),
        ("Interviewer", "And then?", True, None, 7),
        ("Mr. Park", "We crossed the Tumen in winter.", False, "00:00:09", 9),
    ])
    segs = code_transcript(min_nlp, min_book, t)
    assert [(s.turn_index, s.speaker, s.timestamp) for s in segs] == [
        (1, "Mr. Park", "00:00:04"), (3, "Mr. Park", "00:00:09")]
    for s in segs:
        assert t.text[s.start:s.end] == s.text
        for a in s.assignments:
            for e in a.evidence:
                assert t.text[e.start:e.end] == e.words
    assert [a.code for s in segs for a in s.assignments] == ["material.unemployed", "route.china"]
