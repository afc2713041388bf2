#!/usr/bin/env python3
"""Reference renderings of model chat templates, made with transformers 5.23 (jinja2
3.1.6) `apply_chat_template`, for WeftText's Jinja-subset interpreter (run once; the
outputs are committed and the Swift tests never need Python).

The template texts are written here from the models' own tokenizer_config.json files
(ChatML, Qwen2, Qwen2.5 with tools, Llama-2-chat, Llama-3, Mistral instruct v0.1, Zephyr,
Gemma, Phi-3, SmolLM2), plus a SmolLM2 variant with `{% generation %}` tags and a
`constructs` template that exercises the rest of the supported subset.

Writes Tests/Fixtures/text/chat/:
  * <name>/tokenizer_config.json -- chat_template, bos_token, eos_token (some as
    AddedToken dicts, as real files have them).
  * expected.jsonl -- one row per template x conversation x add_generation_prompt:
    {"template", "conversation", "messages", "add_generation_prompt", "rendered"} or
    {..., "error": message} when the template raises; rows of the generation-tag template
    carry "generation" (the [start, end) code-point ranges transformers'
    return_assistant_tokens_mask tracks). Rows rendered without a generation prompt
    whose template does not raise carry "learn": the assistant spans derived by prefix
    rendering, computed here with transformers as WeftText's SFTRenderer documents it
    (start = length of the rendering of the messages before the assistant message with
    add_generation_prompt; end = common prefix of the rendering up to and including it
    with the full rendering, or for the last message with the rendering followed by a
    probe user message; trailing whitespace left out, and an opening '<' or '[' after the
    content that the span does not close).

Usage: python3 Tests/Fixtures/make_chat_templates.py
"""
import json
import os
import shutil
import tempfile

import transformers
from transformers import AutoTokenizer
from transformers.utils.chat_template_utils import render_jinja_template

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "text", "chat")
TOKENIZER = os.path.join(HERE, "text", "tokenizers", "llama3", "tokenizer.json")


def added(content):
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": False,
            "rstrip": False, "single_word": False, "special": True}


CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")

QWEN2 = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
         "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
         "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
         "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")

QWEN25 = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

LLAMA2 = ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
          "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
          "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
          "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
          "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
          "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")

LLAMA3 = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + "
          "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
          "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")

MISTRAL = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
           "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
           "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
           "{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")

ZEPHYR = ("{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
          "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}")

GEMMA = ("{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
         "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
         "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
         "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
         "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
         "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}")

PHI3 = ("{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}"
        "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}"
        "{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}"
        "{% else %}{{ eos_token }}{% endif %}")

SMOLLM2 = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
           "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
           "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
           "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

SMOLLM2_GENERATION = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                      "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
                      "{% if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
                      "{% else %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endif %}{% endfor %}"
                      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

CONSTRUCTS = """{#- Exercises the supported subset beyond the model templates. -#}
{%- set ns = namespace(count=0, roles=[], last_user='') -%}
{%- set greeting = "Hi" ~ ' ' ~ (messages | length) ~ "/" ~ messages|length * 2 -%}
{{ greeting | upper }}|{{ 'MiXeD' | lower }}|{{ 'word' | capitalize }}|{{ '  pad  ' | trim }}|
{% for m in messages -%}
  {%- set ns.count = ns.count + 1 -%}
  {%- set ns.roles = ns.roles + [m.role] -%}
  {%- if m.role == 'user' %}{% set ns.last_user = m['content'] %}{% endif -%}
  [{{ loop.index }}/{{ loop.length }}{% if loop.first %} first{% elif loop.last %} last{% else %} mid{% endif %}:{{ loop.index0 }}:{{ loop.revindex0 }}]
  {{- m.role[:1] | upper ~ m.role[1:] }}={{ m.content[0:12] }}{% if m.content|length > 12 %}…{% endif %}
{% endfor -%}
count={{ ns.count }} roles={{ ns.roles | join(',') }} first={{ (ns.roles | first) }} last={{ ns.roles | last }}
{{ ns.roles | tojson }} {{ {'k': [1, 2.5, none, true, "é\\"q"], 'n': {'x': -3}} | tojson }}
{{ 7 // 2 }} {{ 7 % 3 }} {{ 2 * 3 + 1 }} {{ 10 - 4 - 3 }} {{ -2 ** 2 if false else 6 / 4 }} {{ 'ab' * 2 }}
{{ 'x' in 'xyz' }} {{ 'user' not in ns.roles }} {{ 3 in [1, 2, 3] }} {{ 'k' in {'k': 1} }}
{{ undefined_name is defined }} {{ messages is defined }} {{ none is none }} {{ 'a' is string }} {{ 3 is number }} {{ 3 is integer }}
{{ ns.missing | default('dflt') }} {{ '' | default('empty', true) }} {{ none | default('kept none') }}
{{ messages[-1].role }} {{ messages[0]['role'] if messages else 'none' }} {{ ns.roles | list | length }}
{{ 1 < 2 and 2 <= 2 and 3 > 2 and 3 >= 3 and 1 != 2 and not false }} {{ 0 or 'or' }} {{ '' and 'x' }}
{{ 'a,b,,c'.split(',') }} {{ 'Hello'.startswith('He') }} {{ 'x.txt'.endswith('.md') }} {{ '--x--'.strip('-') }} {{ 'a-b'.replace('-', '+') }}
{%- for k, v in {'one': 1, 'two': 2}.items() %} {{ k }}:{{ v }}{% endfor %}
{{ ['b', 'a'] | join }} {{ (1, 2) | length }} {{ 'abc' | reverse | join }} {{ ['x', 'y'][1] }} {{ [3, 1, 2] | sort | join('') }}
{{ none }} {{ true }} {{ 1.5 }} {{ [1, 'a', none] }} {{ 'tail' }}
{%- if add_generation_prompt %}
GEN {{ ns.last_user | trim }}
{%- endif %}
"""

