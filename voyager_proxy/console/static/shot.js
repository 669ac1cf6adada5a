// Shot view: the exposure's progress, then the preview with its figures.
import { facts, shown } from "./format.js";

export class Shot {
  constructor(client) {
    this.client = client;
    this.url = null;
    this.progress = document.getElementById("shot-progress");
    this.label = document.getElementById("shot-label");
    client.on("shotRunning", (data) => this.running(data.parsed || {}));
    client.on("newJPG", (data) => this.preview(data.parsed || {}));
    document.getElementById("preview-link").addEventListener("click", (click) => {
      click.preventDefault();
      document.getElementById("full-image").src = this.url;
      document.getElementById("full-size").showModal();
    });
  }

  running(parsed) {
    this.progress.value = Math.max(1, Number(parsed.progress) || 0);
    this.progress.dataset.seen = "true";
    this.label.textContent = `${shown(parsed.file)}, ${shown(parsed.exposure)} s: ${shown(parsed.statusName)}, ${shown(parsed.remaining)} s left`;
  }

  /** Load /api/camera/preview (with the token, hence fetch and a blob: URL) and show `metadata`. */
  async preview(metadata) {
    const response = await this.client.rest("GET", "/api/camera/preview");
    const blob = await response.blob();
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = URL.createObjectURL(blob);
    const image = document.getElementById("preview");
    image.src = this.url;
    document.getElementById("preview-link").hidden = false;
    this.progress.value = 100;
    this.label.textContent = `${shown(metadata.fileName)}: done`;
    facts(document.getElementById("shot-facts"), [
      ["HFD", shown(metadata.hfd), "shot-hfd"],
      ["Star index", shown(metadata.starIndex)],
      ["Filter", shown(metadata.filter)],
      ["Exposure", `${shown(metadata.exposure)} s`],
      ["Size", `${shown(metadata.width)} × ${shown(metadata.height)}`],
    ]);
  }
}
