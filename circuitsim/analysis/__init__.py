"""Array-level analyses: fast quasi-static crossbar solver, IR drop, read margins, spike metrics.

Not built yet: this lands with the crossbar issue.
"""
