"""What a crafted client costs the server: a rerun flood, and checkpoints built to be expensive.

1. Rerun flood. A real server (dashboard.serve, empty CNNVIZ_HOME) and one bystander session.
   Baseline, in the same run: the bystander's Home render alone (median of ``--alone-repeats``).
   Then ``--tabs`` sessions on the Receptive fields page (its first render is the heaviest) each
   send ``--reruns`` rerun requests back to back, and the bystander opens Home at once. Printed:
   the bystander's render during the flood and its ratio to alone, the slowest /_stcore/health
   answer, how long until the server answers normally again, and the server's peak RSS (VmHWM).
2. Checkpoints. Each file is opened with load_checkpoint in a fresh child process, as the Home
   page's upload does, and the child's time and peak-RSS rise are printed. Baseline, in the same
   run: the shipped LeNet-5 checkpoint (each child loads it once first, so imports are not
   timed). The crafted files: a small_cnn claiming 8192 px inputs
   (6 KB, a few GB per forward pass if accepted), and a zip whose DEFLATE-compressed record claims
   ``--bomb-gib`` GiB.

    .venv/bin/python benchmarks/bench_hostile.py [--tabs 6] [--reruns 300] [--alone-repeats 5]
                                                 [--bomb-gib 1] [--skip-flood] [--skip-checkpoints]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from cnnviz import paths
from dashboard.testing.crafted_files import zip_bomb

FLOOD_PAGE = "receptive-fields"
BASELINE = paths.PRETRAINED_DIR / "lenet5-fashion-mnist.pt"


def _vmhwm_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


def _health_seconds(url: str, timeout: float) -> float:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as response:
            response.read()
    except OSError:
        return timeout
    return time.perf_counter() - start


def flood(tabs: int, reruns: int, alone_repeats: int, cap: float = 300.0) -> None:
    from dashboard.testing.server import DashboardServer
    from dashboard.testing.websocket_client import StreamlitSession

    with tempfile.TemporaryDirectory() as home:
        server = DashboardServer(env={"CNNVIZ_HOME": home})
        try:
            floods = [StreamlitSession(server.url, timeout=cap).open(FLOOD_PAGE) for _ in range(tabs)]
            for session in floods:
                session.visit(FLOOD_PAGE)
            bystander = StreamlitSession(server.url, timeout=cap).open("")
            bystander.visit("")
            alone = statistics.median(bystander.visit("").seconds for _ in range(alone_repeats))

            latencies, done = [], threading.Event()

            def watch() -> None:
                while not done.is_set():
                    latencies.append(_health_seconds(server.url, cap))
                    time.sleep(0.2)

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            began = time.perf_counter()
            for session in floods:
                session.send_reruns(reruns)
            try:
                during = f"{bystander.visit('').seconds:.2f} s"
                ratio = f"{float(during[:-2]) / alone:.1f}x"
            except Exception as error:  # the server dropped the bystander: that is the figure
                during, ratio = f"no answer ({type(error).__name__})", "-"
            while time.perf_counter() - began < cap and _health_seconds(server.url, cap) > 0.05:
                time.sleep(0.2)
            settled = time.perf_counter() - began
            done.set()
            watcher.join(timeout=cap)
            print(f"rerun flood: {tabs} tab(s) x {reruns} reruns")
            print(f"  bystander's Home alone (median of {alone_repeats}): {alone:.2f} s")
            print(f"  bystander's Home during the flood: {during} ({ratio} alone)")
            print(f"  slowest /_stcore/health answer: {max(latencies):.2f} s; answering normally "
                  f"{settled:.1f} s after the flood began")
            print(f"  server peak RSS: {_vmhwm_mb(server.process.pid)} MB")
        finally:
            server.stop()


_OPEN_IN_CHILD = """
import json, sys, time
def hwm():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) // 1024
from cnnviz.models import CheckpointError, load_checkpoint
load_checkpoint(sys.argv[2])  # warm-up: the first load imports and builds what every load needs
data = open(sys.argv[1], 'rb').read()
before, start = hwm(), time.perf_counter()
try:
    load_checkpoint(data)
    outcome = 'loaded'
except CheckpointError as error:
    outcome = 'refused: ' + str(error)
print(json.dumps({'seconds': time.perf_counter() - start, 'rise_mb': hwm() - before, 'outcome': outcome}))
"""


def _open_in_child(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _OPEN_IN_CHILD, str(path), str(BASELINE)], capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        return {"seconds": float("nan"), "rise_mb": -1, "outcome": f"the process died ({done.returncode})"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _crafted_checkpoints(folder: Path, bomb_gib: float) -> dict[str, Path]:
    import torch

    from cnnviz.models import get_model, save_checkpoint

    torch.manual_seed(0)
    huge = folder / "small-cnn-8192px.pt"
    save_checkpoint(huge, get_model("small_cnn", global_pool=True, input_size=8192, channels=[1]),
                    classes=[f"class {i}" for i in range(10)])
    bomb = zip_bomb(huge, folder / "zip-bomb.pt", int(bomb_gib * 2**30))
    return {"small_cnn claiming 8192 px inputs": huge, f"zip bomb claiming {bomb_gib:g} GiB": bomb}


def checkpoints(bomb_gib: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        files = {"shipped LeNet-5 (baseline)": BASELINE}
        files.update(_crafted_checkpoints(Path(folder), bomb_gib))
        print("checkpoints, each opened in a fresh process:")
        baseline = None
        for name, path in files.items():
            result = _open_in_child(path)
            baseline = baseline or result
            ratio = result["seconds"] / baseline["seconds"] if baseline["seconds"] else float("nan")
            print(f"  {name} ({path.stat().st_size / 1024:,.0f} KB): {result['seconds'] * 1000:.1f} ms "
                  f"({ratio:.2f}x the baseline), peak RSS +{result['rise_mb']} MB; {result['outcome'][:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tabs", type=int, default=6)
    parser.add_argument("--reruns", type=int, default=300)
    parser.add_argument("--alone-repeats", type=int, default=5)
    parser.add_argument("--bomb-gib", type=float, default=1.0)
    parser.add_argument("--skip-flood", action="store_true")
    parser.add_argument("--skip-checkpoints", action="store_true")
    args = parser.parse_args()
    if not args.skip_checkpoints:
        checkpoints(args.bomb_gib)
    if not args.skip_flood:
        flood(args.tabs, args.reruns, args.alone_repeats)


if __name__ == "__main__":
    main()
