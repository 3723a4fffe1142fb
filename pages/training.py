"""Training: train a network live, watch loss, accuracy and kernels change, stop it, compare learning rates.

The run itself happens in a background process owned by the server's RunManager
(dashboard.training_service); this page only submits, stops and draws snapshots, from a fragment
that polls once a second.
"""

import streamlit as st
import torch

from cnnviz import data
from cnnviz.figures import training_figures as figures
from cnnviz.models import model_spec
from cnnviz.runs import DEFAULT_LRS, RunRefused
from cnnviz.train import OPTIMIZERS, SCHEDULES, Augmentation, TrainConfig, TrainConfigError
from dashboard import clients, links, page_frame, presentation, training_service
from dashboard.markup import escape

MODELS = ("lenet5", "small_cnn", "tinyvgg", "cifar_cnn")  # the ones that train in minutes
LEARNING_RATES = (3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001)
BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024)
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 5e-4, 1e-3, 1e-2)
DEFAULT = "model default"
RUN_KEY, LR_KEY = "training_run_id", "training_lr_run_id"

st.title("Training")
st.markdown(
    "Train a convolutional network here and now. The loss is the cross-entropy "
    "$-\\log p(\\text{true class})$ averaged over a batch; the optimizer moves every weight a small "
    "step against its gradient, $w \\leftarrow w - \\eta \\, \\partial L / \\partial w$, where $\\eta$ is the "
    "learning rate. Watch the training and test curves side by side: when the test curve stops "
    "following the training curve, the network is memorising (overfitting)."
)
st.info(
    "**Try this first:** press Start with the defaults (LeNet-5 on Fashion-MNIST, 3 epochs, about a "
    "minute on a laptop) and watch the first-layer kernels turn from noise into edge detectors. Then "
    "open *Compare learning rates* and run 1, 0.1 and 0.01: the first one diverges.",
    icon=":material/lightbulb:",
)

manager = training_service.run_manager()
client = clients.current()
owner = client.session  # the tab that may watch and stop the run
statuses = {s.name: s for s in data.dataset_status()}
devices = ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else []) + \
    (["mps"] if torch.backends.mps.is_available() else [])


def _dataset_label(name: str) -> str:
    status = statuses[name]
    return status.title if status.available else f"{status.title} (not on this machine)"


def _model_label(name: str) -> str:
    return model_spec(name).title


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"


def _run_id(key: str) -> str | None:
    """The run this tab shows: the one it started, or (if its session state was lost) its active one."""
    run_id = st.session_state.get(key)
    if run_id is None and (active := manager.active_run(owner)) is not None:
        status = manager.status(active)
        if status is not None and (status.kind == "single") == (key == RUN_KEY):
            st.session_state[key] = run_id = active
    return run_id


def _submit(key: str, start) -> None:
    """Start a run (start() returns its id) and remember it; show the refusal's sentence if any."""
    try:
        st.session_state[key] = start()
    except (RunRefused, TrainConfigError) as error:
        st.error(str(error))
        return
    if presentation.is_on():
        st.rerun()  # the live view is drawn above the form: draw it again with the new run


def _end_banner(state: str, message: str) -> None:
    if state == "failed":
        message = escape(message)  # it can quote an exception's text; the others are our sentences
    if state == "finished":
        st.success(message)
    elif state == "stopped":
        st.warning(message)
    else:
        st.error(message)


def _waiting_banner(status) -> bool:
    """Queue position or start-up notice; True when there is nothing more to draw yet."""
    if status.state == "queued":
        st.info(f"Waiting for a free slot: your run is number {status.queue_position} in the queue. "
                "Other runs on this server go first; this page updates by itself.")
        return True
    if status.state == "starting":
        st.info("Starting: loading the data and building the model...")
        return True
    return False