TEMPLATES = [
    ("chatml", CHATML, "<|im_start|>", "<|im_end|>"),
    ("qwen2", QWEN2, None, added("<|im_end|>")),
    ("qwen2.5", QWEN25, None, "<|im_end|>"),
    ("llama2", LLAMA2, added("<s>"), added("</s>")),
    ("llama3", LLAMA3, "<|begin_of_text|>", "<|eot_id|>"),
    ("mistral", MISTRAL, "<s>", "</s>"),
    ("zephyr", ZEPHYR, "<s>", "</s>"),
    ("gemma", GEMMA, added("<bos>"), added("<eos>")),
    ("phi3", PHI3, "<s>", "<|endoftext|>"),
    ("smollm2", SMOLLM2, "<|im_start|>", "<|im_end|>"),
    ("smollm2-generation", SMOLLM2_GENERATION, "<|im_start|>", "<|im_end|>"),
    ("constructs", CONSTRUCTS, "<s>", "</s>"),
]

CONVERSATIONS = {
    "system": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"},
               {"role": "assistant", "content": "4"}],
    "no_system": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Teal."}],
    "multi_turn": [{"role": "user", "content": "Hello!"}, {"role": "assistant", "content": "Hi. How can I help?"},
                   {"role": "user", "content": "Tell me a joke."}, {"role": "assistant", "content": "I would, but it is still loading."}],
    "unicode": [{"role": "user", "content": "Grüße 👋 — ça va?\u00a0 \n"},
                {"role": "assistant", "content": "  日本語テキスト\n\twith \"quotes\" and 'apostrophes' {{ not a tag }}  "}],
    "empty": [{"role": "system", "content": ""}, {"role": "user", "content": ""}, {"role": "assistant", "content": ""}],
    "prompt_only": [{"role": "user", "content": "Continue: once upon a time"}],
    "not_alternating": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
    "tool_call": [{"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "°C"}}}]},
                  {"role": "tool", "content": "{\"temp\": 21}"}, {"role": "assistant", "content": "21 °C.", "reasoning_content": None}],
}
TOOL_TEMPLATES = {"qwen2.5", "constructs"}


def trimmed_end(full, start, end, content):
    """Trailing whitespace out; cut before a '<'/'[' after the content that is not closed."""
    def trim(e):
        while e > start and full[e - 1] in " \t\n\r":
            e -= 1
        return e
    e = trim(end)
    c = content.strip() if isinstance(content, str) else ""
    content_end = start
    if c:
        k = full.rfind(c, start, e)
        if k >= 0:
            content_end = k + len(c)
    for k in range(e - 1, content_end - 1, -1):
        if full[k] in ">]":
            return e
        if full[k] in "<[":
            return trim(k)
    return e


def spans(tok, messages):
    """Assistant spans by prefix rendering (the rule SFTRenderer documents)."""
    def render(ms, gen):
        return tok.apply_chat_template(ms, tokenize=False, add_generation_prompt=gen)
    full = render(messages, False)
    out = []
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        try:
            prompt = render(messages[:i], True) if i > 0 else ""
        except Exception:
            prompt = ""
        if not full.startswith(prompt):
            return None  # not prefix-stable: SFTRenderer reports an error
        start = len(prompt)
        upto = render(messages[: i + 1], False)
        other = full if i + 1 < len(messages) else render(messages + [{"role": "user", "content": "\u2063probe"}], False)
        end = 0
        while end < min(len(upto), len(other)) and upto[end] == other[end]:
            end += 1
        end = trimmed_end(full, start, min(end, len(full)), m.get("content"))
        if end < start:
            return None
        out.append([start, end])
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rows = []
    for name, template, bos, eos in TEMPLATES:
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        config = {"tokenizer_class": "PreTrainedTokenizerFast", "chat_template": template}
        if bos is not None:
            config["bos_token"] = bos
        config["eos_token"] = eos
        with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, ensure_ascii=False, indent=2)
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(TOKENIZER, os.path.join(tmp, "tokenizer.json"))
            shutil.copy(os.path.join(folder, "tokenizer_config.json"), tmp)
            tok = AutoTokenizer.from_pretrained(tmp)
            for conv, messages in CONVERSATIONS.items():
                if conv == "tool_call" and name not in TOOL_TEMPLATES:
                    continue
                for gen in (False, True):
                    row = {"template": name, "conversation": conv, "messages": messages, "add_generation_prompt": gen}
                    try:
                        row["rendered"] = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
                    except Exception as e:  # raise_exception in the template
                        row["error"] = str(e)
                    if "rendered" in row and not gen and conv != "prompt_only":
                        row["learn"] = spans(tok, messages) if name != "constructs" else None
                    if "rendered" in row and name == "smollm2-generation":
                        kwargs = dict(tok.special_tokens_map)
                        clean = [{k: v for k, v in m.items() if v is not None} for m in messages]
                        _, indices = render_jinja_template([clean], chat_template=template, add_generation_prompt=gen,
                                                           return_assistant_tokens_mask=True, **kwargs)
                        row["generation"] = [list(r) for r in indices[0]]
                    rows.append(row)
    with open(os.path.join(OUT, "expected.jsonl"), "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"transformers {transformers.__version__}: {len(rows)} rows, {sum('error' in r for r in rows)} errors")


if __name__ == "__main__":
    main()
