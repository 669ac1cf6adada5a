// RoboTarget view: manager status, sets and their targets, booking, shots done with their JPEG.
import { element, shown } from "./format.js";

const RT = "/api/robotarget";

export class RoboTarget {
  constructor(client, canControl) {
    this.client = client;
    this.canControl = canControl;
    document.getElementById("rt-refresh").addEventListener("click", () => this.refresh());
    document.getElementById("rt-booking").addEventListener("submit", (submitted) => {
      submitted.preventDefault();
      this.book();
    });
    for (const control of document.querySelectorAll("#rt-booking textarea, #rt-booking button")) control.disabled = !canControl;
  }

  async start() {
    const example = await fetch(new URL("./booking.json", import.meta.url));
    document.getElementById("rt-plan").value = await example.text();
    await this.refresh();
  }

  async call(method, path, body) {
    try {
      return await this.client.rest(method, RT + path, body === undefined ? {} : { body });
    } catch (error) {
      document.getElementById("rt-answer").textContent = `${error.code}: ${error.message}`;
      return null;
    }
  }

  async refresh() {
    const status = await this.call("GET", "/status");
    const state = status?.robotarget;
    document.getElementById("rt-status").textContent = state
      ? `Manager: ${state.state}${state.reason ? ` (${state.reason})` : ""}`
      : "Manager: unknown";
    document.getElementById("session-robotarget").textContent = state ? state.state : "unknown";
    const holder = document.getElementById("rt-sets");
    holder.replaceChildren();
    if (!state || state.state !== "ready") return;
    const sets = (await this.call("GET", "/sets"))?.sets || [];
    if (!sets.length) holder.append(element("p", "No sets."));
    for (const set of sets) holder.append(await this.setView(set));
  }

  button(text, action, confirmText = null) {
    const made = element("button", text, { type: "button" });
    made.disabled = !this.canControl;
    made.addEventListener("click", async () => {
      if (confirmText && !window.confirm(confirmText)) return;
      await action();
      await this.refresh();
    });
    return made;
  }

  async setView(set) {
    const box = element("div", "", { class: "rt-set" });
    box.dataset.guid = set.guid;
    const title = element("h3", `${set.setname} `);
    title.append(this.button("Delete set…", () => this.call("DELETE", `/sets/${set.guid}`), `Delete the set ${set.setname} with its targets and shots?`));
    box.append(title);
    const targets = (await this.call("GET", `/targets?setGuid=${encodeURIComponent(set.guid)}`))?.targets || [];
    const table = element("table");
    table.append(element("tr"));
    table.firstChild.append(...["Target", "Enabled", "Priority", "Progress", ""].map((text) => element("th", text)));
    for (const target of targets) {
      const row = element("tr");
      row.dataset.guid = target.guid;
      const enabled = element("td", target.status === 0 ? "yes" : "no", { "data-field": "enabled" });
      const progress = target.auxsessioncontainer?.progress;
      row.append(element("td", shown(target.targetname)), enabled, element("td", shown(target.priority)), element("td", `${shown(progress)} %`));
      const actions = element("td");
      actions.append(
        this.button("Activate", () => this.call("POST", `/targets/${target.guid}/activate`)),
        " ",
        this.button("Deactivate", () => this.call("POST", `/targets/${target.guid}/deactivate`)),
      );
      row.append(actions);
      table.append(row);
    }
    box.append(table);
    const done = (await this.call("GET", `/sets/${set.guid}/shots-done`))?.shotsDone?.done || [];
    const thumbs = element("div", "", { class: "thumbs" });
    for (const shot of done.slice(-12)) thumbs.append(await this.jpeg(shot));
    box.append(element("p", `${done.length} shots done`), thumbs);
    return box;
  }

  async jpeg(shot) {
    const figure = element("figure");
    try {
      const response = await this.client.rest("GET", `${RT}/shots-done/${shot.guid}/jpeg`);
      const image = element("img", "", { alt: shot.filename || shot.guid });
      image.src = URL.createObjectURL(await response.blob());
      figure.append(image);
    } catch (error) {
      figure.append(element("span", `${error.code}`));
    }
    figure.append(element("figcaption", `HFD ${shown(shot.hfd)}`));
    return figure;
  }

  async book() {
    let plan;
    try {
      plan = JSON.parse(document.getElementById("rt-plan").value);
    } catch (problem) {
      document.getElementById("rt-answer").textContent = `invalid_json: ${problem.message}`;
      return;
    }
    const created = await this.call("POST", "/plans", plan);
    if (created) document.getElementById("rt-answer").textContent = JSON.stringify(created, null, 2);
    await this.refresh();
  }
}
