"""Adversarial lab: flip a confident prediction with a tiny perturbation, then measure accuracy
against epsilon over the test set, for two models at once (FGSM, PGD)."""

from __future__ import annotations

import streamlit as st

from cnnviz import adversarial, data, images, paths
from cnnviz.figures import adversarial_figures as figs
from cnnviz.model_ref import ModelRef
from cnnviz.models import CheckpointError
from dashboard import caches, links, presentation
from dashboard.caches import adversarial as adversarial_cache
from dashboard.markup import escape

METHOD_NAMES = {"FGSM": "fgsm", "PGD": "pgd"}
EPSILON_SETS = {
    "The tutorial's: 0, 0.05, 0.10, ..., 0.30": adversarial.TUTORIAL_EPSILONS,
    "Small: 0, 1/255, 2/255, 4/255, 8/255, 16/255": (0.0, 1 / 255, 2 / 255, 4 / 255, 8 / 255, 16 / 255),
}
SOURCES = ("A test image", "A bundled photo", "Your own photo")

st.title("Adversarial lab")
st.markdown(
    "A network that is right 90% of the time can be fooled by a change to the image that you can "
    "hardly see. The **Fast Gradient Sign Method** asks the network which way each pixel should move "
    "to make its loss grow, and moves every pixel by the same small amount ε in that direction:"
)
st.latex(
    r"x_{\mathrm{adv}} = \operatorname{clip}\big(x + \varepsilon \cdot "
    r"\operatorname{sign}(\nabla_x \mathcal{L}(f(x), y)),\ 0,\ 1\big)"
)
st.markdown(
    "Pixels are in [0, 1], so ε = 8/255 ≈ 0.031 means no pixel changes by more than 8 of its 255 grey "
    "levels. **PGD** (projected gradient descent) repeats smaller FGSM steps of size α and after each "
    "one clips the change back into [−ε, ε]: a stronger attack with the same budget. A **targeted** "
    "attack steps *down* the loss of a class you choose, pulling the prediction towards it."
)
st.info(
    "**Try this first:** attack a test image with FGSM at ε = 26/255 ≈ 0.1. The prediction usually "
    "flips, though you still see the same piece of clothing. Then lower ε to find the smallest change "
    "that still fools the network, switch to PGD (it succeeds at a much smaller ε), and run the sweep "
    "below to see the whole test set fall.",
    icon=":material/lightbulb:",
)

models, problems = caches.trained_models(caches.session_uploads())
for problem in problems:
    st.caption(f"Skipped a checkpoint: {escape(problem)}")
if not models:
    st.info(
        "No trained model is available yet. Train one on the Training page (a LeNet-5 on "
        "Fashion-MNIST takes a minute), or upload a checkpoint on the Home page, then come back."
    )
    st.page_link("pages/training.py", label="Go to the Training page", icon=":material/model_training:")
    st.stop()



def short_names(found) -> dict[str, str]:
    """A distinct short name per checkpoint for legends and tabs: the file's stem, or the run's
    folder for runs/<id>/model.pt, numbered when two coincide."""
    names: dict[str, str] = {}
    for m in found:
        base = paths.run_id_of(m.path) or m.path.stem
        name, number = base, 2
        while name in names.values():
            name, number = f"{base} ({number})", number + 1
        names[m.key] = name
    return names


names = short_names(models)
by_path = {m.key: m for m in models}
labels = {m.key: m.label for m in models}  # the one label every page's menu shows
refs: dict[str, ModelRef] = {}  # catalog key -> the file as loaded, for every cache call after load()


def load(path: str):
    """The network for a checkpoint path, or None after showing a sentence."""
    try:
        refs[path] = ModelRef.checkpoint(by_path[path])
        return caches.checkpoint_network(refs[path])
    except (CheckpointError, OSError) as err:
        st.error(escape(f"{by_path[path].path.name} cannot be used: {err}"))
        return None


def load_test_set(dataset: str):
    """The model's dataset, or None (with the reason) when it is not on this machine."""
    if not dataset:
        return None, "This checkpoint does not say which dataset it was trained on."
    try:
        return data.load_dataset(dataset), ""
    except (data.DatasetUnavailable, ValueError) as err:
        return None, str(err)


def epsilon_words(eps: float) -> str:
    return f"{eps:.3f} in [0, 1] = {eps * 255:.1f}/255"


