"""Does the server's memory stay bounded over a lecture? An hour of use, compressed.

A real server (dashboard.serve) is started with an empty CNNVIZ_HOME. The workload, in ``--rounds``
rounds: ``--sessions`` browser sessions (Streamlit websocket clients, dashboard/testing/websocket_client.py)
open at once, each opens every page ``--visits`` times with different settings (query
parameters: photo, stride, dilation, unit, test image, epsilon, ...), then closes. Every few
rounds a training run is started from the Training page while the round runs (a small CNN on
the digits, ``--epochs``; every other one is stopped after the round, the rest finish),
``--runs`` of them in all.

Printed: the server's resident memory (VmRSS) at start, after the first round (warm-up: imports,
datasets, models and caches filled once) and at the end; its training processes' memory
separately (each run is its own process, which returns its memory when it ends); open file
descriptors and threads; and the growth per 100 page renders over the second half of the
workload, from a least-squares line through the RSS after each round. With bounded caches it
is about flat: new settings evict old cache entries instead of adding to them. Baseline in the
same process: the same growth figure over the first half (warm-up included), for comparison.

With ``--post-script-gc on`` the server runs Streamlit's full garbage collection after every script
run again (dashboard.serve turns it off): run it both ways to see that the collection is not what
keeps memory flat.

    .venv/bin/python benchmarks/bench_memory.py [--rounds 10] [--sessions 3] [--visits 3] [--runs 4]
                                                [--post-script-gc on|off]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from dashboard.testing.server import DashboardServer
from dashboard.testing.websocket_client import (
    Render,
    StreamlitSession,
    dashboard_pages,
    start_training,
    stop_training,
    training_is_shown,
)

# The Training form's settings as a link (selectboxes are bound by their labels): a small CNN on the digits.
TRAINING = {"train_dataset": "Digits (8x8)", "train_model": "Configurable CNN"}
LINK_NOTE = "This link asked for settings"  # dashboard.links.LinkCheck's note: a setting fell back
PHOTOS = ("cat", "astronaut", "coffee", "camera", "coins", "rocket", "horse", "china", "flower")


def settings_query(url_path: str, rng: random.Random) -> str:
    """A random setting of the page's widgets, as the query string of a shared link."""
    if url_path == "convolution":
        values = {"conv_source": "Photo", "conv_photo": rng.choice(PHOTOS), "conv_stride": rng.randint(1, 3),
                  "conv_dilation": rng.randint(1, 3), "conv_kh": rng.choice((3, 5)), "conv_kw": rng.choice((3, 5))}
    elif url_path == "receptive-fields":
        values = {"rf_photo": rng.choice(PHOTOS), "rf_row": rng.randint(0, 6), "rf_col": rng.randint(0, 6)}
    elif url_path == "inside-a-network":
        values = {"inside_test_index": rng.randint(0, 200),
                  "inside_view": rng.choice(("Layer outputs", "Kernels", "Attribution"))}
    elif url_path == "attacks":
        values = {"adv_source": "A bundled photo", "adv_sample": rng.choice(PHOTOS), "adv_eps": rng.randint(1, 80)}
    else:
        values = {}
    return urlencode(values)


# -- what the server holds ------------------------------------------------------------------