def _stop_button(status, key: str) -> None:
    if status.active and st.button("Stop", key=f"stop_{key}", type="primary",
                                   help="Ends the run after the current batch and keeps what it learned."):
        manager.stop(status.run_id, "Stopped from the page.")


# ---------------------------------------------------------------------------------------------
# One run


def single_run_view() -> None:
    run_id = _run_id(RUN_KEY)
    status = manager.poll(run_id) if run_id else None
    if status is None:
        st.info("Choose the settings above and press Start; the curves appear here while it trains.")
        return
    _stop_button(status, "run")
    if _waiting_banner(status):
        return
    summary = status.summary
    started = summary.started
    if status.active:
        epoch = summary.steps[-1].epoch if summary.steps else 1
        speed = f" - {summary.images_per_second:,.0f} images/s" if summary.images_per_second else ""
        eta = f" - about {_clock(summary.eta_seconds)} left" if summary.eta_seconds is not None else ""
        total_epochs = status.members[0].config.epochs
        st.progress(summary.progress, text=f"Epoch {epoch} of {total_epochs}{speed}{eta}")
    else:
        _end_banner(status.state, status.message)
        if status.checkpoint:
            # The run's name, never the server's path to it.
            st.caption(f"Saved as run {status.run_id}: every page that uses a trained network can pick it now.")
    if started is None:
        return
    st.caption(f"Computing on {started.device} - {started.num_parameters:,} parameters - "
               f"{started.train_size:,} training and {started.test_size:,} test images.")
    last = summary.epochs[-1] if summary.epochs else None
    cols = st.columns(4)
    final = summary.end.test_accuracy if summary.end is not None else None
    if final is not None:  # a stopped run is evaluated again at the stop
        cols[0].metric("Final test accuracy", f"{final:.1%}")
    else:
        cols[0].metric("Test accuracy", f"{last.test_accuracy:.1%}" if last else "after epoch 1")
    cols[1].metric("Train accuracy", f"{last.train_accuracy:.1%}" if last else "after epoch 1")
    cols[2].metric("Latest loss", f"{summary.steps[-1].loss:.3f}" if summary.steps else "-")
    cols[3].metric("Elapsed", _clock(summary.elapsed))
    curves = summary.curves()
    left, right = st.columns(2)
    with left:
        presentation.plot(figures.loss_figure(curves), key="loss_chart")
    with right:
        presentation.plot(figures.accuracy_figure(curves), key="accuracy_chart")
    left, right = st.columns(2)
    if summary.kernels:
        when = f"after epoch {last.epoch}" if last else "before training"
        with left:
            presentation.plot(figures.kernel_figure(summary.kernels, title=f"First-layer kernels, {when}"),
                              key="kernel_chart")
    if summary.confusion is not None:
        with right:
            presentation.plot(figures.confusion_figure(summary.confusion, started.classes), key="confusion_chart")


