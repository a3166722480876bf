"""Part V's measurements of a smaller or faster model, and what no library does for the book's encoder.

- `saved_bytes`, `latency`: what a model costs on disk and on the CPU (median of repeats).
- `to_int`, `rounded`, `stored_int`: int8 (or fewer bits) per-row quantization written out (chapter 15);
  `dynamic_int8`: PyTorch's dynamic quantization; `to_onnx`, `onnx_int8`, `OnnxNet`: the same model exported to
  ONNX, quantized by ONNX Runtime, and run by it on one thread (chapter 15.1).
- `magnitude_pruned`: `torch.nn.utils.prune` over the encoder's linear layers (global, per layer or at random).
- `head_importance` (Michel et al., 2019), `head_order`, `remove_heads` and `without_heads`: attention heads scored
  by the gradient of a gate on their output, and cut out of the weight matrices (transformers 5 has no
  `prune_heads` for ModernBERT).
"""

from __future__ import annotations

import copy
import io
import statistics
import time
import warnings
from collections.abc import Callable

import torch
from torch import nn


def saved_bytes(model) -> int:
    """The size of `model`'s state dict (or of a dict of tensors) saved with `torch.save`, the format that also holds
    quantized and sparse weights; tensors that share memory are saved once."""
    buffer = io.BytesIO()
    torch.save(model.state_dict() if isinstance(model, torch.nn.Module) else model, buffer)
    return buffer.tell()


@torch.no_grad()
def latency(run: Callable[[], object], repeats: int = 7, warmup: int = 2) -> float:
    """Median seconds of `run()` over `repeats` calls, after `warmup` calls that are not timed."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _attention_layers(encoder) -> list:
    return [layer.attn for layer in encoder.layers]


def heads_of(attention) -> int:
    """How many heads an attention module of the book's encoder has now (its output projection reads them)."""
    return attention.Wo.in_features // attention.head_dim


def head_importance(net, batches, loss_fn: Callable) -> torch.Tensor:
    """Michel et al.'s head importance: the mean over items of |dL/d gate|, for a gate of 1 on each head's output,
    normalised to unit length in each layer. `net` holds the encoder as `net.encoder`; `loss_fn(net, batch)` is the
    mean loss over the batch's items. A (layers, heads) tensor."""
    attentions = _attention_layers(net.encoder)
    gates: list[torch.Tensor] = []

    def gate(index):
        def hook(module, inputs):
            (x,) = inputs  # (items, tokens, heads * head size)
            return ((x.unflatten(-1, (gates[index].size(1), -1)) * gates[index][:, None, :, None]).flatten(-2),)

        return hook

    handles = [a.Wo.register_forward_pre_hook(gate(i)) for i, a in enumerate(attentions)]
    total, items = torch.zeros(len(attentions), max(heads_of(a) for a in attentions)), 0
    try:
        net.eval()
        for batch in batches:
            size = batch["input_ids"].size(0)
            device = batch["input_ids"].device
            gates[:] = [torch.ones(size, heads_of(a), device=device, requires_grad=True) for a in attentions]
            loss_fn(net, batch).backward()  # a gate per item: its gradient is that item's (divided by the batch size)
            for index, g in enumerate(gates):
                total[index, : g.size(1)] += (g.grad * size).abs().sum(0).cpu()
            items += size
    finally:
        for handle in handles:
            handle.remove()
        net.zero_grad(set_to_none=True)
    importance = total / items
    return importance / importance.norm(dim=1, keepdim=True)


