"""CTC speech recognition in the manner of AssemblyAI's "Building an end-to-end Speech Recognition
model in PyTorch" (DeepSpeech2-style) and torchaudio's ASR tutorials, on synthetic "speech": each
symbol is a short tone. Features are a log-mel spectrogram from torch.stft with a hann_window and
a triangular mel filterbank; waveforms are padded with pad_sequence; a strided Conv1d front end
with BatchNorm1d and GELU feeds a bidirectional GRU; nn.CTCLoss(blank=0, zero_infinity=True)
takes log_softmax(dim=2).transpose(0, 1), concatenated targets and int32 lengths; OneCycleLR
(anneal_strategy="linear") schedules AdamW; greedy CTC decoding collapses repeats with
torch.unique_consecutive and drops blanks; a character error rate from an edit distance."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

SAMPLE_RATE = 4000
N_FFT, HOP, N_MELS = 128, 64, 20
TONES = {1: 300.0, 2: 550.0, 3: 800.0, 4: 1100.0, 5: 1500.0}  # label 0 is the CTC blank


def synth(rng, labels):
    pieces = []
    for lab in labels:
        n = rng.randint(int(0.05 * SAMPLE_RATE), int(0.08 * SAMPLE_RATE))
        t = np.arange(n) / SAMPLE_RATE
        pieces.append(np.sin(2 * np.pi * TONES[lab] * t) * np.hanning(n))
        pieces.append(np.zeros(rng.randint(20, 60)))
    wave = np.concatenate(pieces) + 0.02 * rng.randn(sum(len(p) for p in pieces))
    return torch.from_numpy(wave.astype(np.float32))


def mel_filterbank(n_freqs, n_mels, sample_rate):
    def hz_to_mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)
    m_pts = torch.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2), n_mels + 2)
    f_pts = 700.0 * (10 ** (m_pts / 2595.0) - 1.0)
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.max(torch.zeros(1), torch.min(down, up))  # (n_freqs, n_mels)


def log_mel(waveforms, fbank):
    spec = torch.stft(waveforms, n_fft=N_FFT, hop_length=HOP, window=torch.hann_window(N_FFT),
                      center=True, pad_mode="reflect", return_complex=True)
    power = spec.abs().pow(2.0)                                   # (batch, freq, frames)
    mel = torch.matmul(power.transpose(1, 2), fbank).transpose(1, 2)
    return torch.log(mel + 1e-6)


class SpeechModel(nn.Module):
    def __init__(self, n_feats, n_class, hidden=32, rnn_dim=32):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv1d(n_feats, hidden, kernel_size=3, stride=2, padding=1),
                                 nn.BatchNorm1d(hidden), nn.GELU(),
                                 nn.Conv1d(hidden, hidden, kernel_size=3, padding=1), nn.GELU())
        self.rnn = nn.GRU(hidden, rnn_dim, num_layers=1, batch_first=True, bidirectional=True)
        self.norm = nn.LayerNorm(2 * rnn_dim)
        self.classifier = nn.Linear(2 * rnn_dim, n_class)

    def forward(self, x):                       # x: (batch, n_feats, time)
        x = self.cnn(x)
        x = x.transpose(1, 2)                   # (batch, time, feature)
        x, _ = self.rnn(x)
        return self.classifier(F.gelu(self.norm(x)))


def conv_out_len(n):
    return torch.div(n + 2 * 1 - 3, 2, rounding_mode="floor") + 1


def greedy_decode(log_probs, lengths, blank=0):
    out = []
    best = torch.argmax(log_probs, dim=2)
    for seq, n in zip(best, lengths):
        collapsed = torch.unique_consecutive(seq[:n])
        out.append([int(c) for c in collapsed if c != blank])
    return out


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[-1]


def main():
    parser = argparse.ArgumentParser(description="CTC speech recognition on synthetic tones")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(7)
    rng = np.random.RandomState(0)
    utterances = [list(rng.randint(1, 6, size=rng.randint(2, 5))) for _ in range(96)]
    waves = [synth(rng, u) for u in utterances]
    fbank = mel_filterbank(N_FFT // 2 + 1, N_MELS, SAMPLE_RATE)

    batches = []
    for i in range(0, len(waves), args.batch_size):
        w = waves[i:i + args.batch_size]
        wave_lengths = torch.tensor([len(x) for x in w])
        feats = log_mel(pad_sequence(w, batch_first=True), fbank)
        feats = (feats - feats.mean(dim=(1, 2), keepdim=True)) / feats.std(dim=(1, 2), keepdim=True)
        frames = torch.div(wave_lengths, HOP, rounding_mode="floor") + 1
        labels = utterances[i:i + args.batch_size]
        targets = torch.cat([torch.tensor(u) for u in labels])
        target_lengths = torch.tensor([len(u) for u in labels], dtype=torch.int32)
        batches.append((feats, conv_out_len(frames).to(torch.int32), targets, target_lengths, labels))
    train, test = batches[:-1], batches[-1]

    model = SpeechModel(N_MELS, len(TONES) + 1)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    criterion = nn.CTCLoss(blank=0, zero_infinity=True)
    optimizer = torch.optim.AdamW(model.parameters(), args.lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, steps_per_epoch=len(train),
                                                    epochs=args.epochs, anneal_strategy="linear")
    losses, lrs = [], []
    for epoch in range(args.epochs):
        model.train()
        for feats, input_lengths, targets, target_lengths, _ in train:
            optimizer.zero_grad()
            output = model(feats)                       # (batch, time, n_class)
            output = F.log_softmax(output, dim=2)
            output = output.transpose(0, 1)             # (time, batch, n_class)
            loss = criterion(output, targets, input_lengths, target_lengths)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])
        print(f"epoch {epoch} loss {losses[-1]:.4f}")

    model.eval()
    feats, input_lengths, targets, target_lengths, labels = test
    with torch.no_grad():
        log_probs = F.log_softmax(model(feats), dim=2)
        test_loss = criterion(log_probs.transpose(0, 1), targets, input_lengths, target_lengths).item()
        per_utt = F.ctc_loss(log_probs.transpose(0, 1), targets, input_lengths, target_lengths,
                             reduction="none").tolist()
    decoded = greedy_decode(log_probs, input_lengths.tolist())
    cer = sum(edit_distance(d, t) for d, t in zip(decoded, labels)) / sum(len(t) for t in labels)
    print("decoded", decoded[:4], "targets", labels[:4])
    print("RESULT " + json.dumps({"losses": losses, "lrs": lrs, "test_loss": test_loss, "per_utt": per_utt,
                                  "cer": cer, "decoded": decoded, "feat_shape": list(feats.shape),
                                  "input_lengths": input_lengths.tolist()}))


if __name__ == "__main__":
    main()
