// Commands view: one form per command operation of /api/openapi.json (those taking ?wait=).
import { VoyagerError } from "./client.js";
import { element } from "./format.js";

const WAIT = "#/components/parameters/Wait";
const UNFINISHED = new Set(["sent", "acknowledged", "running"]);

/** Every command operation of an OpenAPI document: the POSTs that take the Wait parameter. */
export function commandOperations(openapi) {
  const found = [];
  for (const [path, operations] of Object.entries(openapi.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if ((operation.parameters || []).some((parameter) => parameter.$ref === WAIT)) {
        found.push({ path, method: method.toUpperCase(), operation });
      }
    }
  }
  return found;
}

function resolve(openapi, schema) {
  if (schema && schema.$ref) return openapi.components.schemas[schema.$ref.split("/").pop()];
  return schema || {};
}

function describe(schema) {
  const bounds = [];
  const numeric = schema.oneOf?.find((option) => option.type === "number") || schema;
  if (numeric.minimum !== undefined) bounds.push(`≥ ${numeric.minimum}`);
  if (numeric.exclusiveMinimum !== undefined) bounds.push(`> ${numeric.exclusiveMinimum}`);
  if (numeric.maximum !== undefined) bounds.push(`≤ ${numeric.maximum}`);
  if (numeric.exclusiveMaximum !== undefined) bounds.push(`< ${numeric.exclusiveMaximum}`);
  if (schema.default !== undefined) bounds.push(`default ${JSON.stringify(schema.default)}`);
  return [schema.description, bounds.join(", ")].filter(Boolean).join(" — ");
}

/** The input for one body field, and how to read its value (undefined: leave it out). */
function fieldInput(name, schema, required) {
  let input;
  let read;
  if (schema.type === "boolean") {
    input = element("input", "", { type: "checkbox", name });
    input.checked = Boolean(schema.default);
    read = () => input.checked;
  } else if (Array.isArray(schema.enum)) {
    input = element("select", "", { name });
    for (const choice of schema.enum) input.append(element("option", String(choice), { value: JSON.stringify(choice) }));
    if (schema.default !== undefined) input.value = JSON.stringify(schema.default);
    read = () => JSON.parse(input.value);
  } else if (schema.type === "integer" || schema.type === "number") {
    input = element("input", "", { type: "number", name, step: schema.type === "integer" ? "1" : "any" });
    const low = schema.minimum ?? schema.exclusiveMinimum;
    if (low !== undefined) input.min = String(low);
    if (schema.maximum !== undefined) input.max = String(schema.maximum);
    if (schema.default !== undefined) input.value = String(schema.default);
    read = () => (input.value === "" ? undefined : Number(input.value));
  } else if (schema.type === "object" || schema.type === "array") {
    input = element("textarea", "", { name, rows: "3", spellcheck: "false" });
    if (schema.default !== undefined) input.value = JSON.stringify(schema.default);
    read = () => (input.value.trim() === "" ? undefined : JSON.parse(input.value));
  } else {
    // Text, or a number-or-text (angles): numbers are sent as numbers.
    input = element("input", "", { type: "text", name, autocomplete: "off" });
    if (schema.default !== undefined) input.value = String(schema.default);
    const numberToo = schema.oneOf?.some((option) => option.type === "number");
    read = () => {
      const text = input.value.trim();
      if (text === "") return undefined;
      return numberToo && /^[-+]?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    };
  }
  input.required = required;
  return { input, read };
}

export class Commands {
  constructor(client, follow) {
    this.client = client;
    this.follow = follow;
  }

  /** Build every form from the document; `canControl` false shows them disabled. */
  build(openapi, canControl) {
    const holder = document.getElementById("command-forms");
    holder.replaceChildren();
    const operations = commandOperations(openapi);
    for (const { path, method, operation } of operations) holder.append(this.form(openapi, path, method, operation, canControl));
    document.getElementById("commands-note").textContent = canControl
      ? `${operations.length} commands, from /api/openapi.json. Each is sent with wait=false; the ledger shows how it ends.`
      : "This key has the read role: commands are disabled.";
  }

