"""Lessons: the arithmetic each page shows a student, computed without Streamlit.

A lesson is one module (or package) per page: frozen settings -> compute -> a frozen result holding
everything the page shows (numbers, coordinates, formula texts). The page only draws the result,
so every number a student reads can be asserted in a unit test against torch or a worked example.

conv_lab: the Convolution lab's layer, its formulas and counts, the output and the player's cell.
receptive_fields: the Receptive fields page's recurrence per axis, unit boxes, stacks and network counts.
inside: the Inside page's prepared image, predictions, layer outputs, kernels, attribution and confusion matrix.
feature_vis: What a network looks for's plan (method, targets, priors), its run and the pictures' numbers.
adversarial: the Adversarial lab's attack on one image, its numbers and sentences, and the epsilon sweep.
training: the Training page's forms' settings and what its live views show of a run.
"""
