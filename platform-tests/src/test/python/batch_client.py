"""OpenAI's Batch API through the gateway with OpenAI's official Python client (the ``openai`` package).

The same flow as ../node/batch-client.mjs: upload a JSONL file, create a batch, poll it until completed, read its
output and error files, list batches, and cancel a second batch. Run by BatchPythonClientTest, which is skipped where
``import openai`` fails (``pip install openai``; PyPI is not reachable on every build machine).

    OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_API_KEY=sk-... [BATCH_MODEL=tiny-kjv-chat] \\
      [BATCH_TIMEOUT_S=120] python3 batch_client.py

Exits 0 and prints a JSON summary as its last line; exits 1 with a message on the first mismatch.
"""

import json
import os
import platform
import sys
import time

import openai
from openai import OpenAI

ENDED = ("completed", "failed", "expired", "cancelled")
_NOTHING = object()


def fail(message):
    print(f"batch-client (python): {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message, actual=_NOTHING):
    if not condition:
        fail(message if actual is _NOTHING else f"{message}; got {plain(actual)!r}")


def plain(value):
    """A model of the client (pydantic) as plain dicts and lists; anything else as it is."""
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def require_env(name):
    value = os.environ.get(name)
    if not value:
        fail(f"{name} is not set")
    return value


BASE_URL = require_env("OPENAI_BASE_URL")
API_KEY = require_env("OPENAI_API_KEY")
MODEL = os.environ.get("BATCH_MODEL") or "tiny-kjv-chat"
TIMEOUT_S = float(os.environ.get("BATCH_TIMEOUT_S") or "120")

client = OpenAI(base_url=BASE_URL, api_key=API_KEY, max_retries=0, timeout=60.0)


def chat_line(custom_id, prompt):
    return json.dumps({
        "custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": MODEL, "messages": [{"role": "user", "content": prompt}], "max_tokens": 6, "temperature": 0},
    })


def upload(lines, name):
    file = client.files.create(file=(name, ("\n".join(lines) + "\n").encode("utf-8")), purpose="batch")
    check(file.id.startswith("file-"), "files.create: id should start with file-", file)
    check(file.purpose == "batch" and file.bytes > 0 and file.filename == name, "files.create: purpose, bytes, filename",
          file)
    return file


def poll_until(batch_id, statuses):
    deadline = time.monotonic() + TIMEOUT_S
    batch = client.batches.retrieve(batch_id)
    while batch.status not in statuses and time.monotonic() < deadline:
        time.sleep(0.5)
        batch = client.batches.retrieve(batch_id)
    return batch


