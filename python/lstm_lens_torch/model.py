"""The char-RNN: torch.nn.LSTM / GRU / RNN(tanh) over one-hot characters, then nn.Linear.

Shapes (time-major, as the engine): ids (T, B) int64; x (T, B, V) one-hot; h, c (L, B, H);
logits (T, B, V). Layer 0's weight_ih is G·H × V, so the state dict is the checkpoint's tensors
one to one (rnn.weight_ih_l0, ..., decoder.weight, decoder.bias).
"""
from __future__ import annotations

from typing import Dict, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

State = Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]
_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class CharRNN(nn.Module):
    def __init__(self, cell: str, layers: int, hidden: int, vocab_size: int, dropout: float = 0.0):
        super().__init__()
        self.cell, self.layers, self.hidden, self.vocab_size = cell, layers, hidden, vocab_size
        extra = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        # PyTorch's default init draws every weight and bias from U(−1/√H, 1/√H), the same
        # distribution as the engine's initParams (not the same numbers).
        self.rnn = _CELLS[cell](input_size=vocab_size, hidden_size=hidden, num_layers=layers, dropout=dropout, **extra)
        self.decoder = nn.Linear(hidden, vocab_size)

    @torch.no_grad()
    def init_as_engine(self, ids: "torch.Tensor | None", forget_bias: float = 1.0) -> None:
        """The engine's start for a new model (src/engine/model.ts initParams; its numbers differ,
        its recipe does not): an LSTM's forget gates with bias `forget_bias` (rows [H, 2H) of
        bias_ih, the same rows of bias_hh 0, so the gate sees exactly that), and the decoder's bias
        at the training text's log character frequencies, centred (unigramLogits: counts + ½)."""
        H = self.hidden
        if self.cell == "lstm":
            for k in range(self.layers):
                getattr(self.rnn, f"bias_ih_l{k}")[H:2 * H] = forget_bias
                getattr(self.rnn, f"bias_hh_l{k}")[H:2 * H] = 0.0
        if ids is not None:
            counts = torch.bincount(ids.reshape(-1).long(), minlength=self.vocab_size).double() + 0.5
            logits = torch.log(counts / counts.sum())
            self.decoder.bias.copy_((logits - logits.mean()).float())

    @classmethod
    def from_config(cls, config: Dict) -> "CharRNN":
        return cls(config["cell"], config["layers"], config["hidden"], config["vocabSize"], config.get("dropout", 0.0))

    def zero_state(self, batch: int, device: torch.device | str = "cpu") -> State:
        h = torch.zeros(self.layers, batch, self.hidden, device=device)
        return (h, torch.zeros_like(h)) if self.cell == "lstm" else h

    def forward(self, ids: torch.Tensor, state: State) -> Tuple[torch.Tensor, State]:
        x = F.one_hot(ids, self.vocab_size).to(self.decoder.weight.dtype)
        out, state = self.rnn(x, state)
        return self.decoder(out), state


def detach_state(state: State) -> State:
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def state_hc(state: State) -> Tuple[torch.Tensor, torch.Tensor]:
    """(h, c) of any cell; c is zeros for GRU and RNN, as the engine stores it."""
    return state if isinstance(state, tuple) else (state, torch.zeros_like(state))


def make_state(cell: str, h: torch.Tensor, c: torch.Tensor) -> State:
    return (h, c) if cell == "lstm" else h


def sum_nats(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Σ −ln p(target) in float32 over the positions whose target is not −1 (masked)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1),
                           ignore_index=-1, reduction="sum")
