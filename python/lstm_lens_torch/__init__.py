"""LSTM Lens's PyTorch trainer, for machines bigger than a laptop.

It trains the same char-RNN as the TypeScript engine (torch.nn.LSTM/GRU/RNN over one-hot
characters, then nn.Linear), on the text `lstm-lens corpus` writes, with the same truncated BPTT
over B streams, optimizers, clipping and budget, and writes the same `lstm-lens/1` safetensors
checkpoint the extension and CLI read. `torchrun` runs it data-parallel (DDP).

    python3 -m lstm_lens_torch.train --corpus DIR --out model.safetensors ...
    python3 -m lstm_lens_torch.eval --model model.safetensors --raw FILE
"""

__version__ = "0.1.0"