def _status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (training runs)."""
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            stack += children
    return found


def sample(pid: int) -> dict:
    """Resident memory (MiB) of the server and of its child processes, its fds and threads."""
    children = 0.0
    for child in descendants(pid):
        try:
            children += _status_kb(child, "VmRSS") / 1024
        except OSError:  # it just ended
            pass
    return {"rss": _status_kb(pid, "VmRSS") / 1024, "hwm": _status_kb(pid, "VmHWM") / 1024,
            "anon": _status_kb(pid, "RssAnon") / 1024, "children": children,
            "fds": len(list(Path(f"/proc/{pid}/fd").iterdir())), "threads": _status_kb(pid, "Threads")}


def fd_kinds(pid: int) -> dict[str, int]:
    """Open file descriptors by kind: socket, pipe, anon_inode, or the file's folder."""
    kinds: dict[str, int] = {}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        kind = target.split(":")[0] if ":" in target else str(Path(target).parent)
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def slope_per_100(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of (renders, MiB) points, in MiB per 100 renders."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return 100 * sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


# -- the workload ---------------------------------------------------------------------------


def one_student(url: str, pages: list[str], visits: int, seed: int, renders: list[Render], lock) -> None:
    rng = random.Random(seed)
    mine = []
    try:
        with StreamlitSession(url) as session:
            for _ in range(visits):
                for url_path in rng.sample(pages, len(pages)):
                    mine.append(session.visit(url_path, settings_query(url_path, rng)))
    except Exception as error:  # counted as a failed render, not a crash of the benchmark
        mine.append(Render("?", exceptions=[f"{type(error).__name__}: {error}"]))
    with lock:
        renders.extend(mine)


def one_round(url: str, pages: list[str], sessions: int, visits: int, seed: int) -> list[Render]:
    renders: list[Render] = []
    lock = threading.Lock()
    threads = [threading.Thread(target=one_student, args=(url, pages, visits, seed * 100 + i, renders, lock))
               for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return renders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=3, help="students at once in a round")
    parser.add_argument("--visits", type=int, default=3, help="times each student opens every page per round")
    parser.add_argument("--runs", type=int, default=4, help="training runs over the whole workload")
    parser.add_argument("--epochs", type=int, default=20, help="of each training run")
    parser.add_argument("--post-script-gc", choices=("on", "off"),
                        help="Streamlit's runner.postScriptGC for the server (default: the server's own choice)")
    args = parser.parse_args()
    env = {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true" if args.post_script_gc == "on" else "false"} \
        if args.post_script_gc else {}

    pages = dashboard_pages()
    run_rounds = {round(i * args.rounds / args.runs) for i in range(args.runs)} if args.runs else set()
    with tempfile.TemporaryDirectory(prefix="cnnviz-bench-memory-") as home:
        server = DashboardServer(env={"CNNVIZ_HOME": home, **env})
        pid = server.process.pid
        try:
            start = sample(pid)
            print(f"server pid {pid}: {start['rss']:.0f} MiB at start, post-script GC "
                  f"{args.post_script_gc or 'as the server sets it'}")
            points, failed, total, runs, warnings = [], [], 0, [], 0
            began = time.perf_counter()
            for index in range(args.rounds):
                trainer = None
                if index in run_rounds:  # a run trains while this round's students browse
                    trainer = StreamlitSession(server.url).open("train")
                    start_training(trainer, urlencode(dict(TRAINING, train_epochs=args.epochs)))
                    during = sample(pid)["children"]
                renders = one_round(server.url, pages, args.sessions, args.visits, seed=index)
                if trainer is not None:
                    if len(runs) % 2:
                        stop_training(trainer)
                        runs.append(("stopped", during))
                    else:
                        while training_is_shown(trainer.rerun()):
                            time.sleep(1.0)
                        runs.append(("finished", during))
                    trainer.close()
                total += len(renders)
                failed += [r.problems for r in renders if not r.ok]
                warnings += sum(w.startswith(LINK_NOTE) for r in renders for w in r.warnings)
                now = sample(pid)
                points.append((total, now["rss"]))
                print(f"  round {index + 1:>2}: {total:>4} renders, server {now['rss']:6.0f} MiB "
                      f"({now['anon']:.0f} anonymous), children {now['children']:5.0f} MiB, {now['fds']} fds, "
                      f"{now['threads']} threads ({time.perf_counter() - began:.0f} s)", flush=True)
            time.sleep(5)  # closed sessions are cleaned up, ended runs' processes reaped
            end = sample(pid)
            end_fds = fd_kinds(pid)
        finally:
            server.stop()

    half = len(points) // 2
    print(f"\nResident memory of the server (MiB), {total} renders, {len(runs)} training runs:")
    print(f"  start {start['rss']:.0f}, after warm-up (round 1) {points[0][1]:.0f}, end {points[-1][1]:.0f}, "
          f"idle after the end {end['rss']:.0f}; peak (VmHWM) {end['hwm']:.0f}")
    print(f"  file descriptors {start['fds']} -> {end['fds']} ({end_fds}), "
          f"threads {start['threads']} -> {end['threads']}")
    print(f"  training processes while a run trained: "
          + ", ".join(f"{mib:.0f} MiB ({how})" for how, mib in runs)
          + f"; after the end: {end['children']:.0f} MiB")
    second, first = slope_per_100(points[half:]), slope_per_100(points[:half + 1])
    print(f"  growth per 100 renders: second half {second:+.1f} MiB; first half (baseline, warm-up "
          f"included) {first:+.1f} MiB; ratio {second / first if first else float('nan'):.2f}")
    print(f"  link warnings (a setting that fell back): {warnings}; failed renders: {len(failed)}")
    for problem in failed[:10]:
        print(f"    {problem[:300]}")


if __name__ == "__main__":
    main()
