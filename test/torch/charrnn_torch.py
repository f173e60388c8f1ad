"""The char-RNN of LSTM Lens, built from stock PyTorch modules: an independent reference.

torch.nn.LSTM / GRU / RNN(tanh) over one-hot characters, then nn.Linear to V logits.
State-dict names match our checkpoint one to one: rnn.weight_ih_l{k}, rnn.weight_hh_l{k},
rnn.bias_ih_l{k}, rnn.bias_hh_l{k}, decoder.weight, decoder.bias.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

_RNN_CLASSES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class CharRNN(nn.Module):
    def __init__(self, cell, layers, hidden, vocab_size, dropout=0.0):
        super().__init__()
        self.cell, self.layers, self.hidden, self.vocab_size = cell, layers, hidden, vocab_size
        kwargs = dict(input_size=vocab_size, hidden_size=hidden, num_layers=layers, dropout=dropout)
        if cell == "rnn":
            kwargs["nonlinearity"] = "tanh"
        self.rnn = _RNN_CLASSES[cell](**kwargs)  # time-major: x (T,B,V)
        self.decoder = nn.Linear(hidden, vocab_size)

    def zero_state(self, batch, dtype=torch.float32):
        h = torch.zeros(self.layers, batch, self.hidden, dtype=dtype)
        return (h, torch.zeros_like(h)) if self.cell == "lstm" else h

    def forward(self, ids, state):
        """ids (T,B) int64 -> logits (T,B,V), new state (h (L,B,H), and c for LSTM)."""
        x = F.one_hot(ids, self.vocab_size).to(self.decoder.weight.dtype)
        out, state = self.rnn(x, state)
        return self.decoder(out), state

    def forward_with_masks(self, ids, state, masks):
        """forward with given dropout masks: masks[k] (T,B,H) multiplies layer k's output for
        k < L-1 (inverted dropout, so its entries are 0 or 1/(1-p)). torch.nn.LSTM(dropout=p)
        draws its own masks in training mode; this is the same computation with masks both
        sides share. It runs the stack one layer at a time, through single-layer modules that
        hold this model's own parameters, so the gradients land on rnn.*_l{k}."""
        x = F.one_hot(ids, self.vocab_size).to(self.decoder.weight.dtype)
        lstm = self.cell == "lstm"
        hs, cs = [], []
        for k in range(self.layers):
            layer = self._single_layer(k)
            s = (state[0][k:k + 1], state[1][k:k + 1]) if lstm else state[k:k + 1]
            x, s = layer(x, s)
            hs.append(s[0] if lstm else s)
            if lstm:
                cs.append(s[1])
            if k < self.layers - 1:
                x = x * masks[k]
        h = torch.cat(hs)
        return self.decoder(x), ((h, torch.cat(cs)) if lstm else h)

    def _single_layer(self, k):
        """A one-layer module of this cell whose parameters ARE this model's layer-k tensors."""
        kwargs = dict(input_size=self.vocab_size if k == 0 else self.hidden, hidden_size=self.hidden,
                      num_layers=1)
        if self.cell == "rnn":
            kwargs["nonlinearity"] = "tanh"
        layer = _RNN_CLASSES[self.cell](**kwargs)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            # RNNBase.__setattr__ also updates the module's _flat_weights, which forward reads
            setattr(layer, f"{name}_l0", getattr(self.rnn, f"{name}_l{k}"))
        return layer


def sum_nats(logits, targets):
    """Σ −ln p(target) over positions whose target ≥ 0 (negative targets are masked)."""
    V = logits.shape[-1]
    logp = F.log_softmax(logits.reshape(-1, V), dim=-1)
    t = targets.reshape(-1)
    mask = t >= 0
    picked = logp.gather(1, t.clamp(min=0).unsqueeze(1)).squeeze(1)
    return -(picked * mask.to(logp.dtype)).sum()


def split_state(model, state):
    """-> (h, c or None) for any cell type."""
    return (state[0], state[1]) if model.cell == "lstm" else (state, None)
