"""mu-law companding (torchaudio's ``mu_law_encoding`` / ``mu_law_decoding``), ``mu = quantization_channels - 1``:

    encode: y = sign(x) ln(1 + mu |x|) / ln(1 + mu),  q = floor((y + 1) / 2 * mu + 0.5)   (0 .. mu)
    decode: y = 2 q / mu - 1,  x = sign(y) ((1 + mu) ** |y| - 1) / mu

Eight bits of mu-law keep speech at about the quality of 13-bit linear PCM (the telephone's G.711 idea);
ember's bundled wake-word sample is stored this way.

>>> import ember
>>> from ember.audio import functional as AF
>>> q = AF.mu_law_encoding(ember.tensor([-1.0, 0.0, 0.5, 1.0]), 256)
>>> q
tensor([  0, 128, 239, 255])
>>> back = AF.mu_law_decoding(q, 256)
>>> bool((back - ember.tensor([-1.0, 0.0, 0.5, 1.0])).abs().max() < 0.01)
True
"""
import numpy as np

__all__ = ["mu_law_encoding", "mu_law_decoding"]


def mu_law_encoding(x, quantization_channels):
    """Floats in [-1, 1] to integers 0 .. quantization_channels - 1 (int64)."""
    import ember
    mu = float(quantization_channels - 1)
    a = x.detach().numpy().astype(np.float64) if hasattr(x, "detach") else np.asarray(x, np.float64)
    y = np.sign(a) * np.log1p(mu * np.abs(a)) / np.log1p(mu)
    return ember.from_numpy(np.floor((y + 1) / 2 * mu + 0.5).astype(np.int64))


def mu_law_decoding(x_mu, quantization_channels):
    """Integers 0 .. quantization_channels - 1 back to floats in [-1, 1] (float32)."""
    import ember
    mu = float(quantization_channels - 1)
    q = x_mu.numpy() if hasattr(x_mu, "numpy") else np.asarray(x_mu)
    # one value per code: a table lookup instead of a power per sample
    y = np.arange(quantization_channels, dtype=np.float64) / mu * 2 - 1.0
    table = (np.sign(y) * (np.power(1.0 + mu, np.abs(y)) - 1.0) / mu).astype(np.float32)
    return ember.from_numpy(table[q.astype(np.int64)])