@torch.no_grad()
def remove_heads(encoder, heads: dict[int, list[int]]) -> None:
    """Cut the listed heads ({layer: [head, ...]}) out of the book's encoder, in place: their rows of the query, key
    and value projection and their columns of the output projection go. Every layer keeps at least one head."""
    for index, drop in heads.items():
        attention = encoder.layers[index].attn
        count, size = heads_of(attention), attention.head_dim
        keep = [h for h in range(count) if h not in set(drop)]
        if not keep:
            raise ValueError(f"layer {index} would keep no head; keep at least one per layer")
        if len(keep) == count:
            continue
        columns = torch.cat([torch.arange(h * size, (h + 1) * size) for h in keep])
        rows = torch.cat([part * count * size + columns for part in range(3)])  # the query, key and value blocks
        attention.Wqkv = _linear_rows(attention.Wqkv, rows)
        attention.Wo = _linear_columns(attention.Wo, columns)


def _linear_rows(linear: torch.nn.Linear, rows: torch.Tensor) -> torch.nn.Linear:
    new = torch.nn.Linear(linear.in_features, len(rows), bias=linear.bias is not None).to(linear.weight)
    new.weight.copy_(linear.weight[rows])
    if linear.bias is not None:
        new.bias.copy_(linear.bias[rows])
    return new


def _linear_columns(linear: torch.nn.Linear, columns: torch.Tensor) -> torch.nn.Linear:
    new = torch.nn.Linear(len(columns), linear.out_features, bias=linear.bias is not None).to(linear.weight)
    new.weight.copy_(linear.weight[:, columns])
    if linear.bias is not None:
        new.bias.copy_(linear.bias)
    return new


def to_int(weight: torch.Tensor, bits: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric quantization per output row: weight ≈ scale * q, q an integer in [-top, top], top = 2^(bits-1) - 1."""
    top = 2 ** (bits - 1) - 1
    scale = weight.abs().amax(1, keepdim=True) / top
    return torch.round(weight / scale).clamp(-top, top).to(torch.int8), scale


def _quantizable(net):
    return [(name, m) for name, m in net.encoder.named_modules() if isinstance(m, (nn.Linear, nn.Embedding))]


def rounded(net, bits: int = 8):
    """A copy of `net` whose encoder weights (linear layers and embedding) are rounded to `bits` bits, computed with
    in float32: what the rounding alone costs."""
    net = copy.deepcopy(net)
    with torch.no_grad():
        for _, module in _quantizable(net):
            q, scale = to_int(module.weight, bits)
            module.weight.copy_(q * scale)
    return net


def stored_int(net, bits: int = 8) -> dict:
    """What a file of `rounded(net, bits)` needs to hold: the integers and a scale per row, the rest as it is."""
    state = dict(net.state_dict())
    for name, module in _quantizable(net):
        state[f"encoder.{name}.weight"] = to_int(module.weight.detach(), bits)
    return state


def dynamic_int8(net):
    """PyTorch's dynamic int8 quantization of every `nn.Linear` of a copy of `net` (CPU). `torch.ao.quantization` is
    deprecated in torch 2.13 in favour of the `torchao` package; its warnings are silenced here, and only here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (DeprecationWarning, UserWarning))
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(net).cpu(), {nn.Linear}, dtype=torch.qint8)


