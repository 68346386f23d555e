"""The classic MNIST networks, PyTorch-style: the 784-128-64-10 MLP and the two-convolution CNN.

>>> import ember
>>> from ember.vision import models
>>> models.MnistCNN()(ember.zeros(2, 1, 28, 28)).shape
ember.Size([2, 10])
"""
from ... import nn


class MnistMLP(nn.Module):
    """784 -> 128 -> 64 -> 10 with ReLU: the first network of every tutorial."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.flatten(x)
        return self.fc3(self.relu(self.fc2(self.relu(self.fc1(x)))))


class MnistCNN(nn.Module):
    """Conv(1->32, 3x3) - ReLU - MaxPool 2 - Conv(32->64, 3x3) - ReLU - MaxPool 2 - Dense 64 - Dense 10.

    A 28x28 input becomes 32x26x26, 32x13x13, 64x11x11, 64x5x5 = 1600 features.
    """

    def __init__(self, dropout=0.0):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(1600, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))
