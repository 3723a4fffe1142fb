"""What the feature-visualization page says whatever the method: the introduction, the first
thing to try, the methods' names and explanations, the regulariser help, the waiting sentences."""

from __future__ import annotations

INTRO = (
    "The other pages show what a network makes of *an* image. This one asks the network itself which "
    "image it would like best. Start from grey noise and follow the gradient of what you want larger with "
    "respect to the **pixels**, not the weights: $x \\leftarrow x + \\eta\\,\\nabla_x\\big(S(x) - R(x)\\big)$, "
    "where $S$ is a class's score (the logit before the softmax) or a channel's mean activation and $R$ "
    "the regularisation that keeps the picture readable. The same loop dreams on a photo (DeepDream: "
    "make a layer's activations larger) and rebuilds an image from one layer's features (inversion: "
    "make the features match), which shows what each depth keeps of the image."
)
TRY_THIS = (
    "**Try this first:** keep the shipped LeNet-5, *Every class*, and press **Run**: ten pictures that "
    "the network calls each class with near certainty, and that no person would. Then untick the "
    "regularisation and run again (noise that scores even higher), then open *Feature inversion* and "
    "watch the image fade from the first layer to the logits."
)
NO_NETWORK = (
    "Feature visualization needs a trained network: the shipped ones are missing and no run has finished. "
    "Train one on the Training page (a LeNet-5 on Fashion-MNIST takes a minute)."
)
METHODS = {"maximise": "Class or channel", "dream": "DeepDream", "invert": "Feature inversion"}
METHOD_INTROS = {
    "maximise": (
        "Each picture starts as the dataset's mean grey with a little noise and climbs its own objective: "
        "a **class score** (the logit $z_k$) or a **channel**'s mean over positions, $\\frac{1}{HW}\\sum_{i,j}"
        " a_{c,i,j}$. All the pictures climb together, one batch."
    ),
    "dream": (
        "DeepDream starts from your photo instead of noise and raises one layer's activations everywhere, "
        "$\\frac{1}{2}\\,\\overline{a^2}$: whatever the layer half-sees in the photo, it is made to see more. "
        "Only the convolutional part of the network runs, so the photo can be larger than the "
        "network's own input; early layers paint strokes and edges, later ones their own shapes."
    ),
    "invert": (
        "Inversion asks which picture has the **same features** at one layer as the image: each picture "
        "starts as grey noise and shrinks $\\lVert f_l(x) - f_l(x_0)\\rVert^2 / \\lVert f_l(x_0)\\rVert^2$ "
        "(with total variation for smoothness). What comes back is what layer $l$ keeps of the image: "
        "near the input almost everything, near the logits only what the class needs."
    ),
}
REGULARISE_LABEL = "Regularise (jitter, L2, blur)"
REGULARISE_HELP = (
    "Without it, gradient ascent finds high-frequency noise that the network scores even higher and "
    "nobody can read: that is the lesson of fooling images."
)
REGULARISERS = (
    "**Jitter** shifts the picture a few pixels at random before each step, so only patterns that work "
    "wherever they land are rewarded. **L2** pulls every pixel towards the dataset's mean grey "
    "($R = \\lambda\\lVert x - \\bar{x}\\rVert^2$), so pixels that do not help fade back. **Blur** smooths "
    "the picture every few steps, removing the frequencies a network reacts to and a person cannot see."
)
UNREGULARISED = "Regularisation is off: plain gradient ascent, whose pictures are mostly noise the network likes."
WAITING = "Choose what to visualise and press **Run**: the pictures form while you watch, and **Stop** keeps them as they are."
RUN_HELP = "Run the gradient ascent; the result is kept for everyone who asks for the same settings."
STOP_HELP = "End the run now and keep the pictures made so far."
DREAM_SOURCES = ("Bundled photo", "Upload a photo")
DREAM_WAITING = "Upload a photo to dream on."
CURVE_CAPTION = (
    "Each line is one picture's objective at every step, measured on the jittered picture the step saw: "
    "it climbs fast, then flattens as the priors and the pixel range hold it back."
)


def progress_text(done: int, steps: int) -> str:
    return f"Step {done} of {steps}"
