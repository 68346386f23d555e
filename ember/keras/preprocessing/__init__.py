"""``keras.preprocessing``: the dataset builders and the ``image`` / ``sequence`` helpers under their
``keras.preprocessing`` names (the same functions as in ``keras.utils``)."""
from ..utils.dataset_utils import (image_dataset_from_directory, text_dataset_from_directory,
                                   timeseries_dataset_from_array)
from . import image, sequence

__all__ = ["image", "sequence", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
