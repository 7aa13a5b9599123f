"""The Python client against the real `recur serve` ($RECUR_BIN). Standard library only:

    RECUR_BIN=.build/debug/recur python3 -m unittest discover -s Clients/python/tests -v

recur/adapt, recur/cancelAdapt, recur/setProfile, recur/setOnlineLearning and recur/syncOnlineLearning are checked
against the binary's own implementation.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENT_DIR = HERE.parent
sys.path.insert(0, str(CLIENT_DIR))
from recur_client import METHOD_NOT_FOUND, RecurClient, RecurError  # noqa: E402

RECUR_BIN = os.environ.get("RECUR_BIN")
if not RECUR_BIN or not os.access(RECUR_BIN, os.X_OK):
    raise SystemExit(f"RECUR_BIN must name the recur binary (got {RECUR_BIN!r})")

PROSE = "It is a truth universally acknowledged, that a single man in possession of a good for"


class Scratch(unittest.TestCase):
    """Each test gets a scratch directory, also used as HOME so nothing the server stores leaks out."""

    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="recur-py-"))
        self.env_before = {k: os.environ.get(k) for k in ("HOME", "XDG_DATA_HOME")}
        os.environ["HOME"] = str(self.dir)
        os.environ["XDG_DATA_HOME"] = str(self.dir / "data")

    def tearDown(self):
        for key, value in self.env_before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        subprocess.run(["rm", "-rf", str(self.dir)], check=False)

    def client(self, **kwargs) -> RecurClient:
        kwargs.setdefault("root", str(self.dir))
        recur = RecurClient(binary=RECUR_BIN, **kwargs)
        self.addCleanup(recur.close)
        return recur


class CompletionTests(Scratch):
    def test_complete_structure(self):
        completions = self.client().complete(PROSE, n=6, seed=3)
        self.assertTrue(completions)
        texts = [c.text for c in completions]
        self.assertEqual(len(texts), len(set(texts)), "completions are distinct")
        probabilities = [c.probability for c in completions]
        self.assertEqual(probabilities, sorted(probabilities, reverse=True), "most probable first")
        for c in completions:
            self.assertTrue(0 < c.probability <= 1)
            self.assertLessEqual(c.logprob, 0)

    def test_same_seed_same_completions(self):
        recur = self.client()
        first = recur.complete(PROSE, n=5, temperature=0.9, seed=11)
        self.assertEqual(first, recur.complete(PROSE, n=5, temperature=0.9, seed=11))

    def test_complete_at_is_the_file_text_up_to_the_cursor(self):
        # A file whose second line is cut at the cursor: complete_at there must see exactly the text before it,
        # so with the same seed it gives what complete(text=...) gives for that text.
        path = self.dir / "notes.txt"
        before = "Dear friend,\nthe 🦊 weather is lovely and the gar"
        path.write_text(before + "den is in bloom.\n", encoding="utf-8")
        recur = self.client()
        line, col = 2, len("the 🦊 weather is lovely and the gar") + 1
        at = recur.complete_at(str(path), line, col, n=4, seed=5)
        self.assertTrue(at)
        self.assertEqual(at, recur.complete(before, n=4, seed=5))
        self.assertEqual(recur.status()["openDocuments"], 1)
        # The file changes on disk: the client re-sends it.
        path.write_text("Dear friend,\nthe weather is lovely and the gar", encoding="utf-8")
        again = recur.complete_at(str(path), 2, len("the weather is lovely and the gar") + 1, n=4, seed=5)
        self.assertEqual(again, recur.complete("Dear friend,\nthe weather is lovely and the gar", n=4, seed=5))
        recur.close_document(str(path))
        self.assertEqual(recur.status()["openDocuments"], 0)

    def test_init_options_reach_the_server(self):
        completions = self.client(init_options={"n": 1}).complete(PROSE, seed=2)
        self.assertEqual(len(completions), 1)

    def test_invalid_params_raise_with_the_code(self):
        with self.assertRaises(RecurError) as caught:
            self.client().request("recur/complete", {"text": 5})
        self.assertEqual(caught.exception.code, -32602)
        self.assertIn("recur/complete", str(caught.exception))

    def test_unknown_method_says_so(self):
        with self.assertRaises(RecurError) as caught:
            self.client().request("recur/noSuchMethod", {})
        self.assertEqual(caught.exception.code, METHOD_NOT_FOUND)
        self.assertIn("does not support", str(caught.exception))

    def test_status(self):
        status = self.client().status()
        for key in ("openDocuments", "residentMemoryBytes", "positionEncoding", "completionLatency"):
            self.assertIn(key, status)
        self.assertEqual(status["positionEncoding"], "utf-16")


class CommandLineTests(Scratch):
    def run_cli(self, *args, check=True):
        process = subprocess.run([sys.executable, str(CLIENT_DIR / "recur_client.py"), "--recur", RECUR_BIN, *args],
                                 capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(process.returncode, 0, process.stderr)
        return process

    def test_complete_json(self):
        out = json.loads(self.run_cli("complete", "--json", "--seed", "1", "--n", "3", PROSE).stdout)
        self.assertTrue(out["completions"])
        self.assertEqual(set(out["completions"][0]), {"text", "logprob", "probability"})

    def test_status(self):
        self.assertIn("positionEncoding", json.loads(self.run_cli("status").stdout))

    def test_example_completes_every_line(self):
        path = self.dir / "lines.txt"
        path.write_text("The quick brown fox jumps over the lazy dog.\n\ndef __init__(self, x):\n", encoding="utf-8")
        env = dict(os.environ, RECUR_BIN=RECUR_BIN)
        process = subprocess.run([sys.executable, str(CLIENT_DIR / "examples" / "complete_lines.py"), str(path)],
                                 capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(process.returncode, 0, process.stderr)
        lines = process.stdout.splitlines()
        self.assertEqual([line.split(":")[0] for line in lines], ["1", "3"])
        self.assertIn("The quick brown fox ju⟨mps over the lazy dog.⟩ → ", lines[0])


class UnknownMethodTests(Scratch):
    """A method the server lacks (an older recur, say) is reported plainly, with the JSON-RPC code."""

    def test_a_missing_method_is_reported_clearly(self):
        with self.assertRaises(RecurError) as caught:
            self.client().request("recur/noSuchMethod", {})
        self.assertEqual(caught.exception.code, METHOD_NOT_FOUND)
        self.assertIn("recur/noSuchMethod", str(caught.exception))
        self.assertIn("does not support", str(caught.exception))


class AdaptTests(Scratch):
    def corpus(self) -> Path:
        path = self.dir / "corpus.txt"
        path.write_text("The recurrent daemon completes the words you type.\n" * 60, encoding="utf-8")
        return path

    def test_adapt_reports_progress_and_finishes(self):
        progress = []
        finished = self.client().adapt(profile="py-test", paths=[str(self.corpus())], steps=5,
                                       on_progress=progress.append, timeout=300)
        self.assertIn(finished.outcome, ("improved", "notImproved", "reused", "failed"))
        self.assertEqual(finished.profile, "py-test")
        kinds = [value.get("kind") for value in progress]
        self.assertIn("begin", kinds)
        self.assertEqual(kinds[-1], "end")

    def test_cancel_adapt(self):
        recur = self.client()
        job = recur.adapt(profile="py-cancel", paths=[str(self.corpus())], steps=100000, wait=False)
        recur.cancel_adapt(job.job_id)
        self.assertEqual(recur.wait_adapt(job, timeout=120).outcome, "cancelled")

    def test_set_profile(self):
        recur = self.client()
        self.assertEqual(recur.set_profile("py-other")["profile"], "py-other")
        self.assertEqual(recur.status()["profile"], "py-other")

    def test_initial_profile_is_the_workspace_folder_or_the_option(self):
        self.assertEqual(self.client().status()["profile"], str(self.dir.resolve()))
        self.assertEqual(self.client(init_options={"profile": "py-init"}).status()["profile"], "py-init")

    def test_adapt_outside_the_workspace_is_refused(self):
        outside = Path(tempfile.mkdtemp(prefix="recur-py-outside-"))
        self.addCleanup(subprocess.run, ["rm", "-rf", str(outside)])
        (outside / "corpus.txt").write_text("text\n" * 100, encoding="utf-8")
        with self.assertRaises(RecurError) as caught:
            self.client().adapt(paths=[str(outside / "corpus.txt")], steps=5)
        self.assertIn("outside the workspace", str(caught.exception))

    def test_cli_adapt(self):
        process = subprocess.run([sys.executable, str(CLIENT_DIR / "recur_client.py"), "--recur", RECUR_BIN,
                                  "--profile", "py-cli", "adapt", "--steps", "5", str(self.corpus())],
                                 capture_output=True, text=True, timeout=300, cwd=self.dir)
        self.assertIn("recur adapt:", process.stderr)
        self.assertIn(json.loads(process.stdout)["outcome"], ("improved", "notImproved", "reused"))


class OnlineLearningTests(Scratch):
    def assert_count(self, status: dict, key: str):
        self.assertIsInstance(status[key], int, status)
        self.assertNotIsInstance(status[key], bool, status)
        self.assertGreaterEqual(status[key], 0, status)

    def test_turn_learning_off_and_on(self):
        recur = self.client()
        self.assertIs(recur.status()["onlineLearning"]["enabled"], True, "on by default")
        self.assertIs(recur.set_online_learning(False)["enabled"], False)
        self.assertIs(recur.status()["onlineLearning"]["enabled"], False)
        answer = recur.set_online_learning(True)
        self.assertIs(answer["enabled"], True)
        self.assertIs(recur.status()["onlineLearning"]["enabled"], True)
        for key in ("bytesLearned", "updates", "bytesPending", "bytesQueued", "bytesSkippedSecrets",
                    "bytesSkippedBudget", "unsavedUpdates"):
            self.assert_count(answer, key)
        self.assertIs(answer["learnFromOpenDocuments"], False)

    def test_sync(self):
        recur = self.client()
        status = recur.sync_online_learning()
        self.assert_count(status, "bytesLearned")
        self.assert_count(status, "updates")
        self.assertEqual(status["bytesPending"], 0, "a sync settles everything typed")
        self.assertEqual(status["bytesQueued"], 0, "a sync waits for the learner")
        self.assertEqual(recur.status()["onlineLearning"]["bytesLearned"], status["bytesLearned"])

    def test_init_options_turn_learning_off(self):
        recur = self.client(init_options={"onlineLearning": False, "learnFromOpenDocuments": True})
        status = recur.status()["onlineLearning"]
        self.assertIs(status["enabled"], False)
        self.assertIs(status["learnFromOpenDocuments"], True)

    def test_cli_no_online_learning(self):
        process = subprocess.run([sys.executable, str(CLIENT_DIR / "recur_client.py"), "--recur", RECUR_BIN,
                                  "--no-online-learning", "status"], capture_output=True, text=True, timeout=60,
                                 cwd=self.dir)
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertIs(json.loads(process.stdout)["onlineLearning"]["enabled"], False)


if __name__ == "__main__":
    unittest.main()
