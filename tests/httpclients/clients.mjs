// Asks edge serve, through the official OpenAI and Ollama JavaScript clients, for a
// streamed caption and an answer about one image; prints the four texts as JSON.
// Usage: node clients.mjs BASE_URL API_KEY MODEL IMAGE QUESTION
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { Ollama } from "ollama";

const [base, key, model, imagePath, question] = process.argv.slice(2);
const png = readFileSync(imagePath).toString("base64");
const dataURL = `data:image/png;base64,${png}`;
const out = {};

const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
const models = await openai.models.list();
out.openai_models = models.data.map((m) => m.id);
let caption = "";
let chunks = 0;
const stream = await openai.chat.completions.create({
  model,
  stream: true,
  messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: dataURL } }] }],
});
for await (const chunk of stream) {
  caption += chunk.choices[0]?.delta?.content ?? "";
  chunks++;
}
out.openai_caption = caption;
out.openai_chunks = chunks;
const answer = await openai.chat.completions.create({
  model,
  messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: dataURL } }, { type: "text", text: question }] }],
});
out.openai_answer = answer.choices[0].message.content;
try {
  await openai.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] });
  out.openai_unknown_model = "no error";
} catch (e) {
  out.openai_unknown_model = `${e.status} ${e.code}`;
}

const ollama = new Ollama({ host: base, headers: { Authorization: `Bearer ${key}` } });
out.ollama_tags = (await ollama.list()).models.map((m) => m.name);
let ocap = "";
let ochunks = 0;
for await (const part of await ollama.generate({ model, prompt: "", images: [png], stream: true })) {
  ocap += part.response;
  ochunks++;
}
out.ollama_caption = ocap;
out.ollama_chunks = ochunks;
const chat = await ollama.chat({ model, messages: [{ role: "user", content: question, images: [png] }] });
out.ollama_answer = chat.message.content;

console.log(JSON.stringify(out));
