"""Knowledge distillation for the book's encoder (chapter 14), written out: no library has DistilBERT's recipe for
a ModernBERT teacher.

- `half_student`: DistilBERT's student, half the teacher's layers, each copied from every other teacher layer.
- `soft_target_loss` (Hinton et al., 2015), `hidden_cosine_loss`, `TripleLoss`: DistilBERT's three losses.
- `pretraining_text`, `distil`: general-purpose distillation, the student trained on the teacher's masked-LM
  windows against the teacher.
- `soft_label_loss`: task-specific distillation, a student fine-tuned on labelled items against a fine-tuned
  teacher's soft labels (with `tasks.fine_tuned(..., loss_fn=)`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F

TEMPERATURE = 2.0  # DistilBERT's reference command: temperature 2, alpha_ce 5, alpha_mlm 2, alpha_cos 1
WEIGHTS = {"soft targets": 5.0, "masked LM": 2.0, "cosine": 1.0}


def half_student(teacher, keep=(1, 3), init: str = "teacher", seed: int = 0):
    """A `ModernBertForMaskedLM` with the teacher's layers `keep` (every other one; the last, global layer kept), and
    the teacher's embeddings and head. `init="random"` gives the same shape at fresh weights (from `seed`)."""
    from transformers import ModernBertForMaskedLM

    config = copy.deepcopy(teacher.config)
    config.layer_types = [teacher.config.layer_types[i] for i in keep]
    config.num_hidden_layers = len(keep)
    torch.manual_seed(seed)
    student = ModernBertForMaskedLM(config).to(next(teacher.parameters()).device)
    if init == "random":
        return student
    if init != "teacher":
        raise ValueError(f"init must be 'teacher' or 'random', got {init!r}")
    state = teacher.state_dict()
    for new, old in enumerate(keep):  # layer `old` of the teacher becomes layer `new` of the student
        prefix = f"model.layers.{old}."
        state.update({f"model.layers.{new}." + k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
    own = student.state_dict()
    student.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    return student


def soft_target_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || student) of the two distributions softened at `temperature`, per position, times T²."""
    return (
        F.kl_div(
            F.log_softmax(student_logits / temperature, -1),  # the input: log-probabilities
            F.softmax(teacher_logits / temperature, -1),  # the target: probabilities
            reduction="batchmean",  # a sum over the vocabulary, a mean over positions; "mean" divides by both
        )
        * temperature**2
    )


def hidden_cosine_loss(student_states: torch.Tensor, teacher_states: torch.Tensor) -> torch.Tensor:
    """1 − cosine between the student's and the teacher's last hidden vectors, averaged over positions."""
    return (1 - F.cosine_similarity(student_states, teacher_states, dim=-1)).mean()


@dataclass
class TripleLoss:
    """DistilBERT's loss with its weights; a weight of 0 removes that term (Table 4's ablation)."""

    soft_targets: float = WEIGHTS["soft targets"]
    masked_lm: float = WEIGHTS["masked LM"]
    cosine: float = WEIGHTS["cosine"]
    temperature: float = TEMPERATURE

    def __call__(self, student, teacher, batch) -> torch.Tensor:
        inputs = {"input_ids": batch["input_ids"], "attention_mask": batch.get("attention_mask")}
        out = student.model(**inputs).last_hidden_state
        logits = student.decoder(student.head(out))
        loss = self.masked_lm * F.cross_entropy(logits.flatten(0, 1), batch["labels"].flatten(), ignore_index=-100)
        if self.soft_targets or self.cosine:
            with torch.no_grad():
                t_out = teacher.model(**inputs).last_hidden_state
            mask = inputs["attention_mask"]
            real = None if mask is None or mask.all() else mask.bool()
            pick = lambda x: x.flatten(0, 1) if real is None else x[real]  # (real positions, features)
            if self.soft_targets:
                with torch.no_grad():
                    t_logits = teacher.decoder(teacher.head(t_out))
                soft = soft_target_loss(pick(logits), pick(t_logits), self.temperature)
                loss = loss + self.soft_targets * soft
            if self.cosine:
                loss = loss + self.cosine * hidden_cosine_loss(pick(out), pick(t_out))
        return loss


@dataclass
class PretrainingText:
    """The teacher's pre-training text as ids, the held-out masked-LM test and its frequency line (nats)."""

    train_ids: torch.Tensor
    held_out: dict
    line: float


def pretraining_text(tokenizer) -> PretrainingText:
    """Tiny Shakespeare's training split as ids, and the held-out test `tools/trained_encoder.py` scored the teacher
    on: 400 validation windows with 15 % of positions hidden, and the add-one frequency line for them."""
    from .data import shakespeare_splits
    from .recipes import SHORT_BLOCK, frequency_baseline, held_out_masked

    splits = shakespeare_splits()
    train_ids = torch.tensor(tokenizer(splits["train"])["input_ids"])
    valid_ids = torch.tensor(tokenizer(splits["valid"])["input_ids"])
    held_out = held_out_masked(valid_ids[: 400 * SHORT_BLOCK], tokenizer, SHORT_BLOCK)
    return PretrainingText(train_ids, held_out, frequency_baseline(train_ids, held_out, len(tokenizer))["MLM loss"])


def distil(student, teacher, tokenizer, text: PretrainingText, steps: int, loss: TripleLoss, seed: int = 0,
           eval_every: int = 25):  # fmt: skip
    """General-purpose distillation: `student` trained in place on chapter 4's masked-LM windows with `loss` against
    the frozen `teacher`, by the recipe that trained the teacher; the held-out masked-LM loss every `eval_every`
    steps. Returns the `History`."""
    from .recipes import encoder_batches, encoder_train_config, masked_lm_scores
    from .train import train

    teacher.eval()
    batches = encoder_batches(text.train_ids, tokenizer, seed)
    evaluate = lambda model: masked_lm_scores(model, text.held_out)
    return train(student, batches, lambda m, b: loss(m, teacher, b), encoder_train_config(steps, eval_every), evaluate)


def soft_label_loss(teacher_net, temperature: float = TEMPERATURE, soft: float = 0.9):
    """Hinton et al.'s loss for fine-tuning a student on a task: `soft` times the soft-target loss against the
    fine-tuned `teacher_net`'s answers, plus (1 − `soft`) times the labels' cross-entropy. A `loss_fn(net, batch)`."""
    from .tasks import task_loss

    teacher_net.eval()

    def loss_fn(net, batch):
        logits = net(batch)
        teacher_net.to(logits.device)  # a no-op when it is there already
        with torch.no_grad():
            target = teacher_net(batch)
        labelled = batch["labels"] != -100  # every item; in a token task, the tokens of the line
        soft_part = soft_target_loss(logits[labelled], target[labelled], temperature)
        return soft * soft_part + (1 - soft) * task_loss(logits, batch["labels"])

    return loss_fn
