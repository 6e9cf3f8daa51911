"""The co-simulation loop, learning rules, state carry-over and checkpoints.

Not built yet: this lands with the co-simulation issue.
"""
