// Events view: every message with its seq, topic filters (the topics action), pause, raw view.
import { element } from "./format.js";

const KEPT = 500;
export const TOPICS = [
  "connectionState", "controlData", "signal", "shotRunning", "imageReady", "newFITReady",
  "remoteActionResult", "logEvent", "version", "shutDown", "weatherAndSafetyMonitorData", "autoFocusResult",
];

export class Events {
  constructor(client) {
    this.client = client;
    this.paused = false;
    this.log = document.getElementById("events-log");
    this.raw = document.getElementById("events-raw");
    const pause = document.getElementById("events-pause");
    pause.addEventListener("click", () => {
      this.paused = !this.paused;
      pause.setAttribute("aria-pressed", String(this.paused));
      pause.textContent = this.paused ? "Resume" : "Pause";
    });
    document.getElementById("events-clear").addEventListener("click", () => this.log.replaceChildren());
    const topics = document.getElementById("events-topics");
    for (const topic of TOPICS) {
      const box = element("input", "", { type: "checkbox", value: topic });
      box.checked = true;
      box.addEventListener("change", () => this.filter());
      const label = element("label");
      label.append(box, ` ${topic}`);
      topics.append(label);
    }
    client.on("*", (data, message) => this.add(message));
  }

  /** Send the unticked topics as the exclude list of the topics action. */
  async filter() {
    const exclude = [...document.querySelectorAll("#events-topics input:not(:checked)")].map((box) => box.value);
    try {
      await this.client.topics({ exclude });
    } catch (error) {
      this.raw.hidden = false;
      this.raw.textContent = `The topics were not sent (${error.code}: ${error.message}); they apply from the next change.`;
    }
  }

  add(message) {
    if (this.paused || !message || !message.event) return;
    const seq = message.seq ?? message.data?.seq ?? "·";
    const button = element("button", `${seq}  ${new Date().toLocaleTimeString()}  ${message.event}`, { type: "button" });
    button.addEventListener("click", () => {  // the text is made when asked for, not for every message
      this.raw.hidden = false;
      this.raw.textContent = JSON.stringify(message, (key, value) => (key === "Base64Data" ? `<${value.length} base64 characters>` : value), 2);
    });
    const item = element("li");
    item.dataset.event = message.event;
    item.append(button);
    this.log.prepend(item);
    while (this.log.childElementCount > KEPT) this.log.lastElementChild.remove();
  }
}