def training_form() -> None:
    with st.form("training_form"):
        col1, col2, col3 = st.columns(3)
        dataset = col1.selectbox("Dataset", data.DATASET_NAMES, format_func=_dataset_label,
                                 index=data.DATASET_NAMES.index(data.DEFAULT_DATASET), key="train_dataset", bind=links.BIND)
        model = col1.selectbox("Model", MODELS, format_func=_model_label, key="train_model", bind=links.BIND)
        optimizer = col1.selectbox("Optimizer", OPTIMIZERS, index=OPTIMIZERS.index("adam"),
                                   format_func={"sgd": "SGD with momentum", "adam": "Adam", "adamw": "AdamW"}.get, key="train_optimizer", bind=links.BIND)
        lr = col2.select_slider("Learning rate", LEARNING_RATES, value=0.003, key="train_lr", bind=links.BIND)
        schedule = col2.selectbox("Schedule", SCHEDULES, index=SCHEDULES.index("one-cycle"), key="train_schedule", bind=links.BIND)
        batch_size = col2.select_slider("Batch size", BATCH_SIZES, value=128, key="train_batch", bind=links.BIND)
        epochs = col2.number_input("Epochs", min_value=1, max_value=50, value=3, key="train_epochs", bind=links.BIND)
        weight_decay = col3.select_slider("Weight decay (L2)", WEIGHT_DECAYS, value=0.0, key="train_weight_decay", bind=links.BIND)
        dropout = col3.selectbox("Dropout", (DEFAULT, 0.0, 0.1, 0.2, 0.3, 0.5), key="train_dropout", bind=links.BIND)
        batch_norm = col3.selectbox("Batch norm", (DEFAULT, "on", "off"), key="train_batch_norm", bind=links.BIND)
        label_smoothing = col3.slider("Label smoothing", 0.0, 0.3, 0.0, step=0.05, key="train_label_smoothing", bind=links.BIND)
        st.markdown("**Augmentation** (training images only)")
        aug = st.columns(7)
        flip = aug[0].checkbox("Flip", key="train_flip", bind=links.BIND)
        crop = aug[1].checkbox("Crop (pad 2)", key="train_crop", bind=links.BIND)
        rotation = aug[2].checkbox("Rotate 15 deg", key="train_rotate", bind=links.BIND)
        translate = aug[3].checkbox("Shift 10%", key="train_shift", bind=links.BIND)
        noise = aug[4].checkbox("Noise", key="train_noise", bind=links.BIND)
        salt = aug[5].checkbox("Salt & pepper", key="train_salt_pepper", bind=links.BIND)
        jitter = aug[6].checkbox("Colour jitter", key="train_jitter", bind=links.BIND)
        col1, col2, col3, col4 = st.columns(4)
        adversarial = col1.selectbox(
            "Adversarial training", ("none", "fgsm", "pgd"),
            format_func={"none": "off", "fgsm": "FGSM examples", "pgd": "PGD examples (slower)"}.get,
            help="Half of every batch is replaced by attacked images, so the model learns to resist "
                 "the attack. Compare it with a normal model on the Adversarial lab page.",
            key="train_adversarial", bind=links.BIND)
        adversarial_eps = col2.select_slider("Attack epsilon", (0.05, 0.1, 0.15, 0.2, 0.3), value=0.1, key="train_attack_eps", bind=links.BIND)
        seed = col3.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, key="train_seed", bind=links.BIND)
        device = col4.selectbox("Device", devices, key="train_device", bind=links.BIND)
        start = st.form_submit_button("Start", type="primary")
    if start:
        config = TrainConfig(
            dataset=dataset, model=model, optimizer=optimizer, lr=float(lr), schedule=schedule,
            batch_size=int(batch_size), epochs=int(epochs), weight_decay=float(weight_decay),
            dropout=None if dropout == DEFAULT else float(dropout),
            batch_norm=None if batch_norm == DEFAULT else batch_norm == "on",
            label_smoothing=float(label_smoothing),
            augment=Augmentation(flip=flip, crop_padding=2 if crop else 0, rotation=15.0 if rotation else 0.0,
                                 translate=0.1 if translate else 0.0, gaussian_noise=0.05 if noise else 0.0,
                                 salt_pepper=0.02 if salt else 0.0, color_jitter=0.3 if jitter else 0.0),
            adversarial=adversarial, adversarial_eps=float(adversarial_eps),
            seed=int(seed), device=device,
        )
        _submit(RUN_KEY, lambda: manager.submit(config, owner=owner, client=client.browser, address=client.address))


# ---------------------------------------------------------------------------------------------
# Learning-rate comparison


