"""Training: train a network live, watch loss, accuracy and kernels change, stop it, compare learning rates,
reuse a trained network's features (transfer learning).

The run itself happens in a background process owned by the server's RunManager
(dashboard.training_service); this page only submits, stops and draws the snapshots that
cnnviz.lessons.training turns into numbers and sentences (dashboard.tab_runs: which run a tab shows,
and its live view polling once a second).
Number widgets pass bind= themselves (not widgets.bound): the hostile-link test finds them by their call.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import data
from cnnviz.figures import inside_figures
from cnnviz.figures import training_figures as figures
from cnnviz.lessons import live_view, one_batch, regularisation
from cnnviz.lessons import training as lesson
from cnnviz.lessons import transfer
from cnnviz.lessons.inside import enlarged
from cnnviz.models import CheckpointError
from dashboard import caches, clients, links, page_frame, presentation, training_service
from dashboard.caches import inside as inside_cache
from dashboard.markup import escape
from dashboard.tab_runs import TabRuns
from dashboard.widgets import bound, network_menu, trained_networks

RUN_KEY, LR_KEY, TRANSFER_KEY = "training_run_id", "training_lr_run_id", "training_transfer_run_id"
DEFAULTS, LR_DEFAULTS, TRANSFER_DEFAULTS = lesson.Settings(), lesson.LrSettings(), transfer.TransferSettings()

st.title("Training")
with st.expander("What this page shows", icon=":material/help:"):  # folded: the controls come first
    st.markdown(lesson.INTRO)
    st.info(lesson.TRY_THIS, icon=":material/lightbulb:")

manager = training_service.run_manager()
client = clients.current()
owner = client.session  # the tab that may watch and stop the run
runs = TabRuns(manager, owner, RUN_KEY, kinds={LR_KEY: "lr-comparison", TRANSFER_KEY: "transfer-comparison"})
dataset_labels, model_titles = lesson.dataset_labels(), lesson.model_titles()


def _header(view, run_id: str | None, key: str) -> bool:
    """Stop, Pause / Resume and Step one epoch, notice, progress bar or end banner; True when there
    is nothing more to draw."""
    if view.stoppable:
        row = st.container(horizontal=True)
        if row.button("Stop", key=f"stop_{key}", type="primary", help=lesson.STOP_HELP):
            manager.stop(run_id, "Stopped from the page.")
        for button in view.controls:
            row.button(button.label, key=f"{button.action}_{key}", help=button.help, on_click=runs.pace,
                       args=(run_id, button.action))
    if view.notice:
        st.info(view.notice)
        return True
    if view.progress:
        st.progress(view.progress.fraction, text=view.progress.text)
    if banner := view.banner:
        getattr(st, banner.kind)(escape(banner.text) if banner.quotes_error else banner.text)
    return False


def _dataset_and_model(key: str):
    # Presentation mode's larger text cut the menus of three columns at 1024 px: two there, the
    # third column's settings under the first's.
    if presentation.is_on():
        col1, col2 = st.columns(2)
        col3 = col1
    else:
        col1, col2, col3 = st.columns(3)
    dataset = bound(col1.selectbox, "Dataset", data.DATASET_NAMES, format_func=dataset_labels.get,
                    index=data.DATASET_NAMES.index(DEFAULTS.dataset), key=f"{key}_dataset")
    model = bound(col1.selectbox, "Model", lesson.MODELS, format_func=model_titles.get, key=f"{key}_model")
    return (col1, col2, col3), dataset, model


def single_run_view() -> None:
    run_id = runs.shown(RUN_KEY)
    view = lesson.single_run(manager.poll(run_id) if run_id else None, quote=escape)
    if _header(view, run_id, "run"):
        return
    if view.saved:
        st.caption(view.saved)
    if view.computing is None:
        return
    st.caption(view.computing)
    for row in lesson.in_rows(view.metrics, lesson.METRIC_COLUMNS):
        for column, metric in zip(st.columns(lesson.METRIC_COLUMNS), row):
            column.metric(metric.label, metric.value, help=metric.help)
    left, right = st.columns(2)
    with left:
        presentation.plot(figures.loss_figure(view.curves), key="loss_chart")
    with right:
        presentation.plot(figures.accuracy_figure(view.curves), key="accuracy_chart")
    # Each on the page's full width: in half of it (or a third) at 1024 px the kernels were 33 px
    # tiles and the matrix's cells narrower than their numbers.
    if view.kernels:
        presentation.plot(figures.kernel_figure(view.kernels, title=view.kernel_title), key="kernel_chart")
    if view.confusion is not None:
        presentation.plot(figures.confusion_figure(view.confusion, view.classes), key="confusion_chart")
    if view.live is not None:
        _live_section(view.live)


def _live_section(live: live_view.LiveView) -> None:
    """ConvNetJS's live view: six test images through the network, refreshed each epoch."""
    st.subheader(live_view.LIVE_HEADING, divider="gray")
    st.caption(live_view.LIVE_INTRO)
    st.markdown(f"**{escape(live.title)}**")
    presentation.plot(inside_figures.activation_overview(live.overview, live.kinds), key="live_overview")
    for column, tile in zip(st.columns(len(live.tiles)), live.tiles):
        column.image(tile.picture, width="stretch", caption=tile.caption)
    st.markdown(live.sentence)


