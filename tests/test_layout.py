"""The project's fixed layout, and the rule that cnnviz/ never imports streamlit."""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO


def _imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_library_never_imports_streamlit():
    offenders = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / "cnnviz").rglob("*.py"))
        if any(name.split(".")[0] == "streamlit" for name in _imported_modules(path))
    ]
    assert offenders == [], f"cnnviz/ must stay UI-free, but these import streamlit: {offenders}"


def test_the_streamlit_check_catches_an_import(tmp_path):
    # The check above must be able to fail: an indented, aliased import is still found.
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from streamlit import session_state as s\n    return s\n")
    assert "streamlit" in list(_imported_modules(module))


def test_fixed_layout_exists():
    for name in ["requirements.txt", "app.py", "pages", "cnnviz", "pretrained", "tests", ".streamlit"]:
        assert (REPO / name).exists(), name


def test_app_py_is_the_only_module_at_the_root():
    # Everything Streamlit-side lives in the dashboard package; a loose module at the root would
    # import only where the repository root happens to be on the path.
    assert sorted(path.name for path in REPO.glob("*.py")) == ["app.py"]


# A call that edits the import path, or an assignment to it: read as text, so that it is also found
# in the scripts tests hold in strings (AppTest scripts, subprocess code, format templates).
SYS_PATH_EDIT = re.compile(r"\bsys\.path(?:\.(?:insert|append|extend|remove)\(|\s*\+?=(?!=))")


def _edits_of_the_import_path(text):
    """Where a source text changes sys.path.

    Args:
        text: a Python file's text.

    Returns:
        The line numbers, one per edit.
    """
    return [text.count("\n", 0, match.start()) + 1 for match in SYS_PATH_EDIT.finditer(text)]


def test_no_code_edits_sys_path():
    # The project is installed (./dev.sh setup), so tests, benchmarks and AppTest scripts import
    # cnnviz and dashboard as they are, from any folder.
    sources = [REPO / "app.py", *(path for folder in ("cnnviz", "dashboard", "pages", "tests", "benchmarks")
                                 for path in sorted((REPO / folder).rglob("*.py")))]
    edits = [f"{path.relative_to(REPO)}:{line}" for path in sources
             for line in _edits_of_the_import_path(path.read_text())]
    assert edits == []


def test_the_sys_path_check_catches_an_edit_in_a_script_string():
    # Filled in here, so that this file holds no edit for the check above to find.
    template = 'SCRIPT = """\nimport sys\n{path}.insert(0, "/repo")\n"""\nimport sys\n{path} += ["x"]\n'
    code = template.format(path="sys." + "path")
    assert _edits_of_the_import_path(code) == [3, 6]


def test_the_installed_project_imports_from_any_folder(tmp_path):
    # What `pip install -e .` (./dev.sh setup) gives: the library and the dashboard package, and
    # nothing else of the repository (no pages, no tests).
    script = ("import importlib.util, cnnviz, dashboard.caches, dashboard.links, dashboard.testing.server\n"
              "print([importlib.util.find_spec(name) is None for name in ('app', 'pages', 'browser')])")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, "run ./dev.sh setup to install the project: " + done.stderr[-500:]
    assert done.stdout.strip() == "[True, True, True]"


def test_requirements_pin_torch_and_every_package():
    lines = [
        line.split("#")[0].strip()
        for line in (REPO / "requirements.txt").read_text().splitlines()
    ]
    pins = dict(line.split("==") for line in lines if line)
    assert pins["torch"] == "2.14.1"
    assert pins["torchvision"] == "0.29.1"
    for package in ["streamlit", "plotly", "pillow", "numpy", "altair", "captum"]:
        assert package in pins, f"{package} is not pinned"
    assert all("==" in line for line in lines if line), "every requirement is pinned exactly"


def test_streamlit_config_is_safe_for_a_lecture_hall():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert 1 <= config["server"]["maxUploadSize"] <= 200
    # No remote theme file, fonts or telemetry: a lecture hall may have no internet.
    assert "base" not in config["theme"] or not str(config["theme"]["base"]).startswith("http")


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of "#rrggbb"."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_both_themes_are_readable_on_a_projector(theme):
    # Projectors wash out contrast: text gets WCAG's AAA level (7:1) on both backgrounds, and the
    # accent colour (buttons, sliders, links) at least the AA level for text (4.5:1).
    colours = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["theme"][theme]
    for background in ("backgroundColor", "secondaryBackgroundColor"):
        assert _contrast(colours["textColor"], colours[background]) >= 7, background
    assert _contrast(colours["primaryColor"], colours["backgroundColor"]) >= 4.5


def test_every_navigation_entry_has_a_page_file():
    from dashboard import navigation

    paths = [entry.path for entry in navigation.PAGES]
    assert paths[0] == "pages/home.py"
    assert len(set(paths)) == len(paths)
    assert len({entry.url_path for entry in navigation.PAGES}) == len(paths)
    for entry in navigation.PAGES:
        # st.Page reads the path relative to app.py's folder, not to dashboard/ where it is written.
        assert (REPO / entry.path).is_file(), entry.path
        assert entry.teaches.strip(), entry.path


def test_no_url_path_equals_a_page_file_name():
    # A fresh server serves pages/ the legacy way until the router has run once; a URL equal to a
    # file stem would then skip app.py (and its page config) entirely.
    from dashboard import navigation

    stems = {path.stem for path in (REPO / "pages").glob("*.py")}
    assert {entry.url_path for entry in navigation.PAGES}.isdisjoint(stems)


def _cached_functions(path: Path):
    """(function name, bounded) for every st.cache_data / st.cache_resource decorated def in path;
    a bare decorator (no arguments) counts as unbounded."""
    for function in (n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)):
        for decorator in function.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            if isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource"):
                limited = bool(call and {k.arg for k in call.keywords} & {"max_entries", "ttl"})
                yield function.name, limited or not function.args.args


def test_every_streamlit_cache_has_a_limit_and_lives_in_dashboard_caches():
    # A lecture server runs for hours with a room of students: every cache is bounded, except
    # objects that take no arguments (the run manager), and all of them live in dashboard/caches/
    # so their limits can be read in one place.
    files = [REPO / "app.py", *(REPO / "pages").glob("*.py"), *(REPO / "dashboard").rglob("*.py")]
    found, unbounded, outside = [], [], []
    for path in files:
        for name, bounded in _cached_functions(path):
            found.append(name)
            if not bounded:
                unbounded.append(f"{path.name}:{name}")
            if "caches" not in path.relative_to(REPO).parts:
                outside.append(f"{path.relative_to(REPO)}:{name}")
    assert len(found) >= 15  # the walk sees the caches at all (20 when written)
    assert unbounded == []
    assert outside == []


def test_pages_are_views_without_torch():
    # A page turns widgets into a lesson's settings and draws its result: tensor maths lives in the
    # library, where it is tested against torch without a browser.
    for page in (REPO / "pages").glob("*.py"):
        imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(page.read_text()))
                    if isinstance(node, (ast.Import, ast.ImportFrom))
                    for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])}
        assert not imported & {"torch", "torchvision", "numpy"}, page.name


def test_no_module_of_the_library_or_the_dashboard_is_over_400_lines():
    # One idea per module: a file past this has grown a second one.
    long = {str(path.relative_to(REPO)): n for path in [*(REPO / "cnnviz").rglob("*.py"), *(REPO / "dashboard").rglob("*.py")]
            if (n := len(path.read_text().splitlines())) > 400}
    assert long == {}
