// The offline flipbook's entry: read the page's JSON and mount one stepper on it.

import { Stepper } from "./stepper.js";

const payload = JSON.parse(document.getElementById("gg-flipbook-data").textContent);
window.glassgradFlipbook = new Stepper(document.getElementById("gg-flipbook"), payload.graph,
                                       payload.book, {quiz: payload.quiz, keys: document});