def training_form() -> None:
    with st.form("training_form"):
        (col1, col2, col3), dataset, model = _dataset_and_model("train")
        values = {"dataset": dataset, "model": model}
        values["optimizer"] = bound(col1.selectbox, "Optimizer", lesson.OPTIMIZERS, index=lesson.OPTIMIZERS.index(
            DEFAULTS.optimizer), format_func=lesson.OPTIMIZER_LABELS.get, key="train_optimizer")
        values["train_images"] = bound(col1.selectbox, "Training images", lesson.TRAIN_IMAGE_COUNTS,
                                       help=lesson.TRAIN_IMAGES_HELP, key="train_train_images")
        values["width"] = bound(col1.selectbox, "Model width", list(lesson.WIDTHS), help=lesson.WIDTH_HELP,
                                key="train_width")
        values["lr"] = col2.select_slider("Learning rate", lesson.LEARNING_RATES, value=DEFAULTS.lr, key="train_lr", bind=links.BIND)
        values["schedule"] = bound(col2.selectbox, "Schedule", lesson.SCHEDULES, index=lesson.SCHEDULES.index(DEFAULTS.schedule),
                                   key="train_schedule")
        values["batch"] = col2.select_slider("Batch size", lesson.BATCH_SIZES, value=DEFAULTS.batch, key="train_batch", bind=links.BIND)
        values["epochs"] = col2.number_input("Epochs", *lesson.EPOCHS, value=DEFAULTS.epochs, key="train_epochs", bind=links.BIND)
        values["weight_decay"] = col3.select_slider("Weight decay (L2)", lesson.WEIGHT_DECAYS, value=DEFAULTS.weight_decay,
                                                    key="train_weight_decay", bind=links.BIND)
        values["dropout"] = bound(col3.selectbox, "Dropout", lesson.DROPOUTS, key="train_dropout")
        values["batch_norm"] = bound(col3.selectbox, "Batch norm", lesson.BATCH_NORMS, key="train_batch_norm")
        values["label_smoothing"] = col3.slider("Label smoothing", *lesson.LABEL_SMOOTHINGS, DEFAULTS.label_smoothing,
                                                step=lesson.LABEL_SMOOTHING_STEP, key="train_label_smoothing", bind=links.BIND)
        st.markdown("**Augmentation** (training images only)")
        for row in lesson.augmentation_rows():  # a row of columns at a time: read left to right
            for column, name in zip(st.columns(lesson.AUGMENTATION_COLUMNS), row):
                values[name] = bound(column.checkbox, lesson.AUGMENTATIONS[name], key=f"train_{name}",
                                     help=lesson.AUGMENTATION_HELP[name])
        col1, col2, col3, col4 = st.columns(4)
        values["adversarial"] = bound(col1.selectbox, "Adversarial training", tuple(lesson.ADVERSARIAL_LABELS),
                                      format_func=lesson.ADVERSARIAL_LABELS.get, help=lesson.ADVERSARIAL_HELP,
                                      key="train_adversarial")
        values["attack_eps"] = col2.select_slider("Attack epsilon", lesson.ATTACK_EPSILONS, value=DEFAULTS.attack_eps,
                                                  key="train_attack_eps", bind=links.BIND)
        values["seed"] = col3.number_input("Seed", *lesson.SEEDS, value=DEFAULTS.seed, key="train_seed", bind=links.BIND)
        values["device"] = bound(col4.selectbox, "Device", lesson.device_options(), key="train_device")
        start = st.form_submit_button("Start", type="primary")
    if start:
        settings = lesson.Settings(**values)
        if refusal := settings.refusal():
            st.error(refusal)
            return
        config = settings.config()
        runs.submit(RUN_KEY, lambda: manager.submit(config, owner=owner, client=client.browser, address=client.address))