def lr_view() -> None:
    run_id = _run_id(LR_KEY)
    status = manager.poll(run_id) if run_id else None
    if status is None:
        st.info("Pick the learning rates and press Compare; their loss curves are drawn on top of each other.")
        return
    _stop_button(status, "lr")
    if _waiting_banner(status):
        return
    members = status.members
    done = sum(1 for m in members if m.end is not None)
    if status.active:
        current = next((m for m in members if m.end is None), members[-1])
        fraction = (done + current.summary.progress) / len(members)
        st.progress(min(fraction, 1.0), text=f"Training {current.label} ({done + 1} of {len(members)})")
    else:
        _end_banner(status.state, status.message)
    rows, lines = [], []
    for member in members:
        summary, end = member.summary, member.end
        note = end.status if end is not None and end.status != "finished" else ""
        if summary.steps:
            lines.append((member.label, summary.curves(), note))
        rows.append({
            "Learning rate": member.label,
            "Status": end.status if end else ("training" if summary.started else "waiting"),
            "Test accuracy": f"{end.test_accuracy:.1%}" if end and end.test_accuracy is not None else "",
            "What happened": end.message if end else "",
        })
    if lines:
        presentation.plot(figures.lr_comparison_figure(lines), key="lr_chart")
    st.dataframe(rows, hide_index=True, width="stretch")


def lr_form() -> None:
    with st.form("lr_form"):
        col1, col2, col3 = st.columns(3)
        dataset = col1.selectbox("Dataset", data.DATASET_NAMES, format_func=_dataset_label,
                                 index=data.DATASET_NAMES.index(data.DEFAULT_DATASET), key="lr_dataset", bind=links.BIND)
        model = col1.selectbox("Model", MODELS, format_func=_model_label, key="lr_model", bind=links.BIND)
        lrs = col2.multiselect("Learning rates", LEARNING_RATES, default=list(DEFAULT_LRS), max_selections=6, key="lr_rates", bind=links.BIND)
        batch_size = col2.select_slider("Batch size", BATCH_SIZES, value=64, key="lr_batch", bind=links.BIND)
        epochs = col3.number_input("Epochs", min_value=1, max_value=10, value=1, key="lr_epochs", bind=links.BIND)
        momentum = col3.select_slider("SGD momentum", (0.0, 0.5, 0.9), value=0.0,
                                      help="0 is plain SGD, as in the original LeNet lesson.", key="lr_momentum", bind=links.BIND)
        start = st.form_submit_button("Compare", type="primary")
    if start:
        if not lrs:
            st.error("Pick at least one learning rate.")
            return
        base = TrainConfig(dataset=dataset, model=model, optimizer="sgd", momentum=float(momentum),
                           batch_size=int(batch_size), epochs=int(epochs))
        _submit(LR_KEY, lambda: manager.submit_lr_comparison(base, owner=owner, client=client.browser,
                                                             address=client.address, lrs=sorted(lrs, reverse=True)))


# ---------------------------------------------------------------------------------------------
# Layout: the live views poll once a second only while something is active.


def _live(view, key: str) -> None:
    run_id = _run_id(key)
    status = manager.status(run_id) if run_id else None
    active = status is not None and status.active

    def body() -> None:
        view()
        now = manager.status(st.session_state.get(key)) if st.session_state.get(key) else None
        if active and now is not None and not now.active:
            st.rerun()  # the run ended: redraw the page once, then stop polling

    st.fragment(page_frame.guarded(body), run_every=1.0 if active else None)()


train_tab, lr_tab = st.tabs(["Train a network", "Compare learning rates"])
with train_tab:
    if presentation.is_on():
        # On a projector the live curves come first; the settings fold away below them.
        _live(single_run_view, RUN_KEY)
        with presentation.secondary("Training settings"):
            training_form()
    else:
        training_form()
        _live(single_run_view, RUN_KEY)
with lr_tab:
    st.markdown(
        "Same network, same data, different learning rates $\\eta$. Too high and the steps overshoot: "
        "the loss explodes (diverges). Too low and it crawls. The classic lesson (LeNet, plain SGD, "
        "one epoch): 1 diverges, 0.1 learns fast, 0.01 learns slowly."
    )
    lr_form()
    _live(lr_view, LR_KEY)
