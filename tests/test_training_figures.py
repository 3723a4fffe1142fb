"""cnnviz.figures.training_figures: what the Training page's charts draw."""

from cnnviz.figures import training_figures as figures


def test_a_run_that_diverged_at_its_first_step_is_drawn_as_a_point_in_the_comparison():
    # One loss only (it diverged at once): a line alone draws nothing, so the legend would name a
    # curve no one can see. Infinite losses are clipped to 10 so the others stay readable.
    figure = figures.lr_comparison_figure([
        ("lr 1", {"step_x": [0.05], "step_loss": [float("inf")]}, "diverged"),
        ("lr 0.1", {"step_x": [0.05, 0.10, 0.15], "step_loss": [2.3, 1.2, 0.9]}, ""),
    ])
    diverged, steady = figure.data
    assert diverged.name == "lr 1 (diverged)" and diverged.mode == "lines+markers"
    assert list(diverged.y) == [10.0]
    assert steady.mode == "lines" and list(steady.y) == [2.3, 1.2, 0.9]