def lr_view() -> None:
    run_id = runs.shown(LR_KEY)
    view = lesson.comparison(manager.poll(run_id) if run_id else None)
    if _header(view, run_id, "lr"):
        return
    if view.lines:
        presentation.plot(figures.lr_comparison_figure(list(view.lines)), key="lr_chart")
    st.dataframe(list(view.rows), hide_index=True, width="stretch")


def _use_seed_recipe() -> None:
    values, sentence = lesson.seed_recipe({status.name for status in data.dataset_status() if status.available})
    st.session_state.update(values, lr_recipe_note=sentence)


def lr_form() -> None:
    st.button(lesson.SEED_RECIPE_LABEL, icon=":material/history_edu:", help=lesson.SEED_RECIPE_HELP,
              on_click=_use_seed_recipe, key="lr_recipe")
    if note := st.session_state.get("lr_recipe_note"):
        st.caption(note)
    with st.form("lr_form"):
        (_, col2, col3), dataset, model = _dataset_and_model("lr")
        rates = col2.multiselect("Learning rates", lesson.LEARNING_RATES, default=list(LR_DEFAULTS.rates),
                                 max_selections=lesson.MAX_RATES, key="lr_rates", bind=links.BIND)
        batch = col2.select_slider("Batch size", lesson.BATCH_SIZES, value=LR_DEFAULTS.batch, key="lr_batch", bind=links.BIND)
        epochs = col3.number_input("Epochs", *lesson.COMPARISON_EPOCHS, value=LR_DEFAULTS.epochs, key="lr_epochs", bind=links.BIND)
        momentum = col3.select_slider("SGD momentum", lesson.MOMENTA, value=LR_DEFAULTS.momentum,
                                      help=lesson.MOMENTUM_HELP, key="lr_momentum", bind=links.BIND)
        start = st.form_submit_button("Compare", type="primary")
    if start:
        settings = lesson.LrSettings(dataset, model, tuple(rates), batch, epochs, momentum)
        if refusal := settings.refusal():
            st.error(refusal)
            return
        runs.submit(LR_KEY, lambda: manager.submit_lr_comparison(settings.config(), owner=owner, client=client.browser,
                                                             address=client.address, lrs=settings.rates_in_order()))


def transfer_view() -> None:
    run_id = runs.shown(TRANSFER_KEY)
    view = transfer.transfer_view(manager.poll(run_id) if run_id else None)
    if _header(view, run_id, "transfer"):
        return
    if view.sentence:
        st.markdown(view.sentence)
    if view.lines:
        left, right = st.columns(2)
        with left:
            presentation.plot(figures.member_epoch_figure(view.lines, "test_accuracy", title="Test accuracy",
                                                          y_title="accuracy", percent=True), key="transfer_accuracy_chart")
        with right:
            presentation.plot(figures.member_epoch_figure(view.lines, "test_loss", title="Test loss",
                                                          y_title="cross-entropy"), key="transfer_loss_chart")
    st.dataframe(list(view.rows), hide_index=True, width="stretch", key="transfer_table")


