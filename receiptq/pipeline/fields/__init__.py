"""The field model: features of a reading's rows, amounts and dates, the trained trees
that choose among them, and the training data they are fitted on."""
