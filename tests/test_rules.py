from coder.segment import match_text


def codes(nlp, book, text):
    """code -> (status, reason) over every segment of a passage."""
    return {a.code: (a.status, a.dispute_reason)
            for s in match_text(nlp, book, text) for a in s.assignments}


def test_phrase_matches_on_lemmas(min_nlp, min_book):
    assert codes(min_nlp, min_book, "Last year I ran a restaurant in Seoul.") == {
        "material.business": ("auto", None)}


def test_token_pattern_and_lowercase_phrase(min_nlp, min_book):
    got = codes(min_nlp, min_book, "We crossed the TUMEN at night. Then we hid for a year in China.")
    assert got == {"route.china": ("auto", None)}


def test_negation_marks_match_not_evidence(min_nlp, min_book):
    assert codes(min_nlp, min_book, "I have never been out of work, not one day.") == {
        "material.unemployed": ("disputed", "negated evidence")}


def test_negation_inside_the_match_does_not_negate(min_nlp, min_book):
    assert codes(min_nlp, min_book, "These days I have no job at all.") == {
        "material.unemployed": ("auto", None)}


def test_negation_does_not_cross_clause(min_nlp, min_book):
    assert codes(min_nlp, min_book, "It was not easy, but we crossed the Tumen.") == {
        "route.china": ("auto", None)}


def test_pseudo_negation_keeps_past_experience(min_nlp, min_book):
    assert codes(min_nlp, min_book, "I am no longer out of work, thank God.") == {
        "material.unemployed": ("auto", None)}


def test_hypothetical_if_clause(min_nlp, min_book):
    assert codes(min_nlp, min_book, "If I could open a shop, life would be good.") == {
        "material.business": ("disputed", "hypothetical evidence")}


def test_hypothetical_main_clause_of_conditional(min_nlp, min_book):
    assert codes(min_nlp, min_book, "If I had money, I would open a shop.") == {
        "material.business": ("disputed", "hypothetical evidence")}


def test_hypothetical_time_frame_after(min_nlp, min_book):
    assert codes(min_nlp, min_book, "I will open a shop someday.") == {
        "material.business": ("disputed", "hypothetical evidence")}


def test_affirmed_and_negated_in_one_segment_is_evidence(min_nlp, min_book):
    seg, = match_text(min_nlp, min_book, "I lost my job and I was not out of work long.")
    (a,) = seg.assignments
    assert a.status == "auto" and a.source == "rule"
    assert {(e.pattern, e.negated) for e in a.evidence} == {
        ("material.unemployed#1", False), ("material.unemployed#0", True)}


def test_evidence_records_pattern_words_and_offsets(min_nlp, min_book):
    text = "Well. In 1997 I lost the job at the mine."
    (seg,) = match_text(min_nlp, min_book, text)
    (e,) = seg.assignments[0].evidence
    assert e.pattern == "material.unemployed#1"
    assert e.words == "lost the job" == text[e.start:e.end]
