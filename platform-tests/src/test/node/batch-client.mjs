// OpenAI's Batch API through the gateway with OpenAI's official Node client (the `openai` package, pinned in
// package.json): upload a JSONL file, create a batch, poll it until completed, read its output and error files, list
// batches, and cancel a second batch. Run by BatchNodeClientTest; the same flow as ../python/batch_client.py.
//
//   OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_API_KEY=sk-... [BATCH_MODEL=tiny-kjv-chat] \
//     [BATCH_TIMEOUT_S=120] node batch-client.mjs
//
// Exits 0 and prints a JSON summary as its last line; exits 1 with a message on the first mismatch.
import OpenAI, { toFile } from 'openai';
import { VERSION } from 'openai/version';

const baseURL = requireEnv('OPENAI_BASE_URL');
const apiKey = requireEnv('OPENAI_API_KEY');
const model = process.env.BATCH_MODEL || 'tiny-kjv-chat';
const timeoutMs = Number(process.env.BATCH_TIMEOUT_S || '120') * 1000;
const ENDED = ['completed', 'failed', 'expired', 'cancelled'];

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    fail(`${name} is not set`);
  }
  return value;
}

function fail(message) {
  console.error(`batch-client (node): ${message}`);
  process.exit(1);
}

function check(condition, message, actual) {
  if (!condition) {
    fail(actual === undefined ? message : `${message}; got ${JSON.stringify(actual)}`);
  }
}

function chatLine(customId, prompt) {
  return JSON.stringify({
    custom_id: customId, method: 'POST', url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: prompt }], max_tokens: 6, temperature: 0 },
  });
}

async function upload(lines, name) {
  const file = await client.files.create({
    file: await toFile(Buffer.from(lines.join('\n') + '\n', 'utf8'), name),
    purpose: 'batch',
  });
  check(file.id?.startsWith('file-'), 'files.create: id should start with file-', file);
  check(file.purpose === 'batch' && file.bytes > 0 && file.filename === name, 'files.create: purpose, bytes, filename', file);
  return file;
}

async function pollUntil(batchId, statuses) {
  const deadline = Date.now() + timeoutMs;
  let batch = await client.batches.retrieve(batchId);
  while (!statuses.includes(batch.status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    batch = await client.batches.retrieve(batchId);
  }
  return batch;
}

async function jsonLines(fileId) {
  const response = await client.files.content(fileId);
  const text = await response.text();
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

async function main() {
  // 1. upload: six requests and one line that is not JSON
  const chats = { genesis: 'In the beginning', exodus: 'Now these are the names', psalm: 'The LORD is my shepherd',
    john: 'In the beginning was the Word', ruth: 'Now it came to pass', mark: 'The beginning of the gospel' };
  const lines = Object.entries(chats).map(([id, prompt]) => chatLine(id, prompt));
  lines.splice(3, 0, '{"custom_id": "broken", "method": "POST", "url": ');
  const input = await upload(lines, 'node-batch-input.jsonl');
  const retrieved = await client.files.retrieve(input.id);
  check(retrieved.id === input.id && retrieved.filename === input.filename, 'files.retrieve', retrieved);

  // 2. create
  const metadata = { client: 'openai-node', run: String(Date.now()) };
  const created = await client.batches.create({
    input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata,
  });
  check(created.id?.startsWith('batch_'), 'batches.create: id should start with batch_', created);
  check(['validating', 'in_progress'].includes(created.status), 'batches.create: status', created.status);
  check(created.endpoint === '/v1/chat/completions' && created.input_file_id === input.id
      && created.completion_window === '24h', 'batches.create: endpoint, input file, window', created);
  check(Object.keys(metadata).every((k) => created.metadata?.[k] === metadata[k]), 'batches.create: metadata', created.metadata);

  // 3. poll until it has ended
  const done = await pollUntil(created.id, ENDED);
  check(done.status === 'completed', `batch ${created.id} should be completed within ${timeoutMs / 1000} s`, done);
  const counts = done.request_counts;
  check(counts?.total === 7 && counts.completed === 6 && counts.failed === 1, 'request_counts', counts);
  check(done.completed_at > 0 && done.output_file_id && done.error_file_id, 'completed_at, output and error file', done);
  const usage = done.usage;
  check(usage?.input_tokens > 0 && usage.output_tokens > 0
      && usage.total_tokens === usage.input_tokens + usage.output_tokens, 'batch usage', usage);

  // 4. the output and error files, line by custom_id
  const output = await jsonLines(done.output_file_id);
  const outputIds = output.map((line) => line.custom_id).sort();
  check(JSON.stringify(outputIds) === JSON.stringify(Object.keys(chats).sort()), 'output custom_ids', outputIds);
  const texts = {};
  for (const line of output) {
    const where = `output line ${line.custom_id}`;
    check(line.id?.startsWith('batch_req_') && line.error === null, `${where}: id and error`, line);
    check(line.response?.status_code === 200, `${where}: status_code`, line.response);
    const body = line.response.body;
    check(body?.object === 'chat.completion' && body.model === model, `${where}: object and model`, body);
    const content = body.choices?.[0]?.message?.content;
    check(typeof content === 'string' && content.length > 0, `${where}: the model's text should not be empty`, body);
    check(['stop', 'length'].includes(body.choices[0].finish_reason), `${where}: finish_reason`, body.choices[0]);
    check(body.usage?.prompt_tokens > 0 && body.usage.completion_tokens >= 1 && body.usage.completion_tokens <= 6,
        `${where}: usage`, body.usage);
    texts[line.custom_id] = content;
  }
  const errors = await jsonLines(done.error_file_id);
  check(errors.length === 1 && errors[0].response === null && errors[0].error?.code === 'invalid_json',
      'error file: one invalid_json line', errors);

  // 5. list: the newest first, this batch among them
  const page = await client.batches.list({ limit: 100 });
  const listed = page.data.map((batch) => batch.id);
  check(listed.includes(created.id), `batches.list should include ${created.id}`, listed);
  const inList = page.data.find((batch) => batch.id === created.id);
  check(inList.status === 'completed', 'batches.list: status', inList.status);

  // 6. a second batch, cancelled
  const second = await upload(Object.entries(chats).map(([id, prompt]) => chatLine(`cancel-${id}`, prompt)),
      'node-batch-cancel.jsonl');
  const toCancel = await client.batches.create({
    input_file_id: second.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { client: 'openai-node' },
  });
  const cancelling = await client.batches.cancel(toCancel.id);
  check(['cancelling', 'cancelled'].includes(cancelling.status), 'batches.cancel: status', cancelling.status);
  const cancelled = await pollUntil(toCancel.id, ENDED);
  check(cancelled.status === 'cancelled' && cancelled.cancelled_at > 0, 'the cancelled batch', cancelled);

  console.log(JSON.stringify({
    client: 'openai-node', version: VERSION, node: process.version,
    batch: { id: done.id, status: done.status, request_counts: counts, usage, metadata: done.metadata },
    output: { lines: output.length, texts },
    errors: errors.map((line) => ({ custom_id: line.custom_id, code: line.error.code })),
    listed: listed.length,
    cancel: { id: toCancel.id, status_after_cancel: cancelling.status, status: cancelled.status,
      request_counts: cancelled.request_counts },
  }));
}

main().catch((error) => fail(error?.stack || String(error)));
