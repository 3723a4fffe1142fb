"""Lessons: the arithmetic each page shows a student, computed without Streamlit.

A lesson is a plain object per page: frozen settings -> compute -> a frozen result holding
everything the page shows (numbers, coordinates, formula texts). The page only draws the result,
so every number a student reads can be asserted in a unit test against torch or a worked example.

receptive_fields: the Receptive fields page's recurrence per axis, unit boxes and totals.
"""
