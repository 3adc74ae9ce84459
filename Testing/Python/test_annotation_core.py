"""Core annotation helpers without MRML: seed choice (snap, level, leak guard) and the per-click edit history."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.core.annotation.edit_history import EditHistory, PatchEdit
from calcification.core.annotation.seed_snapping import choose_seed, region_at_level, ring_background, snap_to_peak
from calcification.core.errors import InputError


def blob_image():
    rows, cols = np.mgrid[0:60, 0:60]
    return (100.0 + 1000.0 * np.exp(-((rows - 30) ** 2 + (cols - 24) ** 2) / (2 * 2.0**2))).astype(np.float32)


def test_snap_and_level_at_the_requested_fraction():
    image = blob_image()
    assert snap_to_peak(image, 32, 26, radius_px=4) == (30, 24)
    assert snap_to_peak(image, 32, 26, radius_px=0) == (32, 26)
    assert ring_background(image, 30, 24, (10, 14)) == pytest.approx(100.0, abs=0.01)
    choice = choose_seed(image, 32, 26, 4, (10, 14), fraction=0.5)
    assert choice.traceable and choice.peak == (30, 24)
    # the seed sits on the edge of the half-maximum region: its value is the lowest of that region
    region = region_at_level(image, 30, 24, 100 + 0.5 * 1000)
    assert region[choice.seed] and choice.level == pytest.approx(image[region].min())


def test_leaking_level_is_raised_until_the_region_stays_inside():
    image = blob_image()
    image[:, 40:] = 450.0  # a bright band touching the window edge, joined to the blob at low levels
    image[28:33, 24:41] = np.maximum(image[28:33, 24:41], 450.0)
    low = choose_seed(image, 30, 24, 2, (6, 8), fraction=0.2)
    assert not region_at_level(image, 30, 24, low.level)[:, -1].any()  # stayed off the window's edge
    assert low.level > low.background + 0.2 * (1100 - low.background)


def test_flat_background_is_not_traceable_and_bad_fraction_refused():
    flat = np.full((20, 20), 7.0, np.float32)
    assert not choose_seed(flat, 10, 10, 3, (5, 8), 0.5).traceable
    with pytest.raises(InputError, match="level fraction"):
        choose_seed(flat, 10, 10, 3, (5, 8), 1.5)
    with pytest.raises(InputError, match="outside the image"):
        snap_to_peak(flat, 20, 0, 2)


def test_history_stores_only_the_changed_box_and_restores_exactly():
    before = np.zeros((40, 40), bool)
    after = before.copy()
    after[10:13, 20:22] = True
    history = EditHistory()
    history.record(PatchEdit(slice(100, 140), slice(200, 240), before, after))
    history.record(PatchEdit(slice(0, 40), slice(0, 40), before, before))  # changed nothing: not recorded
    assert history.nbytes == 2 * 3 * 2 and history.can_undo and not history.can_redo
    edit = history.pop_undo()
    assert (edit.rows, edit.cols) == (slice(110, 113), slice(220, 222))
    np.testing.assert_array_equal(edit.after, after[10:13, 20:22])
    np.testing.assert_array_equal(edit.before, before[10:13, 20:22])
    assert history.can_redo and history.pop_redo() is edit


def test_history_limit_drops_the_oldest_step():
    history = EditHistory(limit=2)
    for value in range(3):
        after = np.zeros((2, 2), bool)
        after[0, 0] = True
        history.record(PatchEdit(slice(value, value + 2), slice(0, 2), np.zeros((2, 2), bool), after))
    assert history.pop_undo().rows.start == 2 and history.pop_undo().rows.start == 1 and not history.can_undo
