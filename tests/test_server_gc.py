"""The server starts with garbage collection off the clicks (dashboard.serve.keep_collections_cheap).

Each check runs dashboard.serve's real start-up in a child process, as `python -m dashboard.serve`
would, with Streamlit's last step (bootstrap.run, which starts the server) replaced by a probe
that reads the configuration Streamlit ended up with.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROBE = """
import gc, json
from unittest import mock
from streamlit import config
from streamlit.web import bootstrap
from dashboard import serve

seen = {}
def probe(main_script_path, is_hello, args, flag_options):
    seen.update(post_script_gc=config.get_option("runner.postScriptGC"), frozen=gc.get_freeze_count(),
                script=main_script_path)
with mock.patch.object(bootstrap, "run", probe):
    try:
        serve.main(["--server.headless", "true"])
    except SystemExit:
        pass
print(json.dumps(seen))
"""


def start_up(cwd: Path, **env: str) -> dict:
    """What Streamlit's configuration says once serve's start-up has run from `cwd`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    environ["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=cwd, env={**environ, **env},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_server_runs_no_full_collection_after_each_script_run(tmp_path):
    seen = start_up(tmp_path)  # not the repository: the setting must not depend on its config file
    assert seen["script"] == str(REPO / "app.py")
    assert seen["post_script_gc"] is False
    # torch alone brings ~300,000 tracked objects; all of them are out of later collections
    assert seen["frozen"] > 200_000


def test_a_caller_can_still_turn_the_collection_on(tmp_path):
    """benchmarks/bench_memory.py --post-script-gc on compares memory with Streamlit's default."""
    assert start_up(tmp_path, STREAMLIT_RUNNER_POST_SCRIPT_GC="true")["post_script_gc"] is True


def test_streamlit_run_app_py_reads_the_setting_from_the_config_file():
    probe = ("from streamlit import config; config._main_script_path = 'app.py'; "
             "config.get_config_options(force_reparse=True); print(config.get_option('runner.postScriptGC'))")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=environ, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stderr
