"""Adversarial lab: flip a confident prediction with a tiny perturbation, then measure accuracy
against epsilon over the test set, for two models at once (FGSM, PGD). A view: widgets ->
cnnviz.lessons.adversarial's settings -> its results -> figures."""

from __future__ import annotations

import streamlit as st

from cnnviz.adversarial import AttackError
from cnnviz.figures import adversarial_figures as figs
from cnnviz.lessons import adversarial as lesson
from cnnviz.models import CheckpointError
from dashboard import caches, links, navigation, presentation, widgets
from dashboard.caches import adversarial as adversarial_cache
from dashboard.markup import escape


def opened(entry, ref):
    """The checkpoint's network, or None after a sentence saying why it cannot be used."""
    try:
        return caches.checkpoint_network(ref)
    except (CheckpointError, OSError) as err:
        st.error(escape(f"{entry.path.name} cannot be used: {err}"))
        return None


def chosen_input(entry, model) -> lesson.AttackInput | None:
    """The image widgets -> the image to attack, or None after a sentence."""
    source = widgets.bound(st.radio, "Image", lesson.SOURCES, horizontal=True, key="adv_source")
    classes, shape = list(model.classes), tuple(model.input_shape)
    if source == lesson.TEST_IMAGE:
        test = lesson.load_test_set(entry.dataset, shape)
        if test.dataset is None:
            st.warning(escape(test.problem))
            return None
        wanted = widgets.bound(st.selectbox, "Class", range(len(classes)), format_func=classes.__getitem__,
                               key="adv_class")
        positions = lesson.class_positions(test.dataset.test_labels, wanted)
        if not positions:
            st.warning(escape(lesson.no_images_of(classes[wanted])))
            return None
        # One widget per class: classes of different sizes must not share a bounded value.
        which = st.number_input(escape(lesson.which_label(classes[wanted], len(positions))), 0,
                                len(positions) - 1, 0, key=f"adv_which_{wanted}", bind=links.BIND)
        return lesson.image_from_test_set(test.dataset, positions[int(which)], classes)
    # Either widget says why when it has no photo (nothing uploaded, or not an image).
    photo = widgets.bundled_photo("adv_sample") if source == lesson.BUNDLED_PHOTO else widgets.uploaded_photo(
        "adv_upload", label="A photo (PNG, JPEG, ...)", waiting=lesson.UPLOAD_WAITING, say_waiting=st.caption)
    return None if photo is None else lesson.photo_input(photo, shape, entry.dataset)


def attack_settings(classes: list[str]) -> lesson.AttackSettings:
    """The attack widgets -> AttackSettings, each with its caption."""
    method = widgets.bound(st.radio, "Attack", list(lesson.METHODS), horizontal=True, key="adv_method")
    eps = st.slider("ε, the largest change of any pixel, in 1/255 steps", *lesson.EPS_STEPS, lesson.DEFAULT_EPS,
                    format="%d/255", key="adv_eps", bind=links.BIND)
    st.caption(lesson.eps_caption(eps))
    pgd = {}
    if lesson.METHODS[method] == "pgd":
        with presentation.secondary("PGD settings"):
            pgd["steps"] = st.slider("PGD steps", *lesson.PGD_STEPS, lesson.DEFAULT_PGD_STEPS, key="adv_steps",
                                     bind=links.BIND)
            pgd["alpha"] = st.select_slider("Step size α", lesson.ALPHA_FRACTIONS, lesson.DEFAULT_ALPHA,
                                            format_func=lambda f: f"{f:g} x ε", key="adv_alpha", bind=links.BIND)
            pgd["random_start"] = widgets.bound(st.checkbox, "Start from a random point within ε", True,
                                                key="adv_random_start")
            st.caption(lesson.alpha_caption(pgd["alpha"], eps))
    target = None
    if widgets.bound(st.toggle, "Targeted: pull the prediction towards a class", key="adv_targeted"):
        target = widgets.bound(st.selectbox, "Target class", range(len(classes)), index=min(1, len(classes) - 1),
                               format_func=classes.__getitem__, key="adv_target")
    return lesson.AttackSettings(method, eps, target=target, **pgd)


def draw_picture(result: lesson.Attack) -> None:
    """Beside the controls: the three images, then the four numbers, two a row (a projector's column
    is too narrow for four)."""
    presentation.plot(figs.attack_figure(result.original, result.adversarial, result.eps,
                                         original_caption=result.original_caption,
                                         adversarial_caption=result.adversarial_caption),
                      width="stretch", key="adv_attack_figure")
    for row in (result.metrics[:2], result.metrics[2:]):
        for column, metric in zip(st.columns(2), row):
            # Metric values are markdown, and class names come from the checkpoint.
            column.metric(metric.label, escape(metric.value) if metric.from_checkpoint else metric.value,
                          metric.delta, delta_color=metric.tone, delta_arrow="off")


def draw_details(result: lesson.Attack) -> None:
    st.caption(escape(result.outcome))
    st.caption(lesson.PERTURBATION_CAPTION)
    presentation.plot(figs.probability_change_figure(result.probabilities_before, result.probabilities_after,
                                                     result.classes, label=result.marked_label, target=result.target),
                      width="stretch", key="adv_probability_figure")
    st.download_button("Download the adversarial image (PNG)", figs.png_bytes(result.adversarial),
                       file_name=result.file_name, mime="image/png", icon=":material/download:", key="adv_download")
    st.caption(lesson.PNG_CAPTION)


