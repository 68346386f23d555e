"""Chapters 5.5 and 6 of Raschka's "Build a Large Language Model (From Scratch)": "pretrained"
weights in the layout of OpenAI's GPT-2 checkpoint (a nested dict of NumPy arrays, drawn here
from NumPy) loaded into GPTModel by load_weights_into_gpt (np.split of c_attn, transposes, the
shape-checking ``assign`` that returns torch.nn.Parameter(torch.tensor(right))), checked against
a NumPy forward pass; then classification fine-tuning on a synthetic SMS spam set read from CSV:
SpamDataset padding to the longest message with <|endoftext|>, freezing with requires_grad,
a new two-class out_head, the last transformer block and final norm unfrozen, loss and accuracy
on the last token's logits (calc_accuracy_loader under torch.no_grad), train_classifier_simple,
classify_review, and saving / reloading the fine-tuned model."""
import argparse
import csv
import json
import os
import sys

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llms_gpt_pretrain import GPTModel  # noqa: E402  (the book's "previous_chapters" import)

BASE_CONFIG = {"vocab_size": 257, "context_length": 64, "emb_dim": 32, "n_heads": 4, "n_layers": 2,
               "drop_rate": 0.0, "qkv_bias": True}
PAD = 256   # <|endoftext|> of the byte tokenizer


def fake_gpt2_params(cfg, seed=0):
    """A checkpoint laid out as gpt_download.load_gpt2_params_from_tf_ckpt returns it."""
    rng = np.random.RandomState(seed)
    d, v, n = cfg["emb_dim"], cfg["vocab_size"], cfg["context_length"]

    def w(*shape, std=0.08):
        return (rng.standard_normal(shape) * std).astype(np.float32)
    blocks = []
    for _ in range(cfg["n_layers"]):
        blocks.append({
            "attn": {"c_attn": {"w": w(d, 3 * d), "b": w(3 * d, std=0.02)},
                     "c_proj": {"w": w(d, d), "b": w(d, std=0.02)}},
            "mlp": {"c_fc": {"w": w(d, 4 * d), "b": w(4 * d, std=0.02)},
                    "c_proj": {"w": w(4 * d, d), "b": w(d, std=0.02)}},
            "ln_1": {"g": 1 + w(d, std=0.1), "b": w(d, std=0.05)},
            "ln_2": {"g": 1 + w(d, std=0.1), "b": w(d, std=0.05)}})
    return {"wte": w(v, d, std=0.3), "wpe": w(n, d, std=0.1), "blocks": blocks,
            "g": 1 + w(d, std=0.1), "b": w(d, std=0.05)}


def assign(left, right):
    if left.shape != right.shape:
        raise ValueError(f"Shape mismatch. Left: {left.shape}, Right: {right.shape}")
    return torch.nn.Parameter(torch.tensor(right))


def load_weights_into_gpt(gpt, params):
    gpt.pos_emb.weight = assign(gpt.pos_emb.weight, params["wpe"])
    gpt.tok_emb.weight = assign(gpt.tok_emb.weight, params["wte"])
    for b in range(len(params["blocks"])):
        q_w, k_w, v_w = np.split(params["blocks"][b]["attn"]["c_attn"]["w"], 3, axis=-1)
        gpt.trf_blocks[b].att.W_query.weight = assign(gpt.trf_blocks[b].att.W_query.weight, q_w.T)
        gpt.trf_blocks[b].att.W_key.weight = assign(gpt.trf_blocks[b].att.W_key.weight, k_w.T)
        gpt.trf_blocks[b].att.W_value.weight = assign(gpt.trf_blocks[b].att.W_value.weight, v_w.T)
        q_b, k_b, v_b = np.split(params["blocks"][b]["attn"]["c_attn"]["b"], 3, axis=-1)
        gpt.trf_blocks[b].att.W_query.bias = assign(gpt.trf_blocks[b].att.W_query.bias, q_b)
        gpt.trf_blocks[b].att.W_key.bias = assign(gpt.trf_blocks[b].att.W_key.bias, k_b)
        gpt.trf_blocks[b].att.W_value.bias = assign(gpt.trf_blocks[b].att.W_value.bias, v_b)
        gpt.trf_blocks[b].att.out_proj.weight = assign(gpt.trf_blocks[b].att.out_proj.weight,
                                                       params["blocks"][b]["attn"]["c_proj"]["w"].T)
        gpt.trf_blocks[b].att.out_proj.bias = assign(gpt.trf_blocks[b].att.out_proj.bias,
                                                     params["blocks"][b]["attn"]["c_proj"]["b"])
        gpt.trf_blocks[b].ff.layers[0].weight = assign(gpt.trf_blocks[b].ff.layers[0].weight,
                                                       params["blocks"][b]["mlp"]["c_fc"]["w"].T)
        gpt.trf_blocks[b].ff.layers[0].bias = assign(gpt.trf_blocks[b].ff.layers[0].bias,
                                                     params["blocks"][b]["mlp"]["c_fc"]["b"])
        gpt.trf_blocks[b].ff.layers[2].weight = assign(gpt.trf_blocks[b].ff.layers[2].weight,
                                                       params["blocks"][b]["mlp"]["c_proj"]["w"].T)
        gpt.trf_blocks[b].ff.layers[2].bias = assign(gpt.trf_blocks[b].ff.layers[2].bias,
                                                     params["blocks"][b]["mlp"]["c_proj"]["b"])
        gpt.trf_blocks[b].norm1.scale = assign(gpt.trf_blocks[b].norm1.scale, params["blocks"][b]["ln_1"]["g"])
        gpt.trf_blocks[b].norm1.shift = assign(gpt.trf_blocks[b].norm1.shift, params["blocks"][b]["ln_1"]["b"])
        gpt.trf_blocks[b].norm2.scale = assign(gpt.trf_blocks[b].norm2.scale, params["blocks"][b]["ln_2"]["g"])
        gpt.trf_blocks[b].norm2.shift = assign(gpt.trf_blocks[b].norm2.shift, params["blocks"][b]["ln_2"]["b"])
    gpt.final_norm.scale = assign(gpt.final_norm.scale, params["g"])
    gpt.final_norm.shift = assign(gpt.final_norm.shift, params["b"])
    gpt.out_head.weight = assign(gpt.out_head.weight, params["wte"])


