// The operator console: signs in, then wires every view to one VoyagerClient.
import { VoyagerClient, exchangeKey, tokenClaims } from "./client.js";
import { Commands, ledgerFollower } from "./commands.js";
import { Events } from "./events.js";
import { shown, when } from "./format.js";
import { Observatory } from "./observatory.js";
import { RoboTarget } from "./robotarget.js";
import { Shot } from "./shot.js";

const STALE_AFTER = 6000; // ms without telemetry before the badge shows

/** Ask for an API key until POST /api/tokens accepts one; the key leaves no trace but that request. */
function askForKey(reason = "") {
  const dialog = document.getElementById("signin");
  const form = document.getElementById("signin-form");
  const input = document.getElementById("signin-key");
  const problem = document.getElementById("signin-problem");
  problem.textContent = reason;
  return new Promise((resolve) => {
    const submitted = async (event) => {
      event.preventDefault();
      const key = input.value;
      input.value = "";
      try {
        const { token } = await exchangeKey(key);
        form.removeEventListener("submit", submitted);
        dialog.close();
        resolve(token);
      } catch (error) {
        problem.textContent = `Refused: ${error.message}`;
        input.focus();
      }
    };
    form.addEventListener("submit", submitted);
    dialog.addEventListener("cancel", (event) => event.preventDefault());
    dialog.showModal();
    input.focus();
  });
}

/** A token when the daemon has keys, null when it needs none (loopback without keys). */
async function signIn() {
  const probe = await fetch("/api/status/connection");
  return probe.ok ? null : askForKey();
}

function banner(text) {
  const shownBanner = document.getElementById("banner");
  shownBanner.hidden = !text;
  shownBanner.textContent = text || "";
}

class Session {
  constructor(client) {
    this.client = client;
    this.voyager = null;
    this.linked = false;
    this.telemetryAt = Date.now();
    client.on("initialState", (data) => this.connection(data.connection));
    client.on("state", (data) => this.connection(data.connection));
    client.on("connectionState", (data) => this.connection(data));
    client.on("controlData", () => (this.telemetryAt = Date.now()));
    client.on("open", () => this.link(true, "connected"));
    client.on("reconnecting", ({ delay, attempt }) =>
      this.link(false, `lost; attempt ${attempt} in ${Math.round(delay / 1000)} s`),
    );
    client.on("resumed", (data) => {
      const note = document.getElementById("resumed");
      note.hidden = false;
      note.textContent = `Resumed at ${new Date().toLocaleTimeString()}, ${data.replayed} messages replayed.`;
      note.dataset.replayed = String(data.replayed);
    });
    setInterval(() => this.staleness(), 1000);
  }

  link(up, text) {
    this.linked = up;
    document.getElementById("session-link").textContent = text;
    this.render();
  }

  connection(status) {
    if (!status) return;
    this.voyager = status;
    const state = document.getElementById("session-state");
    state.textContent = status.state;
    state.dataset.state = status.state;
    document.getElementById("session-since").textContent = when(status.since);
    document.getElementById("session-attempts").textContent = shown(status.attempts);
    document.getElementById("session-error").textContent = shown(status.lastError, "none");
    const version = status.version;
    document.getElementById("session-version").textContent = version ? `${version.version} on ${version.host}` : "unknown";
    this.render();
  }

  render() {
    if (!this.linked) banner("The console has lost its connection to the daemon; reconnecting…");
    else if (this.voyager && this.voyager.state !== "ready") {
      const why = this.voyager.lastError ? `: ${this.voyager.lastError}` : "";
      banner(`Voyager is ${this.voyager.state}${why}. The daemon keeps reconnecting.`);
    } else banner("");
  }

  staleness() {
    const badge = document.getElementById("stale");
    const age = Date.now() - this.telemetryAt;
    badge.hidden = age <= STALE_AFTER;
    badge.textContent = `telemetry ${Math.round(age / 1000)} s old`;
  }
}

async function start() {
  document.getElementById("theme").addEventListener("click", (click) => {
    const red = document.documentElement.dataset.theme !== "red";
    document.documentElement.dataset.theme = red ? "red" : "dark";
    click.currentTarget.setAttribute("aria-pressed", String(red));
  });
  const token = await signIn();
  const claims = token ? tokenClaims(token) : { sub: "local (no keys configured)", scope: "control" };
  const canControl = claims.scope === "control";
  document.getElementById("session-role").textContent = `${claims.sub}, ${claims.scope} role`;
  const client = new VoyagerClient({ token });
  window.consoleClient = client; // for the developer tools
  client.on("unauthorized", async () => client.setToken(await askForKey("The token was refused or has expired.")));
  const session = new Session(client);
  const observatory = new Observatory(client);
  const shot = new Shot(client);
  new Events(client);
  const commands = new Commands(client, ledgerFollower(client));
  const robotarget = new RoboTarget(client, canControl);
  client.on("connectionState", (data) => data.state === "ready" && robotarget.refresh());

  const { state } = await client.rest("GET", "/api/dashboard/state");
  session.connection(state.connection);
  observatory.show(state.controlData?.parsed);
  client.connect();
  const openapi = await client.rest("GET", "/api/openapi.json");
  commands.build(openapi, canControl);
  const recent = openapi.paths["/api/events/recent"].get.parameters.find((parameter) => parameter.name === "limit");
  const { events } = await client.rest("GET", `/api/events/recent?type=ControlData&limit=${recent.schema.maximum}`);
  observatory.history(events);
  await robotarget.start().catch((error) => banner(`The console could not start (${error.message}); reload the page.`));
  document.body.dataset.ready = "true";
}

start().catch((error) => banner(`The console could not start (${error.message}); reload the page.`));
