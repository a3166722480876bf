"""Tests of tinylm.distill (chapter 14): the student's copied layers, the three losses, and soft-label fine-tuning."""

import pytest
import torch
import torch.nn.functional as F
from test_suite import TEXT, fragments, lm, small_task, tokenizer  # noqa: F401 (fixtures)

from tinylm import distill, recipes, tasks


def test_half_student_copies_every_other_layer(lm):  # noqa: F811
    student = distill.half_student(lm)
    assert student.config.num_hidden_layers == 2
    assert student.config.layer_types == ["sliding_attention", "full_attention"]
    for new, old in ((0, 1), (1, 3)):
        for name, value in student.model.layers[new].state_dict().items():
            assert torch.equal(value, lm.model.layers[old].state_dict()[name]), name
    assert torch.equal(student.model.embeddings.tok_embeddings.weight, lm.model.embeddings.tok_embeddings.weight)
    assert torch.equal(student.head.dense.weight, lm.head.dense.weight)
    fresh = distill.half_student(lm, init="random")
    assert not torch.equal(fresh.model.layers[1].attn.Wqkv.weight, lm.model.layers[3].attn.Wqkv.weight)
    with pytest.raises(ValueError, match="init must be"):
        distill.half_student(lm, init="teacher's")


def test_soft_target_loss_is_the_kl_divergence_per_position_times_t_squared():
    torch.manual_seed(0)
    student, teacher = torch.randn(6, 50), torch.randn(6, 50)
    p, log_q = F.softmax(teacher / 2, -1), F.log_softmax(student / 2, -1)
    by_hand = (p * (p.log() - log_q)).sum(-1).mean() * 4
    assert torch.allclose(distill.soft_target_loss(student, teacher, 2.0), by_hand)
    assert distill.soft_target_loss(teacher, teacher, 2.0).abs() < 1e-6
    with pytest.warns(UserWarning, match="batchmean"):  # torch warns of the common bug: "mean" divides by 50 too
        mean = F.kl_div(log_q, p, reduction="mean") * 4
    assert torch.allclose(mean * 50, by_hand)


def test_cosine_loss_is_zero_for_the_same_direction():
    x = torch.randn(5, 8)
    assert distill.hidden_cosine_loss(3 * x, x).abs() < 1e-6
    assert torch.allclose(distill.hidden_cosine_loss(-x, x), torch.tensor(2.0))


def test_triple_loss_without_a_teacher_is_the_masked_lm(lm, tokenizer):  # noqa: F811
    ids = torch.tensor(tokenizer(TEXT)["input_ids"])
    batch = recipes.masked_window_batches(ids, tokenizer, 16, 4, seed=0)(0)
    student = distill.half_student(lm)
    alone = distill.TripleLoss(soft_targets=0, cosine=0, masked_lm=1)(student, None, batch)
    assert torch.allclose(alone, recipes.masked_lm_loss(student, batch))
    itself = distill.TripleLoss(masked_lm=0)(lm, lm, batch)  # a student that is its teacher loses nothing
    assert itself.abs() < 1e-5


def test_soft_label_loss_and_few_items(lm, tokenizer, fragments):  # noqa: F811
    task = small_task(tokenizer, "sequence", fragments)
    net = tasks.TaskModel(lm.model, "sequence").eval()
    batch = tasks.rows_of(task.train, slice(0, 8))
    hard = distill.soft_label_loss(net, soft=0.0)(net, batch)
    assert torch.allclose(hard, tasks.task_loss(net(batch), batch["labels"]))
    assert distill.soft_label_loss(net, soft=1.0)(net, batch).abs() < 1e-6
    with pytest.raises(ValueError, match="items must be between 1 and"):
        tasks.fine_tuned(lm, task, 0, steps=2, items=len(task.train["labels"]) + 1)


def test_distil_trains_the_student_and_scores_it(lm, tokenizer):  # noqa: F811
    ids = torch.tensor(tokenizer(TEXT * 4)["input_ids"])
    held_out = recipes.held_out_masked(ids[: 4 * recipes.SHORT_BLOCK], tokenizer, recipes.SHORT_BLOCK)
    text = distill.PretrainingText(ids, held_out, line=10.0)
    student = distill.half_student(lm)
    before = [p.detach().clone() for p in student.parameters()]
    history = distill.distil(student, lm, tokenizer, text, steps=2, loss=distill.TripleLoss(), eval_every=1)
    assert history.eval_steps[-1] == 2 and "MLM loss" in history.evals
    assert any(not torch.equal(a, b) for a, b in zip(before, student.parameters()))
