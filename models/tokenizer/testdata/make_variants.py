"""Writes variants/*.json: the synthetic fixture tokenizers changed to reach
the options the fixtures do not use (prepend_scheme first, Strip, split
false, add_prefix_space, ignore_merges, lstrip/rstrip/single_word and
normalized added tokens, byte_fallback, a model without "type")."""
import copy
import json

SRC = "../../../testdata/tokenizers/"
T5 = "../../../testdata/real-tokenizers/t5/tokenizer.json"


def load(p):
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def save(name, d):
    with open("variants/" + name, "w", encoding="utf-8") as f:
        json.dump(d, f, ensure_ascii=False, indent=1)


def tok(i, content, special=False, normalized=None, lstrip=False, rstrip=False, single_word=False):
    return {"id": i, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": (not special) if normalized is None else normalized,
            "special": special}


uni = load(SRC + "unigram-t5/tokenizer.json")
n = len(uni["model"]["vocab"])

# Unigram, legacy=false style: Strip + Replace, Metaspace prepend_scheme first.
a = copy.deepcopy(uni)
a["normalizer"] = {"type": "Sequence", "normalizers": [
    {"type": "Strip", "strip_left": True, "strip_right": True},
    {"type": "NFKC"},
    {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "▁"}]}
a["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True}
a["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True}
a["added_tokens"] += [tok(n, "<L>", special=True, lstrip=True), tok(n + 1, "<R>", special=True, rstrip=True),
                      tok(n + 2, "cat", single_word=True), tok(n + 3, "ＤＯＧ", normalized=True)]
save("unigram-first.json", a)

# Unigram with T5's Precompiled charsmap, no prefix, no split, byte fallback
# for the few bytes pieces we add, and the older layout without "type".
t5 = load(T5)
b = copy.deepcopy(uni)
b["normalizer"] = t5["normalizer"]
b["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": False}
b["decoder"] = {"type": "Sequence", "decoders": [
    {"type": "ByteFallback"},
    {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": False}]}
for x in range(0x80, 0x100):
    b["model"]["vocab"].append(["<0x%02X>" % x, -20.0])
b["model"]["byte_fallback"] = True
del b["model"]["type"]
save("unigram-precompiled-bytes.json", b)

# Byte-level BPE with a prefix space, ignore_merges, and stripping added tokens.
bpe = load(SRC + "bpe-opt/tokenizer.json")
m = len(bpe["model"]["vocab"])  # ids stay dense: tokenizers numbers new added tokens from here
c = copy.deepcopy(bpe)
c["pre_tokenizer"]["add_prefix_space"] = True
c["model"]["ignore_merges"] = True
c["model"]["vocab"]["Ġcircles"] = m  # a word BPE would not build from its merges
c["model"]["merges"] = [" ".join(p) for p in c["model"]["merges"]]  # the older "a b" layout
for t in c["added_tokens"]:
    if t["content"] == "<image>":
        t["id"] = m + 1
c["post_processor"]["special_tokens"]["</s>"]["ids"] = [2]
c["added_tokens"] += [tok(m + 2, "<L>", special=True, lstrip=True), tok(m + 3, "<R>", special=True, rstrip=True),
                      tok(m + 4, "zz", normalized=True), tok(m + 5, "blue", single_word=True)]
save("bpe-prefix.json", c)
