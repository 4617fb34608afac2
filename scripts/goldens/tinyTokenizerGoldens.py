"""Independent expectations for the tiny fixture's tokenizer and chat template.

Encodes text with a naive byte-level BPE written here from tokenizer.json (the `regex` module runs the
Oniguruma-style split pattern as written, no translation), and renders the chat template with Python
jinja2 configured as transformers' apply_chat_template configures it (sandboxed, trim_blocks, lstrip_blocks).

Run from the repository root with a Python that has `regex` and `jinja2`:
    python3 scripts/goldens/tinyTokenizerGoldens.py
Writes test/fixtures/qwen2_5_vl_tiny_text_goldens.json.
"""
import json
import random
import unicodedata

import regex
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXTURE = "test/fixtures/qwen2_5_vl_tiny"
OUT = "test/fixtures/qwen2_5_vl_tiny_text_goldens.json"


def byte_chars():
    """byte -> character of the GPT-2 byte-level alphabet."""
    keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class NaiveBpe:
    def __init__(self, tokenizer):
        model = tokenizer["model"]
        self.vocab = model["vocab"]
        self.ranks = {tuple(m.split(" ")): i for i, m in enumerate(model["merges"])}
        split = tokenizer["pre_tokenizer"]["pretokenizers"][0]
        assert split["type"] == "Split" and split["behavior"] == "Isolated"
        self.split = regex.compile(split["pattern"]["Regex"])
        self.specials = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}
        self.special_split = regex.compile("(" + "|".join(regex.escape(s) for s in sorted(self.specials, key=len, reverse=True)) + ")")
        self.chars = byte_chars()

    def pieces(self, text):
        """Isolated split: every match, and any text between matches, is a piece."""
        out, last = [], 0
        for m in self.split.finditer(text):
            if m.start() > last:
                out.append(text[last:m.start()])
            out.append(m.group(0))
            last = m.end()
        if last < len(text):
            out.append(text[last:])
        return out

    def bpe(self, word):
        symbols = list(word)
        while len(symbols) > 1:
            pairs = [(self.ranks.get((a, b), None), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            ranked = [p for p in pairs if p[0] is not None]
            if not ranked:
                break
            best = min(ranked)[0]
            merged, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and self.ranks.get((symbols[i], symbols[i + 1])) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        return [self.vocab[s] for s in symbols]

    def encode(self, text):
        ids = []
        for segment in self.special_split.split(text):
            if segment in self.specials:
                ids.append(self.specials[segment])
                continue
            for piece in self.pieces(unicodedata.normalize("NFC", segment)):
                ids.extend(self.bpe("".join(self.chars[b] for b in piece.encode("utf-8"))))
        return ids


def random_texts(count, seed):
    rng = random.Random(seed)
    alphabet = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + list(" \t\n\r.,;:?!'\"()[]{}-_/\\$%&*+=<>|") + ["é", "ß", "Ω", "你", "🙂", "\u00a0", "\u0301"]
    words = ["the", " the", "image", " answer", " is", " what", "'s", "'LL", " 2024", "<|im_start|>", "<|im_end|>", "<|image_pad|>", "<|vision_start|>"]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            parts.append(rng.choice(words) if rng.random() < 0.4 else "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))))
        texts.append("".join(parts))
    return texts


FIXED_TEXTS = [
    "What color is the circle in the image?",
    "The answer is blue. Therefore the final answer is \\boxed{B}.",
    "DON'T we'll they've I'm it's she'd YOU'RE",
    "Numbers 12345 and 3.14159, 2024-06-01",
    "two  spaces, three   spaces\n\nnew paragraph\r\n\ttab",
    "trailing spaces   ",
    "héllo wörld, 你好, emoji 🙂👍🏽",
    "decomposed e\u0301 becomes é",
    "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe it.<|im_end|>\n",
    "<|im_start without closing, and <|im_end|> closed",
    "",
]

CONVERSATIONS = [
    {"messages": [{"role": "user", "content": "Hello there"}], "add_generation_prompt": True},
    {"messages": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is shown?"}]}], "add_generation_prompt": True},
    {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Compare "}, {"type": "image"}, {"type": "text", "text": " with "}, {"type": "image"}]},
            {"role": "assistant", "content": "The first is red."},
            {"role": "user", "content": "And the second?"},
        ],
        "add_generation_prompt": False,
    },
]


def main():
    tokenizer = json.load(open(f"{FIXTURE}/tokenizer.json", encoding="utf-8"))
    config = json.load(open(f"{FIXTURE}/tokenizer_config.json", encoding="utf-8"))
    bpe = NaiveBpe(tokenizer)
    texts = FIXED_TEXTS + random_texts(200, seed=7)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(config["chat_template"])
    chats = [
        {**conv, "rendered": template.render(messages=conv["messages"], add_generation_prompt=conv["add_generation_prompt"], eos_token=config["eos_token"], pad_token=config["pad_token"], bos_token=None)}
        for conv in CONVERSATIONS
    ]
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"encodings": [{"text": t, "ids": bpe.encode(t)} for t in texts], "chats": chats}, f, ensure_ascii=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