def transfer_form() -> None:
    with st.form("transfer_form"):
        # The source on a row of its own: in a column its name was cut at 1024 px.
        source = bound(st.selectbox, "Source network", transfer.SOURCES, format_func=transfer.SOURCE_LABELS.get,
                       key="transfer_source")
        col2, col3 = st.columns(2)
        images = bound(col2.selectbox, "Training images", transfer.TRAIN_IMAGE_COUNTS, format_func=transfer.images_label,
                       index=transfer.TRAIN_IMAGE_COUNTS.index(TRANSFER_DEFAULTS.train_images), help=transfer.IMAGES_HELP,
                       key="transfer_train_images")
        epochs = col3.number_input("Epochs", *transfer.EPOCHS, value=TRANSFER_DEFAULTS.epochs, key="transfer_epochs",
                                   bind=links.BIND)
        start = st.form_submit_button("Compare", type="primary", key="transfer_compare")
    if start:
        config = transfer.TransferSettings(source, images, epochs).config()
        runs.submit(TRANSFER_KEY, lambda: manager.submit_transfer_comparison(config, owner=owner, client=client.browser,
                                                                         address=client.address))


def _trained_network(key: str, container):
    """A menu of the trained networks -> (its ModelRef, the opened network, its dataset), or None
    after one sentence (none trained yet, a broken checkpoint, its dataset not on this machine)."""
    usable = [ref for _, ref in trained_networks(say=st.warning)]
    if not usable:
        st.info(one_batch.NO_NETWORK)
        return None
    network_ref = network_menu("Network", usable, key=key, container=container)
    try:
        network = caches.opened_network(network_ref)
        return network_ref, network, data.load_dataset(network.dataset)
    except (CheckpointError, data.DatasetUnavailable, ValueError) as error:
        st.error(escape(f"This network cannot be shown here: {error}"))  # may quote the file
        return None


def one_batch_view() -> None:
    """Eight training images through a trained network: logits, softmax, cross-entropy, the mean."""
    st.markdown(one_batch.INTRO)
    left, middle, right = st.columns([2, 1, 1])
    if (opened := _trained_network("batch_network", left)) is None:
        return
    network_ref, network, dataset = opened
    count = len(dataset.train_labels)
    number = middle.number_input("Batch number", 0, one_batch.last_batch(count), 0, key="batch_number", bind=links.BIND)
    right.button("Random batch", icon=":material/casino:", key="batch_random",
                 on_click=lambda: st.session_state.update(batch_number=one_batch.random_batch(count)))
    indices = one_batch.batch_indices(number, count)
    chosen = bound(st.radio, "Image worked out below", list(range(len(indices))), horizontal=True,
                   key="batch_image")
    batch = one_batch.one_batch(network.model, dataset.train_images[indices], dataset.train_labels[indices], indices,
                                network.classes, chosen, untrained=inside_cache.untrained_twin(network_ref),
                                quote=escape)
    for column, picture, caption in zip(st.columns(len(indices)), batch.pictures, batch.captions):
        column.image(enlarged(picture), width="stretch", caption=escape(caption))
    st.dataframe(batch.table, hide_index=True, key="batch_table",
                 column_config={name: st.column_config.NumberColumn(format="%.4f") for name in one_batch.NUMBER_COLUMNS})
    st.latex(batch.mean_line)
    if batch.chance_line:
        st.latex(batch.chance_line)
    st.markdown(batch.verdict)
    st.latex(batch.softmax_line)
    st.latex(batch.loss_line)
    table, bars = st.columns(2)
    table.dataframe(list(batch.class_rows), hide_index=True, key="batch_classes",
                    column_config={name: st.column_config.NumberColumn(format="%.4g") for name in batch.class_rows[0]
                                   if name != "Class"})
    with bars:
        presentation.plot(inside_figures.probability_bars(batch.probabilities, network.classes,
                                                          true_label=int(dataset.train_labels[indices[batch.chosen]])),
                          key="batch_probabilities")


