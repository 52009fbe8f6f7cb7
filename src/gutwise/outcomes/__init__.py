"""Learning from the data: change scores and RCI, n-of-1 analysis, cohort analytics."""
