"""``keras.datasets``: Keras's small datasets, from Keras's files and cache, read without pickle."""
from . import (boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
               reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist",
           "reuters"]