# ---------------------------------------------------------------------------------------------
# One image

st.header("Attack one image")
model_path = st.selectbox("Model", list(labels), format_func=labels.get, key="adv_model", bind=links.BIND)
model = load(model_path)
if model is not None:
    classes = list(model.classes)
    channels, height, width = model.input_shape
    test_set, test_problem = load_test_set(by_path[model_path].dataset)
    if test_set is not None and tuple(test_set.test_images.shape[1:]) != tuple(model.input_shape):
        test_set, test_problem = None, (
            f"This model takes {channels} x {height} x {width} images but its dataset's are "
            f"{' x '.join(map(str, test_set.test_images.shape[1:]))}; use a photo instead."
        )

    picture_col, attack_col = st.columns([1, 1], gap="large")
    with picture_col:
        source = st.radio("Image", SOURCES, horizontal=True, key="adv_source", bind=links.BIND)
        image, label, note = None, None, ""
        if source == "A test image" and test_set is None:
            st.warning(escape(f"The test set is not available: {test_problem}"))
        elif source == "A test image":
            wanted = st.selectbox("Class", range(len(classes)), format_func=lambda k: classes[k], key="adv_class", bind=links.BIND)
            positions = (test_set.test_labels == wanted).nonzero().flatten()  # test-set indices of that class
            if len(positions) == 0:
                st.warning(escape(f"The test set has no {classes[wanted]}; pick another class."))
            else:
                # One widget per class: classes of different sizes must not share a bounded value.
                which = st.number_input(escape(f"Which {classes[wanted]} (0 to {len(positions) - 1})"), 0,
                                        len(positions) - 1, 0, key=f"adv_which_{wanted}", bind=links.BIND)
                index = int(positions[int(which)])
                image = data.to_float(test_set.test_images[index : index + 1])  # (1, C, H, W)
                label = wanted
                note = f"Test image {index} of {len(test_set.test_labels):,}; its true class is {classes[wanted]}."
        else:
            white_on_black = False
            if by_path[model_path].dataset:
                try:
                    white_on_black = data.dataset_info(by_path[model_path].dataset).white_on_black
                except ValueError:
                    pass
            photo = None
            try:
                if source == "A bundled photo":
                    name = st.selectbox("Photo", images.sample_image_names(), key="adv_sample", bind=links.BIND)
                    photo = caches.sample_image(name)
                else:
                    upload = st.file_uploader("A photo (PNG, JPEG, ...)",
                                              key="adv_upload")
                    if upload is None:
                        st.caption("Upload a photo to attack it.")
                    else:
                        photo = caches.uploaded_image(upload.getvalue())
                if photo is not None:
                    prepared = images.prepare_for_model(
                        photo, channels=channels, size=(height, width), invert="auto" if white_on_black else False
                    )
                    image, note = prepared.tensor, prepared.note + (
                        " A photo has no known true class, so the attack pushes the image away from "
                        "the network's own prediction."
                    )
            except images.ImageError as err:
                st.error(str(err))
        if note:
            st.caption(escape(note))  # names a class of the checkpoint

    with attack_col:
        method = METHOD_NAMES[st.radio("Attack", list(METHOD_NAMES), horizontal=True, key="adv_method", bind=links.BIND)]
        eps_steps = st.slider("ε, the largest change of any pixel, in 1/255 steps", 0, 80, 26,
                              format="%d/255", key="adv_eps", bind=links.BIND)
        eps = eps_steps / 255
        st.caption(f"ε = {eps_steps}/255 = {eps:.4f} in [0, 1] pixel units.")
        steps, step_fraction, random_start = 10, 0.25, True
        if method == "pgd":
            with presentation.secondary("PGD settings"):
                steps = st.slider("PGD steps", 1, 50, 10, key="adv_steps", bind=links.BIND)
                step_fraction = st.select_slider("Step size α", [0.05, 0.1, 0.25, 0.5, 1.0], 0.25,
                                                 format_func=lambda f: f"{f:g} x ε", key="adv_alpha",
                                                 bind=links.BIND)
                random_start = st.checkbox("Start from a random point within ε", True, key="adv_random_start",
                                           bind=links.BIND)
                st.caption(f"α = {step_fraction:g} x ε = {epsilon_words(step_fraction * eps)} per step.")
        targeted = st.toggle("Targeted: pull the prediction towards a class", key="adv_targeted", bind=links.BIND)
        target = None
        if targeted:
            target = st.selectbox("Target class", range(len(classes)), index=min(1, len(classes) - 1),
                                  format_func=lambda k: classes[k], key="adv_target", bind=links.BIND)

    if image is not None:
        try:
            result = adversarial_cache.attack(
                refs[model_path], caches.image_hash(image), image,
                method, eps, label, target, steps, step_fraction * eps if eps > 0 else None, random_start,
            )
        except adversarial.AttackError as err:
            st.error(str(err))
            result = None
        if result is not None:
            before, after = result.prediction_before, result.prediction_after
            p_before, p_after = result.probabilities_before[before], result.probabilities_after[after]
            fooled = after != result.label if target is None else after == target
            verdict = "fooled" if fooled else "held"
            cols = st.columns(4)
            quiet = {"delta_color": "off", "delta_arrow": "off"}
            # Metric values are markdown, and class names come from the checkpoint.
            cols[0].metric("Prediction before", escape(classes[before]), f"{p_before:.1%} sure", **quiet)
            cols[1].metric("Prediction after", escape(classes[after]), f"{p_after:.1%} sure ({verdict})",
                           delta_color="red" if fooled else "green", delta_arrow="off")
            cols[2].metric("L∞ size of the change", f"{result.linf:.4f}", f"{result.linf * 255:.1f}/255", **quiet)
            cols[3].metric("L2 size of the change", f"{result.l2:.3f}", f"over {result.original.size:,} values",
                           **quiet)
            presentation.plot(
                figs.attack_figure(
                    result.original, result.adversarial, eps,
                    original_caption=f"{classes[before]}, {p_before:.0%}",
                    adversarial_caption=f"{classes[after]}, {p_after:.0%}",
                ),
                width="stretch", key="adv_attack_figure",
            )
            st.caption(
                "The middle picture makes the change visible: it is amplified so that the largest "
                "allowed change, ε, becomes pure white (+ε) or black (−ε); grey pixels did not move. "
                "Unamplified, it is the difference between the two outer pictures. At 0.1 you may "
                "see faint noise; at 8/255 or less you will hardly see anything, and PGD still "
                "fools the network often."
            )
            presentation.plot(
                figs.probability_change_figure(
                    result.probabilities_before, result.probabilities_after, classes,
                    label=result.label if label is not None else None, target=target,
                ),
                width="stretch", key="adv_probability_figure",
            )
            st.download_button(
                "Download the adversarial image (PNG)", figs.png_bytes(result.adversarial),
                file_name=f"adversarial-{method}-eps{eps_steps}of255.png", mime="image/png",
                icon=":material/download:", key="adv_download",
            )
            st.caption(
                "A PNG stores 8-bit pixels, so every value is rounded to the nearest 1/255: a change "
                "smaller than half a step is lost on the way to the file."
            )


