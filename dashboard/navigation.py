"""The dashboard's pages, in menu order: one place that app.py and the home page both read.

Each entry says what the page teaches in one line; the home page lists them as links.
Icons are Material Symbols (no emoji font is installed on lecture machines).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageEntry:
    path: str  # relative to app.py (the repository root), as st.Page and switch_page read it
    title: str
    icon: str
    teaches: str
    # Never equal to a file name under pages/: until some session runs st.navigation, Streamlit
    # still serves pages/ the old way, so a first visit to /training would run
    # pages/training.py alone, without the router (tests/test_layout.py guards this).
    url_path: str


PAGES: tuple[PageEntry, ...] = (
    PageEntry(
        "pages/home.py",
        "Home",
        ":material/home:",
        "What cnnviz is, what this machine computes on, which datasets and trained models are ready.",
        "overview",
    ),
    PageEntry(
        "pages/conv_lab.py",
        "Convolution lab",
        ":material/grid_on:",
        "Slide a kernel over a photo or a grid: stride, padding, dilation, groups, transposed "
        "convolution and pooling, with the output-size formula in your own numbers.",
        "convolution",
    ),
    PageEntry(
        "pages/receptive_fields.py",
        "Receptive fields",
        ":material/center_focus_strong:",
        "See which part of the image a unit can see, layer by layer, on your own photo; count "
        "shapes, parameters, memory and multiply-adds from LeNet to ResNet.",
        "receptive-fields",
    ),
    PageEntry(
        "pages/training.py",
        "Training",
        ":material/model_training:",
        "Train a network live, watch loss, accuracy and the first-layer kernels change, stop it "
        "at any time, and compare learning rates.",
        "train",
    ),
    PageEntry(
        "pages/inside.py",
        "Inside a network",
        ":material/layers:",
        "Open a trained network on your own image: every layer's activations, its learned "
        "kernels, its predictions, what it looked at, and its confusion matrix with the mistakes.",
        "inside-a-network",
    ),
    PageEntry(
        "pages/feature_vis.py",
        "What a network looks for",
        ":material/auto_awesome:",
        "Ask a trained network for the pictures it likes best: one per class or channel by gradient "
        "ascent, DeepDream on your photo, and an image rebuilt from each layer's features.",
        "looks-for",
    ),
    PageEntry(
        "pages/adversarial.py",
        "Adversarial lab",
        ":material/bug_report:",
        "Flip a confident prediction with an invisible perturbation (FGSM, PGD), and draw "
        "accuracy against epsilon for a normal and a robust model.",
        "attacks",
    ),
)


def link_to(path: str) -> str:
    """A page file as st.page_link should name it from another page: absolute. Streamlit joins a
    relative one to the main script's folder, which is the repository under app.py but a temporary
    folder under a test's harness; an absolute path resolves the same under both."""
    return str(REPO / path)
