// Shot view: the exposure's progress, then the new image's thumbnail with its figures.
import { facts, shown } from "./format.js";

export class Shot {
  constructor(client) {
    this.client = client;
    this.image = null; // the latest imageReady notice
    this.urls = [];
    this.progress = document.getElementById("shot-progress");
    this.label = document.getElementById("shot-label");
    client.on("shotRunning", (data) => this.running(data.parsed || {}));
    client.on("initialState", (data) => data.image && this.show(() => this.preview(data.image)));
    client.on("imageReady", (data) => this.show(() => this.preview(data)));
    document.getElementById("preview-link").addEventListener("click", (click) => {
      click.preventDefault();
      this.show(() => this.fullSize());
    });
  }

  /** Run `load`; an image that cannot be fetched (gone from the store, daemon away) is said in the label. */
  async show(load) {
    try {
      await load();
    } catch (error) {
      this.label.textContent = `image not loaded (${error.code}: ${error.message})`;
    }
  }

  running(parsed) {
    this.progress.value = Math.max(1, Number(parsed.progress) || 0);
    this.progress.dataset.seen = "true";
    this.label.textContent = `${shown(parsed.file)}, ${shown(parsed.exposure)} s: ${shown(parsed.statusName)}, ${shown(parsed.remaining)} s left`;
  }

  /** An image route's JPEG as a blob: URL (fetched with the token, which an <img> could not send). */
  async blobUrl(path) {
    const response = await this.client.rest("GET", path);
    const url = URL.createObjectURL(await response.blob());
    this.urls.push(url);
    return url;
  }

  /** Show a new image (its imageReady notice): the thumbnail, HFD, star index, filter, exposure. */
  async preview(notice) {
    if (this.image && this.image.id === notice.id) return;
    this.image = notice;
    for (const url of this.urls.splice(0)) URL.revokeObjectURL(url);
    document.getElementById("preview").src = await this.blobUrl(notice.thumbUrl);
    document.getElementById("preview-link").hidden = false;
    this.progress.value = 100;
    this.label.textContent = `image ${notice.id}${notice.target ? ` of ${notice.target}` : ""}: ready`;
    facts(document.getElementById("shot-facts"), [
      ["HFD", shown(notice.hfd), "shot-hfd"],
      ["Star index", shown(notice.starIndex)],
      ["Filter", shown(notice.filter)],
      ["Exposure", `${shown(notice.exposure)} s`],
      ["Size", `${shown(notice.width)} × ${shown(notice.height)}`],
    ]);
  }

  async fullSize() {
    if (!this.image) return;
    document.getElementById("full-image").src = await this.blobUrl(this.image.url);
    document.getElementById("full-size").showModal();
  }
}
