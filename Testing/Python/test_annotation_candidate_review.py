"""Candidate review state: order, navigation, decisions, region accept, JSON round trip."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.core.annotation.candidate_review import CandidateReview, Decision, ReviewCandidate
from calcification.core.errors import InputError


def make_review() -> CandidateReview:
    contrasts = [0.2, 0.9, 0.5, 0.7]
    return CandidateReview([ReviewCandidate(10.0 * k, 20.0 * k, 0.1, 0.05, c) for k, c in enumerate(contrasts)])


def test_sorted_by_contrast_and_navigation():
    review = make_review()
    assert [c.contrast for c in review.candidates] == [0.9, 0.7, 0.5, 0.2]
    assert review.current.contrast == 0.9 and review.previous() is None
    assert review.next().contrast == 0.7
    review.reject()
    review.next()
    review.next()
    assert review.next() is None and review.index == 3
    assert review.previous().contrast == 0.5
    review.go_to(0)
    assert review.next(pending_only=True).contrast == 0.5  # skips the rejected one
    with pytest.raises(InputError, match="no candidate 5"):
        review.go_to(4)


def test_accept_in_region_keeps_rejections():
    review = make_review()
    review.reject(next(i for i, c in enumerate(review.candidates) if c.pixel == (10, 20)))
    region = np.zeros((100, 100), bool)
    region[:25, :45] = True  # holds the candidates at (0, 0), (10, 20) and (20, 40)
    accepted = review.accept_in_region(region)
    assert sorted(review.candidates[i].pixel for i in accepted) == [(0, 0), (20, 40)]
    assert review.counts() == {"pending": 1, "accepted": 2, "rejected": 1}


def test_json_round_trip_restores_everything():
    review = make_review()
    review.accept(2)
    review.reject(0)
    review.go_to(1)
    restored = CandidateReview.from_json(review.to_json())
    assert restored.candidates == review.candidates
    assert restored.decisions == review.decisions and restored.index == 1
    assert restored.indices(Decision.ACCEPTED) == [2]


def test_detector_candidates_are_converted():
    from calcification.core.detection.hdog import Candidate

    detected = [
        Candidate(1, 5.0, 6.0, 0.35, 0.42, 0.1, 0.03, 0.4, 0.02),
        Candidate(2, 7.0, 8.0, 0.5, 0.6, 0.1, 0.03, 0.8, 0.05),
    ]
    review = CandidateReview(detected)
    assert [c.pixel for c in review.candidates] == [(7, 8), (5, 6)]


@pytest.mark.parametrize("text", ["not json", '{"format_version": 99}', '{"format_version": 1, "candidates": []}'])
def test_unreadable_state_is_refused(text):
    with pytest.raises(InputError, match="cannot be read"):
        CandidateReview.from_json(text)


def test_empty_review():
    review = CandidateReview([])
    assert review.current is None and review.next() is None and review.counts()["pending"] == 0
    assert CandidateReview.from_json(review.to_json()).candidates == ()
