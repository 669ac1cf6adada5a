// voyager-proxy browser client: one WebSocket to /ws and REST calls, with the same token.
//
//   import { VoyagerClient, exchangeKey } from "/console/client.js";
//   const { token } = await exchangeKey(apiKey);          // when keys are configured
//   const client = new VoyagerClient({ token });
//   client.on("controlData", (data) => show(data.parsed));
//   client.connect();
//   const result = await client.command("RemoteGetStatus");
//   const state = await client.rest("GET", "/api/dashboard/state");
//
// It reconnects after 1 s, 2 s, 4 s ... at most 30 s apart and never gives up;
// each reconnection asks for what it missed (?since=&epoch=).

const FIRST_DELAY = 1000;
const LONGEST_DELAY = 30000;

/** A failed command or REST call: `code`, `message`, and `field` or `status` when known. */
export class VoyagerError extends Error {
  constructor({ code = "error", message = "failed", field = null, details = null } = {}, status = null) {
    super(message);
    this.name = "VoyagerError";
    this.code = code;
    this.field = field;
    this.details = details;
    this.status = status;
  }
}

/** The wait before reconnection attempt `attempt` (0 first): doubling from 1 s, capped at 30 s, with jitter. */
export function reconnectDelay(attempt) {
  const base = Math.min(LONGEST_DELAY, FIRST_DELAY * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

async function answer(response) {
  const type = response.headers.get("Content-Type") || "";
  if (!type.startsWith("application/json")) {
    if (!response.ok) throw new VoyagerError({ code: "http_error", message: response.statusText }, response.status);
    return response;
  }
  const body = await response.json();
  if (!response.ok || body.success === false) {
    throw new VoyagerError(body.error || { code: "http_error", message: response.statusText }, response.status);
  }
  return body;
}

/** POST /api/tokens: exchange an API key for `{token, exp}`; the key is sent in this request only. */
export async function exchangeKey(apiKey, base = "") {
  const response = await fetch(`${base}/api/tokens`, {
    method: "POST",
    headers: { "X-API-Key": apiKey, "Content-Type": "application/json" },
  });
  const body = await answer(response);
  return { token: body.token, exp: body.exp };
}

/** The claims of a token (unverified: for showing its role; the daemon checks it). */
export function tokenClaims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
}

export class VoyagerClient {
  /**
   * `base`: the daemon's http(s) origin (default: this page's); `token`: from
   * exchangeKey, or null when the daemon has no keys.
   */
  constructor({ base = "", token = null } = {}) {
    this.base = base || window.location.origin;
    this.token = token;
    this.epoch = null;
    this.seq = null;
    this.connected = false;
    this._handlers = new Map();
    this._pending = new Map();
    this._nextId = 1;
    this._attempt = 0;
    this._timer = null;
    this._socket = null;
    this._stopped = true;
  }

  /** Call `fn(data, message)` for every message named `event`; returns a function that stops it. */
  on(event, fn) {
    if (!this._handlers.has(event)) this._handlers.set(event, new Set());
    this._handlers.get(event).add(fn);
    return () => this._handlers.get(event).delete(fn);
  }

  _emit(event, data, message = null) {
    for (const fn of [...(this._handlers.get(event) || [])]) fn(data, message);
    for (const fn of [...(this._handlers.get("*") || [])]) fn(data, message ?? { event, data });
  }

  /** Open /ws and keep it open. */
  connect() {
    this._stopped = false;
    this._open();
  }

  /** Close for good (no reconnection). */
  close() {
    this._stopped = true;
    clearTimeout(this._timer);
    if (this._socket) this._socket.close(1000);
  }

  /** A new token (after the old one was refused or expired): reconnect with it. */
  setToken(token) {
    this.token = token;
    if (!this._stopped && !this.connected) {
      clearTimeout(this._timer);
      this._open();
    }
  }

  _url() {
    const url = new URL("/ws", this.base.replace(/^http/, "ws"));
    if (this.token) url.searchParams.set("token", this.token);
    if (this.epoch !== null && this.seq !== null) {
      url.searchParams.set("since", String(this.seq));
      url.searchParams.set("epoch", this.epoch);
    }
    return url.toString();
  }

  _open() {
    const socket = new WebSocket(this._url());
    this._socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.connected = true;
      this._attempt = 0;
      this._emit("open", {});
    };
    socket.onmessage = (frame) => this._receive(frame.data);
    socket.onclose = (closed) => {
      if (this._socket !== socket) return;
      this.connected = false;
      this._socket = null;
      for (const { reject } of this._pending.values()) {
        reject(new VoyagerError({ code: "disconnected", message: "the connection closed before the answer" }));
      }
      this._pending.clear();
      this._emit("close", { code: closed.code, reason: closed.reason, opened });
      if (!this._stopped) this._retry(opened);
    };
  }

  async _retry(opened) {
    if (!opened && this.token) {
      // A refused handshake looks like any failure to a browser: ask REST whether the token still holds.
      try {
        await this.rest("GET", "/api/status/connection");
      } catch (error) {
        if (error.status === 401 || error.status === 403) {
          this._emit("unauthorized", { message: error.message });
          return; // until setToken
        }
      }
    }
    const delay = reconnectDelay(this._attempt++);
    this._emit("reconnecting", { delay, attempt: this._attempt });
    this._timer = setTimeout(() => this._open(), delay);
  }

  _receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const { event, data } = message;
    if (typeof message.seq === "number") this.seq = message.seq;
    if (event === "initialState" || event === "state") {
      if (event === "initialState") this.epoch = data.epoch;
      this.seq = data.seq;
    } else if (event === "resumed") {
      this.epoch = data.epoch;
      this.seq = data.to;
      data.replayed = Math.max(0, data.to - data.from + 1 - data.omitted.length);
    } else if (event === "commandResult" && this._pending.has(data.id)) {
      const { resolve, reject } = this._pending.get(data.id);
      this._pending.delete(data.id);
      if (data.success) resolve(data);
      else reject(new VoyagerError(data.error));
    }
    this._emit(event, data, message);
  }

  _send(message) {
    if (!this._socket || this._socket.readyState !== WebSocket.OPEN) {
      throw new VoyagerError({ code: "disconnected", message: "not connected to the daemon" });
    }
    this._socket.send(JSON.stringify(message));
  }

  /** Send a Voyager method over /ws; resolves with its commandResult, rejects with a VoyagerError. */
  command(method, params = {}, { timeout } = {}) {
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      try {
        this._send({ action: "command", id, method, params, ...(timeout ? { timeout } : {}) });
        this._pending.set(id, { resolve, reject });
      } catch (error) {
        reject(error);
      }
    });
  }

  /** Receive only `include` (a list, or null for all) and never `exclude`; resolves with the lists now in force. */
  topics({ include, exclude } = {}) {
    return new Promise((resolve, reject) => {
      const stop = this.on("topics", (data) => {
        stop();
        resolve(data);
      });
      try {
        this._send({ action: "topics", ...(include !== undefined ? { include } : {}), ...(exclude ? { exclude } : {}) });
      } catch (error) {
        stop();
        reject(error);
      }
    });
  }

  /** A REST call with this client's token; resolves with the JSON body (or the Response of a non-JSON answer). */
  async rest(method, path, { body, headers = {} } = {}) {
    const sent = { ...headers };
    if (this.token) sent.Authorization = `Bearer ${this.token}`;
    // Every request that may carry a body says JSON, even an empty one (the daemon refuses others with 415).
    if (method !== "GET" && method !== "HEAD") sent["Content-Type"] = "application/json";
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return answer(response);
  }
}
