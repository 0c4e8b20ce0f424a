// Writes oracle.json: what Hugging Face tokenizers itself (the Rust library,
// through its Node binding `tokenizers` 0.23.2) makes of tricky and random
// texts, for the fixture tokenizers and the variants. Run from this folder:
//   npm install --prefix /tmp/tokref tokenizers@0.23.2
//   NODE_PATH=/tmp/tokref/node_modules node gen_oracle.js
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

const tokenizers = {
  'bpe-opt': '../../../testdata/tokenizers/bpe-opt/tokenizer.json',
  'unigram-t5': '../../../testdata/tokenizers/unigram-t5/tokenizer.json',
  'opt': '../../../testdata/real-tokenizers/opt/tokenizer.json',
  't5': '../../../testdata/real-tokenizers/t5/tokenizer.json',
  'blip2-flan-t5-xl': '../../../testdata/real-configs/blip2-flan-t5-xl/tokenizer.json',
  'unigram-first': 'variants/unigram-first.json',
  'unigram-precompiled-bytes': 'variants/unigram-precompiled-bytes.json',
  'bpe-prefix': 'variants/bpe-prefix.json',
};

const fixed = [
  '', ' ', '  ', '\n', '\r\n', 'a\r\nb', 'a\rb\nc\r\n\r\nd', '\t\tx', 'x\t', ' a', 'a ', '  a  b   c  ',
  'Hello world', "I'm don't you'RE they'll we've 'd 's", "it's 'tis", 'e\u0301 a\u0300\u0301 o\u0308\u0304\u0301',
  '\u01C5 \u212B \u2126 ﬁ ﬀ ﬃ ㍻ ㈱ ½ x² Ⅻ ① ⑳ ™ … ﷺ', 'Ｈｅｌｌｏ ＷＯＲＬＤ ｶﾞｷﾞ ｡｢｣', '각 \u1100\u1161\u11A8 각\u0301 \u1100\u1161\u0301',
  '©\u200D© ©\uFE0F ®\u200D a\u200D b\u200C', 'a\u0903 क्षि नमस्ते', 'مَرْحَبًا שָׁלוֹם', 'กำ ไทย', '👩🏽‍💻 👨‍👩‍👧 ❤️ 1️⃣ 🏳️‍🌈 🇫🇷🇩🇪🇺',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̔ͮ̇͐̇̍', 'ẞ İstanbul ΣΑΣ ς', '日本語のテキスト 안녕하세요 Привет мир', '\u00A0a\u3000b\u2028c\u0085d\u200Be\uFEFFf',
  '\u0001\u007F\u0000x\u0000', 'a\u0000b', '▁▁a▁ ▁', 'Ġhello Ċ', 'supercalifragilisticexpialidocious', 'hello😀world',
  '12345 3.14 ¼ 1,000,000', '<image>', '<image><image>a picture of', 'x<image>y', ' <image> ', '</s>hello</s>', '<s> <pad> <unk>',
  '<extra_id_0>x<extra_id_1> <extra_id_99>', 'a <L> b <R> c', '<L><R><L>', '  <L>  ', 'cat concat cat_ cat. cats', 'ＤＯＧ DOG dog',
  'zz zzz azz', 'blue bluegreen blue-green', 'red circles circles', 'Question: what color is the circle? Answer:',
  'a red circle on a white background', '   leading', 'trailing   ', '..., !!! ??? (ok?)', 'x=y+1; f(x) -> y', 'tab\there',
];

// Random texts from pools of awkward pieces (mulberry32, fixed seed).
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pool = [
  'a', 'b', 'the', ' ', ' ', '  ', '\t', '\n', '\r\n', '.', ',', '?', "'s", "'", 'Q', '7', '42', 'é', 'e\u0301',
  '\u0301', '\u0308', 'ö', 'ß', 'ﬁ', 'Ａ', 'ｶ', 'ﾞ', '①', '½', '恐', '龙', '？', '😀', '🏽', '\u200D', '\uFE0F',
  '🇫', '🇷', '\u1100', '\u1161', '\u11A8', '각', '\u0903', 'क', '्', '\u00A0', '\u3000', '\u0085', '\u0001', '\u0000',
  '▁', 'Ġ', '<image>', '</s>', '<L>', '<R>', 'zz', 'cat', 'blue', 'ＤＯＧ', '<extra_id_0>', '<pad>', 'red', 'circle',
  'ǅ', 'Å', '©', '™', 'ς', 'İ',
];
const rand = rng(20260526);
const random = [];
for (let i = 0; i < 150; i++) {
  const n = 1 + Math.floor(rand() * 12);
  let s = '';
  for (let k = 0; k < n; k++) s += pool[Math.floor(rand() * pool.length)];
  random.push(s);
}

(async () => {
  const out = { generator: { package: 'tokenizers (npm, the Rust library)', version: '0.23.2' }, tokenizers: {} };
  for (const [name, file] of Object.entries(tokenizers)) {
    const tok = Tokenizer.fromFile(file);
    const cases = [];
    for (const text of fixed.concat(random)) {
      const e = await tok.encode(text, null, { addSpecialTokens: true });
      const p = await tok.encode(text, null, { addSpecialTokens: false });
      const ids = Array.from(e.getIds());
      cases.push({
        text, ids, tokens: e.getTokens(), ids_plain: Array.from(p.getIds()),
        decoded_skip: await tok.decode(ids, true), decoded_keep: await tok.decode(ids, false),
      });
    }
    out.tokenizers[name] = { file, vocab_size: tok.getVocabSize(true), cases };
  }
  // Byte-level decoding of invalid UTF-8 (each byte as its own token).
  const opt = Tokenizer.fromFile(tokenizers.opt);
  const byteChar = [];
  for (let b = 0, next = 256; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    byteChar.push(String.fromCodePoint(printable ? b : next++));
  }
  const byteSeqs = [
    [0xe2, 0x82, 0x61], [0xf0, 0x9f, 0x98], [0xf0, 0x9f, 0x98, 0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf],
    [0x80], [0x80, 0x80, 0x61], [0xe0, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3], [0x61, 0xc3, 0xa9, 0xc3],
    [0xf5, 0x61], [0xe1, 0x80, 0xe1, 0x80, 0x80], [0xff, 0xfe],
  ];
  out.byte_decodes = [];
  for (const seq of byteSeqs) {
    const ids = seq.map((b) => opt.tokenToId(byteChar[b]));
    out.byte_decodes.push({ bytes: seq, ids, decoded: await opt.decode(ids, false) });
  }
  fs.writeFileSync('oracle.json', JSON.stringify(out));
})();