  form(openapi, path, method, operation, canControl) {
    const details = element("details", "", { class: "command" });
    details.dataset.operation = `${method} ${path}`;
    const summary = element("summary", `${operation.summary} `);
    summary.append(element("code", path));
    details.append(summary);
    const form = element("form");
    const readers = [];
    const pathNames = [];
    for (const parameter of operation.parameters || []) {
      if (parameter.in !== "path") continue;
      const { input, read } = fieldInput(parameter.name, parameter.schema || {}, true);
      pathNames.push([parameter.name, read]);
      form.append(this.labelled(parameter.description || parameter.name, input, ""));
    }
    const bodySchema = resolve(openapi, operation.requestBody?.content?.["application/json"]?.schema);
    const properties = bodySchema.properties || {};
    const required = new Set(bodySchema.required || []);
    for (const [name, schema] of Object.entries(properties)) {
      const { input, read } = fieldInput(name, schema, required.has(name));
      readers.push([name, read]);
      form.append(this.labelled(name, input, describe(schema)));
    }
    let rawBody = null;
    if (operation.requestBody && !Object.keys(properties).length) {
      rawBody = element("textarea", "", { name: "params", rows: "3", spellcheck: "false", placeholder: "{}" });
      form.append(this.labelled("Params (JSON object)", rawBody, ""));
    }
    const idempotency = element("input", "", { type: "text", name: "idempotency", autocomplete: "off" });
    form.append(this.labelled("Idempotency-Key (optional)", idempotency, "A retry with the same key answers the first entry"));
    const send = element("button", operation["x-destructive"] ? `${operation.summary}…` : "Send", { type: "submit" });
    const answer = element("div", "", { class: "answer", role: "status" });
    form.append(send, answer);
    for (const control of form.querySelectorAll("input, select, textarea, button")) control.disabled = !canControl;
    form.addEventListener("submit", async (submitted) => {
      submitted.preventDefault();
      if (operation["x-destructive"] && !window.confirm(`${operation.summary}: are you sure?`)) return;
      let target = path;
      const body = {};
      try {
        for (const [name, read] of pathNames) target = target.replace(`{${name}}`, encodeURIComponent(read()));
        for (const [name, read] of readers) {
          const value = read();
          if (value !== undefined) body[name] = value;
        }
        if (rawBody && rawBody.value.trim()) Object.assign(body, JSON.parse(rawBody.value));
      } catch (problem) {
        this.show(answer, new VoyagerError({ code: "invalid_json", message: problem.message }));
        return;
      }
      const headers = idempotency.value ? { "Idempotency-Key": idempotency.value } : {};
      try {
        const entry = await this.client.rest(method, `${target}?wait=false`, { body, headers });
        this.show(answer, entry);
      } catch (error) {
        this.show(answer, error);
      }
    });
    details.append(form);
    return details;
  }

  labelled(text, input, help) {
    const label = element("label", text);
    label.append(input);
    if (help) label.append(element("small", help));
    return label;
  }

  show(answer, outcome) {
    answer.replaceChildren();
    if (outcome instanceof VoyagerError || outcome instanceof Error) {
      const code = outcome.code || "error";
      answer.append(element("span", `${code}: ${outcome.message}${outcome.field ? ` (${outcome.field})` : ""}`, { class: "bad" }));
      answer.dataset.outcome = code;
      return;
    }
    answer.dataset.outcome = outcome.state;
    answer.append(element("span", `${outcome.method}: ${outcome.state} `, { class: "ok" }));
    const link = element("a", "follow the ledger entry", { href: "#ledger" });
    link.addEventListener("click", () => this.follow(outcome.uid));
    answer.append(link);
    this.follow(outcome.uid);
  }
}

/** Show GET /api/commands/<uid> in the ledger box until the command is over. */
export function ledgerFollower(client) {
  const box = document.getElementById("ledger");
  let following = null;
  return async function follow(uid) {
    following = uid;
    while (following === uid) {
      let entry;
      try {
        entry = await client.rest("GET", `/api/commands/${encodeURIComponent(uid)}`);
      } catch (error) {
        box.textContent = `${error.code}: ${error.message}`;
        return;
      }
      if (following !== uid) return;
      box.dataset.state = entry.state;
      box.dataset.uid = uid;
      box.textContent = JSON.stringify({ ...entry, success: undefined }, null, 2);
      if (!UNFINISHED.has(entry.state)) return;
      await new Promise((done) => setTimeout(done, 1000));
    }
  };
}
