"""``ImageList`` (torchvision.models.detection.image_list): a batch of images padded to one size,
with each image's own ``(height, width)`` before padding.

>>> import ember
>>> il = ImageList(ember.zeros(2, 3, 32, 32), [(30, 28), (32, 20)])
>>> il.image_sizes[1], tuple(il.tensors.shape)
((32, 20), (2, 3, 32, 32))
"""


class ImageList:
    """``tensors`` (N, C, H, W), the padded batch; ``image_sizes``, one ``(h, w)`` per image."""

    def __init__(self, tensors, image_sizes):
        self.tensors = tensors
        self.image_sizes = image_sizes

    def to(self, device):
        return ImageList(self.tensors.to(device), self.image_sizes)