# ---------------------------------------------------------------------------------------------
# The sweep

st.header("Accuracy against ε over the test set")
st.markdown(
    "One image is an anecdote. Here every test image is attacked at each ε, and the accuracy that "
    "is left is drawn as a curve, for two models at once: compare a normal model with one trained "
    "on adversarial examples (an option on the Training page). The dotted grey curve is the PyTorch "
    "FGSM tutorial's LeNet on MNIST, for comparison."
)
paths = list(labels)
left, right = st.columns(2)
with left:
    first = st.selectbox("First model", paths, format_func=labels.get, key="adv_sweep_a", bind=links.BIND)
    second_options = ["none"] + [p for p in paths if p != first]
    second = st.selectbox("Second model", second_options, index=min(1, len(second_options) - 1),
                          format_func=lambda p: "(none)" if p == "none" else labels[p], key="adv_sweep_b", bind=links.BIND)
    chosen_methods = st.multiselect("Attacks", list(METHOD_NAMES), ["FGSM"], key="adv_sweep_methods", bind=links.BIND)
    eps_set = st.radio("ε values", list(EPSILON_SETS), key="adv_sweep_eps", bind=links.BIND)
with right:
    fgsm_images = st.number_input("Test images for FGSM", 100, 10_000, 10_000, step=100, key="adv_sweep_fgsm_n", bind=links.BIND)
    pgd_images = st.number_input("Test images for PGD (10 steps each: about 10 times slower)", 100, 10_000, 1_000,
                                 step=100, key="adv_sweep_pgd_n", bind=links.BIND)
    show_reference = st.checkbox("Show the tutorial's curve (MNIST LeNet, FGSM)", True, key="adv_sweep_reference", bind=links.BIND)
    st.caption("PGD here uses 10 steps of α = 2.5ε/10 from a random start (Madry et al.).")
    run = st.button("Run the sweep", type="primary", icon=":material/play_arrow:", key="adv_sweep_run")