def regularisation_view() -> None:
    """Weight decay, dropout and augmentation on a trained network and real training images."""
    st.markdown(regularisation.INTRO)
    left, right = st.columns([2, 1])
    if (opened := _trained_network("reg_network", left)) is None:
        return
    network_ref, network, dataset = opened
    index = right.number_input("Training image", *regularisation.image_numbers(len(dataset.train_labels)), 0,
                               key="reg_image", bind=links.BIND)
    image = dataset.train_images[index]

    st.subheader("Weight decay (L2)", divider="gray")
    lam = st.select_slider("Weight decay λ", [value for value in lesson.WEIGHT_DECAYS if value], value=5e-4,
                           key="reg_lambda", bind=links.BIND, format_func=lambda value: f"{value:g}")
    st.latex(regularisation.L2_FORMULA)
    batch = one_batch.one_batch(network.model, dataset.train_images[:one_batch.BATCH_SIZE],
                                dataset.train_labels[:one_batch.BATCH_SIZE], range(one_batch.BATCH_SIZE), network.classes)
    decay = regularisation.weight_decay(network.model, lam, data_loss=batch.mean_loss)
    st.latex(decay.line)
    st.caption(regularisation.decay_caption(decay, network.title, one_batch.BATCH_SIZE) + " " + regularisation.L2_NOTE)

    st.subheader("Dropout", divider="gray")
    st.latex(regularisation.DROPOUT_FORMULA)
    if (dropped := regularisation.dropout_view(network.model, image)) is None:
        st.info(regularisation.NO_DROPOUT)
    else:
        st.markdown(dropped.sentence)
        presentation.plot(figures.dropout_figure(*regularisation.dropout_chart_values(dropped),
                                                 title=regularisation.dropout_title(dropped)), key="reg_dropout")

    st.subheader("Augmentation", divider="gray")
    st.caption(regularisation.PREVIEW_CAPTION)
    previews = regularisation.augmentation_previews(image, lesson.single_augmentations(), seed=int(index))
    for preview in previews:
        columns = st.columns(regularisation.PREVIEW_COLUMNS)
        columns[0].markdown(f"**{preview.label}**")
        columns[0].caption(preview.strength)
        columns[1].image(enlarged(regularisation.original_picture(image), 112), width="stretch",
                         caption="original" if preview is previews[0] else None)
        for column, picture in zip(columns[2:], preview.pictures):
            column.image(enlarged(picture, 112), width="stretch")


# Lazy tabs: the batch and regularisation tabs run only while open (their forward passes cost nothing elsewhere); the
# other three always run, so that a run's live view and its form keep their state.
train_tab, lr_tab, transfer_tab, batch_tab, regularisation_tab = bound(
    st.tabs, ["Train a network", "Compare learning rates", transfer.TAB_TITLE, one_batch.TAB_TITLE,
              regularisation.TAB_TITLE], key="train_tab", on_change="rerun")
with train_tab:
    if presentation.is_on() and runs.shown(RUN_KEY):
        # On a projector a run's live curves come first; the settings fold away below them
        # (with no run yet, the form is the first screen's control, so it stays open).
        runs.live(single_run_view, RUN_KEY)
        with presentation.secondary("Training settings"):
            training_form()
    else:
        training_form()
        runs.live(single_run_view, RUN_KEY)
with lr_tab:
    st.markdown(lesson.LR_INTRO)
    lr_form()
    runs.live(lr_view, LR_KEY)
with transfer_tab:
    st.markdown(transfer.INTRO)
    transfer_form()
    runs.live(transfer_view, TRANSFER_KEY)
with batch_tab:
    if batch_tab.open:  # a fragment: another batch or image reruns only this tab, not the runs' views
        st.fragment(page_frame.guarded(one_batch_view))()
with regularisation_tab:
    if regularisation_tab.open:
        st.fragment(page_frame.guarded(regularisation_view))()
