"""The Adversarial lab's prose: its introduction, captions and the sentences it says while it waits.

Kept here so that pages/adversarial.py stays a view; the sentences built from the student's
numbers are made where those numbers are (settings.py, inputs.py, one_attack.py, sweep.py).
"""

from __future__ import annotations

from cnnviz import adversarial

INTRO = (
    "A network that is right 90% of the time can be fooled by a change to the image that you can "
    "hardly see. The **Fast Gradient Sign Method** asks the network which way each pixel should move "
    "to make its loss grow, and moves every pixel by the same small amount ε in that direction:"
)
FORMULA = (
    r"x_{\mathrm{adv}} = \operatorname{clip}\big(x + \varepsilon \cdot "
    r"\operatorname{sign}(\nabla_x \mathcal{L}(f(x), y)),\ 0,\ 1\big)"
)
BUDGET = (
    "Pixels are in [0, 1], so ε = 8/255 ≈ 0.031 means no pixel changes by more than 8 of its 255 grey "
    "levels. **PGD** (projected gradient descent) repeats smaller FGSM steps of size α and after each "
    "one clips the change back into [−ε, ε]: a stronger attack with the same budget. A **targeted** "
    "attack steps *down* the loss of a class you choose, pulling the prediction towards it."
)
TRY_THIS = (
    "**Try this first:** attack a test image with FGSM at ε = 26/255 ≈ 0.1. The prediction usually "
    "flips, though you still see the same piece of clothing. Then lower ε to find the smallest change "
    "that still fools the network, switch to PGD (it succeeds at a much smaller ε), and run the sweep "
    "below to see the whole test set fall."
)
NO_MODEL = (
    "No trained model is available yet. Train one on the Training page (a LeNet-5 on "
    "Fashion-MNIST takes a minute), or upload a checkpoint on the Home page, then come back."
)
UPLOAD_WAITING = "Upload a photo to attack it."
PHOTO_NOTE = (
    " A photo has no known true class, so the attack pushes the image away from "
    "the network's own prediction."
)
PERTURBATION_CAPTION = (
    "The middle picture makes the change visible: it is amplified so that the largest "
    "allowed change, ε, becomes pure white (+ε) or black (−ε); grey pixels did not move. "
    "Unamplified, it is the difference between the two outer pictures. At 0.1 you may "
    "see faint noise; at 8/255 or less you will hardly see anything, and PGD still "
    "fools the network often."
)
PNG_CAPTION = (
    "A PNG stores 8-bit pixels, so every value is rounded to the nearest 1/255: a change "
    "smaller than half a step is lost on the way to the file."
)
SWEEP_INTRO = (
    "One image is an anecdote. Here every test image is attacked at each ε, and the accuracy that "
    "is left is drawn as a curve, for two models at once: compare a normal model with one trained "
    "on adversarial examples (an option on the Training page). The dotted grey curve is the PyTorch "
    "FGSM tutorial's LeNet on MNIST, for comparison."
)
SWEEP_PGD = (
    f"PGD here uses 10 steps of α = {adversarial.PGD_STEP_FACTOR:g}ε/10 from a random start (Madry et al.)."
)
SWEEP_WAITING = "Choose the models and attacks, then press **Run the sweep**."
NO_ATTACK = "Choose at least one attack."
EXAMPLES_CAPTION = (
    "Each title is the network's prediction and its confidence: green while it is right, red once fooled."
)
