"""The PyTorch bridge end to end: torchrun training, export to Recur, import from Recur, DDP, resume, bad files.

Run by `make test-torch` (a virtual environment with torch 2.13 CPU). Needs a `recur` binary: $RECUR_BIN, else
.build/debug/recur, else .build/release/recur. Every model here is tiny, so each test takes seconds.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
TORCH_DIR = HERE.parent
ROOT = TORCH_DIR.parents[1]
sys.path.insert(0, str(TORCH_DIR))
sys.path.insert(0, str(ROOT / "Clients" / "python"))

from recur_client import RecurClient  # noqa: E402
from recur_torch.data import split_point, strip_separators  # noqa: E402
from recur_torch.model import CharLM, Config, greedy, load_recur, read_safetensors, stream_nats  # noqa: E402

TRAIN = str(TORCH_DIR / "train.py")
# A small corpus from the repository: English prose and Markdown.
CORPUS = [str(ROOT / "README.md"), str(ROOT / "Protocol" / "README.md")]
TINY = ["--cell", "gru", "--layers", "2", "--hidden", "48", "--embedding", "16", "--seq-len", "32",
        "--threads", "1", "--val-max-bytes", "3000", "--json"]


def recur_binary() -> str:
    for candidate in (os.environ.get("RECUR_BIN"), ROOT / ".build" / "debug" / "recur",
                      ROOT / ".build" / "release" / "recur"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    raise RuntimeError("no recur binary: build it (swift build) or set RECUR_BIN")


def run(args, ranks: int = 1, check: bool = True) -> subprocess.CompletedProcess:
    """train.py under torchrun with `ranks` processes, or plain python for 1."""
    if ranks > 1:
        torchrun = str(Path(sys.executable).with_name("torchrun"))
        command = [torchrun, "--nproc-per-node", str(ranks), "--master-port", str(29500 + os.getpid() % 1000),
                   TRAIN, *args]
    else:
        command = [sys.executable, TRAIN, *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def events(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def recur(*args, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([recur_binary(), *args], capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"recur {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def tensors_of(path) -> dict[str, torch.Tensor]:
    return read_safetensors(str(path))[0]


class TorchBridgeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = Path(tempfile.mkdtemp(prefix="recur-torch-"))
        # The shared model: 2 ranks, gloo, 120 steps.
        cls.ddp = run([*TINY, "--corpus", *CORPUS, "--batch", "16", "--lr", "1e-2", "--warmup", "10",
                       "--steps", "120", "--val-every", "60", "--log-every", "10", "--out", str(cls.dir / "ddp.pt"),
                       "--export", str(cls.dir / "ddp.safetensors")], ranks=2)
        cls.model_path = cls.dir / "ddp.safetensors"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_two_rank_gloo_run_trains_and_its_loss_falls(self):
        log = events(self.ddp)
        self.assertIn("2 rank(s) x 8 streams", log[0]["event"])
        losses = [e["loss"] for e in log if "loss" in e]
        self.assertEqual(len(losses), 12)
        self.assertLess(losses[-1], losses[0] - 1.5, losses)  # from ln 256 = 5.5 to below 4
        vals = [e["nats_per_byte"] for e in log if "nats_per_byte" in e]
        self.assertEqual(len(vals), 2)
        self.assertLess(vals[1], vals[0])
        self.assertLess(vals[1], 4.0)

    def test_exported_model_scores_in_recur_as_in_pytorch(self):
        model, meta = load_recur(str(self.model_path))
        self.assertEqual(meta["trained_by"], "recur_torch")
        self.assertEqual(meta["ranks"], "2")
        for path in CORPUS:
            out = json.loads(recur("eval", "--model", str(self.model_path), "--precision", "f32", "--json",
                                   "--validation-split", "0.1", path).stdout)
            data = Path(path).read_bytes()
            tail = data[split_point(len(data), 0.1):]
            torch_nats = stream_nats(model, tail)
            self.assertEqual(out["total"]["bytes"], len(tail))
            self.assertLess(abs(out["total"]["nats"] - torch_nats) / torch_nats, 1e-4, (out["total"], torch_nats))
            # The training run's own validation scored the same bytes the same way (capped at --val-max-bytes).
            self.assertGreater(len(tail), 1000)

    def test_half_export_loads_in_recur_and_matches_pytorch_at_half_precision(self):
        half = self.dir / "half.safetensors"
        run(["--corpus", *CORPUS, "--out", str(self.dir / "ddp.pt"), "--resume", "--steps", "120",
             "--export", str(half), "--half", "--keep", "last", "--json"], ranks=1)
        self.assertLess(half.stat().st_size, self.model_path.stat().st_size * 0.55)
        model, _ = load_recur(str(half))
        data = Path(CORPUS[0]).read_bytes()[-4000:]
        (Path(self.dir) / "piece.txt").write_bytes(data)
        out = json.loads(recur("eval", "--model", str(half), "--precision", "f32", "--json",
                               str(self.dir / "piece.txt")).stdout)
        torch_nats = stream_nats(model, data)
        self.assertLess(abs(out["total"]["nats"] - torch_nats) / torch_nats, 1e-4)

    def test_greedy_continuations_are_the_same_in_recur_and_pytorch(self):
        model, _ = load_recur(str(self.model_path))
        for prompt in ["The ", "## Tests\n", "recur serve --"]:
            ours = recur("generate", "--model", str(self.model_path), "--precision", "f32", "--greedy",
                         "--prompt", prompt, "--length", "120").stdout
            theirs = (prompt.encode() + greedy(model, prompt.encode(), 120)).decode("utf-8", errors="replace")
            self.assertEqual(ours, theirs + "\n")
        self.assertGreater(len(set(theirs)), 4, "a degenerate continuation would test little")

    def test_recur_adapts_and_serves_the_exported_model(self):
        store = self.dir / "store.sqlite"
        adapted = recur("adapt", "--store", str(store), "--profile", "docs", "--model", str(self.model_path),
                        "--steps", "20", "--threads", "1", "--json", CORPUS[1])
        report = json.loads(adapted.stdout.strip().splitlines()[-1])
        self.assertIn(report["outcome"], ("improved", "notImproved"), report)
        self.assertLess(report["valLossAfter"], 6)
        listed = recur("models", "list", "--store", str(store), "--json").stdout
        self.assertIn("docs", listed)
        with RecurClient(recur_binary(), args=("--model", str(self.model_path), "--no-online-learning"),
                         init_options={"filterOffensiveWords": False}) as client:
            items = client.complete(text="The model is a ", n=4, seed=1, temperature=0.8)
            self.assertGreater(len(items), 0)
            status = client.status()
            self.assertEqual(status["model"]["sha256"], hashlib.sha256(self.model_path.read_bytes()).hexdigest())
            self.assertTrue(status["model"]["architecture"].startswith("gru 2×48, embedding 16"))

    def test_a_recur_trained_model_imports_and_pytorch_scores_it_as_recur_does(self):
        trained = self.dir / "recur-trained.safetensors"
        recur("train", "--corpus", CORPUS[1], "--cell", "lstm", "--layers", "1", "--hidden", "40", "--embedding",
              "12", "--seq-len", "32", "--batch", "8", "--steps", "40", "--val-every", "20", "--threads", "1",
              "--out", str(trained))
        model, _ = load_recur(str(trained))
        self.assertEqual(model.config, Config("lstm", 1, 40, 12))
        data = Path(CORPUS[0]).read_bytes()[:6000]
        (self.dir / "score.txt").write_bytes(data)
        out = json.loads(recur("eval", "--model", str(trained), "--precision", "f32", "--json",
                               str(self.dir / "score.txt")).stdout)
        torch_nats = stream_nats(model, data)
        self.assertLess(abs(out["total"]["nats"] - torch_nats) / torch_nats, 1e-4)
        # Training goes on in PyTorch from it, and the result goes back to Recur.
        cont = run([*TINY, "--corpus", *CORPUS, "--init", str(trained), "--batch", "8", "--steps", "20",
                    "--warmup", "1", "--lr", "3e-3", "--val-every", "20", "--out", str(self.dir / "cont.pt"),
                    "--export", str(self.dir / "cont.safetensors")])
        self.assertIn("lstm 1x40", events(cont)[0]["event"])
        recur("eval", "--model", str(self.dir / "cont.safetensors"), str(self.dir / "score.txt"))
        # Also a `recur train` checkpoint (weights, Adam's moments, the best weights) imports.
        model2, _ = load_recur(str(trained) + ".checkpoint")
        self.assertEqual(model2.config, model.config)

    def test_two_ranks_equal_one_process_with_the_same_global_batch(self):
        common = [*TINY, "--corpus", *CORPUS, "--batch", "8", "--steps", "5", "--lr", "5e-3", "--warmup", "2",
                  "--val-every", "5", "--keep", "last"]
        run([*common, "--out", str(self.dir / "one.pt"), "--export", str(self.dir / "one.safetensors")], ranks=1)
        run([*common, "--out", str(self.dir / "two.pt"), "--export", str(self.dir / "two.safetensors")], ranks=2)
        one, two = tensors_of(self.dir / "one.safetensors"), tensors_of(self.dir / "two.safetensors")
        start = CharLM(Config("gru", 2, 48, 16))
        moved = 0.0
        # Reductions run in another order across ranks (and in other kernels on other CPUs), so the weights agree
        # to rounding: within 1/200 of one Adam step (lr 5e-3). A rank that trained on its own half of the batch
        # without the all-reduce lands about a whole step away.
        for name in one:
            gap = (one[name] - two[name]).abs().max().item()
            self.assertLess(gap, 5e-3 / 200, name)
            moved = max(moved, (one[name] - start.state_dict()[name]).abs().max().item())
        self.assertGreater(moved, 1e-3)

    def test_resume_continues_exactly_as_an_uninterrupted_run(self):
        for ranks in (1, 2):
            with self.subTest(ranks=ranks):
                common = [*TINY, "--corpus", *CORPUS, "--batch", "8", "--dropout", "0.3", "--output-dropout", "0.2",
                          "--lr", "5e-3", "--val-every", "3", "--keep", "last"]
                straight, split = self.dir / f"straight{ranks}", self.dir / f"split{ranks}"
                run([*common, "--steps", "6", "--out", f"{straight}.pt", "--export", f"{straight}.safetensors"],
                    ranks=ranks)
                run([*common, "--steps", "3", "--out", f"{split}.pt"], ranks=ranks)
                log = events(run([*common, "--steps", "6", "--out", f"{split}.pt", "--resume", "--export",
                                  f"{split}.safetensors"], ranks=ranks))
                self.assertTrue(any("resuming at step 3" in e["event"] for e in log))
                a, b = tensors_of(f"{straight}.safetensors"), tensors_of(f"{split}.safetensors")
                for name in a:
                    self.assertTrue(torch.equal(a[name], b[name]), name)

    def test_corrupt_and_foreign_files_get_clear_errors(self):
        from safetensors.torch import save_file

        cut = self.dir / "cut.safetensors"
        cut.write_bytes(self.model_path.read_bytes()[:5000])
        noise = self.dir / "noise.bin"
        noise.write_bytes(bytes(range(256)) * 8)
        foreign = self.dir / "gpt.safetensors"
        save_file({"wte.weight": torch.zeros(10, 4), "h.0.attn.c_attn.weight": torch.zeros(4, 12)}, str(foreign),
                  metadata={"format": "pt"})
        poisoned = self.dir / "nan.safetensors"
        t = tensors_of(self.model_path)
        t["head.bias"][3] = float("nan")
        save_file(t, str(poisoned), metadata={"format": "recur-charlm"})
        cases = [
            (["--init", str(cut)], "cut short"),
            (["--init", str(noise)], "not a safetensors file"),
            (["--init", str(foreign)], "metadata format is 'pt'"),
            (["--init", str(poisoned)], "NaN"),
            (["--init", str(self.dir / "ddp.pt")], "train.py checkpoint"),
            (["--init", str(self.dir / "missing.safetensors")], "cannot read model file"),
            (["--resume", "--out", str(noise)], "not a readable recur_torch checkpoint"),
            (["--resume", "--out", str(self.model_path)], "a Recur model goes to --init"),
            (["--resume", "--out", str(self.dir / "none.pt")], "no checkpoint"),
        ]
        for extra, message in cases:
            with self.subTest(extra=extra):
                args = ["--corpus", *CORPUS, "--steps", "2", "--batch", "4", "--seq-len", "16", *extra]
                if "--out" not in extra:
                    args += ["--out", str(self.dir / "unused.pt")]
                result = run(args, check=False)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(message, result.stderr)
                self.assertNotIn("Traceback", result.stderr)
        # And Recur itself refuses the cut export with its own message.
        refused = recur("eval", "--model", str(cut), CORPUS[0], check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("not a valid safetensors model", refused.stderr)

    def test_data_rules_match_recur(self):
        # Swift's rounding of the split (halves away from zero) and the separator rule.
        self.assertEqual(split_point(15, 0.1), 13)  # 1.5 rounds to 2
        self.assertEqual(split_point(25, 0.1), 22)  # 2.5 rounds to 3
        text = b"# ==== FILE: a.py ====\nx = 1\n// ==== FILE: b.swift ====\nlet y = 2\nnot ==== FILE: c ====\n"
        self.assertEqual(strip_separators(text), b"x = 1\nlet y = 2\nnot ==== FILE: c ====\n")


if __name__ == "__main__":
    unittest.main()
