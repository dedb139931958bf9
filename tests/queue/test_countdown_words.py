"""The work queue's countdown is worded twice: by the server when it renders a row, and by
static/accord/work_queue.js as it ticks. Both are run here on the same times and must agree."""

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

from django.conf import settings

from leads.templatetags.work_queue import time_left

SECONDS = [1, 59, 60, 61, 119, 3599, 3600, 3660, 7200, 86399, 86400, 90000, 93600, 200000, 10**7]
TIMES = [*SECONDS, 0, *(-s for s in SECONDS)]

RUN_SCRIPT = """
global.window = global;
global.document = {querySelectorAll: () => [], addEventListener: () => {}};
global.setInterval = () => 0;
require(process.argv[1]);
console.log(JSON.stringify(JSON.parse(process.argv[2]).map((s) => window.accordDueWords(s))));
"""


def browser_words(seconds: list[int]) -> list[str]:
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "Node.js runs the work queue's script here (it comes with npm, which `make install-dev` needs)"
    script = settings.BASE_DIR / "static" / "accord" / "work_queue.js"
    done = subprocess.run(
        [node, "-e", RUN_SCRIPT, str(script), json.dumps(seconds)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_browser_words_a_due_time_as_the_server_does():
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    server = [time_left(now + timedelta(seconds=s), now) for s in TIMES]
    assert browser_words(TIMES) == server
    assert server[:3] == ["due in 1 min", "due in 1 min", "due in 1 min"]
    assert "overdue by 1 d 2 h" in server and "due in 2 h" in server