def one_image(networks) -> None:
    """The first screen: the controls on the left, the attacked image and its numbers on the right."""
    st.header("Attack one image")
    # Full width: a checkpoint's label ("lenet5-fashion-mnist: lenet5 on ...") was cut in a third of it.
    ref = widgets.network_menu("Model", [ref for _, ref in networks], key="adv_model")
    entry = {r.label: e for e, r in networks}[ref.label]
    model = opened(entry, ref)
    if model is None:
        return
    controls, picture = st.columns([1, 2], gap="large")
    with controls:
        chosen = chosen_input(entry, model)
        if chosen is not None:
            st.caption(escape(chosen.note))  # names a class of the checkpoint
        settings = attack_settings(list(model.classes))
    result = None
    if chosen is not None:
        try:
            result = adversarial_cache.attack(ref, caches.image_hash(chosen.image), chosen.label, settings, chosen)
        except AttackError as err:
            picture.error(str(err))
    if result is not None:
        with picture:
            draw_picture(result)
    st.latex(lesson.formula(settings))  # full width: the PGD update is long
    if result is not None:
        draw_details(result)


def sweep_settings(networks) -> tuple[lesson.SweepSettings, bool, bool]:
    """The sweep widgets -> (settings, whether Run was pressed, whether to draw the tutorial's curve)."""
    keys = {ref.label: entry.key for entry, ref in networks}
    # The two model menus span the page: in half of it their labels were cut.
    first = widgets.bound(st.selectbox, "First model", list(keys), key="adv_sweep_a")
    others = [lesson.NO_SECOND_MODEL] + [label for label in keys if label != first]
    second = widgets.bound(st.selectbox, "Second model", others, index=min(1, len(others) - 1), key="adv_sweep_b",
                           format_func=lambda p: "(none)" if p == lesson.NO_SECOND_MODEL else p)
    left, right = st.columns(2)
    with left:
        methods = widgets.bound(st.multiselect, "Attacks", list(lesson.METHODS), ["FGSM"], key="adv_sweep_methods")
        eps_set = widgets.bound(st.radio, "ε values", list(lesson.EPSILON_SETS), key="adv_sweep_eps")
    with right:
        fgsm_n = st.number_input("Test images for FGSM", *lesson.SWEEP_IMAGES, lesson.DEFAULT_FGSM_IMAGES,
                                 step=lesson.SWEEP_IMAGES_STEP, key="adv_sweep_fgsm_n", bind=links.BIND)
        pgd_n = st.number_input("Test images for PGD (10 steps each: about 10 times slower)", *lesson.SWEEP_IMAGES,
                                lesson.DEFAULT_PGD_IMAGES, step=lesson.SWEEP_IMAGES_STEP, key="adv_sweep_pgd_n",
                                bind=links.BIND)
        reference = widgets.bound(st.checkbox, "Show the tutorial's curve (MNIST LeNet, FGSM)", True,
                                  key="adv_sweep_reference")
        st.caption(lesson.SWEEP_PGD)
        run = st.button("Run the sweep", type="primary", icon=":material/play_arrow:", key="adv_sweep_run")
    models = tuple(keys[label] for label in (first, second) if label != lesson.NO_SECOND_MODEL)
    return lesson.SweepSettings(models, tuple(methods), eps_set, int(fgsm_n), int(pgd_n)), run, reference


def sweep(networks) -> None:
    st.header("Accuracy against ε over the test set")
    st.markdown(lesson.SWEEP_INTRO)
    pressed, run, reference = sweep_settings(networks)
    if run:
        st.session_state["adv_sweep_settings"] = pressed  # the results stay until the next press
    settings = st.session_state.get("adv_sweep_settings")
    if settings is None:
        st.caption(lesson.SWEEP_WAITING)
        return
    if not settings.methods:
        st.warning(lesson.NO_ATTACK)
        return
    entries, refs = {e.key: e for e, _ in networks}, {e.key: r for e, r in networks}
    plan = lesson.plan_sweep(settings, entries, lesson.short_names(entries.values()))
    for problem in plan.problems:
        st.error(escape(problem))
    usable = {key for key in dict.fromkeys(j.key for j in plan.jobs) if opened(entries[key], refs[key]) is not None}
    jobs = [job for job in plan.jobs if job.key in usable]
    if plan.warning:
        st.warning(escape(plan.warning))
    bar = st.progress(0.0, text="Attacking the test set...") if run and jobs else None
    done, failed = adversarial_cache.sweeps(jobs, refs, settings.epsilon_values, bar)
    for job, err in failed:
        st.error(escape(f"{entries[job.key].path.name}: {err}"))
    if not done:
        return
    view = lesson.sweep_view(done)
    presentation.plot(figs.accuracy_curves_figure(view.curves, lesson.TUTORIAL_CURVE if reference else None),
                      width="stretch", key="adv_curves")
    st.dataframe(list(view.rows), hide_index=True, width="stretch")
    st.subheader("The same test images at each ε")
    st.caption(lesson.EXAMPLES_CAPTION)
    for tab, shown in zip(st.tabs([escape(t.title) for t in view.tabs]), view.tabs):
        with tab:
            s = shown.sweep
            presentation.plot(figs.sweep_examples_figure(s.epsilons, s.example_images, s.example_predictions,
                                                         s.example_confidences, s.example_labels, shown.classes),
                              width="stretch", key=shown.chart_key)


def explanation() -> None:
    """What FGSM and PGD do: after the first screen's picture, not before it."""
    st.markdown(lesson.INTRO)
    st.latex(lesson.FORMULA)
    st.markdown(lesson.BUDGET)
    st.info(lesson.TRY_THIS, icon=":material/lightbulb:")


st.title("Adversarial lab")
trained = widgets.trained_networks(say=st.caption)
if not trained:
    explanation()
    st.info(lesson.NO_MODEL)
    st.page_link(navigation.link_to("pages/training.py"), label="Go to the Training page", icon=":material/model_training:")
    st.stop()
one_image(trained)
explanation()
sweep(trained)
