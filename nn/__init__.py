"""Neural-network building blocks (Module, Neuron, Layer, MLP) built on engine."""
