"""What ember.audio's datasets share: fetching an archive with its SHA-256 checked, and loading a clip
whose sample rate must be the dataset's."""
import os


def fetch_and_extract(url, archive, dest, sha256, name):
    """Download ``url`` to ``archive`` unless it is there, then unpack it (safely) under ``dest``."""
    from ember.vision.datasets.download import download_file, extract_tar
    if not os.path.isfile(archive):
        os.makedirs(os.path.dirname(archive) or ".", exist_ok=True)
        download_file([url], archive, sha256=sha256, timeout=120.0,
                      hint=f"Without network, put {os.path.basename(archive)} in {os.path.dirname(archive)} by "
                           f"hand ({name}).")
    extract_tar(archive, dest)


def load_waveform(root, filename, expected_sample_rate):
    """``ember.audio.load(root/filename)``'s waveform, checking its sample rate."""
    from .._wav import load
    path = os.path.join(root, filename)
    waveform, sample_rate = load(path)
    if sample_rate != expected_sample_rate:
        raise ValueError(f"{path}: sample rate should be {expected_sample_rate}, but got {sample_rate}")
    return waveform