def json_lines(file_id):
    text = client.files.content(file_id).text
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def main():
    # 1. upload: six requests and one line that is not JSON
    chats = {"genesis": "In the beginning", "exodus": "Now these are the names", "psalm": "The LORD is my shepherd",
             "john": "In the beginning was the Word", "ruth": "Now it came to pass",
             "mark": "The beginning of the gospel"}
    lines = [chat_line(custom_id, prompt) for custom_id, prompt in chats.items()]
    lines.insert(3, '{"custom_id": "broken", "method": "POST", "url": ')
    input_file = upload(lines, "python-batch-input.jsonl")
    retrieved = client.files.retrieve(input_file.id)
    check(retrieved.id == input_file.id and retrieved.filename == input_file.filename, "files.retrieve", retrieved)

    # 2. create
    metadata = {"client": "openai-python", "run": str(int(time.time() * 1000))}
    created = client.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions",
                                    completion_window="24h", metadata=metadata)
    check(created.id.startswith("batch_"), "batches.create: id should start with batch_", created)
    check(created.status in ("validating", "in_progress"), "batches.create: status", created.status)
    check(created.endpoint == "/v1/chat/completions" and created.input_file_id == input_file.id
          and created.completion_window == "24h", "batches.create: endpoint, input file, window", created)
    check(all((created.metadata or {}).get(k) == v for k, v in metadata.items()), "batches.create: metadata", created.metadata)

    # 3. poll until it has ended
    done = poll_until(created.id, ENDED)
    check(done.status == "completed", f"batch {created.id} should be completed within {TIMEOUT_S:g} s", done)
    counts = done.request_counts
    check(counts is not None and (counts.total, counts.completed, counts.failed) == (7, 6, 1), "request_counts", counts)
    check(done.completed_at and done.output_file_id and done.error_file_id, "completed_at, output and error file", done)
    usage = done.usage
    check(usage is not None and usage.input_tokens > 0 and usage.output_tokens > 0
          and usage.total_tokens == usage.input_tokens + usage.output_tokens, "batch usage", usage)

    # 4. the output and error files, line by custom_id
    output = json_lines(done.output_file_id)
    output_ids = sorted(line.get("custom_id") for line in output)
    check(output_ids == sorted(chats), "output custom_ids", output_ids)
    texts = {}
    for line in output:
        where = f"output line {line.get('custom_id')}"
        check(str(line.get("id")).startswith("batch_req_") and line.get("error") is None, f"{where}: id and error", line)
        response = line.get("response") or {}
        check(response.get("status_code") == 200, f"{where}: status_code", response)
        body = response.get("body") or {}
        check(body.get("object") == "chat.completion" and body.get("model") == MODEL, f"{where}: object and model", body)
        choice = (body.get("choices") or [{}])[0]
        content = (choice.get("message") or {}).get("content")
        check(isinstance(content, str) and content != "", f"{where}: the model's text should not be empty", body)
        check(choice.get("finish_reason") in ("stop", "length"), f"{where}: finish_reason", choice)
        line_usage = body.get("usage") or {}
        check(line_usage.get("prompt_tokens", 0) > 0 and 1 <= line_usage.get("completion_tokens", 0) <= 6,
              f"{where}: usage", line_usage)
        texts[line["custom_id"]] = content
    errors = json_lines(done.error_file_id)
    check(len(errors) == 1 and errors[0].get("response") is None
          and (errors[0].get("error") or {}).get("code") == "invalid_json", "error file: one invalid_json line", errors)

    # 5. list: the newest first, this batch among them
    page = client.batches.list(limit=100)
    listed = [batch.id for batch in page.data]
    check(created.id in listed, f"batches.list should include {created.id}", listed)
    in_list = next(batch for batch in page.data if batch.id == created.id)
    check(in_list.status == "completed", "batches.list: status", in_list.status)

    # 6. a second batch, cancelled
    second = upload([chat_line(f"cancel-{custom_id}", prompt) for custom_id, prompt in chats.items()],
                    "python-batch-cancel.jsonl")
    to_cancel = client.batches.create(input_file_id=second.id, endpoint="/v1/chat/completions",
                                      completion_window="24h", metadata={"client": "openai-python"})
    cancelling = client.batches.cancel(to_cancel.id)
    check(cancelling.status in ("cancelling", "cancelled"), "batches.cancel: status", cancelling.status)
    cancelled = poll_until(to_cancel.id, ENDED)
    check(cancelled.status == "cancelled" and cancelled.cancelled_at, "the cancelled batch", cancelled)

    print(json.dumps({
        "client": "openai-python", "version": openai.__version__, "python": platform.python_version(),
        "batch": {"id": done.id, "status": done.status, "request_counts": plain(counts), "usage": plain(usage),
                  "metadata": done.metadata},
        "output": {"lines": len(output), "texts": texts},
        "errors": [{"custom_id": line.get("custom_id"), "code": line["error"]["code"]} for line in errors],
        "listed": len(listed),
        "cancel": {"id": to_cancel.id, "status_after_cancel": cancelling.status, "status": cancelled.status,
                   "request_counts": plain(cancelled.request_counts)},
    }))


if __name__ == "__main__":
    try:
        main()
    except openai.OpenAIError as error:
        fail(f"{type(error).__name__}: {error}")
