"""The book's training loop: when it evaluates, and the receipts it leaves for the compute-receipts page."""

import json

import pytest
import torch

from tinylm.train import History, TrainConfig, adamw, log_spaced_steps, train


def tiny_run(config: TrainConfig, **options):
    """A linear model learning y = 2x; `evaluate` records its weight each time it is called. `options` go to train."""
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1, bias=False)
    seen = []

    def evaluate(m):
        seen.append(m.weight.item())
        return {"weight": m.weight.item()}

    x = torch.linspace(-1, 1, 16)[:, None]
    history = train(model, lambda step: x, lambda m, b: ((m(b) - 2 * b) ** 2).mean(), config, evaluate, **options)
    return model, history, seen


def test_eval_at_evaluates_before_training_and_at_the_given_steps():
    torch.manual_seed(0)
    start = torch.nn.Linear(1, 1, bias=False).weight.item()
    _, history, seen = tiny_run(TrainConfig(steps=10, lr=0.1, warmup_steps=0, eval_at=(0, 1, 4)))
    assert history.eval_steps == [0, 1, 4, 10], "the given steps, and always the last"
    assert seen[0] == start, "step 0 is the untrained model"
    assert len(history.eval_seconds) == 4 and history.eval_seconds[0] <= history.eval_seconds[-1]


def test_eval_every_is_the_default():
    _, history, _ = tiny_run(TrainConfig(steps=10, lr=0.1, warmup_steps=0, eval_every=4))
    assert history.eval_steps == [4, 8, 10]


def test_eval_at_must_lie_within_the_run():
    with pytest.raises(ValueError, match="eval_at"):
        TrainConfig(steps=10, eval_at=(0, 11))


def test_log_spaced_steps_start_at_zero_and_end_at_the_last():
    steps = log_spaced_steps(400)
    assert steps[0] == 0 and steps[1] == 1 and steps[-1] == 400 and list(steps) == sorted(set(steps))
    gaps = [b / a for a, b in zip(steps[1:], steps[2:])]
    assert max(gaps) < 2.5, "roughly even in log scale"


def test_every_run_leaves_its_receipt_when_asked(monkeypatch, tmp_path):
    log = tmp_path / "receipts.jsonl"
    monkeypatch.setenv("TINYLM_RECEIPTS", str(log))
    tiny_run(TrainConfig(steps=3, lr=0.1, warmup_steps=0))
    tiny_run(TrainConfig(steps=5, lr=0.1, warmup_steps=0))
    receipts = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["tokens"] for r in receipts] == [3 * 16, 5 * 16] and receipts[0]["parameters"] == 1
    assert receipts[1]["flops"] == 6 * 1 * 5 * 16


def test_no_receipt_file_unless_asked(monkeypatch, tmp_path):
    monkeypatch.delenv("TINYLM_RECEIPTS", raising=False)
    monkeypatch.chdir(tmp_path)
    tiny_run(TrainConfig(steps=2, lr=0.1, warmup_steps=0))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("schedule", ["cosine", "linear", "constant"])
def test_schedules_warm_up_then_decay_or_hold(schedule):
    from tinylm.train import make_scheduler

    config = TrainConfig(steps=10, lr=1.0, warmup_steps=2, schedule=schedule)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=config.lr)
    scheduler, rates = make_scheduler(optimizer, config), []
    for _ in range(10):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[:3] == [0.0, 0.5, 1.0], "linear warm-up over 2 steps"
    if schedule == "linear":
        assert abs(rates[6] - 0.5) < 1e-9, "halfway through the decay, half the rate"
    expected_end = {"constant": 1.0}.get(schedule)
    assert (rates[-1] == expected_end) if expected_end else rates[-1] < 0.2


def test_glue_stores_numpy_and_torch_scalars_as_plain_numbers(monkeypatch):
    """`{glue:text}` formats a plain float with the prose's spec; `np.float64(...)` text would break the build."""
    import myst_nb
    import numpy as np

    import tinylm

    stored = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=False: stored.update({name: value}))
    tinylm.glue("a", np.float64(2.5))
    tinylm.glue("b", torch.tensor(3.0))
    tinylm.glue("c", "beats")
    assert stored == {"a": 2.5, "b": 3.0, "c": "beats"}
    assert type(stored["a"]) is float and type(stored["b"]) is float


def test_spread_text_names_a_range_or_one_value():
    import tinylm

    assert tinylm.spread_text([0.1, 0.3]) == "0.10 to 0.30"
    assert tinylm.spread_text([0.3014, 0.2986], ".2f") == "0.30 in every run"
    assert tinylm.spread_text([23.61, 25.0], ".1f") == "23.6 to 25.0"


def test_the_fused_optimizer_makes_the_same_updates():
    torch.manual_seed(0)
    plain, fused = torch.nn.Linear(4, 2), torch.nn.Linear(4, 2)
    fused.load_state_dict(plain.state_dict())
    x = torch.randn(8, 4)
    for model, config in ((plain, TrainConfig(steps=3)), (fused, TrainConfig(steps=3, fused=True))):
        optimizer = adamw(list(model.parameters()), config)
        for _ in range(3):
            optimizer.zero_grad()
            model(x).pow(2).mean().backward()
            optimizer.step()
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(plain.parameters(), fused.parameters()))


def test_crossing_is_read_between_evaluations():
    h = History(eval_steps=[0, 50, 100], evals={"loss": [8.0, 7.0, 5.0]})
    assert h.crossing("loss", 6.0) == 75.0
    assert h.crossing("loss", 7.0) == 50.0, "a value on the line is not below it yet"
    assert h.crossing("loss", 4.0) == float("inf")


def test_muon_trains_the_hidden_matrices_and_adamw_the_rest():
    from transformers import GPT2Config, GPT2LMHeadModel

    from tinylm.train import muon_and_adamw

    model = GPT2LMHeadModel(GPT2Config(vocab_size=50, n_positions=8, n_embd=32, n_layer=1, n_head=2))
    muon, adam = muon_and_adamw(model, TrainConfig(steps=1, optimizer="muon"))
    in_muon = {id(p) for group in muon.param_groups for p in group["params"]}
    assert id(model.transformer.wte.weight) not in in_muon, "the embedding (tied output layer) is AdamW's"
    assert id(model.transformer.wpe.weight) not in in_muon, "so are the position vectors"
    assert id(model.transformer.h[0].mlp.c_fc.weight) in in_muon
    assert all(p.ndim == 2 for group in muon.param_groups for p in group["params"])
    n_adam = sum(p.numel() for group in adam.param_groups for p in group["params"])
    assert len(in_muon) and n_adam + sum(p.numel() for p in model.parameters() if id(p) in in_muon) == sum(
        p.numel() for p in model.parameters()
    ), "every parameter in exactly one optimizer"
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(steps=1, optimizer="sgd")


def test_count_flops_replaces_six_n_d():
    _, history, _ = tiny_run(TrainConfig(steps=5, warmup_steps=0), count_flops=lambda batch: 100.0)
    assert history.receipt.flops == 500.0 and "counted" in str(history.receipt)


def test_stop_ends_the_run_after_an_evaluation():
    config = TrainConfig(steps=50, warmup_steps=0, eval_every=10)
    _, history, _ = tiny_run(config, stop=lambda h: len(h.eval_steps) == 2)
    assert history.eval_steps == [10, 20] and history.steps[-1] == 20 and history.receipt.tokens == 20 * 16