if run:
    st.session_state["adv_sweep_settings"] = {
        "models": [p for p in (first, second) if p != "none"],
        "methods": [METHOD_NAMES[m] for m in chosen_methods],
        "epsilons": tuple(EPSILON_SETS[eps_set]),
        "sizes": {"fgsm": int(fgsm_images), "pgd": int(pgd_images)},
    }

settings = st.session_state.get("adv_sweep_settings")
if settings and not settings["methods"]:
    st.warning("Choose at least one attack.")
elif settings:
    jobs, datasets = [], {}
    for path in settings["models"]:
        if path not in by_path:
            continue  # a checkpoint that has since disappeared
        network = load(path)
        if network is None:
            continue
        dataset = by_path[path].dataset
        if not dataset:
            st.error(escape(f"{by_path[path].path.name} does not say which dataset it was trained on, so it cannot be swept."))
            continue
        datasets[path] = dataset
        jobs += [(path, method) for method in settings["methods"]]
    if len(set(datasets.values())) > 1:
        st.warning(
            "The two models were trained on different datasets ("
            + " and ".join(escape(name) for name in sorted(set(datasets.values())))
            + "), so each is measured on its own test set: compare the curves with care."
        )
    bar = st.progress(0.0, text="Attacking the test set...") if run and jobs else None
    results = []
    for number, (path, method) in enumerate(jobs):
        report = None
        if bar is not None:
            text = f"Attacking the test set: {escape(names[path])}, {method.upper()} ({number + 1} of {len(jobs)})"
            report = adversarial_cache.progress(bar, number / len(jobs), 1 / len(jobs), text)
        try:
            sweep = adversarial_cache.sweep(
                refs[path], datasets[path], settings["sizes"][method],
                settings["epsilons"], method, _progress=report,
            )
            results.append((path, sweep))
        except (data.DatasetUnavailable, adversarial.AttackError, OSError) as err:
            st.error(escape(f"{by_path[path].path.name}: {err}"))
    if bar is not None:
        bar.empty()
    if results:
        curves = [
            figs.AccuracyCurve(names[path], sweep.method, sweep.epsilons, sweep.accuracy, sweep.num_images)
            for path, sweep in results
        ]
        presentation.plot(
            figs.accuracy_curves_figure(curves, adversarial.TUTORIAL_FGSM_CURVE if show_reference else None),
            width="stretch", key="adv_curves",
        )
        st.dataframe(
            [
                {
                    "Model": names[path],
                    "Attack": sweep.method.upper(),
                    "ε": f"{eps:.3f}",
                    "ε (/255)": f"{eps * 255:.1f}",
                    "Accuracy": f"{acc:.1%}",
                    "Attack success (of those right before)": f"{success:.1%}",
                    "Mean confidence": f"{confidence:.1%}",
                    "Images": sweep.num_images,
                }
                for path, sweep in results
                for eps, acc, success, confidence in zip(
                    sweep.epsilons, sweep.accuracy, sweep.success_rate, sweep.mean_confidence
                )
            ],
            hide_index=True, width="stretch",
        )
        st.subheader("The same test images at each ε")
        st.caption("Each title is the network's prediction and its confidence: green while it is right, red once fooled.")
        tabs = st.tabs([escape(f"{names[path]}: {sweep.method.upper()}") for path, sweep in results])
        for tab, (path, sweep) in zip(tabs, results):
            with tab:
                presentation.plot(
                    figs.sweep_examples_figure(
                        sweep.epsilons, sweep.example_images, sweep.example_predictions,
                        sweep.example_confidences, sweep.example_labels, by_path[path].classes,
                    ),
                    width="stretch", key=f"adv_examples_{path}_{sweep.method}",
                )
else:
    st.caption("Choose the models and attacks, then press **Run the sweep**.")
