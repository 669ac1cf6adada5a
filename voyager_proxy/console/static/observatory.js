// Observatory view: ControlData by device, the guiding chart, weather and safety.
import { facts, missingReason, shown } from "./format.js";

const WINDOW = 10 * 60 * 1000; // the chart's last 10 minutes

export class Observatory {
  constructor(client) {
    this.guide = []; // [time ms, x, y]
    client.on("initialState", (data) => data.controlData && this.show(data.controlData.parsed));
    client.on("state", (data) => data.controlData && this.show(data.controlData.parsed));
    client.on("controlData", (data) => this.show(data.parsed));
    client.on("weatherAndSafetyMonitorData", (data) => this.weather(data.parsed || data));
    this.weather(null);
  }

  /** Draw the guiding of the recent ControlData events (GET /api/events/recent), oldest first. */
  history(events) {
    const points = events
      .map((event) => [event.receivedAt * 1000, event.data?.parsed?.guiding])
      .filter(([, guiding]) => typeof guiding?.errorX === "number" && typeof guiding?.errorY === "number")
      .sort((a, b) => a[0] - b[0]);
    for (const [time, guiding] of points) this.guide.push([time, guiding.errorX, guiding.errorY]);
    this.guide.sort((a, b) => a[0] - b[0]);
  }

  show(parsed) {
    if (!parsed) return;
    const camera = parsed.camera || {};
    const mount = parsed.mount || {};
    const focuser = parsed.focuser || {};
    const guiding = parsed.guiding || {};
    const sequence = parsed.sequence || {};
    const drag = sequence.dragScript || {};
    facts(document.getElementById("obs-camera"), [
      "Voyager",
      ["Time (UTC)", shown(parsed.time?.utc), "telemetry-time"],
      ["Status", shown(parsed.status?.name)],
      "Camera",
      ["Connected", shown(camera.connected)],
      ["Temperature", `${shown(camera.temperature, missingReason(parsed, "CCDTEMP"))} °C`, "camera-temperature"],
      ["Set point", `${shown(camera.setPoint, missingReason(parsed, "CCDSETP"))} °C`],
      ["Cooler", `${shown(camera.coolerOn)}, ${shown(camera.coolerPower, missingReason(parsed, "CCDPOW"))} %`],
      ["Status", shown(camera.statusName)],
    ]);
    facts(document.getElementById("obs-mount"), [
      "Mount",
      ["Connected", shown(mount.connected)],
      ["RA / Dec", `${shown(mount.ra)} / ${shown(mount.dec)}`, "mount-radec"],
      ["Alt / Az", `${shown(mount.altitude)} / ${shown(mount.azimuth)}`],
      ["Tracking", shown(mount.tracking)],
      ["Parked", shown(mount.parked), "mount-parked"],
      ["Slewing", shown(mount.slewing)],
      ["Pier", shown(mount.pier)],
      ["Time to flip", shown(mount.timeToFlip, missingReason(parsed, "MNTTFLIP"))],
    ]);
    facts(document.getElementById("obs-focuser"), [
      "Focuser",
      ["Connected", shown(focuser.connected)],
      ["Position", shown(focuser.position, missingReason(parsed, "AFPOS"))],
      ["Temperature", shown(focuser.temperature, missingReason(parsed, "AFTEMP")), "focuser-temperature"],
    ]);
    facts(document.getElementById("obs-guiding"), [
      "Guiding",
      ["Connected", shown(guiding.connected)],
      ["Status", shown(guiding.statusName)],
      ["Error X / Y", `${shown(guiding.errorX)} / ${shown(guiding.errorY)} px`, "guide-error"],
      ["Dither", shown(guiding.ditherStatusName)],
    ]);
    const total = sequence.totalSeconds || 0;
    facts(document.getElementById("obs-sequence"), [
      "Sequence",
      ["Running", shown(sequence.name, "none")],
      ["Progress", total ? `${Math.round((100 * (sequence.elapsedSeconds || 0)) / total)} %` : "none"],
      ["Remaining", shown(sequence.remaining, "none")],
      ["DragScript", shown(drag.name, "none")],
      ["DragScript left", shown(drag.remaining, "none")],
    ]);
    if (typeof guiding.errorX === "number" && typeof guiding.errorY === "number") {
      this.plot(Date.now(), guiding.errorX, guiding.errorY);
    }
  }

  weather(parsed) {
    const rows = ["Weather and safety"];
    if (!parsed || typeof parsed !== "object") rows.push(["Reported", "not by this setup"]);
    else {
      for (const [name, value] of Object.entries(parsed)) {
        if (typeof value !== "object" || value === null) rows.push([name, shown(value)]);
      }
    }
    facts(document.getElementById("obs-weather"), rows);
  }

  plot(now, x, y) {
    this.guide.push([now, x, y]);
    while (this.guide.length && this.guide[0][0] < now - WINDOW) this.guide.shift();
    const largest = Math.max(2, ...this.guide.map(([, gx, gy]) => Math.max(Math.abs(gx), Math.abs(gy))));
    const scale = Math.ceil(largest);
    // Time runs from the oldest point kept (at most 10 min ago) to now.
    const start = this.guide[0][0];
    const span = Math.max(now - start, 1);
    const point = (time, value) => `${(((time - start) / span) * 600).toFixed(1)},${(80 - (value / scale) * 75).toFixed(1)}`;
    document.getElementById("guide-x").setAttribute("points", this.guide.map(([t, gx]) => point(t, gx)).join(" "));
    document.getElementById("guide-y").setAttribute("points", this.guide.map(([t, , gy]) => point(t, gy)).join(" "));
    document.getElementById("guide-scale").textContent = `±${scale}`;
    document.getElementById("guide-span").textContent = `${Math.max(1, Math.round(span / 60000))} min`;
  }
}
