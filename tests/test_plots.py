"""Tests of tinylm.plots: which tokens the prediction plots draw, in which colour, on which axis."""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from tinylm.plots import (  # noqa: E402
    plot_candidates,
    plot_learning_phases,
    plot_one_prediction,
    use_book_style,
)


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


def test_step_zero_is_shown_on_a_log_axis_and_the_rank_counts_from_one():
    use_book_style()
    probs = np.full((3, 10), 0.1)  # step 0: uniform
    probs[1, 2], probs[2, 4] = 0.5, 0.6
    fig = plot_one_prediction([0, 1, 10], probs, 4, 0.05, lambda t: f"t{t}", color="#123456", title="x")
    ax_c, ax_p, ax_r = fig.axes
    assert ax_c.get_xscale() == "symlog" and ax_c.get_xlim()[0] == 0
    rank = ax_r.get_lines()[0].get_ydata()
    assert list(rank) == [1, 2, 1], "ties count as the top; a stronger rival pushes the true token to 2"
    assert np.isclose(ax_p.get_lines()[0].get_ydata()[0], np.log(0.1))


def test_phases_draw_the_uniform_and_frequency_lines():
    use_book_style()
    ax = plot_learning_phases([0, 1, 2], [-7.6, -6.0, -5.0], -6.3, 2000, color="#123456", label="model")
    levels = sorted(line.get_ydata()[0] for line in ax.get_lines()[1:])
    assert np.allclose(levels, [-np.log(2000), -6.3])
