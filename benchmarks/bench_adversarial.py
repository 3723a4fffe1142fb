"""How fast the Adversarial lab answers: the FGSM sweep over the test set, and one PGD attack.

Targets (issue 7): the sweep over all 10,000 Fashion-MNIST test images at 7 epsilons for LeNet-5
with FGSM under 15 s on a CPU; one 10-step PGD attack on one image within a second.

Baselines, timed in the same process:
    - the sweep against FGSM recomputed for every epsilon (cnnviz.adversarial.fgsm per epsilon)
      and against captum.robust.FGSM per epsilon: what reusing the gradient saves;
    - the sweep against one clean evaluation of the same images: what the attack costs;
    - one PGD attack against one FGSM attack on the same image.

The model is LeNet-5 with random weights: the time does not depend on what it learned.

    python benchmarks/bench_adversarial.py [--repeats 3] [--images 10000] [--device cpu] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch

from cnnviz import adversarial, data, devices
from cnnviz.models import get_model

SWEEP_TARGET_S = 15.0
PGD_TARGET_S = 1.0
BATCH = 1000


def median_seconds(run, repeats: int, device: torch.device) -> float:
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        run()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def clean_evaluation(model, images_uint8, labels, device):
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(images_uint8), BATCH):
            x = images_uint8[start : start + BATCH].to(device).float() / 255
            correct += int((model(x).argmax(1) == labels[start : start + BATCH].to(device)).sum())
    return correct


def fgsm_per_epsilon(model, images_uint8, labels, device, epsilons):
    """The straightforward sweep: a fresh FGSM (gradient included) for every epsilon."""
    correct = [0] * len(epsilons)
    for start in range(0, len(images_uint8), BATCH):
        x = images_uint8[start : start + BATCH].to(device).float() / 255
        y = labels[start : start + BATCH].to(device)
        for k, eps in enumerate(epsilons):
            with torch.no_grad():
                correct[k] += int((model(adversarial.fgsm(model, x, y, eps)).argmax(1) == y).sum())
    return correct


def captum_per_epsilon(model, images_uint8, labels, device, epsilons):
    """The same with captum.robust.FGSM (zero_thresh 0 so that it follows the formula)."""
    from captum.robust import FGSM

    attack = FGSM(model, loss_func=lambda logits, y: torch.nn.functional.cross_entropy(logits, y, reduction="none"),
                  lower_bound=0.0, upper_bound=1.0)
    attack.zero_thresh = 0.0
    correct = [0] * len(epsilons)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Input Tensor 0 did not already require gradients"
        for start in range(0, len(images_uint8), BATCH):
            x = images_uint8[start : start + BATCH].to(device).float() / 255
            y = labels[start : start + BATCH].to(device)
            for k, eps in enumerate(epsilons):
                x_adv = attack.perturb(x, eps, y)
                with torch.no_grad():
                    correct[k] += int((model(x_adv).argmax(1) == y).sum())
    return correct


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--device", default="cpu", help='"cpu", "cuda" or "auto"')
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--skip-baselines", action="store_true", help="time only the targets")
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    device = devices.pick_device(args.device)
    test = data.load_dataset("fashion-mnist")
    images, labels = test.test_images[: args.images], test.test_labels[: args.images]
    torch.manual_seed(0)
    model = get_model("lenet5").to(device).eval()
    epsilons = adversarial.TUTORIAL_EPSILONS
    print(f"{devices.describe_device(device)}, torch {torch.__version__}, {len(images):,} images, "
          f"{len(epsilons)} epsilons, median of {args.repeats}")

    # Warm up (first calls pay for kernel selection and allocation).
    adversarial.sweep(model, images[:BATCH], labels[:BATCH], epsilons, "fgsm", BATCH, device)

    sweep_s = median_seconds(lambda: adversarial.sweep(model, images, labels, epsilons, "fgsm", BATCH, device),
                             args.repeats, device)
    verdict = "ok" if sweep_s < SWEEP_TARGET_S else "OVER"
    print(f"FGSM sweep (gradient reused)      {sweep_s:8.2f} s   target < {SWEEP_TARGET_S:.0f} s: {verdict}")
    if not args.skip_baselines:
        clean_s = median_seconds(lambda: clean_evaluation(model, images, labels, device), args.repeats, device)
        naive_s = median_seconds(lambda: fgsm_per_epsilon(model, images, labels, device, epsilons),
                                 args.repeats, device)
        captum_s = median_seconds(lambda: captum_per_epsilon(model, images, labels, device, epsilons),
                                  args.repeats, device)
        print(f"one clean evaluation              {clean_s:8.2f} s   sweep / clean    = {sweep_s / clean_s:5.1f}x")
        print(f"fgsm() again for every epsilon    {naive_s:8.2f} s   naive / sweep    = {naive_s / sweep_s:5.1f}x")
        print(f"captum FGSM for every epsilon     {captum_s:8.2f} s   captum / sweep   = {captum_s / sweep_s:5.1f}x")

    one = test.test_images[:1].to(device).float() / 255  # (1, C, H, W)
    label = int(test.test_labels[0])
    adversarial.attack_image(model, one, method="pgd", eps=0.1, label=label, steps=10)  # warm up
    pgd_s = median_seconds(
        lambda: adversarial.attack_image(model, one, method="pgd", eps=0.1, label=label, steps=10),
        max(args.repeats, 5), device,
    )
    fgsm_s = median_seconds(
        lambda: adversarial.attack_image(model, one, method="fgsm", eps=0.1, label=label),
        max(args.repeats, 5), device,
    )
    verdict = "ok" if pgd_s < PGD_TARGET_S else "OVER"
    print(f"PGD, 10 steps, one image          {pgd_s * 1000:8.1f} ms  target < {PGD_TARGET_S * 1000:.0f} ms: {verdict}")
    print(f"FGSM, one image                   {fgsm_s * 1000:8.1f} ms  PGD / FGSM       = {pgd_s / fgsm_s:5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
