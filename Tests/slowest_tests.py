#!/usr/bin/env python3
"""The slowest Swift tests of a run, from Swift Testing's event stream (`swift test --event-stream-output-path`).

Each test's time is from its testStarted to its testEnded event. Tests run in parallel on the cooperative pool, so
an async test that is suspended while others compute is charged for that time too: in a full run the figures
show where the wall clock goes, not each test's own cost (run one suite alone for that). Suites are left out; a parameterized test counts once, from its first case to its last.

  python3 Tests/slowest_tests.py EVENTS.jsonl [COUNT]
"""
import json
import sys


def main():
    path, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    started, seconds = {}, {}
    with open(path) as events:
        for line in events:
            record = json.loads(line)
            payload = record.get("payload", {})
            kind, test = payload.get("kind"), payload.get("testID", "")
            if record.get("kind") != "event" or "/" not in test:  # suites have no "/" in their id
                continue
            at = payload["instant"]["absolute"]
            if kind == "testStarted":
                started.setdefault(test, at)
            elif kind == "testEnded" and test in started:
                seconds[test] = at - started[test]
    print(f"{count} slowest Swift tests (seconds, from start to end):")
    for test, time in sorted(seconds.items(), key=lambda item: -item[1])[:count]:
        print(f"{time:9.2f}  {test.split('/')[0]}.{test.split('/')[1]}")


if __name__ == "__main__":
    main()
