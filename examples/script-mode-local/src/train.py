"""The entry point of examples/script-mode-local.json: what the SageMaker training toolkit runs in the container
(`python train.py --epochs 20 --lr 0.0002`) from the code trainctl packaged, unpacked in /opt/ml/code with the
`gan_common` dependency beside it.

A small stand-in for the GAN seed's training loop: it prints the lines the seed's metric definitions read and
saves what it learned where SageMaker collects the model."""

import argparse
import json
import os

from gan_common.losses import smoothed_loss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.0002)
    arguments, _ = parser.parse_known_args()  # the toolkit also passes SageMaker's own hyperparameters
    loss = 1.0
    for epoch in range(1, arguments.epochs + 1):
        loss = smoothed_loss(loss, arguments.lr)
        print(f"Epoch {epoch}/{arguments.epochs}")
        print(f"Loss = {loss:.4f};", flush=True)
    model_dir = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")
    with open(os.path.join(model_dir, "model.json"), "w", encoding="utf-8") as model:
        json.dump({"epochs": arguments.epochs, "loss": loss}, model)


if __name__ == "__main__":
    main()
