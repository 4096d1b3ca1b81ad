"""LocalDocs through the local API with the official `openai` client: `collections` sent with
`extra_body`, the passages used read back from `references` beside the message.

Run by crates/cli/tests/api.rs against a server whose data folder has the collection `Notes`
(garden.md holds the answer, car.txt does not); exits non-zero on the first failure.
"""
import os
import sys

import openai

client = openai.OpenAI(base_url=os.environ["HEARTH_API_URL"], api_key=os.environ["HEARTH_API_TOKEN"],
                       max_retries=0, timeout=120)
MODEL = os.environ["HEARTH_API_MODEL"]
QUESTION = [{"role": "user", "content": "When does the quince tree flower?"}]


def check(name, ok, detail=""):
    print(f"{'ok' if ok else 'FAILED'}: {name} {detail}")
    if not ok:
        sys.exit(1)


def references(choice):
    return (choice.model_extra or {}).get("references")


plain = client.chat.completions.create(model=MODEL, messages=QUESTION, temperature=0, max_tokens=20)
check("without collections there are no references", not references(plain.choices[0]),
      repr(references(plain.choices[0])))

reply = client.chat.completions.create(model=MODEL, messages=QUESTION, temperature=0, max_tokens=20,
                                       extra_body={"collections": ["Notes"]})
refs = references(reply.choices[0])
check("references name the file that holds the answer",
      bool(refs) and refs[0]["path"].endswith("garden.md") and refs[0]["collection"] == "Notes"
      and refs[0]["line_start"] is not None and "quince" in refs[0]["excerpt"], repr(refs))
check("the passages went into the prompt",
      reply.usage.prompt_tokens > plain.usage.prompt_tokens + 10,
      f"{reply.usage.prompt_tokens} vs {plain.usage.prompt_tokens} prompt tokens")

streamed = None
text = []
for chunk in client.chat.completions.create(model=MODEL, messages=QUESTION, temperature=0, max_tokens=20,
                                            stream=True, extra_body={"collections": ["Notes"]}):
    if chunk.choices:
        if streamed is None and references(chunk.choices[0]) is not None:
            streamed = references(chunk.choices[0])
        if chunk.choices[0].delta.content:
            text.append(chunk.choices[0].delta.content)
check("a stream sends the references first", streamed == refs, repr(streamed))
check("and then the reply", len(text) > 0, repr(text))

try:
    client.chat.completions.create(model=MODEL, messages=QUESTION, extra_body={"collections": ["Nowhere"]})
    check("an unknown collection is refused", False)
except openai.BadRequestError as e:
    check("an unknown collection is a 400 naming it",
          e.status_code == 400 and "Nowhere" in str(e) and getattr(e, "param", None) == "collections", str(e))

print("all checks passed")