def numpy_gpt2(ids, params, n_heads):
    """picoGPT's forward pass in float64: the reference the loaded model must reproduce."""
    def layer_norm(x, g, b, eps=1e-5):
        mean = x.mean(-1, keepdims=True)
        var = x.var(-1, keepdims=True)
        return g * (x - mean) / np.sqrt(var + eps) + b

    def gelu(x):
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))

    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    p = {k: v for k, v in params.items()}
    x = p["wte"][ids].astype(np.float64) + p["wpe"][:len(ids)]
    n = len(ids)
    causal = np.triu(np.full((n, n), -np.inf), 1)
    for blk in p["blocks"]:
        h = layer_norm(x, blk["ln_1"]["g"], blk["ln_1"]["b"])
        qkv = h @ blk["attn"]["c_attn"]["w"] + blk["attn"]["c_attn"]["b"]
        q, k, v = (np.stack(np.split(t, n_heads, axis=-1)) for t in np.split(qkv, 3, axis=-1))
        att = softmax(q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1]) + causal) @ v
        x = x + np.hstack(list(att)) @ blk["attn"]["c_proj"]["w"] + blk["attn"]["c_proj"]["b"]
        h = layer_norm(x, blk["ln_2"]["g"], blk["ln_2"]["b"])
        x = x + gelu(h @ blk["mlp"]["c_fc"]["w"] + blk["mlp"]["c_fc"]["b"]) @ blk["mlp"]["c_proj"]["w"] \
            + blk["mlp"]["c_proj"]["b"]
    return layer_norm(x, p["g"], p["b"]) @ p["wte"].T


