"""Loss helpers shared by the team's trainings."""


def smoothed_loss(previous: float, learning_rate: float) -> float:
    """The next epoch's loss of the stand-in training: it falls faster with a larger learning rate."""
    return previous * (1.0 - min(0.5, learning_rate * 1000))