def _need_onnx() -> None:
    """A clear error when chapter 15.1's optional packages are missing."""
    import importlib.util

    missing = [name for name in ("onnx", "onnxscript", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(
            f"{', '.join(missing)} not installed: chapter 15.1 needs them to export and run ONNX models. "
            "Run `pip install -r requirements.txt` (it pins them), or `pip install onnx onnxscript onnxruntime`."
        )


def to_onnx(net, example: dict, path) -> list:
    """Export the `TaskModel` `net` to the ONNX file `path` with PyTorch's (dynamo) exporter, any batch size and
    length; returns the files written (the exporter puts the weights in a `.onnx.data` file beside the model)."""
    import contextlib
    import logging
    from pathlib import Path

    _need_onnx()

    class Inputs(nn.Module):  # the exporter passes tensors, the book's models take a dict
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, input_ids, attention_mask):
            return self.net({"input_ids": input_ids, "attention_mask": attention_mask})

    path, model = Path(path), Inputs(copy.deepcopy(net).cpu().eval()).eval()
    inputs = (example["input_ids"].cpu(), example["attention_mask"].cpu())
    axes = {0: "batch", 1: "length"}
    quiet = logging.getLogger("torch.onnx")
    level, quiet.level = quiet.level, logging.ERROR  # it logs that torchvision's operators are not registered
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # and prints its progress
            torch.onnx.export(
                model, inputs, path, dynamo=True, input_names=["input_ids", "attention_mask"],
                output_names=["logits"], dynamic_shapes={"input_ids": axes, "attention_mask": axes},
            )  # fmt: skip
    finally:
        quiet.level = level
    return [f for f in (path, path.with_name(path.name + ".data")) if f.exists()]


def onnx_int8(path, out) -> list:
    """ONNX Runtime's dynamic int8 quantization of the model in `path` (its weights as int8 with a scale, its
    activations quantized on the fly), written to `out` as one file; returns [out]."""
    import logging

    _need_onnx()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level, root.level = root.level, logging.ERROR  # it suggests a pre-processing step we do not need
    try:
        quantize_dynamic(str(path), str(out), weight_type=QuantType.QInt8)
    finally:
        root.level = level
    return [out]


class OnnxNet(nn.Module):
    """An ONNX file run by ONNX Runtime on `threads` CPU threads, called like a `TaskModel` (a batch in, logits
    out), so that `tasks.evaluate` and `latency` measure it as they measure the book's models."""

    def __init__(self, path, threads: int = 1):
        super().__init__()
        _need_onnx()
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def forward(self, batch: dict) -> torch.Tensor:
        feed = {name: batch[name].cpu().numpy() for name in ("input_ids", "attention_mask")}
        return torch.from_numpy(self.session.run(None, feed)[0])


def magnitude_pruned(net, amount: float, how: str = "global"):
    """A copy of `net` with `amount` of its encoder layers' linear weights set to zero by `torch.nn.utils.prune`
    (the masks kept): the smallest over all layers ("global"), the smallest in each ("per layer"), or "random"."""
    from torch.nn.utils import prune

    if how not in ("global", "per layer", "random"):
        raise ValueError(f'how must be "global", "per layer" or "random", got {how!r}')
    net = copy.deepcopy(net)
    linears = [(m, "weight") for m in net.encoder.layers.modules() if isinstance(m, nn.Linear)]
    if how == "per layer":
        for module, name in linears:
            prune.l1_unstructured(module, name, amount)
    else:
        method = prune.RandomUnstructured if how == "random" else prune.L1Unstructured
        prune.global_unstructured(linears, pruning_method=method, amount=amount)
    return net


def head_order(net, task, seed: int = 0, batches: int = 16, size: int = 64):
    """`net`'s heads from least to most important on `batches` batches of `size` labelled items of `task`, as
    (layer, head) pairs, and the importance matrix."""
    from .tasks import rows_of, task_loss

    generator = torch.Generator().manual_seed(seed)
    count = len(task.train["labels"])
    device = next(net.parameters()).device
    data = [
        {k: v.to(device) for k, v in rows_of(task.train, torch.randint(0, count, (size,), generator=generator)).items()}
        for _ in range(batches)
    ]
    importance = head_importance(net, data, lambda m, b: task_loss(m(b), b["labels"]))
    order = [divmod(i, importance.size(1)) for i in importance.flatten().argsort().tolist()]
    return order, importance


def without_heads(net, order, count: int):
    """A copy of `net` without the first `count` heads of `order` that can go: every layer keeps at least one."""
    heads = heads_of(net.encoder.layers[0].attn)
    drop: dict[int, list[int]] = {}
    for layer, head in order:
        if sum(map(len, drop.values())) < count and len(drop.get(layer, [])) < heads - 1:
            drop.setdefault(layer, []).append(head)
    net = copy.deepcopy(net)
    remove_heads(net.encoder, drop)
    return net
