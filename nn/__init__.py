"""Neural-network building blocks on the engine: modules, losses, SGD, toy datasets, training."""

import os

from engine.anomaly import register_library_folder

from .activations import ACTIVATIONS, get_activation
from .datasets import generate_linear, generate_xor_easy, make_moons, train_test_split
from .layers import MLP, Layer, Neuron, make_rng
from .losses import binary_cross_entropy_with_logits, hinge_loss, l2_penalty, mse_loss
from .module import Module
from .optim import SGD
from .steps import CompiledStep, eager_step
from .train import TrainOptions, TrainResult, accuracy, predict, train

# Anomaly mode names the user's line for a node made inside nn (a layer's product, a loss's
# square), not the line in nn that made it.
register_library_folder(os.path.dirname(__file__))

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "SGD",
    "CompiledStep",
    "Layer",
    "Module",
    "Neuron",
    "TrainOptions",
    "TrainResult",
    "accuracy",
    "binary_cross_entropy_with_logits",
    "eager_step",
    "generate_linear",
    "generate_xor_easy",
    "get_activation",
    "hinge_loss",
    "l2_penalty",
    "make_moons",
    "make_rng",
    "mse_loss",
    "predict",
    "train",
    "train_test_split",
]