def write_sms_csvs(root):
    rng = np.random.RandomState(1)
    ham = ["see you at lunch", "call me later", "are we still on for tonight", "thanks for the ride",
           "running late sorry", "love you mom", "what time is the game", "ok sounds good"]
    spam = ["WIN a FREE prize now", "URGENT claim your cash", "you have won 1000 dollars txt WIN",
            "FREE entry call now", "cheap loans click here", "claim your reward today"]
    rows = []
    for i in range(96):
        label = i % 2
        words = (spam if label else ham)[rng.randint(0, len(spam if label else ham))].split()
        extra = (ham if label else spam)[rng.randint(0, 6)].split()[:1] if rng.rand() < 0.2 else []
        rows.append(("spam" if label else "ham", " ".join(words + extra)))
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    splits = {"train.csv": rows[:64], "validation.csv": rows[64:80], "test.csv": rows[80:]}
    for name, part in splits.items():
        with open(os.path.join(root, name), "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["Label", "Text"])
            for label, text in part:
                writer.writerow([{"ham": 0, "spam": 1}[label], text])


class SpamDataset(Dataset):
    def __init__(self, csv_file, max_length=None, pad_token_id=PAD):
        with open(csv_file, newline="") as f:
            self.data = list(csv.DictReader(f))
        self.encoded_texts = [list(row["Text"].encode("utf-8")) for row in self.data]
        if max_length is None:
            self.max_length = self._longest_encoded_length()
        else:
            self.max_length = max_length
            self.encoded_texts = [encoded_text[:self.max_length] for encoded_text in self.encoded_texts]
        self.encoded_texts = [encoded_text + [pad_token_id] * (self.max_length - len(encoded_text))
                              for encoded_text in self.encoded_texts]

    def __getitem__(self, index):
        encoded = self.encoded_texts[index]
        label = int(self.data[index]["Label"])
        return torch.tensor(encoded, dtype=torch.long), torch.tensor(label, dtype=torch.long)

    def __len__(self):
        return len(self.data)

    def _longest_encoded_length(self):
        max_length = 0
        for encoded_text in self.encoded_texts:
            encoded_length = len(encoded_text)
            if encoded_length > max_length:
                max_length = encoded_length
        return max_length


def calc_accuracy_loader(data_loader, model, device, num_batches=None):
    model.eval()
    correct_predictions, num_examples = 0, 0
    if num_batches is None:
        num_batches = len(data_loader)
    else:
        num_batches = min(num_batches, len(data_loader))
    for i, (input_batch, target_batch) in enumerate(data_loader):
        if i < num_batches:
            input_batch, target_batch = input_batch.to(device), target_batch.to(device)
            with torch.no_grad():
                logits = model(input_batch)[:, -1, :]
            predicted_labels = torch.argmax(logits, dim=-1)
            num_examples += predicted_labels.shape[0]
            correct_predictions += (predicted_labels == target_batch).sum().item()
        else:
            break
    return correct_predictions / num_examples


def calc_loss_batch(input_batch, target_batch, model, device):
    input_batch, target_batch = input_batch.to(device), target_batch.to(device)
    logits = model(input_batch)[:, -1, :]
    return torch.nn.functional.cross_entropy(logits, target_batch)


def calc_loss_loader(data_loader, model, device, num_batches=None):
    total_loss = 0.
    if len(data_loader) == 0:
        return float("nan")
    elif num_batches is None:
        num_batches = len(data_loader)
    else:
        num_batches = min(num_batches, len(data_loader))
    for i, (input_batch, target_batch) in enumerate(data_loader):
        if i < num_batches:
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            total_loss += loss.item()
        else:
            break
    return total_loss / num_batches


def evaluate_model(model, train_loader, val_loader, device, eval_iter):
    model.eval()
    with torch.no_grad():
        train_loss = calc_loss_loader(train_loader, model, device, num_batches=eval_iter)
        val_loss = calc_loss_loader(val_loader, model, device, num_batches=eval_iter)
    model.train()
    return train_loss, val_loss


def train_classifier_simple(model, train_loader, val_loader, optimizer, device, num_epochs, eval_freq, eval_iter):
    train_losses, val_losses, train_accs, val_accs, batch_losses = [], [], [], [], []
    examples_seen, global_step = 0, -1
    for epoch in range(num_epochs):
        model.train()
        for input_batch, target_batch in train_loader:
            optimizer.zero_grad()
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
            examples_seen += input_batch.shape[0]
            global_step += 1
            if global_step % eval_freq == 0:
                train_loss, val_loss = evaluate_model(model, train_loader, val_loader, device, eval_iter)
                train_losses.append(train_loss)
                val_losses.append(val_loss)
                print(f"Ep {epoch + 1} (Step {global_step:06d}): Train loss {train_loss:.3f}, Val loss {val_loss:.3f}")
        train_accuracy = calc_accuracy_loader(train_loader, model, device, num_batches=eval_iter)
        val_accuracy = calc_accuracy_loader(val_loader, model, device, num_batches=eval_iter)
        train_accs.append(train_accuracy)
        val_accs.append(val_accuracy)
    return train_losses, val_losses, train_accs, val_accs, examples_seen, batch_losses


def classify_review(text, model, device, max_length=None, pad_token_id=PAD):
    model.eval()
    input_ids = list(text.encode("utf-8"))
    supported_context_length = model.pos_emb.weight.shape[0]
    input_ids = input_ids[:min(max_length, supported_context_length)]
    input_ids += [pad_token_id] * (max_length - len(input_ids))
    input_tensor = torch.tensor(input_ids, device=device).unsqueeze(0)
    with torch.no_grad():
        logits = model(input_tensor)[:, -1, :]
    predicted_label = torch.argmax(logits, dim=-1).item()
    return "spam" if predicted_label == 1 else "not spam"


def main():
    parser = argparse.ArgumentParser(description="LLMs from scratch, chapters 5.5 and 6")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    device = torch.device("cpu")
    out = {}

    params = fake_gpt2_params(BASE_CONFIG)
    model = GPTModel(BASE_CONFIG)
    load_weights_into_gpt(model, params)
    model.eval()
    out["is_parameter"] = isinstance(model.trf_blocks[0].att.W_key.weight, torch.nn.Parameter)
    out["requires_grad"] = model.trf_blocks[0].att.W_key.weight.requires_grad
    out["n_params"] = sum(p.numel() for p in model.parameters())
    try:
        assign(model.tok_emb.weight, params["wpe"])
        out["mismatch"] = None
    except ValueError as exc:
        out["mismatch"] = str(exc)
    ids = list(b"Every effort moves you")
    with torch.no_grad():
        logits = model(torch.tensor([ids]))[0]
    reference = numpy_gpt2(np.array(ids), params, BASE_CONFIG["n_heads"])
    out["numpy_max_diff"] = float(np.abs(logits.numpy() - reference).max())
    out["loaded_logits"] = logits[-1, :12].tolist()
    out["next_byte"] = torch.argmax(logits[-1]).item()

    write_sms_csvs(".")
    train_dataset = SpamDataset("train.csv", max_length=None)
    val_dataset = SpamDataset("validation.csv", max_length=train_dataset.max_length)
    test_dataset = SpamDataset("test.csv", max_length=train_dataset.max_length)
    out["max_length"] = train_dataset.max_length
    num_workers, batch_size = 0, 8
    # shuffle=False keeps the batch order out of either framework's random stream.
    train_loader = DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=False,
                              num_workers=num_workers, drop_last=True)
    val_loader = DataLoader(dataset=val_dataset, batch_size=batch_size, num_workers=num_workers, drop_last=False)
    test_loader = DataLoader(dataset=test_dataset, batch_size=batch_size, num_workers=num_workers, drop_last=False)
    first = next(iter(train_loader))
    out["batch_shapes"] = [list(first[0].shape), list(first[1].shape)]

    for param in model.parameters():
        param.requires_grad = False
    torch.manual_seed(123)
    num_classes = 2
    model.out_head = torch.nn.Linear(in_features=BASE_CONFIG["emb_dim"], out_features=num_classes)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.out_head.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.out_head.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    for param in model.trf_blocks[-1].parameters():
        param.requires_grad = True
    for param in model.final_norm.parameters():
        param.requires_grad = True
    out["trainable"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    out["trainable_names"] = [n for n, p in model.named_parameters() if p.requires_grad]

    inputs = torch.tensor(list(b"Do you have time")).unsqueeze(0)
    with torch.no_grad():
        outputs = model(inputs)
    out["outputs_shape"] = list(outputs.shape)
    out["last_token_logits"] = outputs[:, -1, :].tolist()
    with torch.no_grad():
        out["initial"] = [calc_accuracy_loader(train_loader, model, device, num_batches=4),
                          calc_accuracy_loader(val_loader, model, device),
                          calc_loss_loader(train_loader, model, device, num_batches=4),
                          calc_loss_loader(test_loader, model, device)]

    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.1)
    train_losses, val_losses, train_accs, val_accs, examples_seen, batch_losses = train_classifier_simple(
        model, train_loader, val_loader, optimizer, device, num_epochs=args.epochs, eval_freq=4, eval_iter=2)
    out.update(train_losses=train_losses, val_losses=val_losses, train_accs=train_accs, val_accs=val_accs,
               examples_seen=examples_seen, batch_losses=batch_losses)
    out["final_acc"] = [calc_accuracy_loader(loader, model, device) for loader in (train_loader, val_loader,
                                                                                    test_loader)]
    frozen = model.trf_blocks[0].att.W_key.weight
    out["frozen_unchanged"] = bool(torch.equal(frozen, torch.tensor(np.split(params["blocks"][0]["attn"]["c_attn"]["w"],
                                                                                 3, axis=-1)[1].T)))
    out["reviews"] = [classify_review(t, model, device, max_length=train_dataset.max_length)
                      for t in ("WIN a FREE prize now", "see you at lunch", "URGENT call now", "ok thanks")]
    torch.save(model.state_dict(), "review_classifier.pth")
    model_state_dict = torch.load("review_classifier.pth", map_location=device, weights_only=True)
    model2 = GPTModel(BASE_CONFIG)
    model2.out_head = torch.nn.Linear(in_features=BASE_CONFIG["emb_dim"], out_features=num_classes)
    model2.load_state_dict(model_state_dict)
    out["reloaded_acc"] = calc_accuracy_loader(test_loader, model2, device)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
