"""Home: what cnnviz is, where each page leads, and the state of this machine."""

import streamlit as st

from cnnviz import catalog, data, devices
from cnnviz.models import CheckpointError
from dashboard import caches
from dashboard.markup import escape
from dashboard.navigation import PAGES

st.title("cnnviz: see how convolutional networks work")
st.markdown(
    "An interactive explorer of convolutional neural networks for lectures and self-study. "
    "Every picture is computed live by PyTorch from your own settings and images: slide a kernel "
    "over a photo, watch receptive fields grow, look inside a trained network, attack it, and "
    "train your own. Everything works offline, on the CPU or on a GPU when there is one."
)
st.header("Pages")
for entry in PAGES:
    if entry.path == "pages/home.py":
        continue
    with st.container(border=True):
        st.page_link(entry.path, label=entry.title, icon=entry.icon)
        st.caption(entry.teaches)

# After the links: on a projector's first screen the pages come before the tip.
st.info(
    "**Try this first:** open the Convolution lab and press *Step* on the classic 5x5 example. "
    "Every page keeps its settings in its address, so a link you copy opens exactly the same view "
    "for your students; *Presentation mode* in the sidebar enlarges everything for a projector.",
    icon=":material/lightbulb:",
)

st.header("This machine")
# The tables take the page's full width: in half of a projector's 1280 px the models table lost
# its accuracy and parameter columns off its right edge.
st.markdown(f"Computing on **{devices.describe_device()}**")

st.subheader("Datasets")
rows = []
for status in data.dataset_status():
    rows.append(
        {
            "Dataset": status.title,
            "Ready": "yes" if status.available else "no",
            "Where / how to get it": status.location if status.available else status.how_to_get,
        }
    )
st.dataframe(rows, hide_index=True, width="stretch")
missing = [s for s in data.dataset_status() if not s.available]
if missing:
    st.caption(
        "Fetch a dataset ahead of an offline lecture with the command shown, for example "
        f"`{missing[0].how_to_get}`."
    )

st.subheader("Trained models")
models, problems = caches.trained_models(caches.session_uploads())
if models:
    st.dataframe(
        [
            {
                # The file's or the run's short name; the menus' label repeats the other columns.
                "Model": m.name or m.path.stem,
                "Architecture": m.model_name,
                "Dataset": m.dataset,
                "Test accuracy": f"{m.test_accuracy:.1%}" if m.test_accuracy is not None else "",
                "Parameters": f"{m.num_parameters:,}",
                "From": m.source,
            }
            for m in models
        ],
        hide_index=True,
        width="stretch",
    )
else:
    st.info("No trained model yet. Train one, or upload a checkpoint below.")
for problem in problems:
    st.warning(escape(problem))  # a file's name and its error sentence: text, not markup

st.subheader("Use your own checkpoint")
upload = st.file_uploader(
    "A cnnviz checkpoint (.pt), e.g. one written by `python -m cnnviz.train ... --out FILE`",
    key="checkpoint_upload",
)
from cnnviz.upload_store import UploadRefused
from dashboard import clients, uploads_in_use

client = clients.current()
uploads_in_use.remember(client.session, caches.session_uploads())
if upload is not None:
    try:
        # Stored per browser, within its quota; another session's checkpoints are never deleted.
        stored = catalog.store_upload(upload.getvalue(), client=client.browser, in_use=uploads_in_use.in_use())
    except (CheckpointError, UploadRefused) as err:
        st.error(escape(str(err)))
    else:
        uploads_in_use.remember(client.session, [stored])
        if str(stored) not in caches.session_uploads():
            caches.remember_upload(stored)
            st.rerun()  # so the table above lists it at once
        st.success(f"Loaded {escape(upload.name)}: every page's model menu now offers it.")
