"""Tests of tinylm.plots.plot_candidates: which tokens it draws, in which colour."""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from tinylm.plots import plot_candidates, use_book_style  # noqa: E402


def test_candidates_are_the_strongest_rivals_then_the_true_token():
    use_book_style()
    probs = np.full((3, 20), 0.01)
    probs[:, 5] = [0.5, 0.4, 0.1]  # an early favourite
    probs[:, 7] = [0.05, 0.2, 0.6]  # the true token rises
    probs[1, 9] = 0.3  # briefly in the top 3
    fig = plot_candidates([1, 2, 3], probs, 7, lambda t: f"t{t}", color="#123456", ylabel="p", title="x")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines][:2] == ["t5", "t9"]
    assert lines[-1].get_label() == "t7  (true)" and lines[-1].get_color() == "#123456"
    assert all(line.get_color() != "#123456" for line in lines[:-1])
