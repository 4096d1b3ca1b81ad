"""The official `openai` Python client against `hearth-cli serve` with the test model.

Run by crates/cli/tests/api.rs with HEARTH_API_URL, HEARTH_API_TOKEN and HEARTH_API_MODEL set;
prints one line per check and exits non-zero on the first failure.
"""
import os
import sys

import openai

client = openai.OpenAI(base_url=os.environ["HEARTH_API_URL"], api_key=os.environ["HEARTH_API_TOKEN"],
                       max_retries=0, timeout=120)
MODEL = os.environ["HEARTH_API_MODEL"]
QUESTION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]


def check(name, ok, detail=""):
    print(f"{'ok' if ok else 'FAILED'}: {name} {detail}")
    if not ok:
        sys.exit(1)


models = [m.id for m in client.models.list()]
check("models.list names the installed model", MODEL in models, repr(models))
check("models.retrieve", client.models.retrieve(MODEL).id == MODEL)

reply = client.chat.completions.create(model=MODEL, messages=QUESTION, temperature=0, max_tokens=40)
text = reply.choices[0].message.content
check("chat completion", "Paris" in text and reply.usage.completion_tokens > 0, repr(text))
check("finish_reason", reply.choices[0].finish_reason in ("stop", "length"), reply.choices[0].finish_reason)

chunks = []
for chunk in client.chat.completions.create(model=MODEL, messages=QUESTION, temperature=0, max_tokens=40,
                                            stream=True):
    if chunk.choices and chunk.choices[0].delta.content:
        chunks.append(chunk.choices[0].delta.content)
joined = "".join(chunks)
check("streamed chat completion", "Paris" in joined and len(chunks) > 1, f"{len(chunks)} chunks: {joined!r}")

done = client.completions.create(model=MODEL, prompt="1, 2, 3, 4,", max_tokens=30, temperature=0, stop=[", 8"])
check("completion with stop", "7" in done.choices[0].text and "8" not in done.choices[0].text,
      repr(done.choices[0].text))

poem = dict(model=MODEL, messages=[{"role": "user", "content": "Write a short poem about the sea."}],
            temperature=1.0, max_tokens=30, seed=1234)
first = client.chat.completions.create(**poem).choices[0].message.content
second = client.chat.completions.create(**poem).choices[0].message.content
check("same seed, same text", first == second, repr(first))
other = client.chat.completions.create(**dict(poem, seed=98765)).choices[0].message.content
print(f"note: another seed gave {'a different' if other != first else 'the same'} text")

try:
    client.chat.completions.create(model="gpt-5", messages=QUESTION)
    check("wrong model is refused", False)
except openai.NotFoundError as e:
    check("wrong model is an OpenAI-shaped 404", e.status_code == 404 and e.code == "model_not_found", str(e))

try:
    openai.OpenAI(base_url=os.environ["HEARTH_API_URL"], api_key="wrong-token", max_retries=0).models.list()
    check("wrong token is refused", False)
except openai.AuthenticationError as e:
    check("wrong token is a 401", e.status_code == 401)

print("all checks passed")
