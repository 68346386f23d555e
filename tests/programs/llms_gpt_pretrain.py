"""Chapters 4 and 5 of Raschka's "Build a Large Language Model (From Scratch)": the GPTModel with
LayerNorm written by hand (var with unbiased=False), GELU's tanh approximation written by hand,
FeedForward, TransformerBlock with shortcut connections, the shortcut-gradient experiment
(ExampleDeepNeuralNetwork, mean absolute weight gradients per layer), generate_text_simple; then
pretraining with calc_loss_batch / calc_loss_loader / evaluate_model / train_model_simple over a
byte-tokenized story, generate() with temperature scaling and top-k filtering (torch.topk,
torch.where with -inf, torch.multinomial), and saving / loading the model and AdamW state with
torch.save / torch.load."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

GPT_CONFIG = {"vocab_size": 257, "context_length": 16, "emb_dim": 32, "n_heads": 4, "n_layers": 2,
              "drop_rate": 0.1, "qkv_bias": False}


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        assert d_out % num_heads == 0, "d_out must be divisible by num_heads"
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))

    def forward(self, x):
        b, num_tokens, d_in = x.shape
        keys = self.W_key(x).view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        queries = self.W_query(x).view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        values = self.W_value(x).view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
        attn_scores = queries @ keys.transpose(2, 3)
        mask_bool = self.mask.bool()[:num_tokens, :num_tokens]
        attn_scores.masked_fill_(mask_bool, -torch.inf)
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        attn_weights = self.dropout(attn_weights)
        context_vec = (attn_weights @ values).transpose(1, 2)
        context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
        return self.out_proj(context_vec)


class LayerNorm(nn.Module):
    def __init__(self, emb_dim):
        super().__init__()
        self.eps = 1e-5
        self.scale = nn.Parameter(torch.ones(emb_dim))
        self.shift = nn.Parameter(torch.zeros(emb_dim))

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        norm_x = (x - mean) / torch.sqrt(var + self.eps)
        return self.scale * norm_x + self.shift


class GELU(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return 0.5 * x * (1 + torch.tanh(torch.sqrt(torch.tensor(2.0 / torch.pi)) * (x + 0.044715 * torch.pow(x, 3))))


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(cfg["emb_dim"], 4 * cfg["emb_dim"]), GELU(),
                                    nn.Linear(4 * cfg["emb_dim"], cfg["emb_dim"]))

    def forward(self, x):
        return self.layers(x)


class TransformerBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.att = MultiHeadAttention(d_in=cfg["emb_dim"], d_out=cfg["emb_dim"], context_length=cfg["context_length"],
                                      num_heads=cfg["n_heads"], dropout=cfg["drop_rate"], qkv_bias=cfg["qkv_bias"])
        self.ff = FeedForward(cfg)
        self.norm1 = LayerNorm(cfg["emb_dim"])
        self.norm2 = LayerNorm(cfg["emb_dim"])
        self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

    def forward(self, x):
        shortcut = x
        x = self.norm1(x)
        x = self.att(x)
        x = self.drop_shortcut(x)
        x = x + shortcut
        shortcut = x
        x = self.norm2(x)
        x = self.ff(x)
        x = self.drop_shortcut(x)
        x = x + shortcut
        return x


class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        batch_size, seq_len = in_idx.shape
        tok_embeds = self.tok_emb(in_idx)
        pos_embeds = self.pos_emb(torch.arange(seq_len, device=in_idx.device))
        x = tok_embeds + pos_embeds
        x = self.drop_emb(x)
        x = self.trf_blocks(x)
        x = self.final_norm(x)
        return self.out_head(x)


class ExampleDeepNeuralNetwork(nn.Module):
    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList([nn.Sequential(nn.Linear(layer_sizes[i], layer_sizes[i + 1]), GELU())
                                     for i in range(len(layer_sizes) - 1)])

    def forward(self, x):
        for layer in self.layers:
            layer_output = layer(x)
            if self.use_shortcut and x.shape == layer_output.shape:
                x = x + layer_output
            else:
                x = layer_output
        return x


def print_gradients(model, x):
    output = model(x)
    target = torch.tensor([[0.]])
    loss = nn.MSELoss()
    loss = loss(output, target)
    loss.backward()
    grads = []
    for name, param in model.named_parameters():
        if "weight" in name:
            grads.append(param.grad.abs().mean().item())
    return grads


def generate_text_simple(model, idx, max_new_tokens, context_size):
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]
        with torch.no_grad():
            logits = model(idx_cond)
        logits = logits[:, -1, :]
        probas = torch.softmax(logits, dim=-1)
        idx_next = torch.argmax(probas, dim=-1, keepdim=True)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


def generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None, eos_id=None):
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]
        with torch.no_grad():
            logits = model(idx_cond)
        logits = logits[:, -1, :]
        if top_k is not None:
            top_logits, _ = torch.topk(logits, top_k)
            min_val = top_logits[:, -1]
            logits = torch.where(logits < min_val, torch.tensor(float("-inf")).to(logits.device), logits)
        if temperature > 0.0:
            logits = logits / temperature
            probs = torch.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
        else:
            idx_next = torch.argmax(logits, dim=-1, keepdim=True)
        if idx_next == eos_id:
            break
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


def text_to_token_ids(text):
    return torch.tensor(list(text.encode("utf-8"))).unsqueeze(0)


def token_ids_to_text(token_ids):
    flat = token_ids.squeeze(0)
    return bytes(i for i in flat.tolist() if i < 256).decode("utf-8", errors="replace")


class GPTDatasetV1(Dataset):
    def __init__(self, token_ids, max_length, stride):
        self.input_ids = []
        self.target_ids = []
        for i in range(0, len(token_ids) - max_length, stride):
            self.input_ids.append(torch.tensor(token_ids[i:i + max_length]))
            self.target_ids.append(torch.tensor(token_ids[i + 1:i + max_length + 1]))

    def __len__(self):
        return len(self.input_ids)

    def __getitem__(self, idx):
        return self.input_ids[idx], self.target_ids[idx]


def calc_loss_batch(input_batch, target_batch, model, device):
    input_batch, target_batch = input_batch.to(device), target_batch.to(device)
    logits = model(input_batch)
    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), target_batch.flatten())


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


def generate_and_print_sample(model, start_context, device):
    model.eval()
    context_size = model.pos_emb.weight.shape[0]
    encoded = text_to_token_ids(start_context).to(device)
    with torch.no_grad():
        token_ids = generate_text_simple(model=model, idx=encoded, max_new_tokens=8, context_size=context_size)
    decoded_text = token_ids_to_text(token_ids)
    print(decoded_text.replace("\n", " "))
    model.train()
    return token_ids.squeeze(0).tolist()


def train_model_simple(model, train_loader, val_loader, optimizer, device, num_epochs, eval_freq, eval_iter,
                       start_context):
    train_losses, val_losses, track_tokens_seen, batch_losses, samples = [], [], [], [], []
    tokens_seen, global_step = 0, -1
    for epoch in range(num_epochs):
        model.train()
        for input_batch, target_batch in train_loader:
            optimizer.zero_grad()
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
            tokens_seen += input_batch.numel()
            global_step += 1
            if global_step % eval_freq == 0:
                train_loss, val_loss = evaluate_model(model, train_loader, val_loader, device, eval_iter)
                train_losses.append(train_loss)
                val_losses.append(val_loss)
                track_tokens_seen.append(tokens_seen)
                print(f"Ep {epoch + 1} (Step {global_step:06d}): Train loss {train_loss:.3f}, Val loss {val_loss:.3f}")
        samples.append(generate_and_print_sample(model, start_context, device))
    return train_losses, val_losses, track_tokens_seen, batch_losses, samples


def main():
    parser = argparse.ArgumentParser(description="LLMs from scratch, chapters 4 and 5")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out = {}

    torch.manual_seed(123)
    shortcut_free = ExampleDeepNeuralNetwork([3, 3, 3, 3, 3, 1], use_shortcut=False)
    torch.manual_seed(123)
    with_shortcut = ExampleDeepNeuralNetwork([3, 3, 3, 3, 3, 1], use_shortcut=True)
    torch.manual_seed(123)
    model = GPTModel(GPT_CONFIG)
    everything = nn.ModuleDict({"plain": shortcut_free, "shortcut": with_shortcut, "gpt": model})
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in everything.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            everything.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})

    # 4.2-4.4: the pieces on their own.
    batch_example = torch.tensor([[0.2, -1.3, 0.5, 0.9, 1.1], [-0.4, 0.7, 2.0, -0.1, 0.3]])
    ln = LayerNorm(emb_dim=5)
    out_ln = ln(batch_example)
    out["ln_mean"] = out_ln.mean(dim=-1, keepdim=True).abs().max().item() < 1e-6
    out["ln_var"] = out_ln.var(dim=-1, keepdim=True, unbiased=False).squeeze(-1).tolist()
    x = torch.linspace(-3, 3, 25)
    out["gelu"] = GELU()(x).tolist()
    out["gelu_vs_builtin"] = (GELU()(x) - nn.functional.gelu(x, approximate="tanh")).abs().max().item()
    sample_input = torch.tensor([[1., 0., -1.]])
    out["grads_plain"] = print_gradients(shortcut_free, sample_input)
    out["grads_shortcut"] = print_gradients(with_shortcut, sample_input)

    total_params = sum(p.numel() for p in model.parameters())
    total_params_gpt2 = total_params - sum(p.numel() for p in model.out_head.parameters())
    out["params"] = [total_params, total_params_gpt2]
    out["size_mb"] = total_params * 4 / (1024 * 1024)

    story = ("Every effort moves you forward. The cat sat on the warm mat while the old dog slept. "
             "Every morning the baker opens the shop, and every evening he counts the coins. ")
    rng = np.random.RandomState(0)
    sentences = story.split(". ")
    text_data = ". ".join(sentences[i] for i in rng.randint(0, len(sentences), 24))
    token_ids = list(text_data.encode("utf-8"))
    split_idx = int(0.85 * len(token_ids))
    ctx = GPT_CONFIG["context_length"]
    train_loader = DataLoader(GPTDatasetV1(token_ids[:split_idx], ctx, ctx), batch_size=8, shuffle=False,
                              drop_last=True)
    val_loader = DataLoader(GPTDatasetV1(token_ids[split_idx:], ctx, ctx), batch_size=8, shuffle=False,
                            drop_last=False)
    out["loader_sizes"] = [len(train_loader), len(val_loader)]

    model.eval()  # dropout off for the numbers both frameworks must agree on
    start = text_to_token_ids("Every effort")
    out["untrained_greedy"] = generate_text_simple(model, start, 6, ctx).tolist()
    with torch.no_grad():
        out["initial_losses"] = [calc_loss_loader(train_loader, model, device),
                                 calc_loss_loader(val_loader, model, device)]
        inputs = torch.tensor([list(b"every"), list(b"the ca")[:5]])
        targets = torch.tensor([list(b"very "), list(b"he cat")[:5]])
        logits = model(inputs)
        probas = torch.softmax(logits, dim=-1)
        text_idx = 0
        target_probas_1 = probas[text_idx, [0, 1, 2, 3, 4], targets[text_idx]]
        log_probas = torch.log(torch.cat((target_probas_1, probas[1, [0, 1, 2, 3, 4], targets[1]])))
        neg_avg_log_probas = torch.mean(log_probas) * -1
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())
        out["manual_ce"] = [neg_avg_log_probas.item(), loss.item(), torch.exp(loss).item()]

    # Dropout off for training too, so the losses can be compared step by step.
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.0004 * 10, weight_decay=0.1)
    train_losses, val_losses, tokens_seen, batch_losses, samples = train_model_simple(
        model, train_loader, val_loader, optimizer, device, num_epochs=args.epochs, eval_freq=2, eval_iter=2,
        start_context="Every effort")
    out["train_losses"], out["val_losses"], out["tokens_seen"] = train_losses, val_losses, tokens_seen
    out["batch_losses"], out["samples"] = batch_losses, samples

    # 5.3: temperature scaling and top-k on a fixed next-token logit vector.
    vocab = {"closer": 0, "every": 1, "effort": 2, "forward": 3, "inches": 4, "moves": 5, "pizza": 6, "toward": 7,
             "you": 8}
    inverse_vocab = {v: k for k, v in vocab.items()}
    next_token_logits = torch.tensor([4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79])
    probas = torch.softmax(next_token_logits, dim=0)
    out["greedy_word"] = inverse_vocab[torch.argmax(probas).item()]

    def softmax_with_temperature(logits, temperature):
        return torch.softmax(logits / temperature, dim=0)
    out["temperatures"] = [softmax_with_temperature(next_token_logits, T).tolist() for T in (1, 0.1, 5)]
    top_logits, top_pos = torch.topk(next_token_logits, 3)
    new_logits = torch.where(condition=next_token_logits < top_logits[-1], input=torch.tensor(float("-inf")),
                             other=next_token_logits)
    out["topk"] = [top_logits.tolist(), top_pos.tolist(), torch.softmax(new_logits, dim=0).tolist()]
    torch.manual_seed(123)
    sample = [torch.multinomial(probas, num_samples=1).item() for _ in range(200)]
    out["sample_in_vocab"] = all(0 <= s < 9 for s in sample)
    out["sample_mostly_top2"] = sum(s in (3, 7) for s in sample) > 150

    model.eval()
    greedy = generate(model, text_to_token_ids("Every effort"), 8, ctx, temperature=0.0, top_k=None)
    topk1 = generate(model, text_to_token_ids("Every effort"), 8, ctx, temperature=1.4, top_k=1)
    sampled = generate(model, text_to_token_ids("Every effort"), 8, ctx, temperature=1.4, top_k=25)
    out["greedy"], out["topk1_is_greedy"] = greedy.tolist(), topk1.tolist() == greedy.tolist()
    out["sampled_shape"] = list(sampled.shape)
    out["eos_stop"] = generate(model, text_to_token_ids("Every effort"), 8, ctx, eos_id=greedy[0, 12].item()).shape[1]

    # 5.4: save and reload model and optimizer, then keep training.
    torch.save({"model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict()},
               "model_and_optimizer.pth")
    checkpoint = torch.load("model_and_optimizer.pth", weights_only=True)
    model2 = GPTModel(GPT_CONFIG)
    model2.load_state_dict(checkpoint["model_state_dict"])
    for m in model2.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    optimizer2 = torch.optim.AdamW(model2.parameters(), lr=5e-4, weight_decay=0.1)
    optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
    out["reloaded_lr"] = optimizer2.param_groups[0]["lr"]
    out["reloaded_step"] = float(optimizer2.state_dict()["state"][0]["step"])
    model2.train()
    more = []
    for input_batch, target_batch in train_loader:
        optimizer2.zero_grad()
        loss = calc_loss_batch(input_batch, target_batch, model2, device)
        loss.backward()
        optimizer2.step()
        more.append(loss.item())
    out["resumed_losses"] = more
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
