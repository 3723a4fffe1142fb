"""cnnviz.kernels: the presets do what their names say, checked by convolving with torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz import conv, kernels
from cnnviz.kernels import KernelPresetError


def convolve(image: np.ndarray, kernel: np.ndarray, padding="valid") -> np.ndarray:
    """Cross-correlate a (H, W) image with a (F_h, F_w) kernel through torch."""
    x = torch.tensor(image, dtype=torch.float64)[None, None]  # (1, 1, H, W)
    w = torch.tensor(kernel, dtype=torch.float64)[None, None]  # (1, 1, F_h, F_w)
    return F.conv2d(x, w, padding=padding)[0, 0].numpy()


VERTICAL_EDGE = np.repeat(np.array([[0, 0, 0, 0, 9, 9, 9, 9]], dtype=float), 8, axis=0)  # dark | bright
HORIZONTAL_EDGE = VERTICAL_EDGE.T.copy()


def test_every_preset_the_issue_asks_for_is_there():
    names = kernels.preset_names()
    for wanted in ["Identity", "Box blur", "Gaussian blur", "Sharpen", "Sobel x", "Sobel y",
                   "Prewitt x", "Prewitt y", "Laplacian", "Emboss", "Outline"]:
        assert wanted in names
    assert all(kernels.preset(name).teaches for name in names)


@pytest.mark.parametrize(("height", "width"), [(1, 1), (3, 3), (4, 4), (3, 5), (2, 7)])
def test_identity_with_same_padding_returns_the_input(height, width):
    image = np.random.default_rng(0).normal(size=(9, 10))
    kernel = kernels.make_kernel("Identity", height, width)
    settings = conv.ConvSettings(kernel_size=(height, width), padding="same", bias=False)
    out = conv.apply(torch.tensor(image)[None, None], torch.tensor(kernel, dtype=torch.float64)[None, None], None, settings)
    np.testing.assert_allclose(out[0, 0].numpy(), image, atol=1e-12)


@pytest.mark.parametrize("name", ["Box blur", "Gaussian blur"])
@pytest.mark.parametrize(("height", "width"), [(3, 3), (5, 5), (3, 7), (11, 11)])
def test_blurs_average_so_a_flat_image_stays_flat(name, height, width):
    kernel = kernels.make_kernel(name, height, width)
    assert kernel.shape == (height, width)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-6)
    flat = np.full((15, 15), 0.7)
    np.testing.assert_allclose(convolve(flat, kernel), 0.7, atol=1e-6)


def test_gaussian_trusts_the_centre_most_and_is_symmetric():
    kernel = kernels.make_kernel("Gaussian blur", 5, 7)
    assert np.unravel_index(np.argmax(kernel), kernel.shape) == (2, 3)
    np.testing.assert_allclose(kernel, kernel[::-1, ::-1], atol=1e-7)
    assert kernel[2, 3] > kernel[2, 2] > kernel[2, 1]


@pytest.mark.parametrize(("finder", "other"), [("Sobel x", "Sobel y"), ("Prewitt x", "Prewitt y")])
def test_derivative_filters_find_edges_across_their_direction(finder, other):
    x_kernel = kernels.make_kernel(finder)
    y_kernel = kernels.make_kernel(other)
    vertical_response = convolve(VERTICAL_EDGE, x_kernel)
    assert np.abs(vertical_response).max() > 0
    assert np.abs(convolve(VERTICAL_EDGE, y_kernel)).max() == 0  # no horizontal edge there
    assert np.abs(convolve(HORIZONTAL_EDGE, y_kernel)).max() > 0
    assert np.abs(convolve(HORIZONTAL_EDGE, x_kernel)).max() == 0
    # The response sits on the edge (between columns 3 and 4), not on the flat parts.
    columns_with_response = np.nonzero(np.abs(vertical_response).sum(axis=0))[0]
    assert set(columns_with_response) <= {2, 3}


@pytest.mark.parametrize(("name", "total"), [("Laplacian", 0), ("Outline", 0), ("Sobel x", 0), ("Sharpen", 1), ("Emboss", 1)])
def test_flat_areas_go_to_zero_or_stay_the_same(name, total):
    kernel = kernels.make_kernel(name)
    assert kernel.sum() == pytest.approx(total)
    np.testing.assert_allclose(convolve(np.full((6, 6), 2.0), kernel), 2.0 * total)


def test_sharpen_makes_an_edge_overshoot():
    out = convolve(VERTICAL_EDGE, kernels.make_kernel("Sharpen"))
    assert out.max() > 9 and out.min() < 0


def test_three_by_three_presets_sit_in_the_middle_of_a_bigger_grid():
    small = kernels.make_kernel("Sobel x")
    big = kernels.make_kernel("Sobel x", 5, 7)
    np.testing.assert_array_equal(big[1:4, 2:5], small)
    assert np.count_nonzero(big) == np.count_nonzero(small)
    # Same edges found: the padded kernel's response equals the small one's on the interior.
    np.testing.assert_allclose(convolve(VERTICAL_EDGE, big), convolve(VERTICAL_EDGE, small)[1:-1, 2:-2])


def test_sizes_that_cannot_work_raise_a_sentence():
    with pytest.raises(KernelPresetError, match="Sobel x is a 3x3 kernel: choose at least 3x3"):
        kernels.make_kernel("Sobel x", 2, 3)
    with pytest.raises(KernelPresetError, match="between 1 and 11; got 12"):
        kernels.make_kernel("Box blur", 12, 3)
    with pytest.raises(KernelPresetError, match="no kernel preset"):
        kernels.make_kernel("Mexican hat")


def test_grid_from_table_treats_blank_cells_as_zero():
    grid = kernels.grid_from_table([[1, None, 3], [float("nan"), 5, 6]])
    np.testing.assert_array_equal(grid, [[1, 0, 3], [0, 5, 6]])
    assert grid.dtype == np.float32
    with pytest.raises(KernelPresetError, match=r"^Every cell of the grid must be a number\.$"):
        kernels.grid_from_table([["a", 1]])
    with pytest.raises(KernelPresetError, match=r"^The grid must be a non-empty table of rows and columns\.$"):
        kernels.grid_from_table([1, 2, 3])
    with pytest.raises(KernelPresetError, match=r"^Every cell of the grid must be a finite number\.$"):
        kernels.grid_from_table([[1, float("inf")]])


def test_example_grids():
    np.testing.assert_array_equal(kernels.example_grid("Classic 5x5 example"), kernels.CLASSIC_INPUT)
    for name in kernels.GRID_EXAMPLES[1:]:
        for size in (5, 9):
            grid = kernels.example_grid(name, size)
            assert grid.shape == (size, size)
            assert grid.min() >= 0 and np.all(grid == np.round(grid))
    np.testing.assert_array_equal(kernels.example_grid("Random digits", 7), kernels.example_grid("Random digits", 7))
    with pytest.raises(KernelPresetError):
        kernels.example_grid("Ramp", 10)


def test_numbers_from_text():
    np.testing.assert_array_equal(kernels.numbers_from_text("1, 2 -0.5,3"), [1, 2, -0.5, 3])
    with pytest.raises(KernelPresetError, match="numbers separated by commas"):
        kernels.numbers_from_text("1, two")
    with pytest.raises(KernelPresetError):
        kernels.numbers_from_text("  ")
    with pytest.raises(KernelPresetError, match="9 values or fewer"):
        kernels.numbers_from_text(", ".join(["1"] * 10), "kernel", longest=9)


def test_one_d_presets_and_rgb_patch():
    for values in kernels.KERNELS_1D.values():
        assert 1 <= len(values) <= 9
    signal = np.array(kernels.SIGNAL_EXAMPLES["Step"])
    difference = conv.conv1d(signal, kernels.KERNELS_1D["Difference [-1, 0, 1]"])
    assert np.count_nonzero(difference) == 4  # two samples around each of the two steps
    patch = kernels.example_rgb_patch(5)
    assert patch.shape == (3, 5, 5) and patch[0, 0, 0] == 9 and patch[2, 4, 0] == 8


def test_a_table_sent_with_rows_the_editor_cannot_add_is_refused_before_it_is_read():
    # A crafted client can send row additions to a fixed-size editor; the server applies them.
    grid = kernels.grid_from_table([[1, 2], [3, 4]], "input grid", shape=(2, 2))
    assert grid.shape == (2, 2)
    with pytest.raises(kernels.KernelPresetError, match=r"The input grid must keep its 5 x 5 cells; it was sent with 100000 rows\."):
        kernels.grid_from_table([[0] * 5] * 100_000, "input grid", shape=(5, 5))
    with pytest.raises(kernels.KernelPresetError, match=r"The kernel must keep its 3 x 3 cells; it was sent as 3 x 4\."):
        kernels.grid_from_table([[0] * 4] * 3, "kernel", shape=(3, 3))


def test_a_preset_caption_follows_the_kernel_size():
    """A 3x3 preset on a 5x5 grid says where its values sit; sized presets and 3x3 say what they teach."""
    assert kernels.caption("Classic X (worked example)", 5, 5).endswith(
        "At 5x5: its 3x3 values in the middle, zeros around them.")
    assert kernels.caption("Sobel x", 3, 5).endswith("At 3x5: its 3x3 values in the middle, zeros around them.")
    for name, size in (("Sobel x", (3, 3)), ("Box blur", (5, 5)), ("Sobel x", (2, 2))):  # 2x2: refused after
        assert kernels.caption(name, *size) == kernels.preset(name).teaches
    grid = kernels.make_kernel("Classic X (worked example)", 5, 5)
    assert grid[1:4, 1:4].tolist() == [[1, 0, 1], [0, 1, 0], [1, 0, 1]] and grid.sum() == 5  # zeros around
