"""Posting to a Slack incoming webhook (a team's ``slack_webhook_url``): one JSON POST with the
message's text. Failures raise OSError, which the posting task retries."""

import json
import urllib.request

TIMEOUT_SECONDS = 10


def post_message(*, url: str, text: str) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "Accord"},
        method="POST",
    )
    # urlopen raises HTTPError (an OSError) for an answer other than 2xx/3xx.
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()
