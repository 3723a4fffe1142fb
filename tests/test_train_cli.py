"""python -m cnnviz.train: a real subprocess on the digits; its last line is JSON and its checkpoint loads."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(args, tmp_path):
    env = {**os.environ, "CNNVIZ_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "cnnviz.train", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)


def test_cli_trains_writes_the_checkpoint_and_ends_with_a_json_line(tmp_path):
    from cnnviz.models import load_checkpoint

    out = tmp_path / "nested" / "digits.pt"
    result = _run(["--dataset", "digits", "--model", "small_cnn", "-m", "channels=[8]", "-m", "convs_per_block=1",
                   "--epochs", "2", "--batch-size", "64", "--lr", "0.003", "--schedule", "one-cycle",
                   "--flip", "--device", "cpu", "--out", str(out), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "finished"
    assert summary["epochs"] == 2 and summary["batch_size"] == 64 and summary["steps"] == 46
    assert summary["device"].startswith("CPU")
    assert summary["images_per_second"] > 0 and summary["seconds"] > 0
    assert summary["checkpoint"] == str(out)
    model = load_checkpoint(out)
    assert model.config["channels"] == [8]
    assert model.meta["test_accuracy"] == summary["test_accuracy"] > 0.5
    assert model.meta["config"]["augment"]["flip"] is True and model.meta["config"]["schedule"] == "one-cycle"
    assert "%" in result.stderr and "epoch 2:" in result.stderr  # tqdm bar and epoch lines
    assert [p.name for p in out.parent.iterdir()] == ["digits.pt"]  # no temporary file left behind


def test_cli_without_out_saves_into_the_runs_folder_and_reports_failure_with_a_sentence(tmp_path):
    result = _run(["--dataset", "digits", "--model", "lenet5", "--epochs", "1", "--json", "--no-progress"], tmp_path)
    assert result.returncode == 1
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "failed" and "input_size" in summary["message"]
    assert "Traceback" not in result.stderr
    result = _run(["--dataset", "digits", "-m", "channels=[4]", "-m", "convs_per_block=1", "--epochs", "1",
                   "--device", "cpu", "--no-progress"], tmp_path)
    assert result.returncode == 0, result.stderr
    saved = list((tmp_path / "home" / "runs").glob("*/model.pt"))
    assert len(saved) == 1 and "small_cnn-digits" in saved[0].parent.name


def test_cli_transfer_flags_reuse_a_checkpoints_frozen_features(tmp_path):
    import torch

    from cnnviz.models import load_checkpoint

    source = REPO / "pretrained" / "lenet5-fashion-mnist.pt"
    out = tmp_path / "reused.pt"
    result = _run(["--dataset", "digits-28", "--model", "lenet5", "--transfer-from", str(source), "--freeze", "features",
                   "--train-images", "50", "--epochs", "1", "--batch-size", "16", "--lr", "0.01", "--device", "cpu",
                   "--out", str(out), "--json", "--no-progress"], tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["dataset"] == "digits-28" and summary["steps"] == 4  # 50 images, batches of 16
    assert (summary["config"]["transfer_from"], summary["config"]["freeze"], summary["config"]["train_images"]) == (
        str(source), "features", 50)
    model, original = load_checkpoint(out), load_checkpoint(source)
    assert model.meta["transfer"]["from"] == "lenet5-fashion-mnist"
    assert all(torch.equal(value, original.state_dict()[key]) for key, value in model.state_dict().items()
               if key.startswith("features."))
    refused = _run(["--dataset", "digits-28", "--model", "lenet5", "--freeze", "features", "--epochs", "1",
                    "--out", str(tmp_path / "no.pt"), "--no-progress"], tmp_path)
    assert refused.returncode == 1
    assert "Freezing the features needs a trained network to take them from (transfer_from)." in refused.stdout
    helped = _run(["--help"], tmp_path)
    assert "--transfer-from CHECKPOINT" in helped.stdout and "--freeze {none,features}" in helped.stdout
    assert "--train-images N" in helped.stdout
